"""Read CREMUL and camt.054 files into statements, one per account and day.

Both formats plug into Tryton's statement import as ``file_format``
choices with their ``parse_<format>``, ``<format>_statement`` and
``<format>_origin`` methods.  A file is read whole before any statement
is made, so one that cannot be read imports nothing; its errors and
warnings are worded in the user's language from this module's messages.
"""
from collections import defaultdict
from enum import Enum

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from . import avtalegiro, bankfile, camt054, cremul, ocr
from .exceptions import ImportBankFileError
from .matching import account_forms

FORMATS = [
    ('cremul', "CREMUL (EDIFACT)"),
    ('camt_054', "camt.054 (ISO 20022)"),
    ]
# OCR giro and AvtaleGiro share Nets' record layer and its messages.
_PREFIXES = {
    cremul: 'cremul', camt054: 'camt054', ocr: 'nets', avtalegiro: 'nets'}


def read(reader, data):
    "Return reader.parse(data), or raise its error in the user's language"
    try:
        return reader.parse(data)
    except bankfile.BankFileError as exception:
        raise ImportBankFileError(gettext(
                'choo_cremul.msg_bank_file_invalid',
                error=describe(reader, exception))) from exception


def describe(reader, error):
    "Return the error of the reader's file in the user's language"
    if not error.code:
        return str(error)
    prefix = _PREFIXES[reader]
    params = {k: _text(prefix, v) for k, v in error.params.items()}
    return gettext(f'choo_cremul.msg_{prefix}_{error.code}', **params)


def _text(prefix, value):
    if isinstance(value, Enum):
        # A term of the format, such as a kind of record, has its message.
        return gettext(f'choo_cremul.msg_{prefix}_{value.name.lower()}')
    return str(value) if value is not None else ''


class ImportStatementStart(metaclass=PoolMeta):
    __name__ = 'account.statement.import.start'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.file_format.selection.extend(FORMATS)


class ImportStatement(metaclass=PoolMeta):
    __name__ = 'account.statement.import'

    def parse_cremul(self, encoding=None):
        pool = Pool()
        Statement = pool.get('account.statement')
        interchange = read(cremul, self.start.file_)
        reference = f'cremul:{interchange.sender}:{interchange.reference}'
        Statement.check_new_file(
            interchange.sha256, reference, interchange.reference)
        days = defaultdict(list)
        for posting in interchange.postings:
            days[(posting.account, posting.booking_date)].append(posting)
        for (account, date), postings in days.items():
            yield self.cremul_statement(
                interchange, reference, account, date, postings)

    def cremul_statement(self, interchange, reference, account, date,
            postings):
        "Return the statement of the postings to account on date"
        statement = self._new_statement(
            account, postings[0].currency, date,
            name=f'CREMUL {interchange.reference} {date or ""}'.strip(),
            sha256=interchange.sha256, reference=reference,
            warnings=[describe(cremul, w) for w in interchange.warnings])
        statement.origins = [
            self.cremul_origin(posting, payment)
            for posting in postings for payment in posting.payments]
        return self._set_totals(statement)

    def cremul_origin(self, posting, payment):
        "Return the statement origin of one CREMUL payment"
        pool = Pool()
        Origin = pool.get('account.statement.origin')
        return Origin(
            number=f'{posting.number}/{payment.number}',
            date=posting.booking_date or payment.value_date,
            execution_date=payment.execution_date,
            amount=payment.amount,
            kid=payment.kid,
            invoice_number=payment.invoice_number,
            text=payment.text,
            payer_name=payment.payer_name,
            payer_account=payment.payer_account,
            bank_charge=payment.charge,
            payment_key=f'cremul:{payment.key}',
            description=self._description(
                payment.kid, payment.invoice_number, payment.payer_name,
                payment.text))

    def parse_camt_054(self, encoding=None):
        pool = Pool()
        Statement = pool.get('account.statement')
        notice = read(camt054, self.start.file_)
        reference = f'camt054:{notice.message_id}'
        Statement.check_new_file(notice.sha256, reference, notice.message_id)
        days = defaultdict(list)
        for notification in notice.notifications:
            for entry in notification.entries:
                key = (notification.account, entry.booking_date)
                days[key].append((notification, entry))
        for (account, date), entries in days.items():
            yield self.camt_054_statement(
                notice, reference, account, date, entries)

    def camt_054_statement(self, notice, reference, account, date, entries):
        "Return the statement of the entries to account on date"
        notification, entry = entries[0]
        statement = self._new_statement(
            account, notification.currency or entry.currency, date,
            name=f'camt.054 {notice.message_id} {date or ""}'.strip(),
            sha256=notice.sha256, reference=reference,
            warnings=[describe(camt054, w) for w in notice.warnings])
        statement.origins = [
            self.camt_054_origin(entry, transaction)
            for _, entry in entries for transaction in entry.transactions]
        return self._set_totals(statement)

    def camt_054_origin(self, entry, transaction):
        "Return the statement origin of one camt.054 transaction"
        pool = Pool()
        Origin = pool.get('account.statement.origin')
        return Origin(
            number=transaction.account_servicer_reference
            or transaction.end_to_end_id or entry.reference,
            date=entry.booking_date or entry.value_date,
            amount=transaction.amount,
            kid=transaction.kid,
            invoice_number=transaction.invoice_number,
            text=transaction.text,
            payer_name=transaction.debtor_name,
            payer_account=transaction.debtor_account,
            bank_charge=transaction.charges,
            payment_key=f'camt054:{transaction.key}',
            description=self._description(
                transaction.kid, transaction.invoice_number,
                transaction.debtor_name, transaction.text))

    def _new_statement(self, account, currency, date, name, sha256,
            reference, warnings):
        "Return a statement of the journal of account, without origins"
        pool = Pool()
        Date = pool.get('ir.date')
        Statement = pool.get('account.statement')
        return Statement(
            company=self.start.company,
            journal=self._journal(account, currency),
            name=name, date=date or Date.today(),
            file_sha256=sha256, file_reference=reference,
            file_warnings='\n'.join(warnings) or None)

    def _journal(self, account, currency):
        "Return the statement journal of the bank account number"
        pool = Pool()
        Journal = pool.get('account.statement.journal')
        for number in account_forms(account or ''):
            if journal := Journal.get_by_bank_account(
                    self.start.company, number, currency=currency):
                return journal
        raise ImportBankFileError(gettext(
                'account_statement.msg_import_no_journal',
                account=account))

    @staticmethod
    def _description(kid, invoice_number, name, text):
        "Return what the accountant reads of a payment"
        parts = []
        if kid:
            parts.append(f'KID {kid}')
        if invoice_number:
            parts.append(invoice_number)
        parts.extend(filter(None, [name, text]))
        return ' / '.join(parts)
