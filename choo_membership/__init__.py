"""choo_membership"""
