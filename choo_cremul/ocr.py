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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import TypeVar, cast

import attrs
import netsgiro
from netsgiro.records import (
    AssignmentEnd, AssignmentStart, AvtaleGiroAgreement, Record,
    TransactionAmountItem1, TransactionAmountItem2, TransactionAmountItem3,
    TransactionRecord, TransactionSpecification, TransmissionEnd,
    TransmissionStart)

from .bankfile import (
    BankFileError, RecordError, StructureError, TotalsError,
    WrongFormatError)

__all__ = [
    'Assignment', 'BankFileError', 'NotOcrGiroError', 'OcrFile',
    'RecordError', 'RecordLengthError', 'StructureError', 'TotalsError',
    'Transaction', 'TransactionType', 'parse', 'write']

R = TypeVar('R', bound=Record)

_ENCODING = 'iso-8859-1'
_RECORD_LENGTH = 80
_CENT = Decimal('0.01')
_KID_END = 73  # 0-based index of the KID's last position in record 30
_RECORD_NAMES: dict[type[Record], str] = {
    TransmissionStart: "a start-of-transmission record (NY000010)",
    AssignmentStart: "a start-of-assignment record (NY090020)",
    TransactionAmountItem1: "an amount item 1 record (NY09tt30)",
    TransactionAmountItem2: "an amount item 2 record (NY09tt31)",
    TransactionAmountItem3: "an amount item 3 record (NY09tt32)",
    TransactionSpecification: "a specification record (NY212149)",
    AvtaleGiroAgreement: "an AvtaleGiro agreement record (NY219470)",
    AssignmentEnd: "an end-of-assignment record (NY090088)",
    TransmissionEnd: "an end-of-transmission record (NY000089)",
}
_RECORD_CLASSES: dict[str, type[Record]] = {
    f'{cls.RECORD_TYPE:02d}': cls for cls in _RECORD_NAMES}


class NotOcrGiroError(WrongFormatError):
    """Signal a file that is not a Nets OCR giro payment file."""


class RecordLengthError(RecordError):
    """Signal a record that is not exactly 80 characters long."""


class TransactionType(IntEnum):
    """Name the kinds of OCR giro transaction (service code 09)."""

    description: str

    def __new__(cls, value: int, description: str) -> 'TransactionType':
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


@dataclass(frozen=True)
class _Count:
    """Count what an end record sums up: transactions, records, øre."""

    transactions: int = 0
    records: int = 0
    amount: int = 0

    def __add__(self, other: '_Count') -> '_Count':
        return _Count(
            self.transactions + other.transactions,
            self.records + other.records,
            self.amount + other.amount)


class _Reader:
    """Walk through parsed records, raising errors that name the line."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records
        self.position = 0

    @property
    def line(self) -> int:
        """Return the 1-based line number of the next record."""
        return self.position + 1

    @property
    def done(self) -> bool:
        """Tell whether every record has been taken."""
        return self.position >= len(self.records)

    def peek(self, kind: type[Record]) -> bool:
        """Tell whether the next record is of the given kind."""
        return (not self.done
            and isinstance(self.records[self.position], kind))

    def take(self, kind: type[R]) -> R:
        """Return the next record, raising unless it is of the given kind."""
        if self.done:
            raise StructureError(
                f"The file ends after line {self.position} without "
                f"{_RECORD_NAMES[kind]}; it may be truncated.",
                self.position)
        record = self.records[self.position]
        if not isinstance(record, kind):
            raise StructureError(
                f"Line {self.line} should be {_RECORD_NAMES[kind]} but is "
                f"{_RECORD_NAMES[type(record)]}.", self.line)
        self.position += 1
        return record

    def finish(self) -> None:
        """Raise if any record follows the end of the transmission."""
        if not self.done:
            raise StructureError(
                f"Line {self.line} follows the end of the transmission; "
                "a file holds one transmission.", self.line)


def parse(data: bytes | str) -> OcrFile:
    """Read an OCR giro file whole, or raise BankFileError."""
    raw = _raw_bytes(data)
    lines = _split_lines(raw.decode(_ENCODING))
    records = [
        _parse_line(number, line)
        for number, line in enumerate(lines, 1)]
    _check_transmission(_Reader(records))
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


def _raw_bytes(data: bytes | str) -> bytes:
    """Return the file's bytes, encoding text as ISO-8859-1."""
    if isinstance(data, bytes):
        return data
    try:
        return data.encode(_ENCODING)
    except UnicodeEncodeError as exc:
        line = data.count('\n', 0, exc.start) + 1
        raise BankFileError(
            f"Line {line} holds {data[exc.start]!r}, which ISO-8859-1 "
            "cannot encode.", line) from exc


def _split_lines(text: str) -> list[str]:
    """Split text into records, dropping line ends and trailing blanks."""
    # Not splitlines(): it also breaks at '\x85', a valid Latin-1 byte.
    lines = [line.removesuffix('\r') for line in text.split('\n')]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise BankFileError("The file is empty.")
    return lines


def _parse_line(number: int, line: str) -> Record:
    """Return the netsgiro record on one line, or raise naming the line."""
    _check_line(number, line)
    record_class = _RECORD_CLASSES.get(line[6:8])
    if record_class is None:
        raise RecordError(
            f"Line {number} has the unknown record type {line[6:8]!r} "
            f"({line[:8]}).", number)
    # XXX The layout says KIDs are digits, but a MOD11 KID can end in '-'
    # and netsgiro refuses it: parse it as '0', then put the '-' back.
    dash = record_class is TransactionAmountItem1 and line[_KID_END] == '-'
    if dash:
        line = line[:_KID_END] + '0' + line[_KID_END + 1:]
    record = _from_string(number, record_class, line)
    if dash:
        record = _with_dash_kid(cast(TransactionAmountItem1, record))
    return record


def _check_line(number: int, line: str) -> None:
    """Raise unless a line looks like an OCR record of the right length."""
    if not line.strip():
        raise StructureError(f"Line {number} is blank.", number)
    if not line.startswith('NY'):
        raise _not_a_record(number, line)
    if len(line) != _RECORD_LENGTH:
        raise RecordLengthError(
            f"Line {number} has {len(line)} characters, but every OCR "
            f"giro record has exactly {_RECORD_LENGTH}; was its padding "
            "removed?", number)


def _not_a_record(number: int, line: str) -> BankFileError:
    """Return the error for a line that does not start with 'NY'."""
    if number > 1:
        return RecordError(
            f"Line {number} does not start with 'NY' like every OCR giro "
            "record.", number)
    if line.startswith(('UNA', 'UNB')):
        return NotOcrGiroError(
            f"Line 1 starts with {line[:3]!r}: this is an EDIFACT file "
            "(such as CREMUL), not a Nets OCR giro file.", 1)
    return NotOcrGiroError(
        "Line 1 does not start with 'NY': this is not a Nets OCR giro "
        "file.", 1)


def _from_string(number: int, record_class: type[R], line: str) -> R:
    """Return a line parsed by netsgiro, with its error tied to the line."""
    try:
        return record_class.from_string(line)
    except (TypeError, ValueError) as exc:
        raise RecordError(
            f"Line {number} does not fit the layout of "
            f"{_RECORD_NAMES[record_class]} ({exc}).", number) from exc


def _with_dash_kid(record: TransactionAmountItem1) -> TransactionAmountItem1:
    """Return the record with the last digit of its KID turned into '-'."""
    kid = record.kid or ''
    return attrs.evolve(record, kid=kid[:-1] + '-')


def _check_transmission(reader: _Reader) -> None:
    """Raise unless records nest, number and add up as the spec says."""
    reader.take(TransmissionStart)
    count = _Count(records=2)
    numbers: set[str] = set()
    while not (reader.done or reader.peek(TransmissionEnd)):
        count += _check_assignment(reader, numbers)

    line = reader.line
    _check_count(reader.take(TransmissionEnd), count, line, 'transmission')
    reader.finish()


def _check_assignment(reader: _Reader, numbers: set[str]) -> _Count:
    """Check one assignment and return what it counts."""
    line = reader.line
    start = reader.take(AssignmentStart)
    _refuse_avtalegiro(start, line)
    if start.assignment_number in numbers:
        raise StructureError(
            f"Line {line} repeats assignment number "
            f"{start.assignment_number}.", line)
    numbers.add(start.assignment_number)

    count = _Count(records=2)
    transaction_numbers: set[int] = set()
    while reader.peek(TransactionRecord):
        count += _check_transaction(reader, transaction_numbers)

    line = reader.line
    _check_count(reader.take(AssignmentEnd), count, line, 'assignment')
    return count


def _refuse_avtalegiro(start: AssignmentStart, line: int) -> None:
    """Raise NotOcrGiroError for an AvtaleGiro assignment."""
    if start.service_code == netsgiro.ServiceCode.OCR_GIRO:
        return
    if start.assignment_type == netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS:
        kind = "an AvtaleGiro agreement file (direct-debit mandates)"
    else:
        kind = "an AvtaleGiro claim file (payment requests to Nets)"
    raise NotOcrGiroError(
        f"Line {line} starts an AvtaleGiro assignment: this is {kind}, "
        "not OCR giro payments.", line)


def _check_transaction(reader: _Reader, numbers: set[int]) -> _Count:
    """Check the two or three records of a transaction; count them."""
    line = reader.line
    first = reader.take(TransactionAmountItem1)
    _check_first_item(first, line, numbers)
    _check_follower(reader.take(TransactionAmountItem2), first, line + 1)
    if not reader.peek(TransactionAmountItem3):
        return _Count(1, 2, first.amount)

    _check_follower(reader.take(TransactionAmountItem3), first, line + 2)
    if not TransactionType(first.transaction_type).has_text:
        raise StructureError(
            f"Line {line + 2} is an amount item 3 record, which only "
            "transaction types 20 and 21 have.", line + 2)
    return _Count(1, 3, first.amount)


def _check_first_item(
        record: TransactionAmountItem1, line: int, numbers: set[int]
        ) -> None:
    """Raise unless the record opens a new OCR giro transaction."""
    if record.service_code != netsgiro.ServiceCode.OCR_GIRO:
        raise StructureError(
            f"Line {line} is an AvtaleGiro record inside an OCR giro "
            "assignment.", line)
    if record.transaction_type not in set(TransactionType):
        raise RecordError(
            f"Line {line} has the transaction type "
            f"{int(record.transaction_type):02d}, which OCR giro does not "
            "use.", line)
    if record.transaction_number in numbers:
        raise StructureError(
            f"Line {line} repeats transaction number "
            f"{record.transaction_number}.", line)
    numbers.add(record.transaction_number)


def _check_follower(
        record: TransactionAmountItem2 | TransactionAmountItem3,
        first: TransactionAmountItem1, line: int) -> None:
    """Raise unless a record continues the transaction it follows."""
    same = (record.transaction_number == first.transaction_number
        and record.transaction_type == first.transaction_type
        and record.service_code == first.service_code)
    if not same:
        raise StructureError(
            f"Line {line} belongs to transaction "
            f"{record.transaction_number} of type "
            f"{int(record.transaction_type):02d}, but follows transaction "
            f"{first.transaction_number} of type "
            f"{int(first.transaction_type):02d}.", line)


def _check_count(
        end: AssignmentEnd | TransmissionEnd, count: _Count, line: int,
        what: str) -> None:
    """Raise TotalsError unless an end record agrees with what it ends."""
    checks = (
        ("{} transactions", end.num_transactions, count.transactions),
        ("{} records", end.num_records, count.records),
        ("a total of {} NOK", _nok(end.total_amount or 0),
            _nok(count.amount)),
    )
    for phrase, stated, actual in checks:
        if stated != actual:
            raise TotalsError(
                f"Line {line} ends the {what} stating "
                f"{phrase.format(stated)}, but the {what} has "
                f"{phrase.format(actual)}.", line)


def _nok(ore: int) -> Decimal:
    """Return an amount in øre as NOK."""
    return Decimal(ore).scaleb(-2)


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
        return line[:_KID_END - 24] + ' ' * 25 + line[_KID_END + 1:]
    return record.to_ocr()


def _check_readable(text: str) -> None:
    """Raise ValueError unless parse() reads the written text back."""
    try:
        parse(text)
    except BankFileError as exc:
        raise ValueError(
            f"The values do not make a valid OCR giro file: {exc}") from exc
