"""Read the records that Nets OCR giro and AvtaleGiro files share.

Both are transmissions of 80-character ISO-8859-1 records: a start
record, assignments that each open and close with their own records, and
an end record that counts what the transmission holds.  The readers of
both formats (ocr.py, avtalegiro.py) split a file into netsgiro records
here and walk through them with a Reader, whose errors name the line:

>>> records = read_records(b'NY000010' + b'0' * 72, NotNetsFileError)[1]
>>> reader = Reader(records)
>>> reader.take(AssignmentStart)
Traceback (most recent call last):
    ...
choo_cremul.bankfile.StructureError: Line 1 should be a \
start-of-assignment record (NY090020) but is a start-of-transmission \
record (NY000010).

Every error has a code from MESSAGES and the values of its message, and
the kind of record it names is a RecordKind, so that the message can be
worded again in another language.
"""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import TypeVar, cast

import attrs
from netsgiro.records import (
    AssignmentEnd, AssignmentStart, AvtaleGiroAgreement, Record,
    TransactionAmountItem1, TransactionAmountItem2, TransactionAmountItem3,
    TransactionSpecification, TransmissionEnd, TransmissionStart)

from .bankfile import (
    BankFileError, RecordError, StructureError, TotalsError,
    WrongFormatError)

__all__ = [
    'Count', 'ENCODING', 'KID_END', 'MESSAGES', 'NotNetsFileError',
    'RECORD_LENGTH', 'Reader', 'RecordKind', 'RecordLengthError',
    'check_transmission', 'error', 'new_number', 'read_records']

R = TypeVar('R', bound=Record)
E = TypeVar('E', bound=BankFileError)
N = TypeVar('N', int, str)

ENCODING = 'iso-8859-1'
RECORD_LENGTH = 80
KID_END = 73  # 0-based index of the KID's last position in record 30

MESSAGES: Mapping[str, str] = {
    'empty': "The file is empty.",
    'unencodable': (
        "Line {line} holds {char!r}, which ISO-8859-1 cannot encode."),
    'blank_line': "Line {line} is blank.",
    'not_a_record': (
        "Line {line} does not start with 'NY' like every record of a Nets "
        "file."),
    'edifact': (
        "Line 1 starts with {start!r}: this is an EDIFACT file (such as "
        "CREMUL), not a Nets OCR giro or AvtaleGiro file."),
    'not_nets': (
        "Line 1 does not start with 'NY': this is not a Nets OCR giro or "
        "AvtaleGiro file."),
    'record_length': (
        "Line {line} has {length} characters, but every Nets record has "
        "exactly 80; was its padding removed?"),
    'unknown_record_type': (
        "Line {line} has the unknown record type {type!r} ({start})."),
    'bad_record': (
        "Line {line} does not fit the layout of {record} ({detail})."),
    'truncated': (
        "The file ends after line {line} without {expected}; it may be "
        "truncated."),
    'unexpected_record': "Line {line} should be {expected} but is {found}.",
    'after_end': (
        "Line {line} follows the end of the transmission; a file holds one "
        "transmission."),
    'duplicate_assignment': "Line {line} repeats assignment number {number}.",
    'duplicate_transaction': (
        "Line {line} repeats transaction number {number}."),
    'transmission_transactions': (
        "Line {line} ends the transmission stating {stated} transactions, "
        "but the transmission has {actual} transactions."),
    'transmission_records': (
        "Line {line} ends the transmission stating {stated} records, but "
        "the transmission has {actual} records."),
    'transmission_amount': (
        "Line {line} ends the transmission stating a total of {stated} NOK, "
        "but the transmission has a total of {actual} NOK."),
    'assignment_transactions': (
        "Line {line} ends the assignment stating {stated} transactions, but "
        "the assignment has {actual} transactions."),
    'assignment_records': (
        "Line {line} ends the assignment stating {stated} records, but the "
        "assignment has {actual} records."),
    'assignment_amount': (
        "Line {line} ends the assignment stating a total of {stated} NOK, "
        "but the assignment has a total of {actual} NOK."),
}


class NotNetsFileError(WrongFormatError):
    """Signal a file whose first line is not a Nets record."""


class RecordLengthError(RecordError):
    """Signal a record that is not exactly 80 characters long."""


class RecordKind(Enum):
    """Name the records of a Nets file by their record type."""

    description: str
    record_class: type[Record]

    def __new__(
            cls, value: int, description: str = '',
            record_class: type[Record] = Record) -> 'RecordKind':
        member = object.__new__(cls)
        member._value_ = value
        member.description = description
        member.record_class = record_class
        return member

    def __str__(self) -> str:
        return self.description

    TRANSMISSION_START = (
        10, "a start-of-transmission record (NY000010)", TransmissionStart)
    ASSIGNMENT_START = (
        20, "a start-of-assignment record (NY090020)", AssignmentStart)
    AMOUNT_ITEM_1 = (
        30, "an amount item 1 record (NY09tt30)", TransactionAmountItem1)
    AMOUNT_ITEM_2 = (
        31, "an amount item 2 record (NY09tt31)", TransactionAmountItem2)
    AMOUNT_ITEM_3 = (
        32, "an amount item 3 record (NY09tt32)", TransactionAmountItem3)
    SPECIFICATION = (
        49, "a specification record (NY212149)", TransactionSpecification)
    AGREEMENT = (
        70, "an AvtaleGiro agreement record (NY219470)", AvtaleGiroAgreement)
    ASSIGNMENT_END = (
        88, "an end-of-assignment record (NY090088)", AssignmentEnd)
    TRANSMISSION_END = (
        89, "an end-of-transmission record (NY000089)", TransmissionEnd)

    @classmethod
    def of(cls, record_class: type[Record]) -> 'RecordKind':
        """Return the kind of the records of a netsgiro class.

        >>> print(RecordKind.of(AssignmentEnd))
        an end-of-assignment record (NY090088)
        """
        return next(k for k in cls if k.record_class is record_class)


def error(kind: type[E], code: str, line: int | None = None,
        messages: Mapping[str, str] = MESSAGES, **params: object) -> E:
    """Return an error of the kind, worded from its code and values.

    >>> print(error(StructureError, 'blank_line', 4))
    Line 4 is blank.
    """
    if line is not None:
        params['line'] = line
    return kind(
        messages[code].format(**params), line, code=code, **params)


@dataclass(frozen=True)
class Count:
    """Count what an end record sums up: transactions, records, øre."""

    transactions: int = 0
    records: int = 0
    amount: int = 0

    def __add__(self, other: 'Count') -> 'Count':
        return Count(
            self.transactions + other.transactions,
            self.records + other.records,
            self.amount + other.amount)


class Reader:
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

    def peek(self, kind: type) -> bool:
        """Tell whether the next record is of the given kind."""
        return (not self.done
            and isinstance(self.records[self.position], kind))

    def take(self, kind: type[R]) -> R:
        """Return the next record, raising unless it is of the given kind."""
        if self.done:
            raise error(
                StructureError, 'truncated', self.position,
                expected=RecordKind.of(kind))
        record = self.records[self.position]
        if not isinstance(record, kind):
            raise error(
                StructureError, 'unexpected_record', self.line,
                expected=RecordKind.of(kind),
                found=RecordKind.of(type(record)))
        self.position += 1
        return record

    def finish(self) -> None:
        """Raise if any record follows the end of the transmission."""
        if not self.done:
            raise error(StructureError, 'after_end', self.line)


def read_records(
        data: bytes | str, not_this_format: type[WrongFormatError]
        ) -> tuple[bytes, list[Record]]:
    """Return a file's bytes and its records, or raise BankFileError.

    A file whose first line is not a Nets record raises not_this_format.
    """
    raw = _raw_bytes(data)
    lines = _split_lines(raw.decode(ENCODING))
    return raw, [
        _parse_line(number, line, not_this_format)
        for number, line in enumerate(lines, 1)]


def check_transmission(
        reader: Reader, refuse: Callable[[AssignmentStart, int], None],
        check_body: Callable[[Reader], Count]) -> None:
    """Raise unless records nest, number and add up as the spec says.

    Each assignment's start record is given to refuse, with its line,
    and check_body checks and counts the records the assignment holds.
    """
    reader.take(TransmissionStart)
    count = Count(records=2)
    numbers: set[str] = set()
    while not (reader.done or reader.peek(TransmissionEnd)):
        line = reader.line
        start = reader.take(AssignmentStart)
        refuse(start, line)
        new_number(
            numbers, start.assignment_number, line, 'duplicate_assignment')
        assignment = Count(records=2) + check_body(reader)

        line = reader.line
        _check_count(
            reader.take(AssignmentEnd), assignment, line, 'assignment')
        count += assignment

    line = reader.line
    _check_count(reader.take(TransmissionEnd), count, line, 'transmission')
    reader.finish()


def new_number(
        numbers: set[N], number: N, line: int,
        code: str = 'duplicate_transaction') -> None:
    """Add the number of a record to the numbers, raising if it is there."""
    if number in numbers:
        raise error(StructureError, code, line, number=number)
    numbers.add(number)


def _raw_bytes(data: bytes | str) -> bytes:
    """Return the file's bytes, encoding text as ISO-8859-1."""
    if isinstance(data, bytes):
        return data
    try:
        return data.encode(ENCODING)
    except UnicodeEncodeError as exc:
        line = data.count('\n', 0, exc.start) + 1
        raise error(
            BankFileError, 'unencodable', line,
            char=data[exc.start]) from exc


def _split_lines(text: str) -> list[str]:
    """Split text into records, dropping line ends and trailing blanks."""
    # Not splitlines(): it also breaks at '\x85', a valid Latin-1 byte.
    lines = [line.removesuffix('\r') for line in text.split('\n')]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise error(BankFileError, 'empty')
    return lines


def _parse_line(
        number: int, line: str, not_this_format: type[WrongFormatError]
        ) -> Record:
    """Return the netsgiro record on one line, or raise naming the line."""
    _check_line(number, line, not_this_format)
    kind = next((k for k in RecordKind if f'{k.value}' == line[6:8]), None)
    if kind is None:
        raise error(
            RecordError, 'unknown_record_type', number, type=line[6:8],
            start=line[:8])
    # XXX The layout says KIDs are digits, but a MOD11 KID can end in '-'
    # and netsgiro refuses it: parse it as '0', then put the '-' back.
    dash = kind is RecordKind.AMOUNT_ITEM_1 and line[KID_END] == '-'
    if dash:
        line = line[:KID_END] + '0' + line[KID_END + 1:]
    record = _from_string(number, kind, line)
    if dash:
        record = _with_dash_kid(cast(TransactionAmountItem1, record))
    return record


def _check_line(
        number: int, line: str, not_this_format: type[WrongFormatError]
        ) -> None:
    """Raise unless a line looks like a Nets record of the right length."""
    if not line.strip():
        raise error(StructureError, 'blank_line', number)
    if not line.startswith('NY'):
        if number > 1:
            raise error(RecordError, 'not_a_record', number)
        if line.startswith(('UNA', 'UNB')):
            raise error(not_this_format, 'edifact', 1, start=line[:3])
        raise error(not_this_format, 'not_nets', 1)
    if len(line) != RECORD_LENGTH:
        raise error(RecordLengthError, 'record_length', number,
            length=len(line))


def _from_string(number: int, kind: RecordKind, line: str) -> Record:
    """Return a line parsed by netsgiro, with its error tied to the line."""
    try:
        return kind.record_class.from_string(line)
    except (TypeError, ValueError) as exc:
        raise error(
            RecordError, 'bad_record', number, record=kind,
            detail=str(exc)) from exc


def _with_dash_kid(record: TransactionAmountItem1) -> TransactionAmountItem1:
    """Return the record with the last digit of its KID turned into '-'."""
    kid = record.kid or ''
    return attrs.evolve(record, kid=kid[:-1] + '-')


def _check_count(
        end: AssignmentEnd | TransmissionEnd, count: Count, line: int,
        what: str) -> None:
    """Raise TotalsError unless an end record agrees with what it ends."""
    checks = (
        ('transactions', end.num_transactions, count.transactions),
        ('records', end.num_records, count.records),
        ('amount', _nok(end.total_amount or 0), _nok(count.amount)),
    )
    for figure, stated, actual in checks:
        if stated != actual:
            raise error(
                TotalsError, f'{what}_{figure}', line, stated=stated,
                actual=actual)


def _nok(ore: int) -> Decimal:
    """Return an amount in øre as NOK."""
    return Decimal(ore).scaleb(-2)
