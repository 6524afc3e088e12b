"""choo_subscription_billing"""
