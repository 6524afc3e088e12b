from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Subscription(metaclass=PoolMeta):
    __name__ = 'sale.subscription'

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="Who invoices this subscription.")

    @classmethod
    def default_issuer(cls):
        return Pool().get('choo.issuer').default_id()

    def _get_invoice(self):
        invoice = super()._get_invoice()
        invoice.issuer = self.issuer
        invoice.billing_run = Transaction().context.get('choo_billing_run')
        invoice.set_journal()
        return invoice
