from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SubscriptionBillingTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo Subscription Billing module"
    module = 'choo_subscription_billing'


del ModuleTestCase
