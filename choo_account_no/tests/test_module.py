from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class AccountNoTestCase(ModuleTestCase):
    "Test Account NO module"
    module = 'choo_account_no'

    @with_transaction()
    def test_tax_templates_carry_saft_code(self):
        "Test every tax template of the chart carries a SAF-T code"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        TaxTemplate = pool.get('account.tax.template')

        root = ModelData.get_id('choo_account_no', 'account_template_root')
        templates = TaxTemplate.search([('account', '=', root)])

        self.assertEqual(len(templates), 11)
        for template in templates:
            with self.subTest(template=template.name):
                self.assertRegex(template.saft_code, r'^[0-9]{1,2}$')

    @with_transaction()
    def test_tax_value_saft_code(self):
        "Test the SAF-T code is copied from the template to the tax"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        TaxTemplate = pool.get('account.tax.template')
        Tax = pool.get('account.tax')

        template = TaxTemplate(ModelData.get_id(
                'choo_account_no', 'tax_template_sale_exempt'))

        value = template._get_tax_value()
        self.assertEqual(value['saft_code'], '6')

        tax = Tax(**value)
        self.assertNotIn('saft_code', template._get_tax_value(tax=tax))

        tax.saft_code = '5'
        self.assertEqual(
            template._get_tax_value(tax=tax)['saft_code'], '6')


del ModuleTestCase
