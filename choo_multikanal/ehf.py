"""EHF Billing 3.0 (Peppol BIS Billing 3.0) invoices and credit notes.

A document is described as Choo knows it, in Tryton's signs: a credit
note has negative quantities and amounts, prices are positive.  build()
writes it as UBL 2.1 with the Norwegian rules: the organisation number
as Peppol address (scheme 0192), ``NO<orgnr>MVA`` as VAT id,
Foretaksregisteret where the issuer is registered there, VAT computed and
rounded once per category from the line amounts (or the VAT booked, when
the document gives it), the KID as PaymentID.

>>> vat_amount(Decimal('2088.66'), Decimal('25'))
Decimal('522.17')
>>> vat_id('923 456 783')
'NO923456783MVA'
>>> rounding_to(Decimal('234.64'), Decimal('0.05'))
Decimal('0.01')
>>> net_amount(Decimal('2'), Decimal('348.11'))
Decimal('696.22')
"""

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree
from stdnum.exceptions import InvalidLength
from stdnum.no import kontonr, orgnr

__all__ = [
    'DocumentType', 'VatCategory', 'Address', 'PeppolId', 'Supplier',
    'Customer', 'Line', 'Charge', 'Document', 'VatBreakdown',
    'Totals', 'EhfError', 'MissingReference', 'MissingEndpoint',
    'MissingExchangeRate', 'MissingExemptionReason', 'NoLines',
    'vat_id', 'vat_amount', 'net_amount', 'rounding_to', 'vat_breakdown',
    'totals', 'build', 'CUSTOMIZATION_ID', 'PROFILE_ID']

CUSTOMIZATION_ID = (
    'urn:cen.eu:en16931:2017#compliant'
    '#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0'
ORGNR_SCHEME = '0192'
NOK = 'NOK'
CENT = Decimal('0.01')

_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'
_CAC = ('urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonAggregateComponents-2')
_ROOT = 'urn:oasis:names:specification:ubl:schema:xsd:{}-2'


class DocumentType(enum.StrEnum):
    """The two UBL documents a posted Tryton invoice becomes."""

    INVOICE = 'invoice'  # UBL Invoice, type code 380
    CREDIT_NOTE = 'credit_note'  # UBL CreditNote, type code 381


class VatCategory(enum.StrEnum):
    """VAT category codes (UNCL5305) used in Norway."""

    STANDARD = 'S'  # 25 %, 15 % or 12 %
    ZERO = 'Z'  # zero-rated, mval chapter 6
    EXEMPT = 'E'  # exempt, mval §§ 3-2 to 3-20 (membership dues)
    OUTSIDE = 'O'  # issuer outside the VAT Act
    REVERSE_CHARGE = 'AE'  # buyer accounts for the VAT
    EXPORT = 'G'  # export outside the EEA


# Categories whose VAT breakdown needs an exemption reason.
_REASON_NEEDED = {
    VatCategory.EXEMPT, VatCategory.OUTSIDE, VatCategory.REVERSE_CHARGE,
    VatCategory.EXPORT}


class EhfError(ValueError):
    """A document that cannot be written as a valid EHF document."""


class NoLines(EhfError):
    """The document has no line."""


class MissingReference(EhfError):
    """Neither a buyer reference nor an order reference is known."""


class MissingEndpoint(EhfError):
    """The customer has no Peppol address."""


class MissingExchangeRate(EhfError):
    """A foreign-currency document has no rate to NOK."""


class MissingExemptionReason(EhfError):
    """A VAT category that needs an exemption reason has none."""


@dataclasses.dataclass(frozen=True)
class Address:
    """A postal address."""

    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str = 'NO'  # ISO 3166-1 alpha-2
    additional_street: str | None = None


@dataclasses.dataclass(frozen=True)
class PeppolId:
    """An electronic address in the Peppol network (EAS scheme, value)."""

    scheme: str
    identifier: str


@dataclasses.dataclass(frozen=True)
class Supplier:
    """The issuer: the legal entity that sends the document."""

    name: str
    organisation_number: str
    address: Address
    bank_account: str  # 11-digit Norwegian account number
    vat_registered: bool = False
    foretaksregisteret: bool = False
    legal_name: str | None = None


@dataclasses.dataclass(frozen=True)
class Customer:
    """The buyer, an organisation (with orgnr) or a person."""

    name: str
    address: Address
    organisation_number: str | None = None
    peppol_id: PeppolId | None = None  # when not 0192 + orgnr
    vat_registered: bool = False
    buyer_reference: str | None = None
    order_reference: str | None = None
    code: str | None = None  # party code, the last buyer reference


@dataclasses.dataclass(frozen=True)
class Line:
    """An invoice line with its amount as posted."""

    name: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    vat_category: VatCategory
    vat_rate: Decimal = Decimal(0)  # percent
    unit_code: str = 'C62'  # UN/ECE rec. 20, C62 = one
    period: tuple[dt.date, dt.date] | None = None  # inclusive
    accounting_cost: str | None = None  # cost centre
    exemption_reason: str | None = None
    description: str | None = None


@dataclasses.dataclass(frozen=True)
class Charge:
    """A document level charge (or allowance) with its posted amount."""

    reason: str
    amount: Decimal  # what it adds to the total, in Tryton's sign
    vat_category: VatCategory
    vat_rate: Decimal = Decimal(0)
    allowance: bool = False  # write it as an allowance of -amount
    exemption_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class Document:
    """A posted invoice or credit note, in Tryton's signs."""

    type: DocumentType
    number: str
    issue_date: dt.date
    supplier: Supplier
    customer: Customer
    lines: Sequence[Line]
    due_date: dt.date | None = None
    currency: str = NOK
    nok_rate: Decimal | None = None  # NOK for one unit of currency
    charges: Sequence[Charge] = ()
    kid: str | None = None
    prepaid: Decimal = Decimal(0)
    payable_rounding: Decimal = Decimal(0)
    billing_reference: str | None = None  # the credited invoice
    billing_reference_date: dt.date | None = None
    period: tuple[dt.date, dt.date] | None = None  # inclusive
    payment_terms: str | None = None
    # the VAT booked per (category, rate), used instead of computing it
    posted_vat: Mapping[tuple[VatCategory, Decimal], Decimal] | None = None

    @property
    def sign(self) -> int:
        """Return the factor from Tryton's signs to the document's."""
        return -1 if self.type is DocumentType.CREDIT_NOTE else 1


@dataclasses.dataclass(frozen=True)
class VatBreakdown:
    """The VAT of one category and rate, in the document's signs."""

    category: VatCategory
    rate: Decimal
    taxable: Decimal
    amount: Decimal
    exemption_reason: str | None


@dataclasses.dataclass(frozen=True)
class Totals:
    """The document totals (BG-22), in the document's signs."""

    line_extension: Decimal
    allowances: Decimal
    charges: Decimal
    tax_exclusive: Decimal
    vat: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal
    rounding: Decimal
    payable: Decimal


def vat_id(organisation_number: str) -> str:
    """Return the Norwegian VAT id of *organisation_number*.

    >>> vat_id('923456783')
    'NO923456783MVA'
    >>> vat_id('923456784')  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    InvalidChecksum: ...
    """
    return f'NO{orgnr.validate(organisation_number)}MVA'


def vat_amount(taxable: Decimal, rate: Decimal) -> Decimal:
    """Return the VAT on *taxable* at *rate* percent, rounded to øre.

    Halves round away from zero, so a credit note's VAT is the negated
    VAT of the same invoice.

    >>> vat_amount(Decimal('0.02'), Decimal('25'))
    Decimal('0.01')
    >>> vat_amount(Decimal('-0.02'), Decimal('25'))
    Decimal('-0.01')
    """
    return (taxable * rate / 100).quantize(CENT, ROUND_HALF_UP)


def net_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Return the line amount of *quantity* at *unit_price*, in øre.

    >>> net_amount(Decimal('-3'), Decimal('500'))
    Decimal('-1500.00')
    """
    return (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)


def rounding_to(amount: Decimal, unit: Decimal) -> Decimal:
    """Return what rounds *amount* to the nearest multiple of *unit*.

    >>> rounding_to(Decimal('100.50'), Decimal('1'))
    Decimal('0.50')
    >>> rounding_to(Decimal('100.49'), Decimal('1'))
    Decimal('-0.49')
    """
    rounded = (amount / unit).quantize(Decimal(1), ROUND_HALF_UP) * unit
    return (rounded - amount).quantize(CENT)


def _taxed_items(document: Document) -> Iterable[
        tuple[VatCategory, Decimal, Decimal, str | None]]:
    for line in document.lines:
        yield (line.vat_category, line.vat_rate, line.net_amount,
            line.exemption_reason)
    for charge in document.charges:
        yield (charge.vat_category, charge.vat_rate, charge.amount,
            charge.exemption_reason)


def vat_breakdown(document: Document) -> list[VatBreakdown]:
    """Return the VAT per category and rate, rounded once per category.

    The taxable amount of a category is the sum of its line and charge
    amounts; its VAT is that sum times the rate, rounded once, unless the
    document gives the VAT posted for the category.
    """
    groups: dict[tuple[VatCategory, Decimal], list[Decimal]] = {}
    reasons: dict[tuple[VatCategory, Decimal], str | None] = {}
    for category, rate, amount, reason in _taxed_items(document):
        if category is VatCategory.OUTSIDE:
            rate = Decimal(0)
        key = (category, rate.normalize())
        groups.setdefault(key, []).append(amount * document.sign)
        if reasons.get(key) is None:
            reasons[key] = reason

    breakdown = []
    for (category, rate), amounts in groups.items():
        if category in _REASON_NEEDED and not reasons[category, rate]:
            raise MissingExemptionReason(
                f"VAT category {category.value} needs an exemption reason.")
        taxable = sum(amounts, Decimal(0)).quantize(CENT)
        breakdown.append(VatBreakdown(
                category=category, rate=rate, taxable=taxable,
                amount=_category_vat(document, category, rate, taxable),
                exemption_reason=reasons[category, rate]))
    return breakdown


def _category_vat(document: Document, category: VatCategory,
        rate: Decimal, taxable: Decimal) -> Decimal:
    # the rules allow the booked VAT (Tryton rounds half to even) within
    # one unit of the computed one (BR-CO-17)
    for (posted_category, posted_rate), amount in (
            document.posted_vat or {}).items():
        if (posted_category, posted_rate.normalize()) == (category, rate):
            vat = (amount * document.sign).quantize(CENT)
            return vat if vat else abs(vat)  # no -0.00 on credit notes
    return vat_amount(taxable, rate)


def totals(document: Document, breakdown: Sequence[VatBreakdown]) -> Totals:
    """Return the document totals of *document* with its *breakdown*."""
    sign = document.sign
    line_extension = sum(
        (line.net_amount * sign for line in document.lines), Decimal(0))
    allowances = sum(
        (-charge.amount * sign for charge in document.charges
            if charge.allowance), Decimal(0))
    charges = sum(
        (charge.amount * sign for charge in document.charges
            if not charge.allowance), Decimal(0))
    tax_exclusive = line_extension - allowances + charges
    vat = sum((part.amount for part in breakdown), Decimal(0))
    tax_inclusive = tax_exclusive + vat
    prepaid = document.prepaid * sign
    rounding = document.payable_rounding * sign
    return Totals(
        line_extension=line_extension.quantize(CENT),
        allowances=allowances.quantize(CENT),
        charges=charges.quantize(CENT),
        tax_exclusive=tax_exclusive.quantize(CENT),
        vat=vat.quantize(CENT),
        tax_inclusive=tax_inclusive.quantize(CENT),
        prepaid=prepaid.quantize(CENT),
        rounding=rounding.quantize(CENT),
        payable=(tax_inclusive - prepaid + rounding).quantize(CENT))


def _number(value: Decimal) -> str:
    return format(value.normalize(), 'f')


def _money(value: Decimal) -> str:
    return format(value.quantize(CENT, ROUND_HALF_UP), 'f')


class _Writer:
    """Append UBL elements under a parent, with the document currency."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def cbc(self, parent: etree._Element, name: str, text: str,
            **attributes: str) -> etree._Element:
        element = etree.SubElement(
            parent, f'{{{_CBC}}}{name}', attributes)
        element.text = text
        return element

    def cac(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f'{{{_CAC}}}{name}')

    def amount(self, parent: etree._Element, name: str, value: Decimal,
            currency: str | None = None) -> etree._Element:
        return self.cbc(
            parent, name, _money(value),
            currencyID=currency or self.currency)

    def period(self, parent: etree._Element,
            period: tuple[dt.date, dt.date]) -> None:
        element = self.cac(parent, 'InvoicePeriod')
        self.cbc(element, 'StartDate', period[0].isoformat())
        self.cbc(element, 'EndDate', period[1].isoformat())

    def address(self, parent: etree._Element, address: Address) -> None:
        element = self.cac(parent, 'PostalAddress')
        if address.street:
            self.cbc(element, 'StreetName', address.street)
        if address.additional_street:
            self.cbc(element, 'AdditionalStreetName',
                address.additional_street)
        if address.city:
            self.cbc(element, 'CityName', address.city)
        if address.postal_code:
            self.cbc(element, 'PostalZone', address.postal_code)
        country = self.cac(element, 'Country')
        self.cbc(country, 'IdentificationCode', address.country)

    def tax_scheme(self, parent: etree._Element, company_id: str,
            scheme: str) -> None:
        element = self.cac(parent, 'PartyTaxScheme')
        self.cbc(element, 'CompanyID', company_id)
        self.cbc(self.cac(element, 'TaxScheme'), 'ID', scheme)

    def legal_entity(self, parent: etree._Element, name: str,
            organisation_number: str | None) -> None:
        element = self.cac(parent, 'PartyLegalEntity')
        self.cbc(element, 'RegistrationName', name)
        if organisation_number:
            self.cbc(element, 'CompanyID', organisation_number,
                schemeID=ORGNR_SCHEME)

    def tax_category(self, parent: etree._Element, name: str,
            category: VatCategory, rate: Decimal,
            reason: str | None = None) -> None:
        element = self.cac(parent, name)
        self.cbc(element, 'ID', category.value)
        if category is not VatCategory.OUTSIDE:
            self.cbc(element, 'Percent', _number(rate))
        if reason:
            self.cbc(element, 'TaxExemptionReason', reason)
        self.cbc(self.cac(element, 'TaxScheme'), 'ID', 'VAT')


def _supplier(writer: _Writer, root: etree._Element,
        supplier: Supplier) -> None:
    number = orgnr.validate(supplier.organisation_number)
    party = writer.cac(writer.cac(root, 'AccountingSupplierParty'), 'Party')
    writer.cbc(party, 'EndpointID', number, schemeID=ORGNR_SCHEME)
    writer.cbc(writer.cac(party, 'PartyName'), 'Name', supplier.name)
    writer.address(party, supplier.address)
    if supplier.vat_registered:
        writer.tax_scheme(party, vat_id(number), 'VAT')
    if supplier.foretaksregisteret:
        writer.tax_scheme(party, 'Foretaksregisteret', 'TAX')
    writer.legal_entity(
        party, supplier.legal_name or supplier.name, number)


def _endpoint(customer: Customer, number: str | None) -> PeppolId:
    if customer.peppol_id:
        return customer.peppol_id
    if number:
        return PeppolId(ORGNR_SCHEME, number)
    raise MissingEndpoint(
        f"Customer {customer.name!r} has no organisation number "
        "nor Peppol id.")


def _customer(writer: _Writer, root: etree._Element,
        customer: Customer, outside: bool) -> None:
    number = None
    if customer.organisation_number:
        number = orgnr.validate(customer.organisation_number)
    endpoint = _endpoint(customer, number)
    party = writer.cac(writer.cac(root, 'AccountingCustomerParty'), 'Party')
    writer.cbc(party, 'EndpointID', endpoint.identifier,
        schemeID=endpoint.scheme)
    writer.cbc(writer.cac(party, 'PartyName'), 'Name', customer.name)
    writer.address(party, customer.address)
    # outside the VAT Act, neither party's VAT id is given (BR-O-02)
    if number and customer.vat_registered and not outside:
        writer.tax_scheme(party, vat_id(number), 'VAT')
    writer.legal_entity(party, customer.name, number)


def _buyer_reference(customer: Customer) -> str | None:
    reference = customer.buyer_reference
    if not reference and not customer.order_reference:
        reference = customer.code
        if not reference:
            raise MissingReference(
                f"Customer {customer.name!r} has neither a buyer "
                "reference nor an order reference.")
    return reference


def _period(document: Document) -> tuple[dt.date, dt.date] | None:
    if document.period:
        return document.period
    periods = [line.period for line in document.lines if line.period]
    if not periods:
        return None
    return (min(p[0] for p in periods), max(p[1] for p in periods))


def _header(writer: _Writer, root: etree._Element,
        document: Document) -> None:
    credit_note = document.type is DocumentType.CREDIT_NOTE
    writer.cbc(root, 'CustomizationID', CUSTOMIZATION_ID)
    writer.cbc(root, 'ProfileID', PROFILE_ID)
    writer.cbc(root, 'ID', document.number)
    writer.cbc(root, 'IssueDate', document.issue_date.isoformat())
    if document.due_date and not credit_note:
        writer.cbc(root, 'DueDate', document.due_date.isoformat())
    writer.cbc(root, 'CreditNoteTypeCode' if credit_note
        else 'InvoiceTypeCode', '381' if credit_note else '380')
    writer.cbc(root, 'DocumentCurrencyCode', document.currency)
    if document.currency != NOK:
        writer.cbc(root, 'TaxCurrencyCode', NOK)
    reference = _buyer_reference(document.customer)
    if reference:
        writer.cbc(root, 'BuyerReference', reference)
    period = _period(document)
    if period:
        writer.period(root, period)
    if document.customer.order_reference:
        writer.cbc(writer.cac(root, 'OrderReference'), 'ID',
            document.customer.order_reference)
    if document.billing_reference:
        invoice = writer.cac(
            writer.cac(root, 'BillingReference'), 'InvoiceDocumentReference')
        writer.cbc(invoice, 'ID', document.billing_reference)
        if document.billing_reference_date:
            writer.cbc(invoice, 'IssueDate',
                document.billing_reference_date.isoformat())


def _payment(writer: _Writer, root: etree._Element,
        document: Document) -> None:
    account = kontonr.validate(document.supplier.bank_account)
    if len(account) != 11:  # stdnum also takes old 7-digit postgiro
        raise InvalidLength(
            f"Bank account {account!r} is not an 11-digit account.")
    means = writer.cac(root, 'PaymentMeans')
    writer.cbc(means, 'PaymentMeansCode', '30')  # credit transfer
    if document.due_date and document.type is DocumentType.CREDIT_NOTE:
        writer.cbc(means, 'PaymentDueDate', document.due_date.isoformat())
    if document.kid:
        writer.cbc(means, 'PaymentID', document.kid)
    writer.cbc(writer.cac(means, 'PayeeFinancialAccount'), 'ID', account)
    if document.payment_terms:
        writer.cbc(writer.cac(root, 'PaymentTerms'), 'Note',
            document.payment_terms)


def _charges(writer: _Writer, root: etree._Element,
        document: Document) -> None:
    for charge in document.charges:
        amount = charge.amount * document.sign
        element = writer.cac(root, 'AllowanceCharge')
        writer.cbc(element, 'ChargeIndicator',
            'false' if charge.allowance else 'true')
        writer.cbc(element, 'AllowanceChargeReason', charge.reason)
        writer.amount(element, 'Amount',
            -amount if charge.allowance else amount)
        writer.tax_category(element, 'TaxCategory', charge.vat_category,
            charge.vat_rate)


def _tax_totals(writer: _Writer, root: etree._Element, document: Document,
        breakdown: Sequence[VatBreakdown], vat: Decimal) -> None:
    total = writer.cac(root, 'TaxTotal')
    writer.amount(total, 'TaxAmount', vat)
    for part in breakdown:
        subtotal = writer.cac(total, 'TaxSubtotal')
        writer.amount(subtotal, 'TaxableAmount', part.taxable)
        writer.amount(subtotal, 'TaxAmount', part.amount)
        writer.tax_category(subtotal, 'TaxCategory', part.category,
            part.rate, part.exemption_reason)
    if document.currency != NOK:
        if document.nok_rate is None:
            raise MissingExchangeRate(
                f"Document {document.number!r} in {document.currency} "
                "has no exchange rate to NOK.")
        writer.amount(writer.cac(root, 'TaxTotal'), 'TaxAmount',
            vat * document.nok_rate, NOK)


def _monetary_total(writer: _Writer, root: etree._Element,
        result: Totals) -> None:
    element = writer.cac(root, 'LegalMonetaryTotal')
    writer.amount(element, 'LineExtensionAmount', result.line_extension)
    writer.amount(element, 'TaxExclusiveAmount', result.tax_exclusive)
    writer.amount(element, 'TaxInclusiveAmount', result.tax_inclusive)
    if result.allowances:
        writer.amount(element, 'AllowanceTotalAmount', result.allowances)
    if result.charges:
        writer.amount(element, 'ChargeTotalAmount', result.charges)
    if result.prepaid:
        writer.amount(element, 'PrepaidAmount', result.prepaid)
    if result.rounding:
        writer.amount(element, 'PayableRoundingAmount', result.rounding)
    writer.amount(element, 'PayableAmount', result.payable)


def _line(writer: _Writer, root: etree._Element, document: Document,
        number: int, line: Line) -> None:
    credit_note = document.type is DocumentType.CREDIT_NOTE
    quantity = line.quantity * document.sign
    if line.unit_price < 0:
        quantity = -quantity  # prices are never negative (BR-27)
    element = writer.cac(
        root, 'CreditNoteLine' if credit_note else 'InvoiceLine')
    writer.cbc(element, 'ID', str(number))
    writer.cbc(element, 'CreditedQuantity' if credit_note
        else 'InvoicedQuantity', _number(quantity), unitCode=line.unit_code)
    writer.amount(element, 'LineExtensionAmount',
        line.net_amount * document.sign)
    if line.accounting_cost:
        writer.cbc(element, 'AccountingCost', line.accounting_cost)
    if line.period:
        writer.period(element, line.period)
    item = writer.cac(element, 'Item')
    if line.description:
        writer.cbc(item, 'Description', line.description)
    writer.cbc(item, 'Name', line.name)
    writer.tax_category(item, 'ClassifiedTaxCategory', line.vat_category,
        line.vat_rate)
    price = writer.cac(element, 'Price')
    writer.amount(price, 'PriceAmount', abs(line.unit_price))


def build(document: Document) -> bytes:
    """Return *document* as EHF (Peppol BIS Billing 3.0) UBL 2.1 XML."""
    if not document.lines:
        raise NoLines(f"Document {document.number!r} has no line.")
    credit_note = document.type is DocumentType.CREDIT_NOTE
    name = 'CreditNote' if credit_note else 'Invoice'
    # lxml-stubs types nsmap keys as str; None is the default namespace
    nsmap = {None: _ROOT.format(name), 'cac': _CAC, 'cbc': _CBC}
    root = etree.Element(
        f'{{{_ROOT.format(name)}}}{name}',
        nsmap=nsmap)  # type: ignore[arg-type]
    writer = _Writer(document.currency)
    breakdown = vat_breakdown(document)
    result = totals(document, breakdown)

    _header(writer, root, document)
    _supplier(writer, root, document.supplier)
    _customer(writer, root, document.customer, any(
            part.category is VatCategory.OUTSIDE for part in breakdown))
    _payment(writer, root, document)
    _charges(writer, root, document)
    _tax_totals(writer, root, document, breakdown, result.vat)
    _monetary_total(writer, root, result)
    for number, line in enumerate(document.lines, 1):
        _line(writer, root, document, number, line)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8')
