"""Tests of the PDF letters, read back as text with pypdf."""
import dataclasses
import datetime as dt
import doctest
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.units import mm
from pypdf import PdfReader

from choo_multikanal import ehf, pdf
from choo_multikanal.ehf import (
    Address, Charge, Customer, Document, DocumentType, Line, Supplier,
    VatCategory)
from choo_multikanal.pdf import Letter, Reminder, ReminderLevel

ISSUED = dt.date(2026, 12, 4)
DUE = dt.date(2026, 12, 18)
YEAR = (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
SUPPLIER = Supplier(
    name="Norsk Øvingslag", organisation_number='923456783',
    address=Address("Prøvegata 1", "Ålesund", '6002'),
    bank_account='12345678903', vat_registered=True,
    foretaksregisteret=True)
CUSTOMER = Customer(
    name="Kåre Ærlig", address=Address(
        "Storgata 1", "OSLO", '0155', additional_street="H0203"),
    buyer_reference='REF-4711')
LETTER = Letter(
    member_number='10042', issuer_email='post@ovingslag.no',
    issuer_phone='22 33 44 55', issuer_website='ovingslag.no')
DUES = "Kontingent, mval. § 3-13"


def line(name: str, quantity: str, price: str,
        rate: str | None = '25', **extra: object) -> Line:
    """Return a line at *rate* percent, exempt when *rate* is None."""
    category = VatCategory.STANDARD if rate else VatCategory.EXEMPT
    values: dict[str, object] = dict(
        name=name, quantity=Decimal(quantity), unit_price=Decimal(price),
        net_amount=ehf.net_amount(Decimal(quantity), Decimal(price)),
        vat_category=category, vat_rate=Decimal(rate or 0),
        exemption_reason=None if rate else DUES)
    values.update(extra)
    return Line(**values)  # type: ignore[arg-type]


LINES = [
    line("Årsmagasin – papir", '2', '348.11', period=YEAR),
    line("Medlemskontingent", '1', '1500', None, period=YEAR)]


def invoice(lines: list[Line] = LINES, **extra: object) -> Document:
    """Return an invoice of SUPPLIER to CUSTOMER."""
    values: dict[str, object] = dict(
        type=DocumentType.INVOICE, number='2026-42', issue_date=ISSUED,
        due_date=DUE, supplier=SUPPLIER, customer=CUSTOMER, lines=lines,
        kid='0010042000425')
    values.update(extra)
    return Document(**values)  # type: ignore[arg-type]


def credit_note() -> Document:
    """Return the credit note of all of invoice(), in Tryton's signs."""
    lines = [dataclasses.replace(
            item, quantity=-item.quantity, net_amount=-item.net_amount)
        for item in LINES]
    return invoice(lines, type=DocumentType.CREDIT_NOTE, number='2026-43',
        kid=None, billing_reference='2026-42',
        billing_reference_date=ISSUED)


def reminder(level: ReminderLevel = ReminderLevel.REMINDER,
        days: int = 14) -> Reminder:
    """Return a reminder of invoice() with 1 000 kroner paid."""
    date = DUE + dt.timedelta(days=14)
    return Reminder(
        level=level, date=date, due_date=date + dt.timedelta(days=days),
        fee=Decimal('37.50'), interest=Decimal('4.12'),
        open_amount=Decimal('1370.28'))


def pages(document: Document, letter: Letter = LETTER) -> list[str]:
    """Return the text of each page of *document* drawn as *letter*."""
    reader = PdfReader(io.BytesIO(pdf.render(document, letter)))
    return [page.extract_text() for page in reader.pages]


def text(document: Document, letter: Letter = LETTER) -> str:
    """Return the text of all pages, one space for each white space."""
    return ' '.join(' '.join(pages(document, letter)).split())


def has(haystack: str, *needles: str) -> bool:
    """Return whether every needle is in *haystack*, spaces made one."""
    return all(' '.join(n.split()) in haystack for n in needles)


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(pdf)
    assert failures == 0
    assert attempted > 0


def test_invoice_in_bokmal() -> None:
    """Letterhead, receiver, fields, lines, VAT, totals and payment."""
    found = text(invoice())

    assert has(found, "Norsk Øvingslag", "Prøvegata 1", "6002 Ålesund",
        "Org.nr. 923 456 783 MVA", "Foretaksregisteret")
    assert has(found, "Kåre Ærlig", "Storgata 1", "H0203", "0155 OSLO")
    assert has(found, "Faktura", "Fakturanr. 2026-42",
        "Fakturadato 04.12.2026", "Forfallsdato 18.12.2026",
        "Medlemsnr. 10042", "Deres ref. REF-4711", "KID 0010042000425")
    assert has(found, "Årsmagasin – papir 01.01.2027–31.12.2027 2 "
        "348,11 25 % 696,22")
    assert has(found, "Medlemskontingent 01.01.2027–31.12.2027 1 "
        "1 500,00 Unntatt 1 500,00")
    assert has(found, "Unntatt 1 500,00 0,00", f"Fritak: {DUES}",
        "25 % 696,22 174,06", "Sum eks. mva 2 196,22", "MVA 174,06",
        "Sum inkl. mva 2 370,28", "Å betale NOK 2 370,28")
    assert has(found, "Kontonummer 1234.56.78903",
        "KID 0010042000425", "Beløp NOK 2 370,28",
        "Forfallsdato 18.12.2026", "Oppgi KID ved betaling.")
    assert has(found, "E-post: post@ovingslag.no", "Telefon: 22 33 44 55",
        "Side 1 av 1")


def test_invoice_in_english() -> None:
    """English texts, dates like 4 Dec 2026 and amounts like 1,500.00."""
    found = text(invoice(), dataclasses.replace(LETTER, language='en'))

    assert has(found, "Invoice", "Invoice no. 2026-42",
        "Invoice date 4 Dec 2026", "Due date 18 Dec 2026",
        "Member no. 10042", "Your reference REF-4711",
        "Org.nr. 923 456 783 MVA", "Foretaksregisteret")
    assert has(found, "1 Jan 2027–31 Dec 2027", "Exempt 1,500.00 0.00",
        "25% 696.22 174.06", "Total incl. VAT 2,370.28",
        "Amount to pay NOK 2,370.28", "Account number 1234.56.78903",
        "Due date 18 Dec 2026", "Page 1 of 1")
    assert "Faktura" not in found


@pytest.mark.parametrize('language', ['nb', 'en'])
def test_credit_note(language: str) -> None:
    """Positive amounts to the receiver's credit, no payment block."""
    found = text(credit_note(), dataclasses.replace(
            LETTER, language=language))
    expected = {
        'nb': ["Kreditnota", "Kreditnotanr. 2026-43",
            "Krediterer faktura 2026-42", "Til gode NOK 2 370,28",
            "Kreditnotaen krediterer faktura 2026-42 av 04.12.2026.",
            "25 % 696,22 174,06", "2 348,11 25 % 696,22"],
        'en': ["Credit note", "Credit note no. 2026-43",
            "Credits invoice 2026-42", "To your credit NOK 2,370.28",
            "This credit note credits invoice 2026-42 of 4 Dec 2026.",
            "25% 696.22 174.06", "2 348.11 25% 696.22"]}

    assert has(found, *expected[language])
    assert "1234.56.78903" not in found
    assert "KID" not in found
    assert "-2" not in found and "-6" not in found


@pytest.mark.parametrize('language, sentence', [
        ('nb', "Beløpet NOK 2 370,28 trekkes fra kontoen din med "
            "AvtaleGiro på forfallsdatoen 18.12.2026."),
        ('en', "The amount NOK 2,370.28 will be debited from your account "
            "by AvtaleGiro on the due date, 18 Dec 2026.")])
def test_avtalegiro_notice(language: str, sentence: str) -> None:
    """The debit line instead of a payment block."""
    found = text(invoice(), dataclasses.replace(
            LETTER, language=language, avtalegiro=True))

    assert has(found, sentence)
    assert "1234.56.78903" not in found
    assert "Betalingsinformasjon" not in found
    assert "Payment details" not in found


@pytest.mark.parametrize('language, expected', [
        ('nb', ["Purring", "Purredato 01.01.2027",
            "Betalingsfrist 15.01.2027", "Fakturanr. 2026-42",
            "Fakturadato 04.12.2026", "Opprinnelig forfall 18.12.2026",
            "Faktura 2026-42 av 04.12.2026, forfall 18.12.2026 2 370,28",
            "Innbetalt eller kreditert -1 000,00",
            "Utestående 1 370,28", "Purregebyr 37,50",
            "Forsinkelsesrente 4,12", "Å betale NOK 1 411,90",
            "Beløp NOK 1 411,90", "Forfallsdato 15.01.2027",
            "Kontonummer 1234.56.78903", "KID 0010042000425",
            "betale det utestående beløpet innen 15.01.2027"]),
        ('en', ["Reminder", "Reminder date 1 Jan 2027",
            "Pay by 15 Jan 2027", "Invoice no. 2026-42",
            "Invoice 2026-42 of 4 Dec 2026, due 18 Dec 2026 2,370.28",
            "Outstanding 1,370.28", "Reminder fee 37.50",
            "Late-payment interest 4.12", "Amount to pay NOK 1,411.90",
            "Account number 1234.56.78903", "Due date 15 Jan 2027"])])
def test_reminder(language: str, expected: list[str]) -> None:
    """The claim, fee, interest and new deadline, with payment block."""
    found = text(invoice(), dataclasses.replace(
            LETTER, language=language, reminder=reminder()))

    assert has(found, *expected)
    assert "inkasso" not in found.lower()
    assert "Sum eks. mva" not in found
    reader = PdfReader(io.BytesIO(pdf.render(invoice(), dataclasses.replace(
                    LETTER, language=language, reminder=reminder()))))
    assert reader.metadata is not None
    assert reader.metadata.title == f"{expected[0]} 2026-42"


@pytest.mark.parametrize('language, expected', [
        ('nb', ["Inkassovarsel", "Varseldato 01.01.2027",
            "Betalingsfrist 15.01.2027", "Gebyr for inkassovarsel 37,50",
            "Å betale NOK 1 411,90", "inkassoloven § 9",
            "Blir kravet ikke betalt innen 14 dager etter at dette "
            "varselet ble sendt, det vil si innen 15.01.2027, vil det "
            "bli sendt til inkasso.",
            "Du blir da ansvarlig for inkassokostnadene."]),
        ('en', ["Notice of debt collection", "Notice date 1 Jan 2027",
            "Notice fee 37.50", "Amount to pay NOK 1,411.90",
            "If the claim is not paid within 14 days of the date this "
            "notice was sent, that is by 15 Jan 2027, it will be passed "
            "to debt collection.",
            "You will then be liable for the costs of collection."])])
def test_notice_of_collection(language: str, expected: list[str]) -> None:
    """The wording inkassoloven § 9 asks for, with the deadline."""
    found = text(invoice(), dataclasses.replace(
            LETTER, language=language, reminder=reminder(
                ReminderLevel.NOTICE_OF_COLLECTION)))

    assert has(found, *expected)
    assert has(found, "1234.56.78903", "0010042000425")


def test_reminder_of_avtalegiro_debit_has_payment_block() -> None:
    """A debit that failed is paid by hand: the reminder says how."""
    found = text(invoice(), dataclasses.replace(
            LETTER, avtalegiro=True, reminder=reminder()))

    assert has(found, "Kontonummer 1234.56.78903", "Beløp NOK 1 411,90")
    assert "trekkes fra kontoen" not in found


def test_notice_of_collection_needs_14_days() -> None:
    """An inkassovarsel with 13 days to pay is refused."""
    with pytest.raises(pdf.ShortDeadline):
        reminder(ReminderLevel.NOTICE_OF_COLLECTION, days=13)
    with pytest.raises(pdf.ShortDeadline):
        reminder(days=-1)


def test_credit_note_cannot_be_reminded() -> None:
    letter = dataclasses.replace(LETTER, reminder=reminder())
    with pytest.raises(pdf.NotPayable):
        pdf.render(credit_note(), letter)


def test_unknown_language() -> None:
    with pytest.raises(pdf.UnknownLanguage):
        Letter(language='nn')


def test_sixty_lines_span_pages() -> None:
    """Every line printed, pages numbered, totals and payment at the end."""
    lines = [line(f"Lisens nr. {n}", '1', '100') for n in range(60)]
    found = pages(invoice(lines))
    count = len(found)

    assert count >= 2
    for number, page in enumerate(found, 1):
        assert f"Side {number} av {count}" in page
    for n in range(60):
        assert sum(f"Lisens nr. {n}\n" in page for page in found) == 1
    assert all("Å betale" not in page for page in found[:-1])
    assert all("1234.56.78903" not in page for page in found[:-1])
    assert has(' '.join(found[-1].split()), "Å betale NOK 7 500,00",
        "Kontonummer 1234.56.78903")
    assert "Faktura 2026-42 (forts.)" in found[1]


def test_charges_prepaid_rounding_and_currency() -> None:
    """Allowances, prepaid amounts, rounding and VAT in NOK are shown."""
    document = invoice(
        [line("Kurs", '3', '1000')], currency='EUR',
        nok_rate=Decimal('11.5'), prepaid=Decimal('500'),
        payable_rounding=Decimal('0.25'),
        charges=[Charge("Rabatt", Decimal('-100'), VatCategory.STANDARD,
                Decimal(25), allowance=True)])
    found = text(document)

    assert has(found, "Rabatt 25 % -100,00", "Sum linjer 3 000,00",
        "Rabatter -100,00", "Sum eks. mva 2 900,00", "MVA 725,00",
        "Betalt -500,00", "Øreavrunding 0,25",
        "Herav MVA i NOK 8 337,50", "Å betale EUR 3 125,25")


def test_paid_invoice_has_no_payment_block() -> None:
    """An invoice paid in full says so and asks for no payment."""
    paid = invoice([line("Kurs", '1', '750')], prepaid=Decimal('937.50'))
    found = text(paid)

    assert has(found, "Betalt -937,50", "Å betale NOK 0,00",
        "Fakturaen er betalt. Du trenger ikke å betale noe.")
    assert "Betalingsinformasjon" not in found
    assert "Oppgi KID" not in found


def test_foreign_address_and_no_kid() -> None:
    """A country line abroad; the invoice number as message."""
    customer = dataclasses.replace(CUSTOMER, address=Address(
            "Kungsgatan 2", "Stockholm", '111 43', country='SE'))
    found = text(invoice(customer=customer, kid=None))

    assert has(found, "111 43 Stockholm SE", "Melding Faktura 2026-42")
    assert "Oppgi KID" not in found


def test_sami_letters_fall_back_to_their_base() -> None:
    """Letters beyond the standard fonts print as base letters."""
    customer = dataclasses.replace(CUSTOMER, name="Áile Čuođđa Ŋŋ")
    found = text(invoice(customer=customer))

    assert has(found, "Áile Cuodda Nn")
    assert "■" not in found


@pytest.mark.parametrize('form, mode', [
        ('PNG', 'RGB'), ('PNG', 'RGBA'), ('PNG', 'P'), ('JPEG', 'L')])
def test_logo(form: str, mode: str) -> None:
    """The logo is drawn once, at the letterhead, its pixels kept."""
    picture = io.BytesIO()
    Image.new(mode, (300, 100), 'red').save(picture, form)
    letter = dataclasses.replace(LETTER, logo=picture.getvalue())
    first, second = (PdfReader(io.BytesIO(pdf.render(document, letter)))
        for document in (invoice(), credit_note()))

    for reader in (first, second):
        [image] = reader.pages[0].images
        assert image.image is not None
        assert image.image.size == (300, 100)
        red = image.image.convert('RGB').getpixel((150, 50))
        assert red == ((255, 0, 0) if mode != 'L' else (76, 76, 76))


def test_receiver_in_envelope_window() -> None:
    """The receiver's name sits in the window, 20 mm from the left."""
    reader = PdfReader(io.BytesIO(pdf.render(invoice(), LETTER)))
    found: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float],
            font: object, size: float) -> None:
        found.setdefault(text.strip(), (tm[4], tm[5]))

    reader.pages[0].extract_text(visitor_text=visit)
    x, y = found["Kåre Ærlig"]
    top = (pdf.HEIGHT - y) / mm
    assert round(x / mm) == 20
    assert 45 < top < 60


def test_same_letter_same_bytes() -> None:
    """Drawing is deterministic, so a retried delivery sends one PDF."""
    assert pdf.render(invoice(), LETTER) == pdf.render(invoice(), LETTER)


RATES = st.sampled_from(['25', '15', '12', None])
LINE_SETS = st.lists(
    st.tuples(
        st.integers(1, 40).map(str),
        st.decimals('0.01', '99999.99', places=2).map(str), RATES),
    min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(LINE_SETS, st.booleans(), st.sampled_from(['nb', 'en']))
def test_printed_amount_to_pay_is_the_ehf_payable(
        specs: list[tuple[str, str, str | None]], credit: bool,
        language: str) -> None:
    """The amount to pay printed is ehf.totals()'s, on every page set."""
    lines = [line(f"Linje {n}", *spec) for n, spec in enumerate(specs)]
    document = invoice(lines)
    if credit:
        lines = [dataclasses.replace(
                item, quantity=-item.quantity, net_amount=-item.net_amount)
            for item in lines]
        document = invoice(lines, type=DocumentType.CREDIT_NOTE,
            billing_reference='2026-41')
    totals = ehf.totals(document, ehf.vat_breakdown(document))
    label = pdf.TEXTS[language]['credit' if credit else 'payable']

    last = pages(document, dataclasses.replace(
            LETTER, language=language))[-1].splitlines()
    printed = last[last.index(label) + 1]
    assert printed.startswith('NOK ')
    amount = ''.join(printed.removeprefix('NOK ').split())
    if language == 'nb':
        amount = amount.replace(',', '.')
    assert Decimal(amount.replace(',', '')) == totals.payable
