"""choo_account_no"""
