from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .issuer import IssuerMatchMixin


class InvoiceSequence(IssuerMatchMixin, metaclass=PoolMeta):
    __name__ = 'account.fiscalyear.invoice_sequence'

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty for invoices that have no issuer.")
