import logging
from collections import defaultdict
from decimal import Decimal

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.modules.currency.fields import Monetary
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, TransactionError

from . import ocr
from .assign import AssignOrigin
from .bank_import import read
from .exceptions import ImportBankFileError
from .match import PaymentMatcher
from .matching import split_payment

logger = logging.getLogger(__name__)

# In the context of an import whose statements will be posted
LOCK_POSTING = '_choo_lock_posting'
# In the context of posting statements whose lines the matcher made
MATCHED_PAYMENTS = '_choo_matched_payments'
# In the context of booking statements
_DAILY_MOVES = '_choo_daily_moves'


class Statement(metaclass=PoolMeta):
    __name__ = 'account.statement'

    file_sha256 = fields.Char(
        "File Fingerprint", readonly=True,
        help="The SHA-256 of the bank file the statement was read from.")
    file_reference = fields.Char(
        "File Reference", readonly=True,
        help="The number the bank gave the file the statement was read "
        "from: the transmission or interchange number.")
    file_warnings = fields.Text(
        "File Warnings", readonly=True,
        help="What the bank file got wrong without making it unreadable.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.file_sha256, Index.Equality()),
                    where=t.file_sha256 != Null),
                Index(t, (t.file_reference, Index.Equality()),
                    where=t.file_reference != Null),
                })

    @classmethod
    def check_new_file(cls, sha256, reference, name):
        "Refuse a bank file that an earlier import already read"
        if cls.search([
                    ['OR',
                        ('file_sha256', '=', sha256),
                        ('file_reference', '=', reference),
                        ],
                    ('state', '!=', 'cancelled'),
                    ], limit=1):
            raise ImportBankFileError(gettext(
                    'choo_cremul.msg_bank_file_imported',
                    file=name))

    @classmethod
    def import_bank_file(cls, company, data, file_format, post=True):
        """Return the statements read from a bank file's data

        The payments are matched; with post, the statements whose
        payments all found their lines are validated and posted.
        """
        pool = Pool()
        ImportStatement = pool.get('account.statement.import', type='wizard')
        session_id, _, _ = ImportStatement.create()
        try:
            wizard = ImportStatement(session_id)
            wizard.start.company = company
            wizard.start.file_ = data
            wizard.start.file_format = file_format
            with Transaction().set_context(**{LOCK_POSTING: post}):
                _, action_data = wizard.do_import_({'views': []})
        finally:
            ImportStatement.delete(session_id)
        statements = cls.browse(action_data['res_id'])
        if post:
            ready = [
                s for s in statements
                if all(not o.pending_amount for o in s.origins)]
            with Transaction().set_context(**{MATCHED_PAYMENTS: True}):
                cls.validate_statement(ready)
            cls.post(ready)
        return cls.browse(statements)

    @classmethod
    def create_move(cls, statements):
        with Transaction().set_context(**{_DAILY_MOVES: True}):
            return super().create_move(statements)

    def _group_key(self, line):
        """Book the payments of a bank file's day in one move

        The bank credits the day's payments as one amount, which is then
        the one line on the bank's account; each payment keeps its own
        line on the receivable.
        """
        if self.file_sha256 and Transaction().context.get(_DAILY_MOVES):
            return (('date', line.date),)
        return super()._group_key(line)

    @classmethod
    def lock_posting(cls, statements):
        """Take the locks that posting the new statements will ask for

        Tryton starts a transaction again with each lock it was not given
        at its start.  Asked for as soon as a statement is read, before
        any write, and all at once, they cost the import one start again
        and no work done twice.
        """
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        periods = {
            (s.journal.journal, Period.find(s.company, date=date))
            for s in statements
            for date in {s.date} | {o.date for o in s.origins}}
        missing = []

        def take(lock, *args):
            try:
                lock(*args)
            except TransactionError as error:
                missing.append(error)

        for journal, period in periods:
            take(MoveLine.check_journal_period_modify, period, journal)
            sequence = period.move_sequence_used
            if sequence and sequence.__name__ == 'ir.sequence.strict':
                take(sequence.lock)
        if missing:
            raise _MissingLocks(missing)

    @classmethod
    def check_new_payments(cls, statements):
        "Refuse the statements' payments that were read already"
        pool = Pool()
        Origin = pool.get('account.statement.origin')
        origins = {}
        for origin in (o for s in statements for o in s.origins):
            if not origin.payment_key:
                continue
            if origin.payment_key in origins:
                cls._raise_payment_imported(origin)
            origins[origin.payment_key] = origin
        for keys in grouped_slice(list(origins), backend.MAX_QUERY_PARAMS):
            booked = Origin.search([
                    ('payment_key', 'in', list(keys)),
                    ('statement', 'not in', [s.id for s in statements]),
                    ('statement.state', '!=', 'cancelled'),
                    ], limit=1)
            if booked:
                cls._raise_payment_imported(booked[0])

    @staticmethod
    def _raise_payment_imported(origin):
        raise ImportBankFileError(gettext(
                'choo_cremul.msg_payment_imported',
                payment=origin.payment_key,
                statement=origin.statement.rec_name))

    @classmethod
    def match_payments(cls, statements):
        "Give each new payment the lines that book what it pays"
        pool = Pool()
        Line = pool.get('account.statement.line')
        Origin = pool.get('account.statement.origin')
        Suggestion = pool.get('account.statement.origin.suggestion')

        origins = [o for s in statements for o in s.origins
            if not o.lines and o.statement.state == 'draft']
        by_company = defaultdict(list)
        for origin in origins:
            by_company[origin.statement.company].append(origin)
        lines, suggestions = [], []
        for company, company_origins in by_company.items():
            matcher = PaymentMatcher(company, company_origins)
            matcher.load()
            for origin in company_origins:
                match = matcher.match(origin)
                lines.extend(origin._match_lines(match, matcher))
                suggestions.extend(
                    Suggestion(origin=origin, invoice=i)
                    for i in match.suggestions)
        Line.save(lines)
        Suggestion.save(suggestions)
        Origin.save(origins)
        return origins

    @classmethod
    def post(cls, statements):
        super().post(statements)
        cls.write_off_differences(statements)

    @classmethod
    def write_off_differences(cls, statements):
        "Settle the invoices left within their issuer's tolerance"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        Origin = pool.get('account.statement.origin')

        ids = list({
                o.matched_invoice.id for s in statements for o in s.origins
                if o.matched_invoice and o.match_state == 'matched'})
        to_write_off = defaultdict(list)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            # Only what is left open where the issuer writes off
            for invoice in Invoice.search([
                        ('id', 'in', list(sub_ids)),
                        ('state', '=', 'posted'),
                        ('issuer.payment_write_off', '!=', None),
                        ('issuer.payment_tolerance', '>', 0),
                        ]):
                issuer = invoice.issuer
                residual = invoice.amount_to_pay
                if residual and Origin._write_off(issuer, residual):
                    lines = [
                        l for l in invoice.lines_to_pay
                        + invoice.payment_lines if not l.reconciliation]
                    date = max(l.date for l in lines)
                    to_write_off[(issuer.payment_write_off, date)].append(
                        lines)
        for (write_off, date), lines in to_write_off.items():
            MoveLine.reconcile(*lines, writeoff=write_off, date=date)


class _MissingLocks(TransactionError):
    "Start the transaction again with all of these locks"

    def __init__(self, errors):
        super().__init__()
        self.errors = errors

    def fix(self, extras):
        super().fix(extras)
        for error in self.errors:
            error.fix(extras)


class Origin(AssignOrigin, metaclass=PoolMeta):
    __name__ = 'account.statement.origin'

    kid = fields.Char("KID", readonly=True, strip=False)
    invoice_number = fields.Char(
        "Invoice Number", readonly=True,
        help="The invoice number the payer quoted.")
    text = fields.Text("Payer's Text", readonly=True)
    payer_name = fields.Char("Payer Name", readonly=True)
    execution_date = fields.Date(
        "Execution Date", readonly=True,
        help="The day the payer paid, which may be before the bank "
        "booked the payment.")
    payer_account = fields.Char("Payer Account", readonly=True)
    bank_charge = Monetary(
        "Bank Charge", currency='currency', digits='currency',
        readonly=True,
        help="What the bank deducted from the payment before booking it.")
    payment_key = fields.Char(
        "Payment Key", readonly=True, strip=False,
        help="What identifies the payment in every file the bank sends.")
    match_state = fields.Selection([
            (None, ""),
            ('matched', "Matched"),
            ('suggested', "Suggested"),
            ('unmatched', "Unmatched"),
            ('assigned', "Assigned"),
            ], "Match State", readonly=True,
        help="Whether the payment found what it pays.")
    match_method = fields.Selection([
            (None, ""),
            ('kid', "KID"),
            ('invoice_number', "Invoice Number"),
            ('text', "KID in the Text"),
            ('payer_account', "Payer's Account"),
            ('manual', "Manual"),
            ], "Matched By", readonly=True)
    matched_invoice = fields.Many2One(
        'account.invoice', "Matched Invoice", readonly=True)
    suggestions = fields.One2Many(
        'account.statement.origin.suggestion', 'origin', "Suggestions",
        readonly=True,
        help="The invoices the payment may pay, for an accountant to "
        "confirm.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.kid, Index.Equality()), where=t.kid != Null),
                Index(t, (t.payment_key, Index.Equality()),
                    where=t.payment_key != Null),
                Index(t, (t.match_state, Index.Equality()),
                    where=t.match_state.in_(['unmatched', 'suggested'])),
                })

    @classmethod
    def copy(cls, origins, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('payment_key')
        default.setdefault('suggestions')
        return super().copy(origins, default=default)

    def _new_line(self, amount, account, party=None):
        pool = Pool()
        Line = pool.get('account.statement.line')
        return Line(
            statement=self.statement, origin=self, date=self.date,
            amount=amount, account=account, party=party,
            description=self.description)

    def _match_lines(self, match, matcher):
        "Set the match of the payment and return the lines that book it"
        self.match_method = match.method.value if match.method else None
        self.matched_invoice = match.invoice
        if match.invoice:
            self.match_state = 'matched'
            return self._invoice_lines(match.invoice, matcher)
        elif match.party:
            self.match_state = 'matched'
            return self._credit_lines(self.amount, match.party)
        self.match_state = 'suggested' if match.suggestions else 'unmatched'
        return self._unmatched_lines()

    def _invoice_lines(self, invoice, matcher):
        "Return the statement lines that pay invoice from this payment"
        issuer = invoice.issuer
        charge = self.bank_charge or Decimal(0)
        if not (issuer and issuer.bank_charges == 'expense'
                and issuer.bank_charge_account):
            charge = Decimal(0)
        paid = self.amount + charge
        amount_to_pay = matcher.amount_to_pay(invoice)
        settled, excess = split_payment(paid, amount_to_pay)
        matcher.settle(invoice, settled)

        lines = []
        if settled:
            line = self._new_line(settled, invoice.account, invoice.party)
            line.related_to = invoice
            lines.append(line)
        if charge:
            lines.append(self._new_line(-charge, issuer.bank_charge_account))
        if excess and settled and self._write_off(issuer, excess):
            # Rounding kept by the association, not the payer's credit
            lines.append(self._new_line(
                    excess, issuer.payment_write_off.credit_account))
        elif excess:
            lines.extend(self._credit_lines(excess, invoice.party))
        return lines

    @staticmethod
    def _write_off(issuer, difference):
        "Return whether the issuer writes off the difference"
        return bool(
            issuer and issuer.payment_write_off
            and abs(difference) <= issuer.payment_tolerance)

    def _credit_lines(self, amount, party):
        "Return the line that keeps amount as the party's credit"
        account = party.account_receivable_used
        if not account:
            return self._unmatched_lines(amount)
        return [self._new_line(amount, account, party)]

    def _unmatched_lines(self, amount=None):
        "Return the line that holds the payment on the unmatched account"
        account = self.statement.journal.unmatched_account
        if not account:
            return []
        if amount is None:
            amount = self.amount
        return [self._new_line(amount, account)]


class OriginSuggestion(ModelSQL, ModelView):
    __name__ = 'account.statement.origin.suggestion'
    __string__ = "Payment Suggestion"

    origin = fields.Many2One(
        'account.statement.origin', "Payment", required=True,
        ondelete='CASCADE')
    invoice = fields.Many2One(
        'account.invoice', "Invoice", required=True, ondelete='CASCADE')
    amount_to_pay = fields.Function(Monetary(
            "Amount to Pay", currency='currency', digits='currency'),
        'get_invoice_field')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'get_invoice_field')

    def get_invoice_field(self, name):
        value = getattr(self.invoice, name)
        return value.id if name == 'currency' else value


class ImportStatementStart(metaclass=PoolMeta):
    __name__ = 'account.statement.import.start'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.file_format.selection.append(('ocr_giro', "OCR Giro (Nets)"))


class ImportStatement(metaclass=PoolMeta):
    __name__ = 'account.statement.import'

    def do_import_(self, action):
        pool = Pool()
        Statement = pool.get('account.statement')
        action, data = super().do_import_(action)
        statements = Statement.browse(data['res_id'])
        Statement.check_new_payments(statements)
        origins = Statement.match_payments(statements)
        logger.info(
            "imported %d statements, %d payments, %d matched by KID",
            len(statements), len(origins),
            sum(o.match_state == 'matched' for o in origins))
        return action, data

    def parse_ocr_giro(self, encoding=None):
        pool = Pool()
        Statement = pool.get('account.statement')
        ocr_file = read(ocr, self.start.file_)
        reference = ':'.join([
                'ocr', ocr_file.data_transmitter,
                ocr_file.transmission_number])
        Statement.check_new_file(
            ocr_file.sha256, reference, ocr_file.transmission_number)
        for assignment in ocr_file.assignments:
            yield self.ocr_giro_statement(ocr_file, assignment)

    def ocr_giro_statement(self, ocr_file, assignment):
        "Return the statement of one assignment of an OCR giro file"
        pool = Pool()
        Statement = pool.get('account.statement')
        Journal = pool.get('account.statement.journal')

        journal = Journal.get_by_bank_account(
            self.start.company, assignment.account)
        if not journal:
            raise ImportBankFileError(gettext(
                    'account_statement.msg_import_no_journal',
                    account=assignment.account))
        statement = Statement(
            company=self.start.company, journal=journal,
            name=f'OCR {ocr_file.transmission_number}/{assignment.number}',
            date=(assignment.date or ocr_file.date
                or pool.get('ir.date').today()),
            file_sha256=ocr_file.sha256,
            file_reference=':'.join([
                    'ocr', ocr_file.data_transmitter,
                    ocr_file.transmission_number]))
        statement.origins = [
            self.ocr_giro_origin(assignment, t)
            for t in assignment.transactions]
        return self._set_totals(statement)

    @staticmethod
    def _set_totals(statement):
        """Give the statement read from a file the totals of its origins

        When its import will post it, the locks posting asks for are
        taken now, before anything is written.
        """
        pool = Pool()
        Statement = pool.get('account.statement')
        total = sum((o.amount for o in statement.origins), Decimal(0))
        statement.total_amount = total
        statement.number_of_lines = len(statement.origins)
        statement.start_balance = statement.on_change_with_start_balance()
        if statement.start_balance is not None:
            statement.end_balance = statement.start_balance + total
        if Transaction().context.get(LOCK_POSTING):
            Statement.lock_posting([statement])
        return statement

    def ocr_giro_origin(self, assignment, transaction):
        "Return the statement origin of one OCR giro payment"
        pool = Pool()
        Origin = pool.get('account.statement.origin')
        amount = transaction.amount
        if transaction.transaction_type.is_reversal:
            amount = -amount
        return Origin(
            number=str(transaction.number),
            date=transaction.bank_date or transaction.nets_date,
            amount=amount,
            kid=transaction.kid or None,
            text=transaction.text,
            payer_account=transaction.payer_account,
            payment_key=self._ocr_giro_key(assignment, transaction),
            description=self._ocr_giro_description(transaction))

    @staticmethod
    def _ocr_giro_key(assignment, transaction):
        """Return what identifies an OCR giro payment in any transmission

        The bank's archive reference names a payment on its day; without
        one, Nets' settlement and transaction numbers do.
        """
        if transaction.reference:
            parts = [transaction.reference]
        else:
            parts = [
                transaction.centre_id, transaction.partial_settlement_number,
                transaction.partial_settlement_serial, transaction.number]
        return ':'.join(map(str, [
                    'ocr', assignment.account, transaction.nets_date,
                    *parts, transaction.kid or '', transaction.amount]))

    def _ocr_giro_description(self, transaction):
        "Return what the accountant reads of an OCR giro payment"
        parts = [transaction.transaction_type.description]
        if transaction.kid:
            parts.append(f'KID {transaction.kid}')
        if transaction.text:
            parts.append(transaction.text)
        return ' / '.join(parts)
