import logging
from collections import defaultdict
from decimal import Decimal

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from . import ocr
from .exceptions import ImportBankFileError
from .matching import split_payment

logger = logging.getLogger(__name__)


class Statement(metaclass=PoolMeta):
    __name__ = 'account.statement'

    file_sha256 = fields.Char(
        "File Fingerprint", readonly=True,
        help="The SHA-256 of the bank file the statement was read from.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.file_sha256, Index.Equality()),
                where=t.file_sha256 != Null))

    @classmethod
    def check_new_file(cls, sha256, name):
        "Refuse a bank file that an earlier import already read"
        if cls.search([
                    ('file_sha256', '=', sha256),
                    ('state', '!=', 'cancelled'),
                    ], limit=1):
            raise ImportBankFileError(gettext(
                    'choo_cremul.msg_bank_file_imported',
                    file=name))

    @classmethod
    def match_kid(cls, statements):
        "Create lines that pay the invoices whose KID the payments quote"
        pool = Pool()
        Line = pool.get('account.statement.line')
        Origin = pool.get('account.statement.origin')

        origins = [o for s in statements for o in s.origins
            if not o.lines and o.statement.state == 'draft']
        invoices = cls._invoices_by_kid(origins)
        lines = []
        for origin in origins:
            invoice = invoices.get((origin.statement.journal, origin.kid))
            if invoice:
                origin.match_state = 'matched'
                lines.extend(origin._invoice_lines(invoice))
            else:
                origin.match_state = 'unmatched'
                lines.extend(origin._unmatched_lines())
        Line.save(lines)
        Origin.save(origins)
        return origins

    @classmethod
    def _invoices_by_kid(cls, origins):
        "Return the open invoices by journal and KID of the origins"
        pool = Pool()
        Invoice = pool.get('account.invoice')

        kids = defaultdict(set)
        for origin in origins:
            if origin.kid:
                kids[origin.statement.journal].add(origin.kid)
        result = {}
        for journal, journal_kids in kids.items():
            domain = [
                ('type', '=', 'out'),
                ('state', '=', 'posted'),
                ('company', '=', journal.company.id),
                ('kid', 'in', list(journal_kids)),
                ]
            if journal.bank_account:
                domain.append(
                    ('issuer.bank_account', '=', journal.bank_account.id))
            for invoice in Invoice.search(domain):
                result[(journal, invoice.kid)] = invoice
        return result


class Origin(metaclass=PoolMeta):
    __name__ = 'account.statement.origin'

    kid = fields.Char("KID", readonly=True, strip=False)
    payer_account = fields.Char("Payer Account", readonly=True)
    match_state = fields.Selection([
            (None, ""),
            ('matched', "Matched by KID"),
            ('unmatched', "Unmatched"),
            ], "Match State", readonly=True,
        help="Whether the payment was matched to an invoice by its KID.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.kid, Index.Equality()), where=t.kid != Null),
                Index(t, (t.match_state, Index.Equality()),
                    where=t.match_state == 'unmatched'),
                })

    def _new_line(self, amount, account, party=None):
        pool = Pool()
        Line = pool.get('account.statement.line')
        return Line(
            statement=self.statement, origin=self, date=self.date,
            amount=amount, account=account, party=party,
            description=self.description)

    def _invoice_lines(self, invoice):
        "Return the statement lines that pay invoice from this payment"
        amount_to_pay = invoice.amount_to_pay
        settled, excess = split_payment(self.amount, amount_to_pay)
        lines = []
        if settled:
            line = self._new_line(settled, invoice.account, invoice.party)
            line.related_to = invoice
            lines.append(line)
        if excess:
            lines.extend(self._unmatched_lines(excess, invoice.party))
        return lines

    def _unmatched_lines(self, amount=None, party=None):
        "Return the line that holds the payment on the unmatched account"
        account = self.statement.journal.unmatched_account
        if not account:
            return []
        if amount is None:
            amount = self.amount
        return [self._new_line(amount, account, party)]


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
        origins = Statement.match_kid(statements)
        logger.info(
            "imported %d statements, %d payments, %d matched by KID",
            len(statements), len(origins),
            sum(o.match_state == 'matched' for o in origins))
        return action, data

    def parse_ocr_giro(self, encoding=None):
        pool = Pool()
        Statement = pool.get('account.statement')
        try:
            ocr_file = ocr.parse(self.start.file_)
        except ocr.BankFileError as exception:
            raise ImportBankFileError(gettext(
                    'choo_cremul.msg_bank_file_invalid',
                    error=str(exception))) from exception
        Statement.check_new_file(
            ocr_file.sha256, ocr_file.transmission_number)
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
            file_sha256=ocr_file.sha256)
        statement.origins = [
            self.ocr_giro_origin(t) for t in assignment.transactions]
        total = sum((o.amount for o in statement.origins), Decimal(0))
        statement.total_amount = total
        statement.number_of_lines = len(statement.origins)
        statement.start_balance = statement.on_change_with_start_balance()
        if statement.start_balance is not None:
            statement.end_balance = statement.start_balance + total
        return statement

    def ocr_giro_origin(self, transaction):
        "Return the statement origin of one OCR giro payment"
        pool = Pool()
        Origin = pool.get('account.statement.origin')
        amount = transaction.amount
        if transaction.transaction_type.is_reversal:
            amount = -amount
        kid = transaction.kid or None
        return Origin(
            number=str(transaction.number),
            date=transaction.bank_date or transaction.nets_date,
            amount=amount,
            kid=kid,
            payer_account=transaction.payer_account,
            description=self._ocr_giro_description(transaction))

    def _ocr_giro_description(self, transaction):
        "Return what the accountant reads of an OCR giro payment"
        parts = [transaction.transaction_type.description]
        if transaction.kid:
            parts.append(f'KID {transaction.kid}')
        if transaction.text:
            parts.append(transaction.text)
        return ' / '.join(parts)
