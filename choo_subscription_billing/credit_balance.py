"""A payer's open credit pays the next invoices a billing run posts."""
from collections import defaultdict
from decimal import Decimal

from trytond.pool import Pool, PoolMeta


class MoveLine(metaclass=PoolMeta):
    __name__ = 'account.move.line'

    @classmethod
    def search_open_credit(cls, company, parties, accounts=None):
        "Return the parties' unreconciled credit lines, oldest first"
        domain = [
            ('company', '=', company.id),
            ('party', 'in', [p.id for p in parties]),
            ('account.type.receivable', '=', True),
            ('reconciliation', '=', None),
            ('invoice_payment', '=', None),
            ('move_state', '=', 'posted'),
            ('credit', '>', 0),
            ('second_currency', '=', None),
            ]
        if accounts is not None:
            domain.append(('account', 'in', [a.id for a in accounts]))
        return cls.search(domain, order=[('date', 'ASC'), ('id', 'ASC')])


class BillingRun(metaclass=PoolMeta):
    __name__ = 'choo.billing.run'

    def _apply_credit(self, invoices):
        "Add the payers' open credit to the payment lines of the invoices"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.move.line')

        if not self.issuer.apply_credit:
            return
        invoices = [
            i for i in invoices if i.state == 'posted' and i.total_amount > 0]
        credits = self._get_open_credit(invoices)
        payments = {}
        for invoice in invoices:
            key = (invoice.party.id, invoice.account.id)
            if lines := self._take_credit(invoice, credits[key]):
                payments[invoice] = lines
        if not payments:
            return
        Invoice.add_payment_lines(payments)

        paid = [
            invoice for invoice, lines in payments.items()
            if self._credit_amount(lines) == invoice.total_amount]
        Line.reconcile(*(
                list(invoice.lines_to_pay) + payments[invoice]
                for invoice in paid))
        Invoice.process(paid)

    def _get_open_credit(self, invoices):
        "Return the open credit lines per payer and receivable account"
        pool = Pool()
        Line = pool.get('account.move.line')
        credits = defaultdict(list)
        if not invoices:
            return credits
        for line in Line.search_open_credit(
                self.company, {i.party for i in invoices},
                {i.account for i in invoices}):
            credits[(line.party.id, line.account.id)].append(line)
        return credits

    def _take_credit(self, invoice, lines):
        "Remove from lines and return those that fit in the invoice's total"
        taken = []
        left = invoice.total_amount
        for line in list(lines):
            amount = self._credit_amount([line])
            if amount <= left:
                taken.append(line)
                lines.remove(line)
                left -= amount
        return taken

    @staticmethod
    def _credit_amount(lines):
        "Return the credit the move lines hold"
        return sum((l.credit - l.debit for l in lines), Decimal(0))
