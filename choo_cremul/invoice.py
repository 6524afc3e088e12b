from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .statement import MATCHED_PAYMENTS


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    def _is_avtalegiro(self):
        "Return whether a subscription the invoice bills has a mandate"
        return super()._is_avtalegiro() or any(
            line.origin.subscription.avtalegiro
            for line in self.lines
            if getattr(line.origin, '__name__', None)
            == 'sale.subscription.line')

    @classmethod
    def add_payment_lines(cls, payments):
        """Add the payment lines, trusting the matcher of bank files

        Writing payment_lines checks its domain on every invoice, one
        search of many joins each, which thousands of invoices paid by
        one file cannot afford.  The matcher settled each payment within
        what was left to pay, and the statement line's own domain held
        the invoice's party and account; the link keeps its own checks.
        """
        if (not Transaction().context.get(MATCHED_PAYMENTS)
                or any(i.state == 'paid' for i in payments)):
            return super().add_payment_lines(payments)
        PaymentLine = Pool().get('account.invoice-account.move.line')
        PaymentLine.create([
                {'invoice': invoice.id, 'line': int(line)}
                for invoice, lines in payments.items()
                for line in lines])
