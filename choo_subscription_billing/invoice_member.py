"""Invoicing one member by hand, through a billing run of its own."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import InvoiceMemberError


class InvoiceMemberStart(ModelView):
    __name__ = 'choo.billing.invoice_member.start'
    __string__ = "Invoice Member"

    party = fields.Many2One(
        'party.party', "Party", required=True, readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'})
    company = fields.Many2One('company.company', "Company", readonly=True)
    issuer = fields.Many2One(
        'choo.issuer', "Issuer", required=True,
        domain=[('company', '=', Eval('company', -1))])
    date = fields.Date("Invoice Date", required=True)
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[('salable', '=', True)],
        context={'company': Eval('company', -1)}, depends={'company'})
    quantity = fields.Numeric("Quantity", digits=(16, 4), required=True)
    unit_price = fields.Numeric("Unit Price", digits=(16, 4), required=True)
    description = fields.Char(
        "Description", help="Leave empty to use the product's name.")

    @fields.depends('product')
    def on_change_product(self):
        if self.product:
            self.unit_price = self.product.list_price_used


class InvoiceMember(Wizard):
    __name__ = 'choo.billing.invoice_member'
    __string__ = "Invoice Member"

    start = StateView(
        'choo.billing.invoice_member.start',
        'choo_subscription_billing.invoice_member_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Invoice", 'invoice', 'tryton-ok', default=True),
            ])
    invoice = StateAction('account_invoice.act_invoice_out_form')

    def default_start(self, fields):
        pool = Pool()
        Run = pool.get('choo.billing.run')
        return {
            'party': self.record.id,
            'company': Run.default_company(),
            'issuer': Run.default_issuer(),
            'date': Run.default_date(),
            'quantity': 1,
            }

    def do_invoice(self, action):
        pool = Pool()
        Run = pool.get('choo.billing.run')
        run = self._get_run()
        run.save()
        Run.preview([run])
        Run.commit([run])
        # Bill it now: the queued task finds the batch done and skips it.
        Run.process([run])
        if run.errors:
            raise InvoiceMemberError(gettext(
                    'choo_subscription_billing.msg_invoice_member_failed',
                    party=self.record.rec_name,
                    error=run.errors[0].message))
        action['views'].reverse()
        action['res_id'] = [i.id for i in run.invoices]
        return action, {'res_id': action['res_id']}

    def _get_run(self):
        "Return the group invoicing run that bills the party alone"
        pool = Pool()
        Run = pool.get('choo.billing.run')
        start = self.start
        return Run(
            company=start.issuer.company, issuer=start.issuer,
            date=start.date, kind='group', parties=[self.record],
            group_product=start.product, group_quantity=start.quantity,
            group_unit_price=start.unit_price,
            group_description=start.description)
