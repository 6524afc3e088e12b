"""choo_multikanal"""
