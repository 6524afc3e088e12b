"""Read and write Nets AvtaleGiro agreement files, the payers' mandates.

Nets sends a payee the direct-debit mandates its payers gave or withdrew
in their banks: one 80-character record per mandate, naming the payer by
a KID, in the same transmission and assignment records as OCR giro.

>>> import datetime as dt
>>> text = write_agreements(
...     [Agreement(RegistrationType.NEW_OR_CHANGED, 1, '71000000000012',
...         notify=True)],
...     transmission_number='0000001', data_transmitter='00008080',
...     data_recipient='00012345', account='99991000026',
...     date=dt.date(2024, 3, 1))
>>> agreements = parse_agreements(text).agreements
>>> [(a.kid, a.registration_type.name, a.notify) for a in agreements]
[('71000000000012', 'NEW_OR_CHANGED', True)]
"""
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TypeVar

import netsgiro
from netsgiro.records import AssignmentStart, AvtaleGiroAgreement, Record

from . import nets
from .bankfile import BankFileError, RecordError, StructureError

__all__ = [
    'Agreement', 'AgreementAssignment', 'AgreementFile', 'MESSAGES',
    'NotAgreementFileError', 'RegistrationType', 'parse_agreements',
    'write_agreements']

E = TypeVar('E', bound=BankFileError)

# 0-based slice of the date in an end-of-transmission record
_END_DATE = slice(41, 47)

MESSAGES: Mapping[str, str] = {
    **nets.MESSAGES,
    'payment_file': (
        "Line {line} starts an assignment of an OCR giro payment file, not "
        "of AvtaleGiro agreements."),
    'claim_assignment': (
        "Line {line} starts an assignment of an AvtaleGiro claim file "
        "(payment requests to Nets), not of AvtaleGiro agreements."),
    'missing_kid': (
        "Line {line} has no KID, but an AvtaleGiro agreement names its "
        "payer by KID."),
    'mixed_registration_types': (
        "Line {line} has registration type {type} in an assignment of "
        "another kind: a full list of active mandates (type 0) cannot be "
        "mixed with changes (types 1 and 2)."),
}


class NotAgreementFileError(nets.NotNetsFileError):
    """Signal a Nets file that holds no AvtaleGiro agreements."""


class RegistrationType(IntEnum):
    """Name what an agreement record says about the payer's mandate."""

    description: str

    def __new__(
            cls, value: int, description: str = '') -> 'RegistrationType':
        member = int.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    ACTIVE = 0, "Active mandate, in a full list of all active mandates"
    NEW_OR_CHANGED = 1, "New mandate, or a change of its notify choice"
    DELETED = 2, "Deleted mandate"

    @property
    def is_active(self) -> bool:
        """Tell whether the payer's mandate holds after this record."""
        return self is not self.DELETED


@dataclass(frozen=True)
class Agreement:
    """Hold one payer's mandate as Nets reports it."""

    registration_type: RegistrationType
    number: int
    kid: str
    notify: bool  # the payer wants a notice from the bank before a debit
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class AgreementAssignment:
    """Hold the agreements of the payee account they debit into."""

    number: str
    account: str
    agreements: tuple[Agreement, ...]

    @property
    def full_list(self) -> bool:
        """Tell whether the agreements are every mandate that is active.

        >>> AgreementAssignment('0000001', '99991000026', ()).full_list
        False
        """
        return any(
            a.registration_type == RegistrationType.ACTIVE
            for a in self.agreements)


@dataclass(frozen=True)
class AgreementFile:
    """Hold one AvtaleGiro agreement transmission and its digest."""

    transmission_number: str
    data_transmitter: str
    data_recipient: str
    date: dt.date | None
    assignments: tuple[AgreementAssignment, ...]
    sha256: str

    @property
    def agreements(self) -> tuple[Agreement, ...]:
        """Return the agreements of all assignments, in file order."""
        return tuple(
            a for assignment in self.assignments
            for a in assignment.agreements)


def parse_agreements(data: bytes | str) -> AgreementFile:
    """Read an AvtaleGiro agreement file whole, or raise BankFileError.

    An OCR giro payment file, an AvtaleGiro claim file or a file that is
    no Nets file raises NotAgreementFileError, as ocr.parse() raises
    NotOcrGiroError for an agreement file, so that a caller can tell the
    kinds apart.
    """
    raw, records = nets.read_records(data, NotAgreementFileError)
    nets.check_transmission(
        nets.Reader(records), _refuse_other, _check_agreements)
    transmission = netsgiro.Transmission.from_records(records)
    return _agreement_file(
        transmission, records, hashlib.sha256(raw).hexdigest())


def write_agreements(
        agreements: Iterable[Agreement], *, transmission_number: str,
        data_transmitter: str, data_recipient: str, account: str,
        date: dt.date | None, assignment_number: str = '0000001') -> str:
    """Return an agreement file of one assignment, as Nets would send it.

    A date of None writes '000000', as Nets does in some files.
    """
    transmission = netsgiro.Transmission(
        number=transmission_number, data_transmitter=data_transmitter,
        data_recipient=data_recipient, date=date or dt.date(2000, 1, 1))
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.AVTALEGIRO,
        assignment_type=netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS,
        number=assignment_number, account=account)
    assignment.transactions.extend(
        netsgiro.Agreement(
            service_code=netsgiro.ServiceCode.AVTALEGIRO,
            number=a.number,
            registration_type=int(a.registration_type),
            kid=a.kid, notify=a.notify)
        for a in agreements)
    lines = [record.to_ocr() for record in transmission.to_records()]
    if date is None:
        # netsgiro cannot write a missing date: write one, then blank it.
        end = lines[-1]
        lines[-1] = end[:_END_DATE.start] + '000000' + end[_END_DATE.stop:]
    text = ''.join(line + '\n' for line in lines)

    _check_readable(text)
    return text


def _error(kind: type[E], code: str, line: int, **params: object) -> E:
    """Return an error of the kind, worded from its code and values."""
    return nets.error(kind, code, line, MESSAGES, **params)


def _refuse_other(start: AssignmentStart, line: int) -> None:
    """Raise NotAgreementFileError for an assignment of another kind."""
    if start.service_code == netsgiro.ServiceCode.OCR_GIRO:
        raise _error(NotAgreementFileError, 'payment_file', line)
    if (start.assignment_type
            != netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS):
        raise _error(NotAgreementFileError, 'claim_assignment', line)


def _check_agreements(reader: nets.Reader) -> nets.Count:
    """Check the agreements of one assignment and return their count."""
    count = nets.Count()
    numbers: set[int] = set()
    first: RegistrationType | None = None
    while reader.peek(AvtaleGiroAgreement):
        line = reader.line
        kind = _check_agreement(
            reader.take(AvtaleGiroAgreement), line, numbers, first)
        if first is None:
            first = kind
        count += nets.Count(1, 1, 0)
    return count


def _check_agreement(
        record: AvtaleGiroAgreement, line: int, numbers: set[int],
        first: RegistrationType | None) -> RegistrationType:
    """Return the kind of a record that adds a new, named mandate.

    Its kind must be a full list's if the first of its assignment is.
    """
    if not record.kid:
        raise _error(RecordError, 'missing_kid', line)
    nets.new_number(numbers, record.transaction_number, line)
    kind = RegistrationType(record.registration_type)
    active = RegistrationType.ACTIVE
    if first is not None and (first == active) != (kind == active):
        raise _error(
            StructureError, 'mixed_registration_types', line,
            type=int(kind))
    return kind


def _agreement_file(
        transmission: netsgiro.Transmission, records: Sequence[Record],
        sha256: str) -> AgreementFile:
    """Return our AgreementFile for a netsgiro transmission."""
    lines = iter([
        number for number, record in enumerate(records, 1)
        if isinstance(record, AvtaleGiroAgreement)])
    assignments = tuple(
        AgreementAssignment(
            number=assignment.number,
            account=assignment.account,
            agreements=tuple(
                _agreement(a, next(lines))
                for a in assignment.transactions))
        for assignment in transmission.assignments)
    return AgreementFile(
        transmission_number=transmission.number,
        data_transmitter=transmission.data_transmitter,
        data_recipient=transmission.data_recipient,
        date=transmission.date,
        assignments=assignments,
        sha256=sha256)


def _agreement(agreement: object, line: int) -> Agreement:
    """Return our Agreement for a netsgiro one read at the given line."""
    if not isinstance(agreement, netsgiro.Agreement):
        raise TypeError(f"Line {line} is not an AvtaleGiro agreement.")
    return Agreement(
        registration_type=RegistrationType(agreement.registration_type),
        number=agreement.number,
        kid=agreement.kid or '',
        notify=agreement.notify,
        line=line)


def _check_readable(text: str) -> None:
    """Raise ValueError unless parse_agreements() reads the text back."""
    try:
        parse_agreements(text)
    except BankFileError as exc:
        raise ValueError(
            "The values do not make a valid AvtaleGiro agreement file: "
            f"{exc}") from exc
