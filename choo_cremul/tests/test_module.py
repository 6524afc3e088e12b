from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class CremulTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo CREMUL module"
    module = 'choo_cremul'


del ModuleTestCase
