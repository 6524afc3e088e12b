from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MultikanalTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo Multikanal module"
    module = 'choo_multikanal'


del ModuleTestCase
