from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class SubscriptionBillingTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo Subscription Billing module"
    module = 'choo_subscription_billing'

    @with_transaction()
    def test_party_references_fill_empty_values(self):
        "Test the payer's standing references fill only what is empty"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')

        payer = Party(
            name="Fjordverk AS", invoice_reference="Kari Nordmann",
            purchase_order="PO-4711")
        payer.save()

        invoice = Invoice(type='out', party=payer)
        invoice._choo_set_party_references()
        self.assertEqual(
            (invoice.reference, invoice.purchase_order),
            ("Kari Nordmann", "PO-4711"))

        invoice = Invoice(type='out', party=payer, reference="Ola")
        invoice._choo_set_party_references()
        self.assertEqual(
            (invoice.reference, invoice.purchase_order), ("Ola", "PO-4711"))

        supplier_invoice = Invoice(type='in', party=payer)
        supplier_invoice._choo_set_party_references()
        self.assertEqual(
            (supplier_invoice.reference, supplier_invoice.purchase_order),
            (None, None))

    @with_transaction()
    def test_analytic_entries_of_product_per_company(self):
        "Test the cost centre entries of a product for each company"
        pool = Pool()
        Account = pool.get('analytic_account.account')
        InvoiceLine = pool.get('account.invoice.line')
        Product = pool.get('product.product')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')

        company = create_company()
        other_company = create_company(
            name="Other", currency=company.currency)
        unit, = Uom.search([('name', '=', "Unit")])
        with set_company(company):
            root = Account(name="Kostnadssteder", type='root')
            root.save()
            centre = Account(name="Kurs", root=root, parent=root)
            centre.save()
            course = Template(
                name="Fagdag", type='service', default_uom=unit,
                cost_centre=centre)
            plain = Template(name="Annet", type='service', default_uom=unit)
            Template.save([course, plain])
            product = Product(template=course)
            plain_product = Product(template=plain)
            Product.save([product, plain_product])

            self.assertEqual(
                InvoiceLine._choo_analytic_entries(product),
                [{'root': root.id, 'account': centre.id}])
            self.assertEqual(
                InvoiceLine._choo_analytic_entries(plain_product), [])
            self.assertEqual(
                InvoiceLine._choo_analytic_entries(
                    product, company=other_company),
                [])

    @with_transaction()
    def test_issuer_accepts_kid_of_its_structures(self):
        "Test an issuer accepts the KIDs of its layout and structures only"
        pool = Pool()
        Issuer = pool.get('choo.issuer')
        Structure = pool.get('choo.issuer.kid_structure')

        issuer = Issuer(
            kid_order='member_sequence_product', kid_algorithm='mod10',
            kid_member_digits=7, kid_sequence_digits=7,
            kid_product_digits=0,
            kid_structures=[Structure(length=8, algorithm='mod11')])

        self.assertEqual(issuer.kid_lengths, [8, 15])
        self.assertTrue(issuer.accepts_kid('000004200000075'))
        self.assertTrue(issuer.accepts_kid('1000005-'))
        self.assertFalse(issuer.accepts_kid('000004200000076'))
        self.assertFalse(issuer.accepts_kid('123456782'))
        self.assertFalse(issuer.accepts_kid('10000057'))

    @with_transaction()
    def test_payment_mean_rule_matches_its_issuer_only(self):
        "Test a payment mean rule serves the invoices of its issuer only"
        pool = Pool()
        Issuer = pool.get('choo.issuer')
        Rule = pool.get('account.invoice.payment.mean.rule')

        national, branch = Issuer(id=1), Issuer(id=2)
        national_rule = Rule(issuer=national)
        plain_rule = Rule(issuer=None)

        self.assertTrue(national_rule.match({'issuer': national.id}))
        self.assertFalse(national_rule.match({'issuer': branch.id}))
        self.assertFalse(national_rule.match({'issuer': None}))
        self.assertTrue(plain_rule.match({'issuer': None}))
        self.assertFalse(plain_rule.match({'issuer': branch.id}))


del ModuleTestCase
