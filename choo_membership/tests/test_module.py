from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MembershipTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo Membership module"
    module = 'choo_membership'


del ModuleTestCase
