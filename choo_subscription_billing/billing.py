import logging
from decimal import Decimal

from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class BillingRun(Workflow, ModelSQL, ModelView):
    __name__ = 'choo.billing.run'
    __string__ = "Billing Run"

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('state') != 'draft',
            })
    date = fields.Date(
        "Date", required=True,
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="Invoice every subscription period due up to this date.")
    invoices = fields.One2Many(
        'account.invoice', 'billing_run', "Invoices", readonly=True)
    invoice_count = fields.Function(
        fields.Integer("Invoices Issued"), 'get_totals')
    total_amount = fields.Function(
        fields.Numeric("Total Amount", digits=(16, 2)), 'get_totals')
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))
        cls._transitions |= {('draft', 'done')}
        cls._buttons.update({
                'run': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_date():
        return Pool().get('ir.date').today()

    @staticmethod
    def default_state():
        return 'draft'

    def get_rec_name(self, name):
        return f'{self.company.rec_name} @ {self.date}'

    @classmethod
    def get_totals(cls, runs, names):
        counts = {r.id: len(r.invoices) for r in runs}
        amounts = {
            r.id: sum((i.total_amount for i in r.invoices), Decimal(0))
            for r in runs}
        result = {'invoice_count': counts, 'total_amount': amounts}
        return {n: result[n] for n in names}

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def run(cls, runs):
        "Invoice and post every subscription period that is due"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        for run in runs:
            run._generate_invoices()
        invoices = Invoice.search([
                ('billing_run', 'in', [r.id for r in runs]),
                ('state', '=', 'draft'),
                ])
        Invoice.post(invoices)
        logger.info(
            "billing runs %s posted %d invoices",
            [r.id for r in runs], len(invoices))

    def _generate_invoices(self):
        "Create the draft invoices due at the date of the run"
        pool = Pool()
        Line = pool.get('sale.subscription.line')
        Subscription = pool.get('sale.subscription')
        with Transaction().set_context(
                company=self.company.id, choo_billing_run=self.id):
            Line.generate_consumption(date=self.date)
            Subscription.generate_invoice(date=self.date)
        self._adopt_drafts()

    def _adopt_drafts(self):
        "Take in the subscription invoices left in draft outside any run"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        drafts = Invoice.search([
                ('type', '=', 'out'),
                ('state', '=', 'draft'),
                ('company', '=', self.company.id),
                ('billing_run', '=', None),
                ('invoice_date', '<=', self.date),
                ('lines.origin', 'like', 'sale.subscription.line,%'),
                ])
        Invoice.write(drafts, {'billing_run': self.id})

    @classmethod
    def run_scheduled(cls):
        "Run billing up to today for the task's company, or for all"
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        company = Transaction().context.get('company')
        companies = [Company(company)] if company else Company.search([])
        for company in companies:
            with Transaction().set_context(company=company.id):
                run, = cls.create([{
                            'company': company.id,
                            'date': Date.today(),
                            }])
                cls.run([run])
