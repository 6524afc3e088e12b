r"""Norwegian invoices, credit notes and reminders as PDF letters.

render() draws a posted document (``ehf.Document``, in Tryton's signs)
as an A4 letter for a window envelope: the issuer's letterhead, the
receiver's address, the lines, the VAT per rate and the totals taken
from ``ehf.vat_breakdown()`` and ``ehf.totals()`` (so the letter and the
EHF never disagree) and a payment block a person can type from.  A
``Letter`` says how: in Bokmål or English, as an AvtaleGiro notice
without payment block, or as a reminder (purring) or a notice of debt
collection (inkassovarsel, inkassoloven § 9).

>>> format_amount(Decimal('1234.5'))
'1\xa0234,50'
>>> format_amount(Decimal('1234.5'), 'en')
'1,234.50'
>>> format_account('12345678903')
'1234.56.78903'
>>> format_date(dt.date(2026, 12, 4)), format_period(
...     (dt.date(2026, 1, 1), dt.date(2026, 12, 31)), 'en')
('04.12.2026', '1 Jan 2026–31 Dec 2026')
"""

import copy
import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import io
import unicodedata
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from reportlab.lib.pagesizes import A4
from PIL import Image
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfdoc import PDFImageXObject
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from stdnum.no import kontonr, orgnr

from . import ehf

__all__ = [
    'ReminderLevel', 'Reminder', 'Letter', 'LetterError',
    'UnknownLanguage', 'ShortDeadline', 'NotPayable', 'TEXTS',
    'LANGUAGES', 'format_amount', 'format_quantity', 'format_rate',
    'format_date', 'format_period', 'format_account', 'format_orgnr',
    'render']

CENT = Decimal('0.01')
NBSP = '\xa0'
COLLECTION_DAYS = 14  # inkassoloven § 9: at least 14 days to pay
_MONTHS = (
    'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct',
    'Nov', 'Dec')

TEXTS: dict[str, dict[str, str]] = {
    'nb': {
        'invoice': "Faktura",
        'credit_note': "Kreditnota",
        'reminder': "Purring",
        'notice_of_collection': "Inkassovarsel",
        'invoice_number': "Fakturanr.",
        'credit_note_number': "Kreditnotanr.",
        'invoice_date': "Fakturadato",
        'credit_note_date': "Dato",
        'due_date': "Forfallsdato",
        'member_number': "Medlemsnr.",
        'buyer_reference': "Deres ref.",
        'order_reference': "Bestillingsnr.",
        'customer_orgnr': "Deres org.nr.",
        'credited_invoice': "Krediterer faktura",
        'kid': "KID",
        'orgnr': "Org.nr.",
        'description': "Beskrivelse",
        'period': "Periode",
        'quantity': "Antall",
        'unit_price': "Pris",
        'vat': "MVA",
        'amount': "Beløp",
        'vat_rate': "MVA-sats",
        'taxable': "Grunnlag",
        'line_extension': "Sum linjer",
        'allowances': "Rabatter",
        'charges': "Tillegg",
        'tax_exclusive': "Sum eks. mva",
        'tax_inclusive': "Sum inkl. mva",
        'prepaid': "Betalt",
        'paid_note': "Fakturaen er betalt. Du trenger ikke å betale noe.",
        'rounding': "Øreavrunding",
        'payable': "Å betale",
        'credit': "Til gode",
        'vat_nok': "Herav MVA i NOK",
        'exemption': "Fritak: {reason}",
        'credit_text': (
            "Kreditnotaen krediterer faktura {number}{date}. "
            "Beløpet står til gode hos oss."),
        'of_date': " av {date}",
        'payment': "Betalingsinformasjon",
        'account': "Kontonummer",
        'message': "Melding",
        'pay_to': "Betales til",
        'kid_hint': "Oppgi KID ved betaling.",
        'avtalegiro': (
            "Beløpet {amount} trekkes fra kontoen din med AvtaleGiro "
            "på forfallsdatoen {date}. Du trenger ikke gjøre noe."),
        'page': "Side {page} av {pages}",
        'continued': "forts.",
        'email': "E-post",
        'phone': "Telefon",
        'website': "Nett",
        'reminder_date': "Purredato",
        'notice_date': "Varseldato",
        'original_due_date': "Opprinnelig forfall",
        'new_due_date': "Betalingsfrist",
        'claim': "Faktura {number} av {date}, forfall {due}",
        'paid': "Innbetalt eller kreditert",
        'open_amount': "Utestående",
        'reminder_fee': "Purregebyr",
        'notice_fee': "Gebyr for inkassovarsel",
        'interest': "Forsinkelsesrente",
        'reminder_text': (
            "Vi har ikke registrert betaling av fakturaen nedenfor. "
            "Vi ber deg betale det utestående beløpet innen {due}. "
            "Har du betalt i mellomtiden, kan du se bort fra denne "
            "purringen."),
        'notice_text': (
            "Vi har ikke mottatt betaling av fakturaen nedenfor. "
            "Dette er et inkassovarsel etter inkassoloven § 9."),
        'notice_warning': (
            "Blir kravet ikke betalt innen 14 dager etter at dette "
            "varselet ble sendt, det vil si innen {due}, vil det bli "
            "sendt til inkasso. Du blir da ansvarlig for "
            "inkassokostnadene. Har du innsigelser mot kravet, må du "
            "gi oss beskjed før fristen."),
        'S': "{rate}",
        'Z': "0 %",
        'E': "Unntatt",
        'O': "Utenfor",
        'AE': "Omvendt",
        'G': "Eksport",
        },
    'en': {
        'invoice': "Invoice",
        'credit_note': "Credit note",
        'reminder': "Reminder",
        'notice_of_collection': "Notice of debt collection",
        'invoice_number': "Invoice no.",
        'credit_note_number': "Credit note no.",
        'invoice_date': "Invoice date",
        'credit_note_date': "Date",
        'due_date': "Due date",
        'member_number': "Member no.",
        'buyer_reference': "Your reference",
        'order_reference': "Order no.",
        'customer_orgnr': "Your org. no.",
        'credited_invoice': "Credits invoice",
        'kid': "KID",
        'orgnr': "Org.nr.",
        'description': "Description",
        'period': "Period",
        'quantity': "Qty",
        'unit_price': "Unit price",
        'vat': "VAT",
        'amount': "Amount",
        'vat_rate': "VAT rate",
        'taxable': "Taxable",
        'line_extension': "Lines",
        'allowances': "Allowances",
        'charges': "Charges",
        'tax_exclusive': "Total excl. VAT",
        'tax_inclusive': "Total incl. VAT",
        'prepaid': "Paid",
        'paid_note': "The invoice is paid; there is nothing to pay.",
        'rounding': "Rounding",
        'payable': "Amount to pay",
        'credit': "To your credit",
        'vat_nok': "VAT in NOK",
        'exemption': "Exemption: {reason}",
        'credit_text': (
            "This credit note credits invoice {number}{date}. "
            "The amount is to your credit."),
        'of_date': " of {date}",
        'payment': "Payment details",
        'account': "Account number",
        'message': "Message",
        'pay_to': "Pay to",
        'kid_hint': "Please give the KID when paying.",
        'avtalegiro': (
            "The amount {amount} will be debited from your account by "
            "AvtaleGiro on the due date, {date}. You need not do "
            "anything."),
        'page': "Page {page} of {pages}",
        'continued': "continued",
        'email': "E-mail",
        'phone': "Phone",
        'website': "Web",
        'reminder_date': "Reminder date",
        'notice_date': "Notice date",
        'original_due_date': "Original due date",
        'new_due_date': "Pay by",
        'claim': "Invoice {number} of {date}, due {due}",
        'paid': "Paid or credited",
        'open_amount': "Outstanding",
        'reminder_fee': "Reminder fee",
        'notice_fee': "Notice fee",
        'interest': "Late-payment interest",
        'reminder_text': (
            "We have not received payment of the invoice below. "
            "Please pay the outstanding amount by {due}. If you have "
            "paid in the meantime, please disregard this reminder."),
        'notice_text': (
            "We have not received payment of the invoice below. This is "
            "a notice of debt collection under section 9 of the "
            "Norwegian Debt Collection Act (inkassoloven)."),
        'notice_warning': (
            "If the claim is not paid within 14 days of the date this "
            "notice was sent, that is by {due}, it will be passed to "
            "debt collection. You will then be liable for the costs of "
            "collection. If you dispute the claim, you must tell us "
            "before that date."),
        'S': "{rate}",
        'Z': "0%",
        'E': "Exempt",
        'O': "Outside",
        'AE': "Reverse",
        'G': "Export",
        },
    }
LANGUAGES = frozenset(TEXTS)


class LetterError(ValueError):
    """A letter that cannot be drawn as asked."""


class UnknownLanguage(LetterError):
    """The letter's language has no texts."""


class ShortDeadline(LetterError):
    """A reminder's deadline is before its date, or an inkassovarsel's
    less than 14 days after it."""


class NotPayable(LetterError):
    """A reminder of a credit note."""


class ReminderLevel(enum.StrEnum):
    """How far the dunning of an invoice has gone."""

    REMINDER = 'reminder'  # purring, inkassoforskriften § 1-2
    NOTICE_OF_COLLECTION = 'notice_of_collection'  # inkassovarsel, § 9


@dataclasses.dataclass(frozen=True)
class Reminder:
    """What a reminder or an inkassovarsel adds to an open invoice.

    The invoice's number and dates are the document's when not given.
    """

    level: ReminderLevel
    date: dt.date
    due_date: dt.date  # the new payment deadline
    fee: Decimal  # purregebyr, without VAT
    interest: Decimal  # forsinkelsesrente
    open_amount: Decimal  # still open on the invoice
    invoice_number: str | None = None
    invoice_date: dt.date | None = None
    invoice_due_date: dt.date | None = None

    def __post_init__(self) -> None:
        days = (self.due_date - self.date).days
        if self.level is ReminderLevel.NOTICE_OF_COLLECTION:
            if days < COLLECTION_DAYS:
                raise ShortDeadline(
                    f"An inkassovarsel of {self.date} must give at least "
                    f"{COLLECTION_DAYS} days to pay, not {days}.")
        elif days < 0:
            raise ShortDeadline(
                f"Reminder of {self.date} is due before it, "
                f"on {self.due_date}.")

    @property
    def total(self) -> Decimal:
        """Return what the reminder asks to be paid."""
        return self.open_amount + self.fee + self.interest


@dataclasses.dataclass(frozen=True)
class Letter:
    """How a document is presented to its receiver."""

    language: str = 'nb'  # 'nb' Bokmål or 'en' English
    member_number: str | None = None
    avtalegiro: bool = False  # a debit notice without payment block
    issuer_email: str | None = None
    issuer_phone: str | None = None
    issuer_website: str | None = None
    logo: bytes | None = None  # PNG or JPEG
    reminder: Reminder | None = None

    def __post_init__(self) -> None:
        if self.language not in TEXTS:
            raise UnknownLanguage(
                f"No texts in language {self.language!r}.")


def format_amount(value: Decimal, language: str = 'nb') -> str:
    r"""Return *value* rounded to øre with the language's separators.

    >>> format_amount(Decimal('-1234567.891'))
    '-1\xa0234\xa0567,89'
    >>> format_amount(Decimal('0'), 'en')
    '0.00'
    """
    return _separators(
        f'{value.quantize(CENT, ROUND_HALF_UP):,.2f}', language)


def format_quantity(value: Decimal, language: str = 'nb') -> str:
    """Return *value* without trailing zeros.

    >>> format_quantity(Decimal('2.000')), format_quantity(Decimal('1.5'))
    ('2', '1,5')
    >>> format_quantity(Decimal('1E+3'), 'en')
    '1,000'
    """
    return _separators(f'{value.normalize():,f}', language)


def _separators(text: str, language: str) -> str:
    # Python writes English separators; Bokmål swaps them for its own
    if language == 'en':
        return text
    return text.replace(',', NBSP).replace('.', ',')


def format_rate(rate: Decimal, language: str = 'nb') -> str:
    r"""Return the percentage *rate* as written in *language*.

    >>> format_rate(Decimal('25.00')), format_rate(Decimal('11.11'), 'en')
    ('25\xa0%', '11.11%')
    """
    number = format_quantity(rate, language)
    return number + ('%' if language == 'en' else NBSP + '%')


def format_date(date: dt.date, language: str = 'nb') -> str:
    """Return *date* as dd.MM.yyyy in Bokmål, as 4 Dec 2026 in English.

    >>> format_date(dt.date(2026, 1, 9))
    '09.01.2026'
    >>> format_date(dt.date(2026, 1, 9), 'en')
    '9 Jan 2026'
    """
    if language == 'en':
        return f'{date.day} {_MONTHS[date.month - 1]} {date.year}'
    return date.strftime('%d.%m.%Y')


def format_period(
        period: tuple[dt.date, dt.date], language: str = 'nb') -> str:
    """Return the inclusive *period* as two dates joined by an en dash.

    >>> format_period((dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    '01.01.2026–31.12.2026'
    """
    start, end = period
    return f'{format_date(start, language)}–{format_date(end, language)}'


def format_account(account: str) -> str:
    """Return the 11-digit Norwegian bank *account* as 1234.56.78903.

    >>> format_account('1234 56 78903')
    '1234.56.78903'
    >>> format_account('12345678904')  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    InvalidChecksum: ...
    """
    number = kontonr.validate(account)
    if len(number) != 11:
        raise kontonr.InvalidLength()
    return f'{number[:4]}.{number[4:6]}.{number[6:]}'


def format_orgnr(number: str) -> str:
    """Return the organisation *number* in groups of three.

    >>> format_orgnr('923456783')
    '923 456 783'
    """
    return str(orgnr.format(orgnr.validate(number)))


@dataclasses.dataclass(frozen=True)
class _Table:
    """Columns: heading, right edge or left edge (MM), right-aligned."""

    headings: tuple[str, ...]
    edges: tuple[float, ...]
    right: tuple[bool, ...]
    wrap: float  # width of the first column, MM

    @property
    def width(self) -> float:
        """Return the width from the first edge to the last, in MM."""
        return self.edges[-1] - self.edges[0]


@dataclasses.dataclass(frozen=True)
class _Row:
    cells: tuple[str, ...]
    bold: bool = False
    note: str | None = None  # a smaller second line under the first cell


@dataclasses.dataclass(frozen=True)
class _Payment:
    """The payment block: heading, payee, labelled values, a hint."""

    heading: str
    payee: str
    cells: tuple[tuple[str, str], ...]
    hint: str | None


@dataclasses.dataclass(frozen=True)
class _Body:
    """The table, the VAT and totals, the notes and the payment block."""

    table: _Table
    rows: tuple[_Row, ...]
    vat: tuple[_Row, ...]
    totals: tuple[_Row, ...]
    notes: tuple[str, ...]
    payment: _Payment | None
    intro: tuple[str, ...] = ()  # paragraphs before the table


@dataclasses.dataclass(frozen=True)
class _Content:
    """Everything the letter prints, as text, before it is laid out."""

    title: str
    number: str  # the document's, or the reminded invoice's
    issuer: tuple[str, ...]
    receiver: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    body: _Body
    contact: str
    page: str  # 'Side {page} av {pages}'
    continued: str


class _Texts:
    """The texts of one language, and the formatters bound to it."""

    def __init__(self, language: str, currency: str) -> None:
        self.language = language
        self.currency = currency
        self.table = TEXTS[language]

    def __getitem__(self, key: str) -> str:
        return self.table[key]

    def amount(self, value: Decimal) -> str:
        return format_amount(value, self.language)

    def money(self, value: Decimal) -> str:
        return f'{self.currency} {self.amount(value)}'

    def date(self, value: dt.date) -> str:
        return format_date(value, self.language)

    def category(self, category: ehf.VatCategory, rate: Decimal) -> str:
        return self.table[category.value].format(
            rate=format_rate(rate, self.language))


def _issuer(supplier: ehf.Supplier, texts: _Texts) -> tuple[str, ...]:
    address = supplier.address
    lines = [supplier.name, *_street(address)]
    number = f"{texts['orgnr']} {format_orgnr(supplier.organisation_number)}"
    if supplier.vat_registered:
        number += " MVA"
    lines.append(number)
    if supplier.foretaksregisteret:
        lines.append("Foretaksregisteret")
    return tuple(lines)


def _street(address: ehf.Address) -> list[str]:
    lines = [line for line in (address.street, address.additional_street)
        if line]
    town = ' '.join(
        part for part in (address.postal_code, address.city) if part)
    if town:
        lines.append(town)
    if address.country != 'NO':
        lines.append(address.country)
    return lines


def _receiver(customer: ehf.Customer) -> tuple[str, ...]:
    return (customer.name, *_street(customer.address))


def _contact(letter: Letter, texts: _Texts) -> str:
    parts = [
        f"{texts[key]}: {value}" for key, value in (
            ('email', letter.issuer_email), ('phone', letter.issuer_phone),
            ('website', letter.issuer_website)) if value]
    return '  ·  '.join(parts)


def _title(document: ehf.Document, letter: Letter) -> str:
    if letter.reminder:
        return letter.reminder.level.value
    return document.type.value


def _document_fields(document: ehf.Document, letter: Letter,
        texts: _Texts) -> list[tuple[str, str]]:
    credit_note = document.type is ehf.DocumentType.CREDIT_NOTE
    prefix = 'credit_note' if credit_note else 'invoice'
    fields = [
        (texts[f'{prefix}_number'], document.number),
        (texts[f'{prefix}_date'], texts.date(document.issue_date))]
    if document.due_date and not credit_note:
        fields.append((texts['due_date'], texts.date(document.due_date)))
    if credit_note and document.billing_reference:
        fields.append((texts['credited_invoice'], document.billing_reference))
    return fields


def _reminder_fields(document: ehf.Document, reminder: Reminder,
        texts: _Texts) -> list[tuple[str, str]]:
    notice = reminder.level is ReminderLevel.NOTICE_OF_COLLECTION
    fields = [
        (texts['notice_date' if notice else 'reminder_date'],
            texts.date(reminder.date)),
        (texts['new_due_date'], texts.date(reminder.due_date)),
        (texts['invoice_number'], _invoice_number(document, reminder)),
        (texts['invoice_date'], texts.date(_invoice_date(document, reminder)))]
    due = _invoice_due_date(document, reminder)
    if due:
        fields.append((texts['original_due_date'], texts.date(due)))
    return fields


def _fields(document: ehf.Document, letter: Letter,
        texts: _Texts) -> tuple[tuple[str, str], ...]:
    if letter.reminder:
        fields = _reminder_fields(document, letter.reminder, texts)
    else:
        fields = _document_fields(document, letter, texts)
    customer = document.customer
    optional = [
        ('member_number', letter.member_number),
        ('buyer_reference', customer.buyer_reference),
        ('order_reference', customer.order_reference),
        ('customer_orgnr', customer.organisation_number
            and format_orgnr(customer.organisation_number)),
        ('kid', document.kid)]
    fields.extend((texts[key], value) for key, value in optional if value)
    return tuple(fields)


def _invoice_number(document: ehf.Document, reminder: Reminder) -> str:
    return reminder.invoice_number or document.number


def _invoice_date(document: ehf.Document, reminder: Reminder) -> dt.date:
    return reminder.invoice_date or document.issue_date


def _invoice_due_date(
        document: ehf.Document, reminder: Reminder) -> dt.date | None:
    return reminder.invoice_due_date or document.due_date


LINE_TABLE = (20, 84, 134, 157, 172, 190)
LINE_RIGHT = (False, False, True, True, True, True)
CLAIM_TABLE = (20, 190)


def _line_table(texts: _Texts) -> _Table:
    keys = ('description', 'period', 'quantity', 'unit_price', 'vat',
        'amount')
    return _Table(tuple(texts[k] for k in keys), LINE_TABLE, LINE_RIGHT,
        wrap=62)


def _line_rows(document: ehf.Document,
        texts: _Texts) -> tuple[_Row, ...]:
    rows = []
    sign = document.sign
    for line in document.lines:
        quantity = line.quantity * sign
        rows.append(_Row((
                    line.name,
                    format_period(line.period, texts.language)
                    if line.period else '',
                    format_quantity(quantity, texts.language),
                    texts.amount(line.unit_price),
                    texts.category(line.vat_category, line.vat_rate),
                    texts.amount(line.net_amount * sign)),
                note=line.description))
    for charge in document.charges:
        rows.append(_Row((
                    charge.reason, '', '', '',
                    texts.category(charge.vat_category, charge.vat_rate),
                    texts.amount(charge.amount * sign))))
    return tuple(rows)


def _vat_rows(breakdown: Sequence[ehf.VatBreakdown],
        texts: _Texts) -> tuple[_Row, ...]:
    rows = [_Row((texts['vat_rate'], texts['taxable'], texts['vat']),
            bold=True)]
    for part in breakdown:
        rows.append(_Row((
                    texts.category(part.category, part.rate),
                    texts.amount(part.taxable), texts.amount(part.amount)),
                note=part.exemption_reason and texts['exemption'].format(
                    reason=part.exemption_reason)))
    return tuple(rows)


def _total_amounts(totals: ehf.Totals) -> list[tuple[str, Decimal]]:
    amounts = []
    if totals.allowances or totals.charges:
        amounts.append(('line_extension', totals.line_extension))
    if totals.allowances:
        amounts.append(('allowances', -totals.allowances))
    if totals.charges:
        amounts.append(('charges', totals.charges))
    amounts += [
        ('tax_exclusive', totals.tax_exclusive), ('vat', totals.vat),
        ('tax_inclusive', totals.tax_inclusive)]
    if totals.prepaid:
        amounts.append(('prepaid', -totals.prepaid))
    if totals.rounding:
        amounts.append(('rounding', totals.rounding))
    return amounts


def _total_rows(document: ehf.Document, totals: ehf.Totals,
        texts: _Texts) -> tuple[_Row, ...]:
    rows = [_Row((texts[key], texts.amount(value)))
        for key, value in _total_amounts(totals)]
    if document.currency != ehf.NOK and document.nok_rate:
        rows.append(_Row((texts['vat_nok'], format_amount(
                        totals.vat * document.nok_rate, texts.language))))
    credit_note = document.type is ehf.DocumentType.CREDIT_NOTE
    rows.append(_Row((
                texts['credit' if credit_note else 'payable'],
                texts.money(totals.payable)), bold=True))
    return tuple(rows)


def _claim_rows(document: ehf.Document, reminder: Reminder,
        payable: Decimal, texts: _Texts) -> tuple[_Row, ...]:
    notice = reminder.level is ReminderLevel.NOTICE_OF_COLLECTION
    due = _invoice_due_date(document, reminder)
    claim = texts['claim'].format(
        number=_invoice_number(document, reminder),
        date=texts.date(_invoice_date(document, reminder)),
        due=texts.date(due) if due else '')
    rows = [_Row((claim, texts.amount(payable)))]
    if reminder.open_amount != payable:
        rows.append(_Row((texts['paid'],
                    texts.amount(reminder.open_amount - payable))))
        rows.append(_Row((texts['open_amount'],
                    texts.amount(reminder.open_amount))))
    if reminder.fee:
        rows.append(_Row((texts['notice_fee' if notice else 'reminder_fee'],
                    texts.amount(reminder.fee))))
    if reminder.interest:
        rows.append(_Row((texts['interest'],
                    texts.amount(reminder.interest))))
    rows.append(_Row((texts['payable'], texts.money(reminder.total)),
            bold=True))
    return tuple(rows)


def _reminder_texts(reminder: Reminder,
        texts: _Texts) -> tuple[str, str | None]:
    """Return the paragraph before the claim and the one after it."""
    due = texts.date(reminder.due_date)
    if reminder.level is ReminderLevel.NOTICE_OF_COLLECTION:
        return texts['notice_text'], texts['notice_warning'].format(due=due)
    return texts['reminder_text'].format(due=due), None


def _notes(document: ehf.Document, letter: Letter, totals: ehf.Totals,
        texts: _Texts) -> tuple[str, ...]:
    notes = []
    if document.type is ehf.DocumentType.CREDIT_NOTE:
        date = document.billing_reference_date
        notes.append(texts['credit_text'].format(
                number=document.billing_reference or '',
                date=texts['of_date'].format(date=texts.date(date))
                if date else ''))
    elif totals.payable <= 0:
        notes.append(texts['paid_note'])
    elif letter.avtalegiro and document.due_date:
        notes.append(texts['avtalegiro'].format(
                amount=texts.money(totals.payable),
                date=texts.date(document.due_date)))
    if document.payment_terms:
        notes.append(document.payment_terms)
    return tuple(notes)


def _payment(document: ehf.Document, amount: Decimal,
        due_date: dt.date | None, texts: _Texts) -> _Payment:
    reference = (texts['kid'], document.kid) if document.kid else (
        texts['message'], f"{texts['invoice']} {document.number}")
    return _Payment(
        heading=texts['payment'],
        payee=f"{texts['pay_to']}: {document.supplier.name}",
        cells=(
            (texts['account'],
                format_account(document.supplier.bank_account)),
            reference,
            (texts['amount'], texts.money(amount)),
            (texts['due_date'], texts.date(due_date) if due_date else '')),
        hint=texts['kid_hint'] if document.kid else None)


def _reminder_body(document: ehf.Document, reminder: Reminder,
        totals: ehf.Totals, texts: _Texts) -> _Body:
    if document.type is ehf.DocumentType.CREDIT_NOTE:
        raise NotPayable(
            f"Credit note {document.number!r} cannot be reminded of.")
    intro, warning = _reminder_texts(reminder, texts)
    return _Body(
        table=_Table((texts['description'], texts['amount']),
            CLAIM_TABLE, (False, True), wrap=150),
        rows=_claim_rows(document, reminder, totals.payable, texts),
        vat=(), totals=(), intro=(intro,),
        notes=(warning,) if warning else (),
        payment=_payment(
            document, reminder.total, reminder.due_date, texts))


def _document_body(document: ehf.Document, letter: Letter,
        breakdown: Sequence[ehf.VatBreakdown], totals: ehf.Totals,
        texts: _Texts) -> _Body:
    payment = None
    if (document.type is ehf.DocumentType.INVOICE
            and not letter.avtalegiro and totals.payable > 0):
        payment = _payment(
            document, totals.payable, document.due_date, texts)
    return _Body(
        table=_line_table(texts), rows=_line_rows(document, texts),
        vat=_vat_rows(breakdown, texts),
        totals=_total_rows(document, totals, texts),
        notes=_notes(document, letter, totals, texts), payment=payment)


def _content(document: ehf.Document, letter: Letter) -> _Content:
    texts = _Texts(letter.language, document.currency)
    breakdown = ehf.vat_breakdown(document)
    totals = ehf.totals(document, breakdown)
    number = document.number
    if letter.reminder:
        body = _reminder_body(document, letter.reminder, totals, texts)
        number = _invoice_number(document, letter.reminder)
    else:
        body = _document_body(document, letter, breakdown, totals, texts)
    return _Content(
        title=texts[_title(document, letter)], number=number,
        issuer=_issuer(document.supplier, texts),
        receiver=_receiver(document.customer),
        fields=_fields(document, letter, texts), body=body,
        contact=_contact(letter, texts), page=texts['page'],
        continued=texts['continued'])


MM = 72 / 25.4  # points in a millimetre
WIDTH, HEIGHT = A4
FONT = 'Helvetica'
BOLD = 'Helvetica-Bold'
SIZE = 9.0
SMALL = 7.5
LEADING = 4.4 * MM
ROW_LEADING = 4.0 * MM
LEFT, RIGHT = 20 * MM, 190 * MM
FIRST_TOP = HEIGHT - 108 * MM  # where the flow starts on page one
NEXT_TOP = HEIGHT - 32 * MM
BOTTOM = 22 * MM  # the flow stops above the footer
PAYMENT_TOP = 66 * MM  # the payment block's top edge on the last page
GREY = (0.93, 0.93, 0.93)
DARK = (0.35, 0.35, 0.35)


@dataclasses.dataclass(frozen=True)
class _Block:
    """A part of the flow: its height and how to draw it at a top edge."""

    height: float
    draw: Callable[[Canvas, float], None]
    table: _Table | None = None  # repeat this table's heading on new pages
    keep: float = 0.0  # more room that must follow on the same page


# Letters of Sámi names that decompose to no base letter
_BASE_LETTERS = str.maketrans('ĐđŊŋŦŧ', 'DdNnTt')


def _printable(text: str) -> str:
    """Return *text* with what Helvetica lacks replaced by base letters.

    The standard PDF fonts hold Windows-1252 only; reportlab would draw
    a black square for the rest.

    >>> _printable('Áile Čuođđa – Ŋ…')
    'Áile Cuodda – N…'
    """
    try:
        text.encode('cp1252')
        return text
    except UnicodeEncodeError:
        return ''.join(map(_printable_letter, text))


def _printable_letter(letter: str) -> str:
    try:
        return letter.encode('cp1252').decode('cp1252')
    except UnicodeEncodeError:
        base = unicodedata.normalize(
            'NFKD', letter.translate(_BASE_LETTERS))[:1]
        return base if base.isascii() and base.isprintable() else '?'


def _text(canvas: Canvas, x: float, y: float, text: str, font: str = FONT,
        size: float = SIZE, right: bool = False) -> None:
    canvas.setFont(font, size)
    if right:
        canvas.drawRightString(x, y, _printable(text))
    else:
        canvas.drawString(x, y, _printable(text))


def _lines(canvas: Canvas, x: float, top: float, lines: Sequence[str],
        size: float = SIZE, first: str = FONT,
        leading: float = LEADING) -> None:
    for index, line in enumerate(lines):
        _text(canvas, x, top - size - index * leading, line,
            first if index == 0 else FONT, size)


@functools.lru_cache(maxsize=4096)
def _wrap(text: str, width: float, size: float = SIZE,
        font: str = FONT) -> tuple[str, ...]:
    return tuple(simpleSplit(text, font, size, width)) or ('',)


@functools.lru_cache(maxsize=8)
def _logo(logo: bytes) -> PDFImageXObject:
    """Return *logo* on white, decoded and compressed once for all."""
    picture = Image.open(io.BytesIO(logo))
    white = Image.new('RGBA', picture.size, 'white')
    flat = Image.alpha_composite(white, picture.convert('RGBA'))
    name = 'logo' + hashlib.sha256(logo).hexdigest()[:16]
    return PDFImageXObject(name, ImageReader(flat.convert('RGB')))


def _draw_logo(canvas: Canvas, logo: bytes) -> None:
    # drawImage() would compress the pixels again for every letter; the
    # copy carries this document's object number
    image = copy.copy(_logo(logo))
    document = canvas._doc
    document.Reference(image, document.getXObjectName(image.name))
    document.addForm(image.name, image)
    scale = min(55 * MM / image.width, 22 * MM / image.height)
    width, height = image.width * scale, image.height * scale
    canvas.saveState()
    canvas.translate(LEFT, HEIGHT - 14 * MM - height)
    canvas.scale(width, height)
    canvas.doForm(image.name)
    canvas.restoreState()


def _draw_first_header(canvas: Canvas, content: _Content,
        logo: bytes | None) -> None:
    if logo:
        _draw_logo(canvas, logo)
    top = HEIGHT - 14 * MM
    for index, line in enumerate(content.issuer):
        _text(canvas, RIGHT, top - SIZE - index * LEADING, line,
            BOLD if index == 0 else FONT, right=True)
    _lines(canvas, LEFT, HEIGHT - 50 * MM, content.receiver, 10.0, BOLD,
        5 * MM)
    _text(canvas, 118 * MM, HEIGHT - 50 * MM - 16, content.title, BOLD,
        _fit(content.title, RIGHT - 118 * MM, 16))
    top = HEIGHT - 58 * MM
    for index, (label, value) in enumerate(content.fields):
        y = top - SIZE - index * LEADING
        _text(canvas, 118 * MM, y, label, FONT, SIZE)
        _text(canvas, RIGHT, y, value, BOLD, SIZE, right=True)


def _draw_next_header(canvas: Canvas, content: _Content) -> None:
    top = HEIGHT - 14 * MM
    _text(canvas, LEFT, top - SIZE, content.issuer[0], BOLD)
    _text(canvas, RIGHT, top - SIZE,
        f"{content.title} {content.number} ({content.continued})",
        BOLD, right=True)


def _draw_footer(canvas: Canvas, content: _Content, page: int,
        pages: int) -> None:
    canvas.setStrokeColorRGB(*DARK)
    canvas.setLineWidth(0.3)
    canvas.line(LEFT, 16 * MM, RIGHT, 16 * MM)
    _text(canvas, LEFT, 11 * MM, content.contact, FONT, SMALL)
    _text(canvas, RIGHT, 11 * MM,
        content.page.format(page=page, pages=pages), FONT, SMALL,
        right=True)


def _draw_cells(canvas: Canvas, table: _Table, top: float,
        cells: Sequence[str], font: str, size: float = 8.5) -> None:
    first = _wrap(cells[0], table.wrap * MM, size, font)
    _lines(canvas, table.edges[0] * MM, top, first, size, font,
        ROW_LEADING)
    for text, edge, right in zip(cells[1:], table.edges[1:],
            table.right[1:]):
        _text(canvas, edge * MM, top - size, text, font, size, right)


def _row_height(table: _Table, row: _Row) -> float:
    lines = len(_wrap(row.cells[0], table.wrap * MM, 8.5,
            BOLD if row.bold else FONT))
    if row.note:
        lines += len(_wrap(row.note, table.width * MM, SMALL))
    return lines * ROW_LEADING + 1.2 * MM


def _draw_row(table: _Table, row: _Row, canvas: Canvas,
        top: float) -> None:
    font = BOLD if row.bold else FONT
    _draw_cells(canvas, table, top, row.cells, font)
    if row.note:
        first = len(_wrap(row.cells[0], table.wrap * MM, 8.5, font))
        canvas.setFillColorRGB(*DARK)
        _lines(canvas, table.edges[0] * MM, top - first * ROW_LEADING,
            _wrap(row.note, table.width * MM, SMALL), SMALL, FONT,
            ROW_LEADING)
        canvas.setFillColorRGB(0, 0, 0)


def _draw_heading(table: _Table, canvas: Canvas, top: float) -> None:
    canvas.setFillColorRGB(*GREY)
    canvas.rect(LEFT - 1.5 * MM, top - 5.5 * MM,
        RIGHT - LEFT + 3 * MM, 5.5 * MM, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    _draw_cells(canvas, table, top - 1 * MM, table.headings, BOLD, 8)


def _heading(table: _Table, keep: float = 0.0) -> _Block:
    return _Block(7 * MM, functools.partial(_draw_heading, table),
        keep=keep)


def _row_blocks(table: _Table, rows: Sequence[_Row]) -> list[_Block]:
    blocks = []
    for row in rows:
        height = _row_height(table, row)
        blocks.append(_Block(height,
                functools.partial(_draw_row, table, row), table=table))
    return blocks


SUMMARY_VAT = _Table(('',) * 3, (20, 72, 100), (False, True, True), 30)
SUMMARY_TOTALS = _Table(('',) * 2, (118, 190), (False, True), 45)


def _draw_summary(vat: Sequence[_Row], totals: Sequence[_Row],
        canvas: Canvas, top: float) -> None:
    canvas.setStrokeColorRGB(*DARK)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT, top, RIGHT, top)
    y = top - 2 * MM
    for row in vat:
        _draw_row(SUMMARY_VAT, row, canvas, y)
        y -= _row_height(SUMMARY_VAT, row)
    y = top - 2 * MM
    for index, row in enumerate(totals):
        if index == len(totals) - 1:
            canvas.line(118 * MM, y + 0.5 * MM, RIGHT, y + 0.5 * MM)
        _draw_row(SUMMARY_TOTALS, row, canvas, y)
        y -= _row_height(SUMMARY_TOTALS, row)


def _summary_block(vat: Sequence[_Row], totals: Sequence[_Row]) -> _Block:
    height = max(
        sum(_row_height(SUMMARY_VAT, row) for row in vat),
        sum(_row_height(SUMMARY_TOTALS, row) for row in totals))
    return _Block(height + 4 * MM,
        functools.partial(_draw_summary, vat, totals))


def _draw_note(lines: Sequence[str], canvas: Canvas, top: float) -> None:
    _lines(canvas, LEFT, top, lines, SIZE, FONT, LEADING)


def _note_block(text: str) -> _Block:
    lines = _wrap(text, RIGHT - LEFT)
    return _Block(len(lines) * LEADING + 2 * MM,
        functools.partial(_draw_note, lines))


def _table(body: _Body) -> list[_Block]:
    rows = _row_blocks(body.table, body.rows)
    return [
        *(_note_block(text) for text in body.intro),
        _heading(body.table, rows[0].height if rows else 0.0), *rows]


def _tail(body: _Body) -> list[_Block]:
    """Return the blocks kept together after the table: totals, notes."""
    blocks = [_Block(3 * MM, lambda canvas, top: None)]
    if body.totals:
        blocks.append(_summary_block(body.vat, body.totals))
    blocks += [_note_block(note) for note in body.notes]
    return blocks


Pages = list[list[tuple[_Block, float]]]


def _paginate(table: Sequence[_Block], tail: Sequence[_Block],
        payment: bool) -> Pages:
    """Return the blocks of each page with their top edges.

    The tail and the payment block go together on the last page.
    """
    pages: Pages = [[]]
    y = FIRST_TOP
    for block in table:
        if y - block.height - block.keep < BOTTOM:
            pages.append([])
            y = NEXT_TOP
            if block.table:
                pages[-1].append((_heading(block.table), y))
                y -= pages[-1][-1][0].height
        pages[-1].append((block, y))
        y -= block.height

    floor = PAYMENT_TOP + 4 * MM if payment else BOTTOM
    if y - sum(block.height for block in tail) < floor:
        pages.append([])
        y = NEXT_TOP
    for block in tail:
        pages[-1].append((block, y))
        y -= block.height
    return pages


def _draw_payment(canvas: Canvas, payment: _Payment) -> None:
    top = PAYMENT_TOP
    canvas.setFillColorRGB(*GREY)
    canvas.rect(LEFT - 1.5 * MM, top - 44 * MM, RIGHT - LEFT + 3 * MM,
        44 * MM, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    _text(canvas, LEFT, top - 7 * MM, payment.heading, BOLD, 11)
    _text(canvas, RIGHT, top - 7 * MM, payment.payee, FONT, right=True)
    for index, (label, value) in enumerate(payment.cells):
        x = LEFT + index * 43 * MM
        _text(canvas, x, top - 17 * MM, label, FONT, 8)
        _text(canvas, x, top - 24 * MM, value, BOLD, _fit(value, 41 * MM))
    if payment.hint:
        _text(canvas, LEFT, top - 36 * MM, payment.hint, FONT, 8)


def _fit(text: str, width: float, size: float = 12.0) -> float:
    """Return the largest size up to *size* at which *text* fits."""
    drawn = float(stringWidth(text, BOLD, size))
    return min(size, size * width / max(drawn, 1.0))


def _draw(content: _Content, letter: Letter) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"{content.title} {content.number}")
    canvas.setAuthor(content.issuer[0])
    body = content.body
    pages = _paginate(_table(body), _tail(body), body.payment is not None)
    for number, blocks in enumerate(pages, 1):
        if number == 1:
            _draw_first_header(canvas, content, letter.logo)
        else:
            _draw_next_header(canvas, content)
        for block, top in blocks:
            block.draw(canvas, top)
        if number == len(pages) and body.payment:
            _draw_payment(canvas, body.payment)
        _draw_footer(canvas, content, number, len(pages))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render(document: ehf.Document, letter: Letter) -> bytes:
    """Return *document* drawn as a PDF letter as *letter* says."""
    return _draw(_content(document, letter), letter)
