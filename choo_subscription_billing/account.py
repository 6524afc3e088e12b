from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class InvoiceSequence(metaclass=PoolMeta):
    __name__ = 'account.fiscalyear.invoice_sequence'

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty for invoices that have no issuer.")

    def match(self, pattern, match_none=False):
        "Match the issuer exactly: an issuer never borrows another series"
        pattern = pattern.copy()
        if 'issuer' in pattern:
            issuer = pattern.pop('issuer')
            if (self.issuer.id if self.issuer else None) != issuer:
                return False
        return super().match(pattern, match_none=match_none)
