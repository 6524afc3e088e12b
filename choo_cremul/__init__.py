"""choo_cremul"""
