"""Tests of the EHF builder against the samples and the official rules."""
import dataclasses
import datetime as dt
import doctest
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from stdnum import ean
from stdnum.exceptions import InvalidLength

from choo_multikanal import ehf
from choo_multikanal.ehf import (
    Address, Charge, Customer, Document, DocumentType, Line, PeppolId,
    Supplier, VatCategory)

from . import schematron

SAMPLES = Path(__file__).parents[2] / '..' / 'shared' / 'samples' / 'ehf'
NS = {
    'cbc': 'urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonBasicComponents-2',
    'cac': 'urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonAggregateComponents-2'}
TOTALS = (
    'LineExtensionAmount', 'TaxExclusiveAmount', 'TaxInclusiveAmount',
    'AllowanceTotalAmount', 'ChargeTotalAmount', 'PayableRoundingAmount',
    'PayableAmount')
DAY = dt.date(2024, 2, 1)
SUPPLIER = Supplier(
    name="Eksempel Leverandør AS", organisation_number='923456783',
    address=Address("Prøvegata 1", "Testby", '9999'),
    bank_account='9999.10.00050', vat_registered=True,
    foretaksregisteret=True)
CUSTOMER = Customer(
    name="Eksempel Kunde AS", address=Address("Kundeveien 8", "Kundeby",
        '9998'),
    organisation_number='987654325', vat_registered=True,
    buyer_reference='REF-4711')
S25 = dict(vat_category=VatCategory.STANDARD, vat_rate=Decimal(25))


def line(name: str, quantity: str, price: str, **extra: object) -> Line:
    """Return a line whose amount is computed as Tryton does."""
    values: dict[str, object] = dict(S25)
    values.update(extra)
    return Line(
        name=name, quantity=Decimal(quantity), unit_price=Decimal(price),
        net_amount=ehf.net_amount(Decimal(quantity), Decimal(price)),
        **values)  # type: ignore[arg-type]


def document(lines: list[Line], **extra: object) -> Document:
    """Return an invoice of SUPPLIER to CUSTOMER with *lines*."""
    values: dict[str, object] = dict(
        type=DocumentType.INVOICE, number='CHOO-1', issue_date=DAY,
        due_date=DAY + dt.timedelta(days=14), supplier=SUPPLIER,
        customer=CUSTOMER, lines=lines, payment_terms="14 dager netto")
    values.update(extra)
    return Document(**values)  # type: ignore[arg-type]


def amounts(xml: bytes) -> dict[str, str]:
    """Return the monetary totals, VAT and KID written in *xml*."""
    root = etree.fromstring(xml)
    found = {}
    for name in TOTALS:
        text = root.findtext(f'cac:LegalMonetaryTotal/cbc:{name}',
            namespaces=NS)
        if text is not None and Decimal(text):
            found[name] = str(Decimal(text).quantize(ehf.CENT))
    found['TaxAmount'] = str(Decimal(root.findtext(
                'cac:TaxTotal/cbc:TaxAmount', namespaces=NS) or 'NaN'))
    found['PaymentID'] = root.findtext(
        'cac:PaymentMeans/cbc:PaymentID', '', NS)
    return found


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def assert_valid(xml: bytes) -> None:
    fatal = schematron.fatal(schematron.validate(xml))
    assert fatal == [], fatal


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(ehf)
    assert failures == 0
    assert attempted > 0


# The harness, proved on the published examples.

@pytest.mark.parametrize('name', sorted(
        p.name for p in SAMPLES.glob('peppol_*.xml')))
def test_harness_passes_published_examples(name: str) -> None:
    """OpenPeppol's examples have no fatal finding."""
    assert_valid(sample(name))


def test_harness_finds_line_period_outside_invoice_period() -> None:
    """A line ending after the invoice period fails R111, alone."""
    findings = schematron.fatal(schematron.validate(
            sample('line_periods_bad.xml')))
    assert [f.id for f in findings] == ['PEPPOL-EN16931-R111']
    assert findings[0].text


def test_harness_passes_line_periods_ok() -> None:
    assert_valid(sample('line_periods_ok.xml'))


def test_harness_finds_norwegian_rules() -> None:
    """A bad MVA id and a missing reference are fatal findings."""
    xml = sample('category_vat_rounding.xml').replace(
        b'NO923456783MVA', b'NO923456784MVA').replace(
        b'<cbc:BuyerReference>REF-4711</cbc:BuyerReference>', b'')
    ids = {f.id for f in schematron.fatal(schematron.validate(xml))}
    assert {'NO-R-001', 'PEPPOL-EN16931-R003'} <= ids


def test_harness_finds_wrong_sums() -> None:
    """A payable or VAT that does not add up is a fatal finding."""
    xml = sample('category_vat_rounding.xml')
    payable = xml.replace(
        b'<cbc:PayableAmount currencyID="NOK">2610.83',
        b'<cbc:PayableAmount currencyID="NOK">2610.84')
    vat = xml.replace(b'>522.17<', b'>522.18<')
    assert 'BR-CO-16' in {
        f.id for f in schematron.fatal(schematron.validate(payable))}
    assert 'BR-CO-15' in {
        f.id for f in schematron.fatal(schematron.validate(vat))}


# Documents built by ehf.py for the cases of the samples.

def test_category_vat_rounding() -> None:
    """VAT is rounded once per category, never per line."""
    built = ehf.build(document([
                line("Vare A", '2', '348.11'),
                line("Vare B", '2', '348.11'),
                line("Vare C", '2', '348.11')],
            kid='0000125'))
    assert amounts(built) == amounts(sample('category_vat_rounding.xml'))
    assert amounts(built)['TaxAmount'] == '522.17'
    assert amounts(built)['PayableAmount'] == '2610.83'
    assert etree.fromstring(built).find(
        'cac:InvoiceLine//cac:TaxTotal', NS) is None
    assert_valid(built)


def test_payable_rounding() -> None:
    """The øre rounding is in PayableRoundingAmount, with the KID."""
    zero = dict(vat_category=VatCategory.ZERO, vat_rate=Decimal(0))
    lines = [line("Avis", '1', '214.64', **zero)]
    charges = [Charge("Frakt", Decimal('20.00'), **zero)]  # type: ignore
    unrounded = ehf.totals(document(lines, charges=charges),
        ehf.vat_breakdown(document(lines, charges=charges))).payable
    built = ehf.build(document(
            lines, charges=charges, kid='0042002',
            payable_rounding=ehf.rounding_to(unrounded, Decimal('0.05'))))
    assert amounts(built) == amounts(sample('payable_rounding.xml'))
    written = amounts(built)
    assert (written['TaxExclusiveAmount'], written['PayableRoundingAmount'],
        written['PayableAmount']) == ('234.64', '0.01', '234.65')
    assert written['PaymentID'] == '0042002'
    assert_valid(built)


# Tryton's lines of a credit note: negative quantities, positive prices.
CORRECTION = [
    line("Leie dag", '-7', '400', unit_code='DAY'),
    line("Leie dag (tilbakeført)", '3', '500', unit_code='DAY')]
INSURANCE = [Charge("Forsikring", Decimal('-25'), **S25)]  # type: ignore


def test_credit_note_signs() -> None:
    """A credit note writes Tryton's negative amounts positive."""
    built = ehf.build(document(
            CORRECTION, type=DocumentType.CREDIT_NOTE, number='C15-CN1',
            charges=INSURANCE, billing_reference='C15-INV1'))
    root = etree.fromstring(built)
    assert etree.QName(root).localname == 'CreditNote'
    assert amounts(built) == amounts(sample('creditnote_mixed_sign.xml'))
    assert amounts(built)['PayableAmount'] == '1656.25'
    assert [q.text for q in root.iterfind(
            'cac:CreditNoteLine/cbc:CreditedQuantity', NS)] == ['7', '-3']
    assert [p.text for p in root.iterfind(
            'cac:CreditNoteLine/cac:Price/cbc:PriceAmount', NS)] == [
        '400.00', '500.00']
    assert root.find('cbc:DueDate', NS) is None
    assert root.findtext(
        'cac:PaymentMeans/cbc:PaymentDueDate', namespaces=NS) == '2024-02-15'
    assert root.findtext('cac:BillingReference/cac:InvoiceDocumentReference'
        '/cbc:ID', namespaces=NS) == 'C15-INV1'
    assert_valid(built)


def test_negative_invoice() -> None:
    """The same lines as an invoice keep their signs; prices positive."""
    built = ehf.build(document(CORRECTION, charges=INSURANCE))
    root = etree.fromstring(built)
    assert amounts(built) == amounts(
        sample('negative_invoice_equivalent.xml'))
    assert amounts(built)['PayableAmount'] == '-1656.25'
    assert amounts(built)['PaymentID'] == ''
    assert all(Decimal(p.text or '') > 0 for p in root.iterfind(
            'cac:InvoiceLine/cac:Price/cbc:PriceAmount', NS))
    assert_valid(built)


MONTHS = [
    (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    (dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
    (dt.date(2024, 4, 1), dt.date(2024, 4, 30))]


def test_line_periods_inclusive() -> None:
    """Line periods end on their last day; the invoice spans them."""
    built = ehf.build(document([
                line(f"Abonnement {start:%B}", '1', '299.00',
                    period=(start, end), accounting_cost='K-100')
                for start, end in MONTHS], kid='0000125'))
    root = etree.fromstring(built)
    expected = etree.fromstring(sample('line_periods_ok.xml'))
    for path in ['cac:InvoicePeriod/cbc:StartDate',
            'cac:InvoicePeriod/cbc:EndDate']:
        assert root.findtext(path, namespaces=NS) == expected.findtext(
            path, namespaces=NS)
    assert ([e.text for e in root.iterfind(
                'cac:InvoiceLine/cac:InvoicePeriod/cbc:EndDate', NS)]
        == [e.text for e in expected.iterfind(
                'cac:InvoiceLine/cac:InvoicePeriod/cbc:EndDate', NS)])
    assert {e.text for e in root.iterfind(
            'cac:InvoiceLine/cbc:AccountingCost', NS)} == {'K-100'}
    assert amounts(built) == amounts(sample('line_periods_ok.xml'))
    assert_valid(built)


def test_line_period_beyond_invoice_period_fails_rules() -> None:
    """The rules see a line period ending after the invoice period."""
    bad = (MONTHS[0][0], dt.date(2024, 5, 1))
    built = ehf.build(document(
            [line("Abonnement", '1', '897.00', period=bad)],
            period=(MONTHS[0][0], MONTHS[-1][1])))
    ids = [f.id for f in schematron.fatal(schematron.validate(built))]
    assert ids == ['PEPPOL-EN16931-R111']


def test_norwegian_parties() -> None:
    """Orgnr as 0192 endpoint, NO…MVA, Foretaksregisteret, 11 digits."""
    root = etree.fromstring(ehf.build(document(
                [line("Kontingent", '1', '500')])))
    supplier = root.find('cac:AccountingSupplierParty/cac:Party', NS)
    assert supplier is not None
    endpoint = supplier.find('cbc:EndpointID', NS)
    assert endpoint is not None
    assert (endpoint.get('schemeID'), endpoint.text) == (
        '0192', '923456783')
    assert [(t.findtext('cbc:CompanyID', namespaces=NS),
            t.findtext('cac:TaxScheme/cbc:ID', namespaces=NS))
        for t in supplier.iterfind('cac:PartyTaxScheme', NS)] == [
        ('NO923456783MVA', 'VAT'), ('Foretaksregisteret', 'TAX')]
    assert root.findtext('cac:PaymentMeans/cac:PayeeFinancialAccount'
        '/cbc:ID', namespaces=NS) == '99991000050'


def test_foreign_currency_vat_also_in_nok() -> None:
    """A EUR invoice gives its VAT in NOK in a second TaxTotal."""
    rate = Decimal('11.4875')
    built = ehf.build(document(
            [line("Konferanse", '3', '120.50')], currency='EUR',
            nok_rate=rate))
    root = etree.fromstring(built)
    vat = [(t.findtext('cbc:TaxAmount', namespaces=NS),
            t.find('cbc:TaxAmount', NS).get('currencyID'))  # type: ignore
        for t in root.iterfind('cac:TaxTotal', NS)]
    eur = Decimal(vat[0][0])
    assert vat == [
        (str(eur), 'EUR'),
        (str((eur * rate).quantize(ehf.CENT)), 'NOK')]
    assert root.findtext('cbc:TaxCurrencyCode', namespaces=NS) == 'NOK'
    assert_valid(built)


def test_person_customer_without_orgnr() -> None:
    """A person has a Peppol id of its own and no legal registration."""
    gln = '708000000000' + ean.calc_check_digit('708000000000')
    person = Customer(
        name="Kari Nordmann", address=Address("Storgata 2", "Oslo", '0155'),
        peppol_id=PeppolId('0088', gln), code='M-42')
    built = ehf.build(document([line("Kontingent", '1', '500')],
            customer=person))
    root = etree.fromstring(built)
    party = root.find('cac:AccountingCustomerParty/cac:Party', NS)
    assert party is not None
    assert party.find('cac:PartyLegalEntity/cbc:CompanyID', NS) is None
    assert party.find('cac:PartyTaxScheme', NS) is None
    assert root.findtext('cbc:BuyerReference', namespaces=NS) == 'M-42'
    assert_valid(built)


def test_issuer_outside_vat_act() -> None:
    """An issuer not registered for VAT writes category O, no VAT id."""
    association = dataclasses.replace(
        SUPPLIER, vat_registered=False, foretaksregisteret=False)
    built = ehf.build(document(
            [line("Kontingent 2024", '1', '650',
                    vat_category=VatCategory.OUTSIDE, vat_rate=Decimal(0),
                    exemption_reason="Ikke mva-registrert")],
            supplier=association))
    root = etree.fromstring(built)
    assert root.find('cac:AccountingSupplierParty//cac:PartyTaxScheme',
        NS) is None
    assert_valid(built)


def test_exempt_dues_with_reason() -> None:
    """Exempt dues (mval § 3-13) carry their exemption reason."""
    built = ehf.build(document([
                line("Kontingent", '1', '650',
                    vat_category=VatCategory.EXEMPT, vat_rate=Decimal(0),
                    exemption_reason="Unntatt etter mval. § 3-13"),
                line("Kurs", '2', '199.90')]))
    assert_valid(built)


def test_prepaid_amount_only_what_was_paid() -> None:
    """An unpaid invoice has no prepaid amount; a paid part is deducted."""
    lines = [line("Kontingent", '1', '800')]
    unpaid = etree.fromstring(ehf.build(document(lines)))
    assert unpaid.find('cac:LegalMonetaryTotal/cbc:PrepaidAmount',
        NS) is None
    built = ehf.build(document(lines, prepaid=Decimal('150.00')))
    assert amounts(built)['PayableAmount'] == '850.00'
    assert_valid(built)


def test_posted_vat_rounded_half_to_even() -> None:
    """The VAT as booked (half to even) is written and passes the rules."""
    lines = [line("Kurs", '1', '100.10')]
    computed = amounts(ehf.build(document(lines)))
    assert computed['TaxAmount'] == '25.03'
    built = ehf.build(document(lines, posted_vat={
                (VatCategory.STANDARD, Decimal('25.00')): Decimal('25.02')}))
    assert (amounts(built)['TaxAmount'],
        amounts(built)['PayableAmount']) == ('25.02', '125.12')
    assert_valid(built)
    posted = {(VatCategory.STANDARD, Decimal(25)): Decimal('-25.02')}
    credit = ehf.build(document(
            [line("Kurs", '-1', '100.10')], type=DocumentType.CREDIT_NOTE,
            posted_vat=posted))
    assert amounts(credit)['PayableAmount'] == '125.12'
    assert_valid(credit)


def test_credit_note_of_exempt_line_has_no_negative_zero() -> None:
    """A credit note's booked VAT of nothing is written 0.00, not -0.00."""
    exempt = dict(vat_category=VatCategory.EXEMPT, vat_rate=Decimal(0),
        exemption_reason="Kontingent, mval. § 3-13")
    credit = document(
        [line("Kontingent", '-1', '750', **exempt)],
        type=DocumentType.CREDIT_NOTE,
        posted_vat={(VatCategory.EXEMPT, Decimal(0)): Decimal('0.00')})
    [part] = ehf.vat_breakdown(credit)
    assert str(part.amount) == '0.00'
    built = ehf.build(credit)
    assert b'-0.00' not in built
    assert_valid(built)


@pytest.mark.parametrize('change, error', [
        (dict(lines=[]), ehf.NoLines),
        (dict(customer=dataclasses.replace(CUSTOMER, buyer_reference=None)),
            ehf.MissingReference),
        (dict(customer=dataclasses.replace(
                    CUSTOMER, organisation_number=None)),
            ehf.MissingEndpoint),
        (dict(currency='EUR'), ehf.MissingExchangeRate),
        (dict(supplier=dataclasses.replace(
                    SUPPLIER, bank_account='0000000018')),
            InvalidLength),
        (dict(lines=[line("Kontingent", '1', '1',
                        vat_category=VatCategory.EXEMPT)]),
            ehf.MissingExemptionReason)])
def test_refused(change: dict[str, object], error: type[Exception]) -> None:
    """A document that cannot be valid EHF raises, naming what lacks."""
    values: dict[str, object] = dict(lines=[line("Kontingent", '1', '1')])
    values.update(change)
    with pytest.raises(error):
        ehf.build(document(**values))  # type: ignore[arg-type]


# Property: random line sets always pass the rules' arithmetic.

RATES = [
    (VatCategory.STANDARD, Decimal(25)), (VatCategory.STANDARD, Decimal(15)),
    (VatCategory.STANDARD, Decimal(12)), (VatCategory.ZERO, Decimal(0)),
    (VatCategory.EXEMPT, Decimal(0))]
money = st.decimals(min_value=Decimal('-500'), max_value=Decimal('20000'),
    places=2).filter(bool)


@st.composite
def random_lines(draw: st.DrawFn) -> Line:
    category, rate = draw(st.sampled_from(RATES))
    quantity = draw(st.decimals(min_value=Decimal('-20'),
            max_value=Decimal('50'), places=draw(st.integers(0, 2)))
        .filter(bool))
    price = draw(money)
    reason = "mval. § 3-13" if category is VatCategory.EXEMPT else None
    return Line(
        name="Vare", quantity=quantity, unit_price=price,
        net_amount=ehf.net_amount(quantity, price), vat_category=category,
        vat_rate=rate, exemption_reason=reason)


@st.composite
def random_charges(draw: st.DrawFn) -> Charge:
    category, rate = draw(st.sampled_from(RATES))
    reason = "mval. § 3-13" if category is VatCategory.EXEMPT else None
    return Charge(
        reason="Gebyr", amount=draw(money), vat_category=category,
        vat_rate=rate, allowance=draw(st.booleans()),
        exemption_reason=reason)


@settings(max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(random_lines(), min_size=1, max_size=8),
    charges=st.lists(random_charges(), max_size=2),
    type=st.sampled_from(DocumentType),
    prepaid=st.sampled_from([Decimal(0), Decimal('100.00')]),
    rounding=st.sampled_from([Decimal(0), Decimal('0.01'),
            Decimal('-0.02')]))
def test_random_documents_pass_the_rules(
        lines: list[Line], charges: list[Charge], type: DocumentType,
        prepaid: Decimal, rounding: Decimal) -> None:
    """Sums, VAT per category and payable always agree with the rules."""
    built = ehf.build(document(
            lines, charges=charges, type=type, prepaid=prepaid,
            payable_rounding=rounding, kid='0000125'))
    assert_valid(built)
    written = amounts(built)
    sign = -1 if type is DocumentType.CREDIT_NOTE else 1
    vat = sum(
        (ehf.vat_amount(sum((item.net_amount for item in lines
                        if (item.vat_category, item.vat_rate) == key),
                    Decimal(0)) + sum((charge.amount for charge in charges
                        if (charge.vat_category, charge.vat_rate) == key),
                    Decimal(0)), key[1])
            for key in {(i.vat_category, i.vat_rate)
                for i in [*lines, *charges]}),
        Decimal(0))
    assert Decimal(written['TaxAmount']) == sign * vat
