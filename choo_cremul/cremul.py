"""Read and write CREMUL, the credit advice Norwegian banks send as EDIFACT.

An interchange (UNB … UNZ) holds messages (UNH … UNT, EDIFACT D96A); a
message holds postings (LIN), one per credit to one of the payee's
accounts, and a posting holds the payments (SEQ) it adds up, each with its
KID or invoice number (DOC) or free text (FTX), and the payer (FII, NAD).

>>> import datetime as dt
>>> paid = Payment('1', Decimal('250.00'), payer_name="Kari Nordmann",
...     documents=(Document('999', '20241000015'),))
>>> posting = Posting('1', Decimal('250.00'), (paid,),
...     account='99991000050', booking_date=dt.date(2024, 3, 1))
>>> text = write(Interchange('42', '00810506482', '00923456783',
...     dt.datetime(2024, 3, 1, 15, 46), (Message('1', '7001', (posting,)),)))
>>> [(p.kid, p.amount, p.payer_name) for p in parse(text).payments]
[('20241000015', Decimal('250.00'), 'Kari Nordmann')]

Banks wrap the text at 80 columns, even inside a tag or a number; the
reader joins the lines first, keeping a space that ends a line:

>>> parse(write(parse(text), width=80)) == parse(text)
True
"""
import codecs
import datetime as dt
import hashlib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.segments import Segment
from pydifact.serializer import Serializer
from pydifact.tokenizer import Tokenizer

from .bankfile import (
    BankFileError, Checks, RecordError, StructureError, TotalsError,
    WrongFormatError)

__all__ = [
    'AmountType', 'BankFileError', 'Check', 'Document', 'Interchange',
    'MESSAGES', 'Message', 'NotCremulError', 'Payment', 'Posting',
    'RecordError', 'StructureError', 'TotalsError', 'parse', 'write']

E = TypeVar('E', bound=BankFileError)
Elements = list[str | list[str]]

_CENT = Decimal('0.01')
_TAG = re.compile(r'[A-Z0-9]{3}')
_NUMBER = re.compile(r'-?(\d+([.,]\d*)?|[.,]\d+)')
_TEXT_WIDTH = 70  # an..70, each component of an FTX text (C108)
_HEAD = 1024  # UNA and UNB lie well inside the first 1024 characters
_CHARSETS = {
    'UNOA': 'ascii', 'UNOB': 'ascii', 'UNOC': 'iso-8859-1',
    'UNOD': 'iso-8859-2', 'UNOE': 'iso-8859-5', 'UNOF': 'iso-8859-7',
    'UNOG': 'iso-8859-3', 'UNOH': 'iso-8859-4', 'UNOI': 'iso-8859-6',
    'UNOJ': 'iso-8859-8', 'UNOK': 'iso-8859-9', 'UNOW': 'utf-8',
    'UNOY': 'utf-8'}
_DATE_FORMATS = {  # code: strptime pattern, length of the value
    '101': ('%y%m%d', 6), '102': ('%Y%m%d', 8), '201': ('%y%m%d%H%M', 10),
    '203': ('%Y%m%d%H%M', 12), '204': ('%Y%m%d%H%M%S', 14)}
_PERIOD_FORMAT = '718'  # CCYYMMDD-CCYYMMDD: the period's first day is kept
_SEGMENTS = frozenset({
    'AJT', 'ALC', 'AUT', 'BUS', 'COM', 'CTA', 'CUX', 'DLI', 'DOC', 'DTM',
    'FCA', 'FII', 'FTX', 'GEI', 'GIS', 'INP', 'MOA', 'NAD', 'PAI', 'PCD',
    'PIA', 'PRC', 'RFF'})
_ENDS_PAYMENT = frozenset({'SEQ', 'LIN', 'CNT', 'UNT', 'UNH', 'UNZ'})
_BANK_REFERENCES = ('ACD', 'ACK')  # archive reference, bank's reference
_LINE_COUNTS = frozenset({'LI', 'LIN'})  # banks write either in CNT

MESSAGES: Mapping[str, str] = {
    'empty': "The file is empty.",
    'ocr_giro': (
        "The file starts with 'NY': it is a Nets OCR giro file, not a "
        "CREMUL."),
    'not_edifact': (
        "The file starts with {start!r}, not with 'UNA' or 'UNB': it is "
        "not an EDIFACT interchange such as CREMUL."),
    'not_cremul': (
        "Segment {segment} starts message {message} of type {type}, not "
        "CREMUL."),
    'bad_una': (
        "The service string advice {una!r} must hold six characters "
        "after 'UNA'."),
    'unknown_charset': (
        "Segment {segment} (UNB) declares the character set {charset}, "
        "which this reader does not know."),
    'undecodable': (
        "The file declares the character set {charset}, but byte "
        "{offset} ({byte}) is not valid in it."),
    'unencodable': (
        "The text holds {char!r} at position {offset}, which the "
        "character set {charset} it declares cannot hold."),
    'utf8_fallback': (
        "The file declares the character set {charset}, but its bytes are "
        "UTF-8; they were read as UTF-8."),
    'truncated_segment': (
        "The file ends inside segment {segment}, which lacks its "
        "terminator {terminator!r}; it may be truncated."),
    'bad_tag': (
        "Segment {segment} has the tag {tag!r}; a tag is three capital "
        "letters or digits."),
    'unknown_segment': (
        "Segment {segment} has the tag {tag}, which a CREMUL message does "
        "not use."),
    'unexpected_segment': (
        "Segment {segment} should be {expected} but is {tag}."),
    'truncated': (
        "The file ends after segment {segment} without {expected}; it may "
        "be truncated."),
    'after_end': (
        "Segment {segment} ({tag}) follows the end of the interchange "
        "(UNZ)."),
    'missing_element': (
        "Segment {segment} ({tag}) lacks data element {element}."),
    'reference_mismatch': (
        "Segment {segment} ({tag}) gives the reference {stated}, but the "
        "{opening} it closes gives {actual}."),
    'bad_count': (
        "Segment {segment} ({tag}) holds the count {value!r}, which is not "
        "a whole number."),
    'bad_amount': (
        "Segment {segment} (MOA) holds the amount {value!r}, which is not "
        "a decimal number."),
    'bad_date': (
        "Segment {segment} (DTM) holds the date {value!r}, which does not "
        "fit date format {format}."),
    'unknown_date_format': (
        "Segment {segment} (DTM) uses date format {format}, which this "
        "reader does not know."),
    'posting_without_amount': (
        "Posting {posting} (segment {segment}, LIN) has no booked amount "
        "(MOA 60 or 349)."),
    'payment_without_amount': (
        "Payment {payment} (segment {segment}, SEQ) has no amount "
        "(MOA 143, 119 or 60)."),
    'segment_count': (
        "Segment {segment} (UNT) counts {stated} segments in message "
        "{message}, but the message has {actual}."),
    'message_count': (
        "Segment {segment} (UNZ) counts {stated} messages, but the "
        "interchange has {actual}."),
    'line_count': (
        "Segment {segment} (CNT) counts {stated} postings (LIN) in message "
        "{message}, but the message has {actual}."),
    'posting_total': (
        "Posting {posting} of message {message} (segment {segment}, LIN) "
        "states {stated} {currency}, but its payments add up to {actual} "
        "{currency}."),
    'duplicate_payment': (
        "Payments at segments {first} and {second} have the same place "
        "{key} (sender, message, LIN and SEQ number)."),
    'duplicate_key': (
        "Payments at segments {first} and {second} share the reference "
        "{reference}; both are keyed by their place in the file instead."),
}


class NotCremulError(WrongFormatError):
    """Signal a file that is not an EDIFACT interchange of CREMUL messages."""


class Check(Enum):
    """Name the control figures that parse() can report instead of raise."""

    SEGMENT_COUNT = 'segment_count'  # UNT: segments in the message
    MESSAGE_COUNT = 'message_count'  # UNZ: messages in the interchange
    LINE_COUNT = 'line_count'  # CNT+LI: postings (LIN) in the message
    POSTING_TOTAL = 'posting_total'  # LIN's MOA against its payments' sum


class AmountType(Enum):
    """Name the amount qualifiers (MOA, data element 5025) CREMUL uses."""

    POSTED = '60'  # the posting's final booked amount
    TO_BE_POSTED = '349'  # the posting's amount as it will be booked
    TRANSFERRED = '143'  # a payment's amount as transferred
    RECEIVED = '119'  # a payment's amount as received
    ORIGINAL = '98'  # a payment's amount before conversion and charges
    CHARGE = '23'  # a charge taken from a payment or posting
    DOCUMENT = '12'  # the part of a payment that settles one document


_POSTING_AMOUNTS = (AmountType.POSTED, AmountType.TO_BE_POSTED)
_PAYMENT_AMOUNTS = (
    AmountType.TRANSFERRED, AmountType.RECEIVED, AmountType.POSTED)


@dataclass(frozen=True)
class Document:
    """Hold a document that a structured payment settles (DOC group)."""

    code: str  # '999': the number is a KID; '380': an invoice number
    number: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class Payment:
    """Hold one payment (SEQ) of a posting, as the payer made it."""

    number: str
    amount: Decimal
    currency: str = 'NOK'
    amount_type: AmountType = AmountType.TRANSFERRED
    execution_date: dt.date | None = None  # DTM 203: the payer paid
    processing_date: dt.date | None = None  # DTM 193
    value_date: dt.date | None = None  # DTM 209
    payer_account: str | None = None
    payer_name: str | None = None
    payer_address: tuple[str, ...] = ()
    beneficiary_name: str | None = None
    documents: tuple[Document, ...] = ()
    text: str | None = None  # every FTX, joined by spaces
    original_amount: Decimal | None = None
    original_currency: str | None = None
    charge: Decimal | None = None
    references: tuple[tuple[str, str], ...] = ()  # RFF qualifier, value
    segment: int = field(default=0, compare=False)
    # Unique across files; see parse() for how it is made.
    key: str = field(default='', compare=False)

    @property
    def kid(self) -> str | None:
        """Return the first KID the payment quotes (DOC+999)."""
        return self._document('999')

    @property
    def invoice_number(self) -> str | None:
        """Return the first invoice number the payment quotes (DOC+380)."""
        return self._document('380')

    @property
    def archive_reference(self) -> str | None:
        """Return the bank's archive reference (RFF+ACD)."""
        return _reference(self.references, 'ACD')

    @property
    def bank_reference(self) -> str | None:
        """Return the bank's reference of the payment (RFF+ACK)."""
        return _reference(self.references, 'ACK')

    def _document(self, code: str) -> str | None:
        """Return the number of the first document of the given code."""
        return next(
            (d.number for d in self.documents if d.code == code), None)


@dataclass(frozen=True)
class Posting:
    """Hold one credit to a payee account (LIN) and the payments in it."""

    number: str
    amount: Decimal
    payments: tuple[Payment, ...]
    account: str | None = None  # FII+BF: the payee's account credited
    currency: str = 'NOK'
    amount_type: AmountType = AmountType.TO_BE_POSTED
    # D96A calls 209 the value date; Norwegian banks book on it.
    booking_date: dt.date | None = None
    posting_date: dt.date | None = None  # DTM 202
    environment: str | None = None  # BUS: 'DO' domestic, 'IN' international
    business: str | None = None  # BUS: '230' valid KID, '233' giro, …
    charge: Decimal | None = None
    references: tuple[tuple[str, str], ...] = ()
    segment: int = field(default=0, compare=False)

    @property
    def bank_reference(self) -> str | None:
        """Return the bank's reference of the posting (RFF+ACK)."""
        return _reference(self.references, 'ACK')


@dataclass(frozen=True)
class Message:
    """Hold one CREMUL message (UNH … UNT) and its postings."""

    reference: str  # UNH 0062, unique within the interchange
    number: str  # BGM 1004, the bank's number of the advice
    postings: tuple[Posting, ...]
    kind: str = '435'  # BGM 1001 as the bank sends it: 435 or 455
    date: dt.date | None = None  # DTM 137
    recipient: str | None = None  # NAD+MR
    version: tuple[str, ...] = ('D', '96A', 'UN')
    segment: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Interchange:
    """Hold one CREMUL interchange (UNB … UNZ) and the digest of its bytes."""

    reference: str  # UNB 0020, the sender's interchange control reference
    sender: str
    recipient: str
    prepared: dt.datetime
    messages: tuple[Message, ...]
    charset: str = 'UNOC'
    syntax_version: str = '3'
    sha256: str = field(default='', compare=False)
    encoding: str = field(default='iso-8859-1', compare=False)
    warnings: tuple[BankFileError, ...] = field(default=(), compare=False)

    @property
    def postings(self) -> tuple[Posting, ...]:
        """Return the postings of all messages, in file order."""
        return tuple(p for m in self.messages for p in m.postings)

    @property
    def payments(self) -> tuple[Payment, ...]:
        """Return the payments of all postings, in file order."""
        return tuple(p for posting in self.postings for p in posting.payments)


@dataclass(frozen=True, slots=True)
class _Segment:
    """Hold one segment, numbered from the start of the file."""

    number: int
    tag: str
    elements: Elements

    def get(self, element: int, component: int = 0) -> str:
        """Return one component of one data element, '' if absent."""
        if element >= len(self.elements):
            return ''
        value = self.elements[element]
        if isinstance(value, str):
            return value if component == 0 else ''
        return value[component] if component < len(value) else ''

    def components(self, element: int) -> list[str]:
        """Return the components of one data element."""
        if element >= len(self.elements):
            return []
        value = self.elements[element]
        return [value] if isinstance(value, str) else list(value)


class _Reader:
    """Walk through the segments, raising errors that name the segment."""

    def __init__(self, segments: Sequence[_Segment], checks: Checks):
        self.segments = segments
        self.position = 0
        self.checks = checks

    @property
    def done(self) -> bool:
        """Tell whether every segment has been taken."""
        return self.position >= len(self.segments)

    @property
    def next(self) -> _Segment:
        """Return the next segment without taking it."""
        return self.segments[self.position]

    def peek(self, *tags: str) -> bool:
        """Tell whether the next segment has one of the tags."""
        return not self.done and self.next.tag in tags

    def take(self, tag: str, expected: str | None = None) -> _Segment:
        """Return the next segment, raising unless it has the tag."""
        if self.done:
            last = self.segments[-1].number if self.segments else 0
            raise _error(
                StructureError, 'truncated', segment=last,
                expected=expected or tag)
        segment = self.next
        if segment.tag != tag:
            raise _error(
                StructureError, 'unexpected_segment', segment=segment.number,
                expected=expected or tag, tag=segment.tag)
        self.position += 1
        return segment

    def take_until(self, ends: frozenset[str]) -> Iterator[_Segment]:
        """Yield the segments up to one whose tag is in ends."""
        while not self.done and self.next.tag not in ends:
            segment = self.next
            if segment.tag not in _SEGMENTS:
                raise _error(
                    StructureError, 'unknown_segment',
                    segment=segment.number, tag=segment.tag)
            self.position += 1
            yield segment


def parse(data: bytes | str, *, warn: Collection[Check] = ()) -> Interchange:
    """Read a CREMUL interchange whole, or raise BankFileError.

    A failed control figure raises TotalsError unless its Check is in
    *warn*; then it is kept in the result's ``warnings``.  Each payment's
    ``key`` is ``<account>:<booking date>:ACD:<archive reference>`` when
    the bank gives an archive reference (RFF+ACD), or the same with
    ``ACK:<bank reference>`` (RFF+ACK): these stay the same if the bank
    sends the payment again in another file.  Otherwise it is
    ``SEQ:<sender>:<message number>:<posting>:<payment>`` from the BGM
    number, which a bank does not reuse.  Payments that share a bank
    reference fall back to the SEQ key, with a warning; payments that
    share a SEQ key raise StructureError.
    """
    raw, text, charset, encoding = _decode(data)
    characters, body, first = _service_string_advice(_unwrap(text))
    checks = Checks(warn, MESSAGES)
    if encoding != _CHARSETS[charset]:
        checks.warnings.append(
            _error(BankFileError, 'utf8_fallback', charset=charset))

    reader = _Reader(_segments(body, characters, first), checks)
    interchange = _with_keys(_interchange(reader, charset), checks)
    return replace(
        interchange, sha256=hashlib.sha256(raw).hexdigest(),
        encoding=encoding, warnings=tuple(checks.warnings))


def write(
        interchange: Interchange, *, decimal_mark: str = ',',
        width: int | None = None, newline: str = '\n') -> str:
    """Return the interchange as CREMUL text, wrapped at width if given."""
    characters = Characters.from_str(f":+{decimal_mark}? '")
    segments = [
        Segment(tag, *_trimmed(elements))
        for tag, elements in _interchange_segments(interchange, decimal_mark)]
    text = Serializer(characters).serialize(segments)
    _check_encodable(text, interchange.charset)
    if width is None:
        return text
    return ''.join(
        text[start:start + width] + newline
        for start in range(0, len(text), width))


def _error(kind: type[E], code: str, **params: object) -> E:
    """Return an error of the kind, worded from its code and values."""
    return kind(MESSAGES[code].format(**params), None, code=code, **params)


def _decode(data: bytes | str) -> tuple[bytes, str, str, str]:
    """Return the bytes, the text, the declared charset and the codec.

    Bytes that are valid UTF-8 and not ASCII are read as UTF-8 whatever
    the file declares: a Latin-1 text with letters like 'Ø' almost never
    is valid UTF-8, and some banks' files are stored as UTF-8.
    """
    if isinstance(data, str):
        text = data.lstrip('\ufeff')
        charset = _declared_charset(_unwrap(text[:_HEAD]))
        return _encode(text, charset), text, charset, _CHARSETS[charset]
    if not data.strip():
        raise _error(BankFileError, 'empty')
    body = data.removeprefix(codecs.BOM_UTF8)
    charset = _declared_charset(_unwrap(body[:_HEAD].decode('iso-8859-1')))
    encoding = _CHARSETS[charset]
    if not body.isascii() and _is_utf8(body):
        return data, body.decode('utf-8'), charset, 'utf-8'
    try:
        return data, body.decode(encoding), charset, encoding
    except UnicodeDecodeError as exc:
        raise _error(
            RecordError, 'undecodable', charset=charset, offset=exc.start,
            byte=f'0x{data[exc.start]:02X}') from exc


def _is_utf8(data: bytes) -> bool:
    """Tell whether the bytes are valid UTF-8."""
    try:
        data.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return True


def _encode(text: str, charset: str) -> bytes:
    """Return the text as bytes of the charset, or raise naming the char."""
    try:
        return text.encode(_CHARSETS[charset])
    except UnicodeEncodeError as exc:
        raise _error(
            RecordError, 'unencodable', char=text[exc.start],
            offset=exc.start, charset=charset) from exc


def _unwrap(text: str) -> str:
    """Join lines wrapped at any column; drop padding after the end."""
    joined = text.replace('\r', '').replace('\n', '')
    return joined.lstrip('\ufeff').rstrip(' \t\x00\x1a')


def _declared_charset(text: str) -> str:
    """Return the syntax identifier that UNB declares, as UNOC."""
    if not text.strip():
        raise _error(BankFileError, 'empty')
    if text.startswith('NY'):
        raise _error(NotCremulError, 'ocr_giro')
    if not text.startswith(('UNA', 'UNB')):
        raise _error(NotCremulError, 'not_edifact', start=text[:3])
    separator = text[4] if text.startswith('UNA') and len(text) > 4 else '+'
    match = re.search(rf'UNB{re.escape(separator)}(\w*)', text)
    charset = match.group(1) if match else 'UNOC'
    if charset not in _CHARSETS:
        raise _error(
            RecordError, 'unknown_charset',
            segment=2 if text.startswith('UNA') else 1, charset=charset)
    return charset


def _service_string_advice(text: str) -> tuple[Characters, str, int]:
    """Return the separators UNA declares, the rest, and its first number.

    UNA counts as segment 1 when present, as a person counting the
    terminators would count it.
    """
    if not text.startswith('UNA'):
        return Characters.from_str(":+,? '"), text, 1
    if len(text) < 9:
        raise _error(BankFileError, 'bad_una', una=text)
    return Characters.from_str(text[:9]), text[9:], 2


def _segments(
        text: str, characters: Characters, first: int) -> list[_Segment]:
    """Return the segments pydifact reads, numbered from first."""
    segments: list[_Segment] = []
    # Raw elements, not Parser.parse(): its segment classes and service
    # segment validation know nothing of CREMUL and only slow it down.
    tokens = Tokenizer().get_tokens(text, characters)
    raw = Parser().convert_tokens_to_raw_segments(tokens)
    number = first
    try:
        for elements in raw:
            segments.append(_segment(number, elements))
            number += 1
    except EDISyntaxError as exc:
        raise _syntax_error(number, characters) from exc
    return segments


def _segment(number: int, elements: Elements) -> _Segment:
    """Return one segment, raising unless its tag is well formed."""
    tag = elements[0]
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        shown = tag if isinstance(tag, str) else ':'.join(tag)
        raise _error(RecordError, 'bad_tag', segment=number, tag=shown)
    return _Segment(number, tag, elements[1:])


def _syntax_error(number: int, characters: Characters) -> BankFileError:
    """Return our error for what pydifact's tokenizer refused."""
    # Its only other refusal, a line end after '?', cannot survive
    # _unwrap(): so the text ended inside a segment.
    return _error(
        StructureError, 'truncated_segment', segment=number,
        terminator=characters.segment_terminator)


def _interchange(reader: _Reader, charset: str) -> Interchange:
    """Read UNB, the messages and UNZ."""
    unb = reader.take('UNB')
    reference = _required(unb, 4, '0020')
    messages: list[Message] = []
    while reader.peek('UNH'):
        messages.append(_message(reader, unb.get(1)))

    unz = reader.take('UNZ', 'UNH/UNZ')
    reader.checks.compare(
        Check.MESSAGE_COUNT, _count(unz), len(messages), segment=unz.number)
    _check_reference(unz, reference, 'UNB')
    if not reader.done:
        raise _error(
            StructureError, 'after_end', segment=reader.next.number,
            tag=reader.next.tag)
    return Interchange(
        reference=reference, sender=_required(unb, 1, '0004'),
        recipient=_required(unb, 2, '0010'), prepared=_prepared(unb),
        messages=tuple(messages), charset=charset,
        syntax_version=unb.get(0, 1))


def _message(reader: _Reader, sender: str) -> Message:
    """Read one message, from UNH to UNT."""
    start = reader.position
    unh = reader.take('UNH')
    reference = _required(unh, 0, '0062')
    version = _check_cremul(unh, reference)
    bgm = reader.take('BGM')
    number = _required(bgm, 1, '1004')
    header = _collect(reader.take_until(_ENDS_PAYMENT))

    postings: list[Posting] = []
    place = f'SEQ:{sender}:{number}'
    while reader.peek('LIN'):
        postings.append(_posting(reader, reference, place))
    while reader.peek('CNT'):
        cnt = reader.take('CNT')
        _check_line_count(reader.checks, cnt, postings, reference)

    unt = reader.take('UNT', 'LIN/CNT/UNT')
    reader.checks.compare(
        Check.SEGMENT_COUNT, _count(unt), reader.position - start,
        segment=unt.number, message=reference)
    _check_reference(unt, reference, 'UNH', 1)
    recipient = header.parties.get('MR', (None, ()))[0]
    return Message(
        reference=reference, number=number, postings=tuple(postings),
        kind=bgm.get(0), date=header.dates.get('137'),
        recipient=recipient or header.party_ids.get('MR'),
        version=version, segment=unh.number)


def _posting(reader: _Reader, message: str, place: str) -> Posting:
    """Read one LIN and its payments."""
    lin = reader.take('LIN')
    number = _required(lin, 0, '1082')
    draft = _collect(reader.take_until(_ENDS_PAYMENT))
    found = draft.first_amount(_POSTING_AMOUNTS)
    if found is None:
        raise _error(
            StructureError, 'posting_without_amount', posting=number,
            segment=lin.number)
    amount_type, amount, currency = found
    currency = currency or 'NOK'

    account = draft.accounts.get('BF', (None, None))[0]
    booking_date = draft.dates.get('209')
    keys = (f"{account or ''}:{booking_date or ''}:", f'{place}:{number}:')
    payments: list[Payment] = []
    while reader.peek('SEQ'):
        payments.append(_payment(reader, currency, keys))

    total = sum((p.amount for p in payments), Decimal('0.00'))
    reader.checks.compare(
        Check.POSTING_TOTAL, amount, total, posting=number, message=message,
        segment=lin.number, currency=currency)
    return Posting(
        number=number, amount=amount, payments=tuple(payments),
        account=account, currency=currency, amount_type=amount_type,
        booking_date=booking_date, posting_date=draft.dates.get('202'),
        environment=draft.environment, business=draft.business,
        charge=draft.charge, references=tuple(draft.references),
        segment=lin.number)


def _payment(
        reader: _Reader, currency: str, keys: tuple[str, str]) -> Payment:
    """Read one SEQ: its amount, dates, payer and references."""
    seq = reader.take('SEQ')
    number = _required(seq, 1, '1050')
    draft = _collect(reader.take_until(_ENDS_PAYMENT))
    found = draft.first_amount(_PAYMENT_AMOUNTS)
    if found is None:
        raise _error(
            StructureError, 'payment_without_amount', payment=number,
            segment=seq.number)
    amount_type, amount, own_currency = found

    account, holder = draft.accounts.get('OR', (None, None))
    name, address = draft.parties.get('PL', (holder, ()))
    original = draft.amounts.get(AmountType.ORIGINAL)
    bank = _bank_reference(draft.references)
    return Payment(
        number=number, amount=amount, currency=own_currency or currency,
        amount_type=amount_type, execution_date=draft.dates.get('203'),
        processing_date=draft.dates.get('193'),
        value_date=draft.dates.get('209'), payer_account=account,
        payer_name=name or holder, payer_address=address,
        beneficiary_name=draft.parties.get('BE', (None, ()))[0],
        documents=tuple(draft.documents),
        text=' '.join(draft.texts) or None,
        original_amount=original[0] if original else None,
        original_currency=(original[1] or None) if original else None,
        charge=draft.charge, references=tuple(draft.references),
        segment=seq.number,
        key=keys[0] + bank if bank else keys[1] + number)


@dataclass
class _Draft:
    """Gather what the segments of a level say, before it is built."""

    amounts: dict[AmountType, tuple[Decimal, str]] = field(
        default_factory=dict)
    charge: Decimal | None = None
    dates: dict[str, dt.date] = field(default_factory=dict)
    references: list[tuple[str, str]] = field(default_factory=list)
    accounts: dict[str, tuple[str | None, str | None]] = field(
        default_factory=dict)
    parties: dict[str, tuple[str | None, tuple[str, ...]]] = field(
        default_factory=dict)
    party_ids: dict[str, str] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    environment: str | None = None
    business: str | None = None

    def first_amount(
            self, types: Sequence[AmountType]
            ) -> tuple[AmountType, Decimal, str] | None:
        """Return the first amount of the types, in the order given."""
        for amount_type in types:
            if amount_type in self.amounts:
                amount, currency = self.amounts[amount_type]
                return amount_type, amount, currency
        return None


def _collect(segments: Iterator[_Segment]) -> _Draft:
    """Return what the segments of one level say."""
    draft = _Draft()
    for segment in segments:
        reader = _COLLECTORS.get(segment.tag)
        if reader is not None:
            reader(draft, segment)
    return draft


def _collect_amount(draft: _Draft, segment: _Segment) -> None:
    """Keep an amount (MOA), adding up charges."""
    qualifier = segment.get(0, 0)
    try:
        amount_type = AmountType(qualifier)
    except ValueError:
        return
    amount = _decimal(segment, segment.get(0, 1))
    if amount_type is AmountType.CHARGE:
        draft.charge = (draft.charge or Decimal('0.00')) + amount
    elif amount_type is AmountType.DOCUMENT:
        if draft.documents and draft.documents[-1].amount is None:
            draft.documents[-1] = replace(draft.documents[-1], amount=amount)
    else:
        draft.amounts.setdefault(amount_type, (amount, segment.get(0, 2)))


def _collect_date(draft: _Draft, segment: _Segment) -> None:
    """Keep the first date of each qualifier (DTM)."""
    qualifier = segment.get(0, 0)
    if qualifier not in draft.dates:
        draft.dates[qualifier] = _date(segment)


def _collect_reference(draft: _Draft, segment: _Segment) -> None:
    """Keep a reference (RFF) with its qualifier."""
    draft.references.append((segment.get(0, 0), segment.get(0, 1)))


def _collect_account(draft: _Draft, segment: _Segment) -> None:
    """Keep an account (FII) and its holder's name by party qualifier."""
    draft.accounts[segment.get(0)] = (
        segment.get(1, 0) or None, segment.get(1, 1).strip() or None)


def _collect_party(draft: _Draft, segment: _Segment) -> None:
    """Keep a party's name and address (NAD), in either of its forms."""
    qualifier = segment.get(0)
    if segment.get(1):
        draft.party_ids[qualifier] = segment.get(1)
    named = _lines(segment.components(3))
    if named:
        place = ' '.join(_lines([segment.get(7), segment.get(5)]))
        address = _lines(segment.components(4)) + _lines([place])
        draft.parties[qualifier] = (' '.join(named), tuple(address))
    elif _lines(segment.components(2)):
        lines = segment.components(2)
        draft.parties[qualifier] = (
            lines[0].strip() or None, tuple(_lines(lines[1:])))


def _collect_document(draft: _Draft, segment: _Segment) -> None:
    """Keep a document (DOC): a KID, an invoice number, …"""
    draft.documents.append(Document(segment.get(0, 0), segment.get(1, 0)))


def _collect_text(draft: _Draft, segment: _Segment) -> None:
    """Keep the lines of a free text (FTX)."""
    draft.texts.extend(_lines(segment.components(3)))


def _collect_business(draft: _Draft, segment: _Segment) -> None:
    """Keep the domestic or international kind of a posting (BUS)."""
    draft.environment = segment.get(1) or None
    draft.business = segment.get(3, 0) or None


_COLLECTORS = {
    'MOA': _collect_amount, 'DTM': _collect_date, 'RFF': _collect_reference,
    'FII': _collect_account, 'NAD': _collect_party,
    'DOC': _collect_document, 'FTX': _collect_text, 'BUS': _collect_business}


def _lines(values: Sequence[str]) -> list[str]:
    """Return the values that are not blank, stripped."""
    return [value.strip() for value in values if value.strip()]


def _reference(
        references: Sequence[tuple[str, str]], qualifier: str) -> str | None:
    """Return the first reference of the qualifier."""
    return next((v for q, v in references if q == qualifier and v), None)


def _bank_reference(references: Sequence[tuple[str, str]]) -> str | None:
    """Return the bank's archive reference, else its own, with qualifier."""
    for qualifier in _BANK_REFERENCES:
        value = _reference(references, qualifier)
        if value:
            return f'{qualifier}:{value}'
    return None


def _required(segment: _Segment, element: int, name: str) -> str:
    """Return a data element's first component, raising if it is empty."""
    value = segment.get(element, 0)
    if not value:
        raise _error(
            StructureError, 'missing_element', segment=segment.number,
            tag=segment.tag, element=name)
    return value


def _check_cremul(unh: _Segment, reference: str) -> tuple[str, ...]:
    """Return the message's version, raising unless it is a CREMUL."""
    identifier = unh.components(1)
    kind = identifier[0] if identifier else ''
    if kind != 'CREMUL':
        raise _error(
            NotCremulError, 'not_cremul', segment=unh.number,
            message=reference, type=kind or '-')
    return tuple(identifier[1:])


def _check_reference(
        segment: _Segment, reference: str, opening: str, element: int = 1
        ) -> None:
    """Raise unless a trailer repeats the reference of its header."""
    stated = segment.get(element)
    if stated != reference:
        raise _error(
            StructureError, 'reference_mismatch', segment=segment.number,
            tag=segment.tag, stated=stated, opening=opening, actual=reference)


def _check_line_count(
        checks: Checks, cnt: _Segment, postings: Sequence[Posting],
        message: str) -> None:
    """Compare a count of LIN (CNT+LI or CNT+LIN) with the postings."""
    if cnt.get(0, 0) in _LINE_COUNTS:
        checks.compare(
            Check.LINE_COUNT, _count(cnt, 0, 1), len(postings),
            segment=cnt.number, message=message)


def _count(segment: _Segment, element: int = 0, component: int = 0) -> int:
    """Return a count from a trailer, raising unless it is a number."""
    value = segment.get(element, component)
    if not value.isdigit():
        raise _error(
            RecordError, 'bad_count', segment=segment.number,
            tag=segment.tag, value=value)
    return int(value)


def _decimal(segment: _Segment, value: str) -> Decimal:
    """Return an amount read with either decimal mark, in whole cents."""
    if not _NUMBER.fullmatch(value):
        raise _error(
            RecordError, 'bad_amount', segment=segment.number, value=value)
    try:
        amount = Decimal(value.replace(',', '.'))
    except InvalidOperation as exc:  # unreachable after the pattern
        raise _error(
            RecordError, 'bad_amount', segment=segment.number,
            value=value) from exc
    exponent = amount.as_tuple().exponent
    return amount.quantize(_CENT) if isinstance(exponent, int) and (
        exponent > -2) else amount


def _date(segment: _Segment) -> dt.date:
    """Return the date of a DTM, in any format Norwegian banks use."""
    value, code = segment.get(0, 1), segment.get(0, 2)
    code = code or ('102' if len(value) == 8 else '101')
    if code == _PERIOD_FORMAT:
        value, code = value[:8], '102'
    if code not in _DATE_FORMATS:
        raise _error(
            RecordError, 'unknown_date_format', segment=segment.number,
            format=code)
    pattern, length = _DATE_FORMATS[code]
    return _strptime(segment, value, pattern, code, length).date()


def _prepared(unb: _Segment) -> dt.datetime:
    """Return when the interchange was prepared (UNB 0017 and 0019)."""
    date, time = unb.get(3, 0), unb.get(3, 1)
    if not date:
        _required(unb, 3, '0017')
    pattern = '%Y%m%d%H%M' if len(date) == 8 else '%y%m%d%H%M'
    return _strptime(
        unb, date + time, pattern, 'YYMMDD:HHMM', len(date) + 4)


def _strptime(
        segment: _Segment, value: str, pattern: str, code: str, length: int
        ) -> dt.datetime:
    """Return a date and time parsed by the pattern, naming the segment."""
    try:
        if len(value) != length or not value.isdigit():
            raise ValueError(value)
        return dt.datetime.strptime(value, pattern)
    except ValueError as exc:
        raise _error(
            RecordError, 'bad_date', segment=segment.number, tag=segment.tag,
            value=value, format=code) from exc


def _with_keys(interchange: Interchange, checks: Checks) -> Interchange:
    """Return the interchange with unique payment keys, or raise."""
    segments: dict[str, list[int]] = {}
    for payment in interchange.payments:
        segments.setdefault(payment.key, []).append(payment.segment)
    shared = {
        key: places for key, places in segments.items() if len(places) > 1}
    if not shared:
        return interchange

    for key, places in shared.items():
        kind = StructureError
        if key.startswith('SEQ:'):
            raise _error(
                kind, 'duplicate_payment', first=places[0],
                second=places[1], key=key)
        checks.warnings.append(_error(
            kind, 'duplicate_key', first=places[0], second=places[1],
            reference=key.split(':', 2)[2]))
    return _with_keys(_rekeyed(interchange, set(shared)), checks)


def _rekeyed(interchange: Interchange, keys: set[str]) -> Interchange:
    """Return the interchange with the given keys replaced by places."""
    def payment(message: Message, posting: Posting, paid: Payment) -> Payment:
        if paid.key not in keys:
            return paid
        return replace(paid, key=':'.join((
            'SEQ', interchange.sender, message.number, posting.number,
            paid.number)))

    return replace(interchange, messages=tuple(
        replace(message, postings=tuple(
            replace(posting, payments=tuple(
                payment(message, posting, p) for p in posting.payments))
            for posting in message.postings))
        for message in interchange.messages))


_Out = Iterator[tuple[str, Elements]]


def _trimmed(elements: Elements) -> Elements:
    """Return the elements without the empty ones at the end."""
    end = len(elements)
    while end > 1 and not elements[end - 1]:
        end -= 1
    return elements[:end]


def _check_encodable(text: str, charset: str) -> None:
    """Raise ValueError unless the charset can hold the text."""
    try:
        text.encode(_CHARSETS[charset])
    except (KeyError, UnicodeEncodeError) as exc:
        raise ValueError(
            f"The interchange cannot be written in {charset}: {exc}") from exc


def _interchange_segments(interchange: Interchange, mark: str) -> _Out:
    """Yield the segments of an interchange as tags and elements."""
    if mark not in ',.':
        raise ValueError(f"The decimal mark must be ',' or '.', not {mark!r}.")
    prepared = interchange.prepared
    date = prepared.strftime(
        '%Y%m%d' if interchange.syntax_version >= '4' else '%y%m%d')
    yield 'UNB', [
        [interchange.charset, interchange.syntax_version],
        interchange.sender, interchange.recipient,
        [date, prepared.strftime('%H%M')], interchange.reference]
    for message in interchange.messages:
        yield from _message_segments(message, mark)
    yield 'UNZ', [str(len(interchange.messages)), interchange.reference]


def _message_segments(message: Message, mark: str) -> _Out:
    """Yield the segments of one message, UNH to UNT."""
    segments: list[tuple[str, Elements]] = [
        ('UNH', [message.reference, ['CREMUL', *message.version]])]
    segments.append(('BGM', [message.kind, message.number]))
    if message.date:
        segments.append(('DTM', [_date_element('137', message.date)]))
    if message.recipient:
        segments.append(('NAD', ['MR', message.recipient]))
    for posting in message.postings:
        segments.extend(_posting_segments(posting, mark))
    segments.append(('CNT', [['LI', str(len(message.postings))]]))
    yield from segments
    yield 'UNT', [str(len(segments) + 1), message.reference]


def _posting_segments(posting: Posting, mark: str) -> _Out:
    """Yield the segments of one LIN and its payments."""
    yield 'LIN', [posting.number]
    yield from _dates(
        ('209', posting.booking_date), ('202', posting.posting_date))
    if posting.environment or posting.business:
        business: str | list[str] = (
            [posting.business, '25', '124'] if posting.business else '')
        yield 'BUS', ['', posting.environment or '', '', business]
    yield 'MOA', [[
        posting.amount_type.value, _number(posting.amount, mark),
        posting.currency]]
    yield from _references(posting.references)
    if posting.account:
        yield 'FII', ['BF', posting.account]
    yield from _charge(posting.charge, mark)
    for payment in posting.payments:
        yield from _payment_segments(payment, posting.currency, mark)


def _payment_segments(payment: Payment, currency: str, mark: str) -> _Out:
    """Yield the segments of one SEQ."""
    yield 'SEQ', ['', payment.number]
    yield from _dates(
        ('203', payment.execution_date), ('193', payment.processing_date),
        ('209', payment.value_date))
    if payment.payer_account:
        yield 'FII', ['OR', payment.payer_account]
    yield from _references(payment.references)
    amount = [payment.amount_type.value, _number(payment.amount, mark)]
    if payment.currency != currency:
        amount.append(payment.currency)
    yield 'MOA', [amount]
    if payment.original_amount is not None:
        yield 'MOA', [[
            AmountType.ORIGINAL.value, _number(payment.original_amount, mark),
            payment.original_currency or '']]
    yield from _charge(payment.charge, mark)
    yield from _remittance_segments(payment, mark)


def _remittance_segments(payment: Payment, mark: str) -> _Out:
    """Yield a payment's parties, free text and documents."""
    if payment.payer_name or payment.payer_address:
        yield 'NAD', ['PL', '', [
            payment.payer_name or '', *payment.payer_address]]
    if payment.beneficiary_name:
        yield 'NAD', ['BE', '', '', payment.beneficiary_name]
    texts: list[tuple[str, Elements]] = [
        ('FTX', ['PMD', '', '', chunk])
        for chunk in _text_chunks(payment.text or '')]
    if not payment.documents:
        if texts:
            yield 'PRC', ['11']
        yield from texts
        return

    yield from texts
    yield 'PRC', ['8']
    for document in payment.documents:
        yield 'DOC', [document.code, document.number]
        if document.amount is not None:
            yield 'MOA', [[
                AmountType.DOCUMENT.value, _number(document.amount, mark)]]
    yield 'GIS', ['37']


def _text_chunks(text: str) -> list[list[str]]:
    """Return the text cut at spaces into FTX texts of five lines of 70."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= _TEXT_WIDTH:
            lines[-1] += ' ' + word
        else:
            lines.extend(
                word[start:start + _TEXT_WIDTH]
                for start in range(0, len(word), _TEXT_WIDTH))
    return [lines[start:start + 5] for start in range(0, len(lines), 5)]


def _dates(*dates: tuple[str, dt.date | None]) -> _Out:
    """Yield a DTM for each date that is given."""
    for qualifier, date in dates:
        if date is not None:
            yield 'DTM', [_date_element(qualifier, date)]


def _date_element(qualifier: str, date: dt.date) -> list[str]:
    """Return a date as a DTM's C507 in format 102."""
    return [qualifier, date.strftime('%Y%m%d'), '102']


def _references(references: Sequence[tuple[str, str]]) -> _Out:
    """Yield an RFF for each reference."""
    for qualifier, value in references:
        yield 'RFF', [[qualifier, value]]


def _charge(charge: Decimal | None, mark: str) -> _Out:
    """Yield a charge (FCA and MOA 23) if there is one."""
    if charge is not None:
        yield 'FCA', ['14']
        yield 'MOA', [[AmountType.CHARGE.value, _number(charge, mark)]]


def _number(amount: Decimal, mark: str) -> str:
    """Return an amount as EDIFACT writes it, with the decimal mark."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"The amount {amount!r} is not a finite Decimal.")
    return format(amount, 'f').replace('.', mark)
