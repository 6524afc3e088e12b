"""choo_reports"""
