"""Read and write Nets OCR giro files, the payments Nets credits to a payee.

A file is one transmission of 80-character ISO-8859-1 records, in which
assignments (one per payee account) hold transactions of two or three
records each, with amounts in øre, the payer's KID and dates as DDMMYY.

>>> import datetime as dt
>>> paid = Transaction(
...     TransactionType.GIRO_DEBITED_ACCOUNT, 1, Decimal('560.50'),
...     '0042002', dt.date(2024, 3, 1))
>>> text = write(
...     [paid], transmission_number='0000001', data_transmitter='00008080',
...     data_recipient='00012345', agreement_id='000123456',
...     account='99991000018', date=dt.date(2024, 3, 1))
>>> [(t.kid, t.amount) for t in parse(text).transactions]
[('0042002', Decimal('560.50'))]
"""
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import TypeVar, cast

import attrs
import netsgiro
from netsgiro.records import (
    AssignmentStart, Record, TransactionAmountItem1, TransactionAmountItem2,
    TransactionAmountItem3, TransactionRecord)

from . import nets
from .bankfile import (
    BankFileError, RecordError, StructureError, TotalsError)
from .nets import RecordLengthError

__all__ = [
    'Assignment', 'BankFileError', 'MESSAGES', 'NotOcrGiroError',
    'OcrFile', 'RecordError', 'RecordLengthError', 'StructureError',
    'TotalsError', 'Transaction', 'TransactionType', 'parse', 'write']

E = TypeVar('E', bound=BankFileError)

_CENT = Decimal('0.01')

MESSAGES: Mapping[str, str] = {
    **nets.MESSAGES,
    'agreement_file': (
        "Line {line} starts an AvtaleGiro assignment: this is an AvtaleGiro "
        "agreement file (direct-debit mandates), not OCR giro payments."),
    'claim_file': (
        "Line {line} starts an AvtaleGiro assignment: this is an AvtaleGiro "
        "claim file (payment requests to Nets), not OCR giro payments."),
    'avtalegiro_record': (
        "Line {line} is an AvtaleGiro record inside an OCR giro "
        "assignment."),
    'unknown_transaction_type': (
        "Line {line} has the transaction type {type}, which OCR giro does "
        "not use."),
    'misplaced_item_3': (
        "Line {line} is an amount item 3 record, which only transaction "
        "types 20 and 21 have."),
    'wrong_transaction': (
        "Line {line} belongs to transaction {number} of type {type}, but "
        "follows transaction {first_number} of type {first_type}."),
}


class NotOcrGiroError(nets.NotNetsFileError):
    """Signal a file that is not a Nets OCR giro payment file."""


class TransactionType(IntEnum):
    """Name the kinds of OCR giro transaction (service code 09)."""

    description: str

    def __new__(
            cls, value: int, description: str = '') -> 'TransactionType':
        member = int.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    GIRO_DEBITED_ACCOUNT = 10, "Giro debited the payer's account"
    STANDING_ORDER = 11, "Standing order"
    DIRECT_REMITTANCE = 12, "Direct remittance"
    BUSINESS_TERMINAL_GIRO = 13, "Business terminal giro (BTG)"
    COUNTER_GIRO = 14, "Counter giro"
    AVTALEGIRO = 15, "AvtaleGiro"
    TELEGIRO = 16, "Telegiro"
    CASH_GIRO = 17, "Giro paid in cash"
    REVERSAL_WITH_KID = 18, "Reversal with KID (terminal or internet)"
    PURCHASE_WITH_KID = 19, "Purchase with KID (terminal or internet)"
    REVERSAL_WITH_TEXT = 20, "Reversal with text (terminal or internet)"
    PURCHASE_WITH_TEXT = 21, "Purchase with text (terminal or internet)"

    @property
    def is_reversal(self) -> bool:
        """Tell whether the transaction takes money back from the payee."""
        return self in (self.REVERSAL_WITH_KID, self.REVERSAL_WITH_TEXT)

    @property
    def has_text(self) -> bool:
        """Tell whether the transaction carries an amount item 3 (text)."""
        return self in (self.REVERSAL_WITH_TEXT, self.PURCHASE_WITH_TEXT)


@dataclass(frozen=True)
class Transaction:
    """Hold one payment to the payee as Nets reports it."""

    transaction_type: TransactionType
    number: int
    amount: Decimal  # NOK as in the file: reversals are not negated
    kid: str | None
    # Two-digit years follow Python's window: 69-99 are 19xx, 00-68 20xx.
    nets_date: dt.date
    bank_date: dt.date | None = None
    payer_account: str | None = None
    text: str | None = None
    form_number: str | None = None
    reference: str | None = None
    centre_id: str = '00'
    day_code: int | None = None  # None writes the day of nets_date
    partial_settlement_number: int = 0
    partial_settlement_serial: str = '00000'
    negative: bool = False
    # XXX The spec calls positions 35-41 of record 31 filler, but real
    # files put digits there; kept so that a file can be written back.
    filler: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Assignment:
    """Hold the transactions Nets credited to one payee account."""

    number: str
    agreement_id: str
    account: str
    date: dt.date | None
    transactions: tuple[Transaction, ...]

    @property
    def total_amount(self) -> Decimal:
        """Return the sum of the amounts, reversals added as Nets does."""
        return sum(
            (t.amount for t in self.transactions), Decimal('0.00'))


@dataclass(frozen=True)
class OcrFile:
    """Hold one OCR giro transmission and the digest of its bytes."""

    transmission_number: str
    data_transmitter: str
    data_recipient: str
    date: dt.date | None
    assignments: tuple[Assignment, ...]
    total_amount: Decimal
    sha256: str

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        """Return the transactions of all assignments, in file order."""
        return tuple(
            t for a in self.assignments for t in a.transactions)


def parse(data: bytes | str) -> OcrFile:
    """Read an OCR giro file whole, or raise BankFileError."""
    raw, records = nets.read_records(data, NotOcrGiroError)
    nets.check_transmission(
        nets.Reader(records), _refuse_avtalegiro, _check_transactions)
    transmission = netsgiro.Transmission.from_records(records)
    return _ocr_file(transmission, records, hashlib.sha256(raw).hexdigest())


def write(
        transactions: Iterable[Transaction], *, transmission_number: str,
        data_transmitter: str, data_recipient: str, agreement_id: str,
        account: str, date: dt.date, assignment_number: str = '0000001'
        ) -> str:
    """Return an OCR giro file crediting the transactions to one account."""
    items = list(transactions)
    for transaction in items:
        _check_writable(transaction)

    transmission = netsgiro.Transmission(
        number=transmission_number, data_transmitter=data_transmitter,
        data_recipient=data_recipient, date=date)
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.OCR_GIRO,
        assignment_type=netsgiro.AssignmentType.TRANSACTIONS,
        agreement_id=agreement_id, number=assignment_number,
        account=account, date=date)
    assignment.transactions.extend(_to_netsgiro(t) for t in items)
    text = ''.join(
        _record_line(record) + '\n' for record in transmission.to_records())

    _check_readable(text)
    return text


def _error(kind: type[E], code: str, line: int, **params: object) -> E:
    """Return an error of the kind, worded from its code and values."""
    return nets.error(kind, code, line, MESSAGES, **params)


def _check_transactions(reader: nets.Reader) -> nets.Count:
    """Check the transactions of one assignment and return their count."""
    count = nets.Count()
    numbers: set[int] = set()
    while reader.peek(TransactionRecord):
        count += _check_transaction(reader, numbers)
    return count


def _refuse_avtalegiro(start: AssignmentStart, line: int) -> None:
    """Raise NotOcrGiroError for an AvtaleGiro assignment."""
    if start.service_code == netsgiro.ServiceCode.OCR_GIRO:
        return
    if start.assignment_type == netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS:
        raise _error(NotOcrGiroError, 'agreement_file', line)
    raise _error(NotOcrGiroError, 'claim_file', line)


def _check_transaction(reader: nets.Reader, numbers: set[int]) -> nets.Count:
    """Check the two or three records of a transaction; count them."""
    line = reader.line
    first = reader.take(TransactionAmountItem1)
    _check_first_item(first, line, numbers)
    _check_follower(reader.take(TransactionAmountItem2), first, line + 1)
    if not reader.peek(TransactionAmountItem3):
        return nets.Count(1, 2, first.amount)

    _check_follower(reader.take(TransactionAmountItem3), first, line + 2)
    if not TransactionType(first.transaction_type).has_text:
        raise _error(StructureError, 'misplaced_item_3', line + 2)
    return nets.Count(1, 3, first.amount)


def _check_first_item(
        record: TransactionAmountItem1, line: int, numbers: set[int]
        ) -> None:
    """Raise unless the record opens a new OCR giro transaction."""
    if record.service_code != netsgiro.ServiceCode.OCR_GIRO:
        raise _error(StructureError, 'avtalegiro_record', line)
    if int(record.transaction_type) not in set(map(int, TransactionType)):
        raise _error(
            RecordError, 'unknown_transaction_type', line,
            type=f'{int(record.transaction_type):02d}')
    nets.new_number(numbers, record.transaction_number, line)


def _check_follower(
        record: TransactionAmountItem2 | TransactionAmountItem3,
        first: TransactionAmountItem1, line: int) -> None:
    """Raise unless a record continues the transaction it follows."""
    same = (record.transaction_number == first.transaction_number
        and record.transaction_type == first.transaction_type
        and record.service_code == first.service_code)
    if not same:
        raise _error(
            StructureError, 'wrong_transaction', line,
            number=record.transaction_number,
            type=f'{int(record.transaction_type):02d}',
            first_number=first.transaction_number,
            first_type=f'{int(first.transaction_type):02d}')


def _ocr_file(
        transmission: netsgiro.Transmission, records: Sequence[Record],
        sha256: str) -> OcrFile:
    """Return our OcrFile for a netsgiro transmission."""
    lines = (
        number for number, record in enumerate(records, 1)
        if isinstance(record, TransactionAmountItem1))
    assignments = tuple(
        _assignment(assignment, lines)
        for assignment in transmission.assignments)
    return OcrFile(
        transmission_number=transmission.number,
        data_transmitter=transmission.data_transmitter,
        data_recipient=transmission.data_recipient,
        date=transmission.date,
        assignments=assignments,
        total_amount=sum(
            (a.total_amount for a in assignments), Decimal('0.00')),
        sha256=sha256)


def _assignment(
        assignment: netsgiro.Assignment, lines: Iterator[int]
        ) -> Assignment:
    """Return our Assignment for a netsgiro OCR giro assignment."""
    # Only OCR giro assignments get here, so all hold Transaction objects.
    transactions = cast(list[netsgiro.Transaction], assignment.transactions)
    return Assignment(
        number=assignment.number,
        agreement_id=assignment.agreement_id or '',
        account=assignment.account,
        date=assignment.date,
        transactions=tuple(
            _transaction(t, line) for t, line in zip(transactions, lines)))


def _transaction(transaction: netsgiro.Transaction, line: int) -> Transaction:
    """Return our Transaction for a netsgiro one read at the given line."""
    return Transaction(
        transaction_type=TransactionType(transaction.type),
        number=transaction.number,
        amount=transaction.amount.quantize(_CENT),
        kid=transaction.kid,
        nets_date=transaction.date,
        bank_date=transaction.bank_date,
        payer_account=_zeros_to_none(transaction.debit_account),
        text=transaction.text,
        form_number=_zeros_to_none(transaction.form_number),
        reference=_zeros_to_none(transaction.reference),
        centre_id=transaction.centre_id or '00',
        day_code=transaction.day_code or 0,
        partial_settlement_number=transaction.partial_settlement_number or 0,
        partial_settlement_serial=(
            transaction.partial_settlement_serial_number or '00000'),
        negative=transaction.sign == '-',
        filler=_zeros_to_none(transaction._filler),
        line=line)


def _zeros_to_none(value: str | None) -> str | None:
    """Return None for a field that is empty or all zeros."""
    if not value or not value.strip('0'):
        return None
    return value


def _check_writable(transaction: Transaction) -> None:
    """Raise ValueError for a transaction that would not write faithfully."""
    amount = transaction.amount
    if (not isinstance(amount, Decimal) or amount < 0
            or amount != amount.quantize(_CENT)):
        raise ValueError(
            f"Transaction {transaction.number} has the amount {amount!r}; "
            "amounts must be Decimal NOK, not negative, in whole øre.")
    if transaction.text and not transaction.transaction_type.has_text:
        raise ValueError(
            f"Transaction {transaction.number} has a text, but only "
            "transaction types 20 and 21 carry one.")


def _to_netsgiro(transaction: Transaction) -> netsgiro.Transaction:
    """Return the netsgiro Transaction that writes ours."""
    day_code = transaction.day_code
    return netsgiro.Transaction(
        service_code=netsgiro.ServiceCode.OCR_GIRO,
        type=int(transaction.transaction_type),
        number=transaction.number,
        date=transaction.nets_date,
        amount=transaction.amount,
        kid=transaction.kid,
        reference=transaction.reference or '0' * 9,
        text=transaction.text,
        centre_id=transaction.centre_id,
        day_code=transaction.nets_date.day if day_code is None else day_code,
        partial_settlement_number=transaction.partial_settlement_number,
        partial_settlement_serial_number=(
            transaction.partial_settlement_serial),
        sign='-' if transaction.negative else '0',
        form_number=transaction.form_number or '0' * 10,
        bank_date=transaction.bank_date,
        debit_account=transaction.payer_account or '0' * 11,
        filler=transaction.filler)


def _record_line(record: Record) -> str:
    """Return a record as a line, blank-filling a missing KID."""
    if isinstance(record, TransactionAmountItem1) and record.kid is None:
        # netsgiro cannot format a None KID; write one, then blank it.
        line = attrs.evolve(record, kid='0').to_ocr()
        return line[:nets.KID_END - 24] + ' ' * 25 + line[nets.KID_END + 1:]
    return record.to_ocr()


def _check_readable(text: str) -> None:
    """Raise ValueError unless parse() reads the written text back."""
    try:
        parse(text)
    except BankFileError as exc:
        raise ValueError(
            f"The values do not make a valid OCR giro file: {exc}") from exc
