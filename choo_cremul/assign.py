"""Placing the payments of the unmatched queue by hand.

An accountant assigns one payment or many at once to an invoice, to a
party (on account, as the party's credit) or to a general-ledger
account.  A payment of a draft statement gets new statement lines; one
whose statement is posted sits on the journal's unmatched account, so a
move of the payment's date takes it from there to where it belongs and
settles the invoice.
"""
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import AssignPaymentError
from .match import PaymentMatcher
from .matching import Method

QUEUE = {'unmatched', 'suggested'}


class AssignPaymentStart(ModelView):
    __name__ = 'account.statement.origin.assign.start'
    __string__ = "Assign Payments"

    company = fields.Many2One('company.company', "Company", readonly=True)
    target = fields.Selection([
            ('invoice', "Invoice"),
            ('party', "Party"),
            ('account', "Account"),
            ], "Assign To", required=True)
    invoice = fields.Many2One(
        'account.invoice', "Invoice",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '=', 'out'),
            ('state', '=', 'posted'),
            ],
        states={
            'invisible': Eval('target') != 'invoice',
            'required': Eval('target') == 'invoice',
            })
    party = fields.Many2One(
        'party.party', "Party",
        context={'company': Eval('company', -1)},
        states={
            'invisible': Eval('target') != 'party',
            'required': Eval('target') == 'party',
            },
        depends={'company'})
    account = fields.Many2One(
        'account.account', "Account",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', False),
            ],
        states={
            'invisible': Eval('target') != 'account',
            'required': Eval('target') == 'account',
            })
    amount = fields.Numeric("Amount", digits=(16, 2), readonly=True)


class AssignPayment(Wizard):
    __name__ = 'account.statement.origin.assign'
    __string__ = "Assign Payments"

    start = StateView(
        'account.statement.origin.assign.start',
        'choo_cremul.statement_origin_assign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Assign", 'assign', 'tryton-ok', default=True),
            ])
    assign = StateTransition()

    def default_start(self, fields):
        origins = self._check(self.records)
        suggested = {s.invoice for o in origins for s in o.suggestions}
        values = {
            'company': origins[0].statement.company.id,
            'amount': sum((o.amount for o in origins), Decimal(0)),
            'target': 'invoice',
            }
        if len(suggested) == 1:
            values['invoice'] = suggested.pop().id
        return values

    def transition_assign(self):
        pool = Pool()
        Origin = pool.get('account.statement.origin')
        origins = self._check(self.records)
        start = self.start
        if start.target == 'invoice':
            Origin.assign_invoice(origins, start.invoice)
        elif start.target == 'party':
            Origin.assign_party(origins, start.party)
        else:
            Origin.assign_account(origins, start.account)
        return 'end'

    @staticmethod
    def _check(origins):
        "Return the origins, if all wait in the queue of one company"
        for origin in origins:
            if origin.match_state not in QUEUE:
                raise AssignPaymentError(gettext(
                        'choo_cremul.msg_assign_not_queued',
                        payment=origin.rec_name))
            if origin.statement.state not in {'draft', 'posted'}:
                raise AssignPaymentError(gettext(
                        'choo_cremul.msg_assign_statement_state',
                        payment=origin.rec_name,
                        statement=origin.statement.rec_name))
        if len({o.statement.company for o in origins}) != 1:
            raise AssignPaymentError(gettext(
                    'choo_cremul.msg_assign_companies'))
        return origins


class AssignOrigin:
    "The assignment of queued payments, mixed into the statement origin"
    __slots__ = ()

    @classmethod
    def assign_invoice(cls, origins, invoice):
        "Let the queued origins pay invoice; the rest is the payer's credit"
        matcher = PaymentMatcher(invoice.company, origins)
        cls._assign(origins, lambda o: o._invoice_lines(invoice, matcher),
            invoice=invoice)

    @classmethod
    def assign_party(cls, origins, party):
        "Book the queued origins as the party's credit"
        cls._assign(origins, lambda o: o._credit_lines(o.amount, party))

    @classmethod
    def assign_account(cls, origins, account):
        "Book the queued origins on a general-ledger account"
        cls._assign(origins, lambda o: [o._new_line(o.amount, account)])

    @classmethod
    def _assign(cls, origins, get_lines, invoice=None):
        pool = Pool()
        Line = pool.get('account.statement.line')

        drafts = [o for o in origins if o.statement.state == 'draft']
        Line.delete([l for o in drafts for l in o.lines])
        lines = [line for o in drafts for line in get_lines(o)]
        Line.save(lines)
        posted = [o for o in origins if o.statement.state == 'posted']
        cls._reclassify(posted, get_lines, invoice)

        for origin in origins:
            origin.match_state = 'assigned'
            origin.match_method = Method.MANUAL.value
            origin.matched_invoice = invoice
        cls.save(origins)

    @classmethod
    def _reclassify(cls, origins, get_lines, invoice):
        "Move the posted origins from the unmatched account to their lines"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')

        moves = [o._reclassify_move() for o in origins]
        Move.save(moves)
        lines, payments = [], defaultdict(list)
        for origin, move in zip(origins, moves):
            for line, paid in origin._reclassify_lines(get_lines(origin)):
                line.move = move
                lines.append(line)
                if paid:
                    payments[paid].append(line)
        MoveLine.save(lines)
        Move.post(moves)
        if not payments:
            return
        Invoice.add_payment_lines({
                i: [l.id for l in lines] for i, lines in payments.items()})
        MoveLine.reconcile(*(
                [l for l in i.lines_to_pay + i.payment_lines
                    if not l.reconciliation]
                for i in Invoice.browse(list(payments))
                if not i.amount_to_pay))

    def _reclassify_move(self):
        "Return the move that takes the origin off the unmatched account"
        pool = Pool()
        Move = pool.get('account.move')
        Period = pool.get('account.period')

        statement = self.statement
        company = statement.company
        # Booked on the day the money came, as the statement booked it
        date = self.date
        return Move(
            journal=statement.journal.journal, company=company, date=date,
            period=Period.find(company, date=date), origin=statement,
            description=self.rec_name)

    def _reclassify_lines(self, statement_lines):
        """Yield the move lines that book the statement lines, with the
        invoice each pays, and the line that empties the unmatched account
        """
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        for statement_line in statement_lines:
            amount = statement_line.amount
            paid = getattr(statement_line, 'related_to', None)
            yield MoveLine(
                account=statement_line.account, party=statement_line.party,
                debit=max(-amount, Decimal(0)),
                credit=max(amount, Decimal(0)),
                description=self.description), paid
        yield MoveLine(
            account=self.statement.journal.unmatched_account,
            debit=max(self.amount, Decimal(0)),
            credit=max(-self.amount, Decimal(0)),
            description=self.description), None
