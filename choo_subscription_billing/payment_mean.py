from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .issuer import IssuerMatchMixin


class PaymentMean(metaclass=PoolMeta):
    __name__ = 'account.invoice.payment.mean'

    @fields.depends('_parent_invoice.issuer')
    def on_change_with_payees(self, name=None):
        payees = super().on_change_with_payees(name=name)
        invoice = self.invoice
        if invoice and invoice.type == 'out' and invoice.issuer:
            payees.append(invoice.issuer.legal_entity)
        return payees

    @classmethod
    def from_issuer(cls, invoice):
        "Return the payment mean to the bank account of the invoice's issuer"
        return cls(invoice=invoice, instrument=invoice.issuer.bank_account)


class PaymentMeanRule(IssuerMatchMixin, metaclass=PoolMeta):
    __name__ = 'account.invoice.payment.mean.rule'

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        help="Apply the rule only to the invoices of this issuer.\n"
        "Invoices of an issuer without a rule are paid to the issuer's "
        "bank account.")

    @fields.depends('issuer')
    def on_change_with_payee(self, name=None):
        if self.issuer:
            return self.issuer.legal_entity
        return super().on_change_with_payee(name=name)

    @classmethod
    def pattern_from_invoice(cls, invoice):
        pattern = super().pattern_from_invoice(invoice)
        issuer = invoice.issuer if invoice.type == 'out' else None
        pattern['issuer'] = issuer.id if issuer else None
        return pattern
