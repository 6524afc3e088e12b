"""Paying a party's open credit back from the bank."""
from decimal import Decimal
from itertools import groupby

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import RefundCreditError


class RefundCreditStart(ModelView):
    __name__ = 'choo.credit.refund.start'
    __string__ = "Refund Credit"

    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'})
    company = fields.Many2One('company.company', "Company", readonly=True)
    amount = fields.Numeric(
        "Amount", digits=(16, 2), readonly=True,
        help="The party's open credit, refunded in full.")
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Payment Method", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="The journal and bank account the refund is paid from.")
    date = fields.Date("Date", required=True)
    description = fields.Char("Description")


class RefundCredit(Wizard):
    __name__ = 'choo.credit.refund'
    __string__ = "Refund Credit"

    start = StateView(
        'choo.credit.refund.start',
        'choo_subscription_billing.credit_refund_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Refund", 'refund', 'tryton-ok', default=True),
            ])
    refund = StateTransition()

    def _credit_lines(self, company):
        "Return the open credit lines of the party"
        Line = Pool().get('account.move.line')
        return Line.search_open_credit(company, [self.record])

    def default_start(self, fields):
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        company = Company(Transaction().context['company'])
        lines = self._credit_lines(company)
        return {
            'party': self.record.id,
            'company': company.id,
            'amount': sum((l.credit for l in lines), Decimal(0)),
            'date': Date.today(),
            }

    def transition_refund(self):
        pool = Pool()
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')

        lines = self._credit_lines(self.start.company)
        if not lines:
            raise RefundCreditError(gettext(
                    'choo_subscription_billing.msg_refund_no_credit',
                    party=self.record.rec_name))
        move = self._get_move(lines)
        move.save()
        Move.post([move])

        accounts = {l.account for l in lines}
        Line.reconcile(*(
                [l for l in lines + list(move.lines) if l.account == account]
                for account in accounts))
        return 'end'

    def _get_move(self, lines):
        "Return the move that pays the credit lines back"
        pool = Pool()
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        Period = pool.get('account.period')
        start = self.start
        date = start.date
        method = start.payment_method

        move_lines = []
        for account, account_lines in groupby(
                sorted(lines, key=lambda l: l.account.id),
                key=lambda l: l.account):
            move_lines.append(Line(
                    account=account, party=self.record, credit=0,
                    debit=sum((l.credit for l in account_lines), Decimal(0))))
        total = sum((l.debit for l in move_lines), Decimal(0))
        bank = Line(
            account=method.credit_account.current(date=date),
            debit=0, credit=total)
        if bank.account.party_required:
            bank.party = self.record
        return Move(
            journal=method.journal, company=start.company, date=date,
            period=Period.find(start.company, date=date),
            description=start.description, lines=move_lines + [bank])
