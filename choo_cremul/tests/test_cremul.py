"""Test the pure CREMUL layer on the shared real-world samples."""
import datetime as dt
import doctest
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choo_cremul import bankfile, cremul
from choo_cremul.cremul import (
    AmountType, BankFileError, Check, Document, Interchange, Message,
    NotCremulError, Payment, Posting, RecordError, StructureError,
    TotalsError)
from choo_cremul.tests.tools import SAMPLES, raises
from choo_cremul.tests.tools import sample as read_sample
from choo_cremul.tests.tools import replace_once as _edit

CREMUL_SAMPLES = SAMPLES / 'cremul'
KID_BATCH = 'cremul_kid_batch.edi'
FREE_TEXT = 'cremul_wrapped80_freetext.edi'
TWO_WRAPPED = 'synthetic_two_messages_80col.edi'
TWO_ONELINE = 'synthetic_two_messages_oneline.edi'
ALL = [KID_BATCH, FREE_TEXT, TWO_WRAPPED, TWO_ONELINE]


def _sample(name: str, folder: Path = CREMUL_SAMPLES) -> bytes:
    """Return a sample file's bytes, skipping the test if it is absent."""
    return read_sample(folder / name)


def _text(name: str = TWO_ONELINE) -> str:
    """Return a sample as one line of text, as the reader joins it."""
    raw = _sample(name).decode('iso-8859-1')
    return raw.replace('\r', '').replace('\n', '').rstrip()


def _raises(
        kind: type[BankFileError], text: str | bytes, code: str,
        pattern: str | None = None) -> BankFileError:
    """Parse, expecting an error of the kind and code; return it."""
    return raises(cremul, kind, text, code, pattern)


@pytest.fixture
def kid_batch() -> Interchange:
    """Return the parsed batch of KID payments."""
    return cremul.parse(_sample(KID_BATCH))


@pytest.fixture
def free_text() -> Interchange:
    """Return the parsed wrapped sample with a free-text payment."""
    return cremul.parse(_sample(FREE_TEXT))


@pytest.fixture
def two_messages() -> Interchange:
    """Return the parsed synthetic interchange of two messages."""
    return cremul.parse(_sample(TWO_WRAPPED))


def test_module_examples_run() -> None:
    """Check the examples in the module docstrings."""
    assert doctest.testmod(cremul).failed == 0
    assert doctest.testmod(bankfile).failed == 0


def test_kid_batch_payments(kid_batch: Interchange) -> None:
    """Read every structured payment of the KID batch as the table says."""
    rows = [
        (posting.number, p.number, p.execution_date, p.payer_account, p.kid,
            p.amount)
        for posting in kid_batch.postings for p in posting.payments]
    assert rows == [
        ('1', '1', dt.date(2013, 4, 10), '99991000069', '20241000015',
            Decimal('250.00')),
        ('1', '2', dt.date(2013, 4, 10), '99992000011', '20241000023',
            Decimal('250.00')),
        ('1', '3', dt.date(2013, 4, 10), '99991000034', '20241000031',
            Decimal('845.61')),
        ('2', '1', dt.date(2013, 4, 11), '99991000042', '20241000049',
            Decimal('250.00')),
    ]


def test_kid_batch_postings(kid_batch: Interchange) -> None:
    """Read the LIN totals, booking dates and the account credited."""
    assert [(p.amount, p.booking_date, p.account, p.currency)
        for p in kid_batch.postings] == [
        (Decimal('1345.61'), dt.date(2013, 4, 11), '99991000050', 'NOK'),
        (Decimal('250.00'), dt.date(2013, 4, 11), '99991000050', 'NOK')]
    first = kid_batch.postings[0]
    assert first.amount_type is AmountType.TO_BE_POSTED
    assert first.bank_reference == '08011116222'
    assert (first.environment, first.business) == ('DO', '230')
    assert kid_batch.warnings == ()


def test_kid_batch_parties(kid_batch: Interchange) -> None:
    """Read payer names in both NAD forms, and one with no RFF+AEK."""
    payments = kid_batch.payments
    assert [p.payer_name for p in payments] == [
        "KARI TESTESEN", "T S Bygg", "Eksempel AS", "Ola Testmann"]
    assert payments[0].payer_address == ("PRØVEGATA 30", "9999 TESTBY N")
    assert payments[3].payer_address == ("Prøvevegen 142", "9999 Testby")
    assert _refs(payments[0], 'AEK') == []
    assert _refs(payments[1], 'AEK') == ['31000164149']
    assert payments[0].archive_reference == '*85290467'
    assert payments[0].beneficiary_name == "THE BENEFICIARY COMPANY"


def _refs(payment: Payment, qualifier: str) -> list[str]:
    """Return a payment's references of one qualifier."""
    return [v for q, v in payment.references if q == qualifier]


def test_execution_date_before_booking(kid_batch: Interchange) -> None:
    """Keep the payer's execution date apart from the booking date."""
    posting = kid_batch.postings[0]
    payment = posting.payments[0]
    assert posting.booking_date is not None
    assert payment.execution_date is not None
    assert payment.execution_date < posting.booking_date


def test_kid_batch_interchange(kid_batch: Interchange) -> None:
    """Expose the references that refuse a file imported twice."""
    assert kid_batch.reference == '01001066'
    assert kid_batch.sender == '00810506482'
    assert kid_batch.recipient == '00923456783'
    assert kid_batch.prepared == dt.datetime(2013, 4, 11, 15, 47)
    assert kid_batch.charset == 'UNOC'
    message, = kid_batch.messages
    assert (message.reference, message.number, message.kind) == (
        '1', '2013041115380742', '435')
    assert message.date == dt.date(2013, 4, 11)
    assert message.recipient == '00923456783'
    assert message.version == ('D', '96A', 'UN')
    raw = _sample(KID_BATCH)
    assert kid_batch.sha256 == hashlib.sha256(raw).hexdigest()


def test_free_text_sample(free_text: Interchange) -> None:
    """Read the wrapped free-text payment with its letters intact."""
    message, = free_text.messages
    assert message.kind == '435'
    posting, = message.postings
    assert posting.amount == Decimal('1394.00')
    assert posting.account == '99991000050'
    assert posting.booking_date == dt.date(2014, 3, 12)
    payment, = posting.payments
    assert payment.amount == Decimal('1394.00')
    assert payment.payer_account == '99991000069'
    assert payment.payer_name == "Snekkerfirma Åse & Ære AS"
    assert payment.text == "Snekkerfirma Åse & Ære AS"
    assert payment.kid is None
    assert payment.documents == ()


def test_space_at_the_end_of_a_line(free_text: Interchange) -> None:
    """Keep the space a wrapped line ends in: 'EKSEMPEL |FORENING'."""
    assert b'EKSEMPEL \nFORENING' in _sample(FREE_TEXT)
    assert free_text.payments[0].beneficiary_name == "EKSEMPEL FORENING"


def test_original_amount_charge_and_invoice() -> None:
    """Read MOA 98 with its currency, MOA 23 and DOC+380 with MOA 12."""
    extra = (
        "MOA+98:64,10:EUR'FCA+14'MOA+23:2,50'PRC+8'"
        "DOC+380+OM1632599 / K46576'MOA+12:650'")
    text = _edit(_text(), "NAD+PL+++KARI NORDMANN+STORGATA 1+OSLO++0155'"
        "PRC+8'", extra + "NAD+PL+++KARI NORDMANN+STORGATA 1+OSLO++0155'")
    text = _edit(text, 'UNT+35+1', 'UNT+40+1')
    payment = cremul.parse(text).payments[0]
    assert payment.original_amount == Decimal('64.10')
    assert payment.original_currency == 'EUR'
    assert payment.charge == Decimal('2.50')
    assert payment.invoice_number == 'OM1632599 / K46576'
    assert payment.kid == '000123400005674'
    assert payment.documents[0] == Document(
        '380', 'OM1632599 / K46576', Decimal('650.00'))


def test_two_messages(two_messages: Interchange) -> None:
    """Read both messages, their KIDs and the escaped payer names."""
    assert [m.reference for m in two_messages.messages] == ['1', '2']
    assert [m.number for m in two_messages.messages] == [
        '2026031012000001', '2026031012000002']
    assert [m.kind for m in two_messages.messages] == ['435', '455']
    payments = two_messages.payments
    assert [p.kid for p in payments] == [
        '000123400005674', '000123500005682', None]
    assert [p.payer_name for p in payments] == [
        "KARI NORDMANN", "OLA O'BRIEN + SØNN", "PER HANSEN"]
    assert [p.amount for p in payments] == [
        Decimal('650.00'), Decimal('500.00'), Decimal('300.00')]
    assert payments[2].text == "KONTINGENT 2026 MEDLEM 4711"
    assert payments[2].amount_type is AmountType.RECEIVED
    assert payments[2].processing_date == dt.date(2026, 3, 10)
    assert payments[2].execution_date is None
    assert two_messages.postings[1].amount_type is AmountType.POSTED


def test_wrapped_and_one_line_agree(two_messages: Interchange) -> None:
    """Give the same result for the CRLF-wrapped and the one-line file."""
    oneline = cremul.parse(_sample(TWO_ONELINE))
    assert oneline == two_messages
    assert [p.key for p in oneline.payments] == [
        p.key for p in two_messages.payments]
    assert oneline.sha256 != two_messages.sha256


@pytest.mark.parametrize('width', [1, 3, 7, 79, 80, 81])
@pytest.mark.parametrize('newline', ['\n', '\r\n'])
def test_any_wrapping(width: int, newline: str) -> None:
    """Read a file wrapped at any column, with either line end."""
    text = _text(KID_BATCH)
    wrapped = newline.join(
        text[i:i + width] for i in range(0, len(text), width))
    assert cremul.parse(wrapped) == cremul.parse(text)


def test_trailing_padding_is_ignored(kid_batch: Interchange) -> None:
    """Ignore blanks, NULs and an end-of-file mark after UNZ."""
    padded = _text(KID_BATCH) + ' ' * 40 + '\r\n\x1a'
    assert cremul.parse(padded) == kid_batch


def test_payment_keys(two_messages: Interchange) -> None:
    """Key a payment by the bank's reference, else by its place."""
    assert [p.key for p in two_messages.payments] == [
        '12345678903:2026-03-10:ACD:*00000001',
        '12345678903:2026-03-10:ACD:*00000002',
        '12345678903:2026-03-10:ACK:E00001']
    text = _edit(_text(), "RFF+ACK:E00001'", '')
    text = _edit(text, 'UNT+20+2', 'UNT+19+2')
    assert cremul.parse(text).payments[2].key == (
        'SEQ:00000000000:2026031012000002:1:1')


def test_shared_archive_reference_falls_back_to_place() -> None:
    """Key payments that share an archive reference by their place."""
    text = _edit(_text(), 'ACD:*00000002', 'ACD:*00000001')
    parsed = cremul.parse(text)
    assert [p.key for p in parsed.payments[:2]] == [
        'SEQ:00000000000:2026031012000001:1:1',
        'SEQ:00000000000:2026031012000001:1:2']
    warning, = parsed.warnings
    assert warning.code == 'duplicate_key'
    assert warning.params == dict(
        first=14, second=25, reference='ACD:*00000001')


def test_repeated_payment_number() -> None:
    """Refuse two payments at the same place."""
    text = _edit(_text(), 'ACD:*00000002', 'ACD:*00000001')
    text = _edit(text, "SEQ++2'", "SEQ++1'")
    error = _raises(StructureError, text, 'duplicate_payment')
    assert error.params['key'] == 'SEQ:00000000000:2026031012000001:1:1'


def test_decimal_point_in_una(two_messages: Interchange) -> None:
    """Read amounts with the decimal point that UNA declares, or a comma."""
    kid = _edit(_text(KID_BATCH), "UNA:+,? '", "UNA:+.? '")
    kid = kid.replace('845,61', '845.61').replace('1345,61', '1345.61')
    assert cremul.parse(kid) == cremul.parse(_sample(KID_BATCH))
    comma = _edit(_text(KID_BATCH), "UNA:+,? '", "UNA:+.? '")
    assert cremul.parse(comma).payments[2].amount == Decimal('845.61')


def test_without_una(two_messages: Interchange) -> None:
    """Read a file without UNA with the default separators."""
    parsed = cremul.parse(_text().removeprefix("UNA:+,? '"))
    assert parsed == two_messages
    assert parsed.payments[0].segment == 13


def test_other_separators(two_messages: Interchange) -> None:
    """Honour the separators and release character UNA declares."""
    text = _text().removeprefix("UNA:+,? '")
    swapped = text.translate(str.maketrans("'?", '!#'))
    parsed = cremul.parse("UNA:+,# !" + swapped)
    assert [(p.kid, p.amount) for p in parsed.payments] == [
        (p.kid, p.amount) for p in two_messages.payments]
    assert parsed.payments[1].payer_name == "OLA O!BRIEN + SØNN"


def test_line_count_variant() -> None:
    """Accept CNT+LIN as well as CNT+LI."""
    text = _text(KID_BATCH).replace("CNT+LI:2'", "CNT+LIN:2'")
    assert len(cremul.parse(text).postings) == 2


def test_utf8_stored_file(free_text: Interchange) -> None:
    """Read a UNOC file stored as UTF-8, and say so."""
    raw = _sample(FREE_TEXT).decode('iso-8859-1').encode('utf-8')
    parsed = cremul.parse(raw)
    assert parsed == free_text
    assert parsed.encoding == 'utf-8'
    warning, = parsed.warnings
    assert warning.code == 'utf8_fallback'
    assert warning.params == {'charset': 'UNOC'}
    assert cremul.parse(b'\xef\xbb\xbf' + raw) == free_text


def test_declared_utf8(free_text: Interchange) -> None:
    """Read a file that declares UNOW as UTF-8 without a warning."""
    text = _edit(_text(FREE_TEXT), 'UNOC', 'UNOW')
    parsed = cremul.parse(text.encode('utf-8'))
    assert parsed.payments == free_text.payments
    assert parsed.warnings == ()


def test_bytes_and_text_agree(free_text: Interchange) -> None:
    """Give the same digest for bytes and for the text they decode to."""
    raw = _sample(FREE_TEXT)
    assert cremul.parse(raw.decode('iso-8859-1')).sha256 == free_text.sha256


def test_errors_are_bank_file_errors() -> None:
    """Let callers catch every CREMUL error as BankFileError."""
    assert issubclass(NotCremulError, bankfile.WrongFormatError)
    for error in (NotCremulError, RecordError, StructureError, TotalsError):
        assert issubclass(error, BankFileError)
    assert issubclass(BankFileError, ValueError)


@pytest.mark.parametrize('cut', [100, 500, 900])
def test_truncated_inside_a_segment(cut: int) -> None:
    """Refuse a file cut inside a segment."""
    text = _text(KID_BATCH)[:cut]
    if text.endswith("'"):
        text = text[:-1]
    error = _raises(
        StructureError, text, 'truncated_segment', r'^The file ends inside')
    assert error.params['terminator'] == "'"


def test_truncated_after_a_segment() -> None:
    """Refuse a file cut after a whole segment, naming what is missing."""
    text = _text(KID_BATCH)
    text = text[:text.index("CNT+LI")]
    error = _raises(StructureError, text, 'truncated', r'may be truncated')
    assert error.params == {'segment': 67, 'expected': 'LIN/CNT/UNT'}


def test_wrong_segment_count() -> None:
    """Refuse a UNT that counts other segments, naming both figures."""
    text = _edit(_text(), 'UNT+35+1', 'UNT+34+1')
    error = _raises(TotalsError, text, 'segment_count', r'^Segment 37 \(UNT')
    assert error.params == dict(
        segment=37, stated=34, actual=35, message='1')


def test_wrong_message_count() -> None:
    """Refuse a UNZ that counts other messages."""
    text = _edit(_text(), 'UNZ+2+', 'UNZ+3+')
    error = _raises(TotalsError, text, 'message_count')
    assert (error.params['stated'], error.params['actual']) == (3, 2)


def test_wrong_line_count() -> None:
    """Refuse a CNT that counts other postings."""
    text = _edit(_text(KID_BATCH), 'CNT+LI:2', 'CNT+LI:3')
    error = _raises(TotalsError, text, 'line_count', r'counts 3 postings')
    assert error.params['actual'] == 2


def test_wrong_posting_total() -> None:
    """Refuse a LIN whose amount is not the sum of its payments."""
    text = _edit(_text(KID_BATCH), 'MOA+349:1345,61', 'MOA+349:1345,60')
    error = _raises(
        TotalsError, text, 'posting_total',
        r'^Posting 1 of message 1 \(segment 7, LIN\) states 1345.60 NOK, '
        r'but its payments add up to 1345.61 NOK\.$')
    assert error.params['stated'] == Decimal('1345.60')
    assert error.params['actual'] == Decimal('1345.61')


def test_control_figures_as_warnings() -> None:
    """Report failed control figures named in warn instead of raising."""
    text = _edit(_text(KID_BATCH), 'MOA+349:1345,61', 'MOA+349:1345,60')
    text = _edit(text, 'CNT+LI:2', 'CNT+LI:3')
    parsed = cremul.parse(
        text, warn={Check.POSTING_TOTAL, Check.LINE_COUNT})
    assert [w.code for w in parsed.warnings] == [
        'posting_total', 'line_count']
    assert parsed.postings[0].amount == Decimal('1345.60')
    with pytest.raises(TotalsError):
        cremul.parse(text, warn={Check.POSTING_TOTAL})


def test_reference_mismatch() -> None:
    """Refuse a UNT that closes another message."""
    text = _edit(_text(), 'UNT+35+1', 'UNT+35+9')
    error = _raises(StructureError, text, 'reference_mismatch')
    assert error.params == dict(
        segment=37, tag='UNT', stated='9', opening='UNH', actual='1')


@pytest.mark.parametrize('broken, tag', [
    ("GIS+37'CNT", "GS"),
    ("GIS+37'CNT", "G:S"),
    ("GIS+37'CNT", "gis"),
])
def test_broken_segment(broken: str, tag: str) -> None:
    """Refuse a segment whose tag is not three capitals, naming it."""
    text = _edit(_text(FREE_TEXT), "FTX+PMD", f"{tag}+PMD")
    error = _raises(RecordError, text, 'bad_tag', r'^Segment 23 has the tag')
    assert error.params == {'segment': 23, 'tag': tag}


def test_missing_terminator_merges_segments() -> None:
    """Refuse the unknown tag two merged segments make."""
    text = _edit(_text(FREE_TEXT), "PRC+11'FTX", "PRC+11'XYZ")
    error = _raises(StructureError, text, 'unknown_segment')
    assert error.params == {'segment': 23, 'tag': 'XYZ'}


@pytest.mark.parametrize('value', ['1.394,00', '13 94', '139A', '', '-'])
def test_bad_decimal(value: str) -> None:
    """Refuse an amount that is not a decimal number."""
    text = _edit(_text(FREE_TEXT), 'MOA+143:1394', f'MOA+143:{value}')
    error = _raises(RecordError, text, 'bad_amount', r'^Segment 19 \(MOA')
    assert error.params == {'segment': 19, 'value': value}


@pytest.mark.parametrize('value, code', [
    ('20140231:102', 'bad_date'), ('2014031:102', 'bad_date'),
    ('20140312:999', 'unknown_date_format')])
def test_bad_date(value: str, code: str) -> None:
    """Refuse a date that does not exist or fit its format."""
    text = _edit(_text(FREE_TEXT), 'DTM+203:20140312:102', f'DTM+203:{value}')
    _raises(RecordError, text, code, r'^Segment 15 \(DTM\)')


def test_other_date_formats() -> None:
    """Read dates in formats 101, 203 and 718, and without a format."""
    text = _text(FREE_TEXT)
    for value in ('140312:101', '201403121546:203', '140312',
            '20140312-20140313:718'):
        edited = _edit(text, 'DTM+209:20140312:102', f'DTM+209:{value}')
        assert cremul.parse(edited).postings[0].booking_date == (
            dt.date(2014, 3, 12))


@pytest.mark.parametrize('data, code', [
    (b'', 'empty'), (b'  \r\n', 'empty'), ('', 'empty')])
def test_empty_input(data: bytes | str, code: str) -> None:
    """Refuse an empty file."""
    _raises(BankFileError, data, code, r'^The file is empty\.$')


@pytest.mark.parametrize('data', [
    b'Dear treasurer,\nplease find the payments below.\n',
    bytes(range(256)), b'%PDF-1.4\n', b'<?xml version="1.0"?><Document/>'])
def test_garbage(data: bytes) -> None:
    """Refuse a file that is not EDIFACT at all."""
    _raises(NotCremulError, data, 'not_edifact', r'not an EDIFACT')


def test_ocr_giro_file() -> None:
    """Refuse an OCR giro file with a hint at what it is."""
    raw = _sample('ocr_giro_three_types.txt', SAMPLES / 'ocr')
    _raises(NotCremulError, raw, 'ocr_giro', r'Nets OCR giro')


def test_other_edifact_message() -> None:
    """Refuse an EDIFACT message of another type."""
    text = _text().replace('CREMUL:D:96A', 'INVOIC:D:96A', 1)
    error = _raises(NotCremulError, text, 'not_cremul')
    assert error.params == dict(segment=3, message='1', type='INVOIC')


def test_association_code_is_kept() -> None:
    """Accept a message identifier with the BSK association code."""
    text = _text().replace('CREMUL:D:96A:UN', 'CREMUL:D:96A:UN:BSK', 1)
    assert cremul.parse(text).messages[0].version == (
        'D', '96A', 'UN', 'BSK')


@pytest.mark.parametrize('old, new, code, params', [
    ("BGM+435+2026031012000001'", '', 'unexpected_segment',
        dict(segment=4, expected='BGM', tag='DTM')),
    ("UNZ+2+00000042'", "UNZ+2+00000042'UNH+3'", 'after_end',
        dict(segment=59, tag='UNH')),
    ("MOA+349:1150:NOK'", "MOA+346:1150:NOK'", 'posting_without_amount',
        dict(posting='1', segment=7)),
    ("MOA+119:300'", "MOA+12:300'", 'payment_without_amount',
        dict(payment='1', segment=47)),
    ("UNH+2+CREMUL", "UNH++CREMUL", 'missing_element',
        dict(segment=38, tag='UNH', element='0062')),
    ("UNZ+2+", "UNZ+X+", 'bad_count', dict(segment=58, tag='UNZ', value='X')),
    ("'LIN+1'DTM+209:20260310:102'BUS++DO'",
        "'DTM+209:20260310:102'BUS++DO'", 'unexpected_segment',
        dict(segment=46, expected='LIN/CNT/UNT', tag='SEQ')),
])
def test_structure_errors(
        old: str, new: str, code: str, params: dict[str, object]) -> None:
    """Refuse missing, misplaced or empty segments, naming the segment."""
    error = _raises(BankFileError, _edit(_text(), old, new), code)
    assert error.params == params


def test_undecodable_bytes() -> None:
    """Refuse bytes the declared character set does not have."""
    raw = _edit(_text(FREE_TEXT), 'UNOC', 'UNOA').encode('iso-8859-1')
    error = _raises(RecordError, raw, 'undecodable')
    assert error.params['charset'] == 'UNOA'
    assert re.fullmatch(r'0x[0-9A-F]{2}', str(error.params['byte']))


def test_unknown_charset() -> None:
    """Refuse a character set the reader does not know."""
    text = _edit(_text(FREE_TEXT), 'UNOC', 'UNOX')
    _raises(RecordError, text, 'unknown_charset', r'^Segment 2 \(UNB\)')


def test_text_outside_the_charset() -> None:
    """Refuse text the declared character set cannot hold."""
    text = _edit(_text(FREE_TEXT), 'Prøvestien', 'Prøve€stien')
    error = _raises(RecordError, text, 'unencodable')
    assert error.params['char'] == '€'


def test_every_message_formats() -> None:
    """Word every message in plain English ending with a full stop."""
    for code, template in cremul.MESSAGES.items():
        assert template.endswith('.'), code
        assert template[0].isupper(), code


@pytest.mark.parametrize('name', ALL)
def test_sample_round_trip(name: str) -> None:
    """Write each sample back and read the same interchange and keys."""
    parsed = cremul.parse(_sample(name))
    for text in (cremul.write(parsed), cremul.write(parsed, width=80),
            cremul.write(parsed, decimal_mark='.', width=80, newline='\r\n')):
        again = cremul.parse(text)
        assert again == parsed
        assert [p.key for p in again.payments] == [
            p.key for p in parsed.payments]


def test_written_lines_are_80_wide(kid_batch: Interchange) -> None:
    """Wrap written text at the given width."""
    lines = cremul.write(kid_batch, width=80).splitlines()
    assert {len(line) for line in lines[:-1]} == {80}
    assert lines[0].startswith("UNA:+,? 'UNB+UNOC:3+00810506482")


def test_write_escapes(two_messages: Interchange) -> None:
    """Escape the separators in written values."""
    text = cremul.write(two_messages)
    assert "NAD+PL++OLA O?'BRIEN ?+ SØNN'" in text


def test_write_long_text() -> None:
    """Cut a long text at spaces into FTX lines and read it back."""
    text = ' '.join(f"word{n}" for n in range(80))
    interchange = _interchange(_payment(text=text))
    written = cremul.write(interchange)
    assert written.count("FTX+PMD") == 2
    assert cremul.parse(written) == interchange


def test_write_refuses_decimal_mark() -> None:
    """Refuse a decimal mark other than comma or point."""
    with pytest.raises(ValueError, match="decimal mark"):
        cremul.write(_interchange(_payment()), decimal_mark=';')


@pytest.mark.parametrize('payment, message', [
    (dict(amount=12.5), "finite Decimal"),
    (dict(amount=Decimal('NaN')), "finite Decimal"),
    (dict(payer_name="Euro € AS"), "cannot be written in UNOC"),
])
def test_write_refuses_values(
        payment: dict[str, object], message: str) -> None:
    """Refuse values that would not read back the same."""
    with pytest.raises(ValueError, match=message):
        cremul.write(_interchange(_payment(**payment)))


def _payment(**changes: object) -> Payment:
    """Return a payment of 100.00 NOK with the given changes."""
    fields: dict[str, object] = dict(number='1', amount=Decimal('100.00'))
    return Payment(**{**fields, **changes})  # type: ignore[arg-type]


def _interchange(*payments: Payment) -> Interchange:
    """Return an interchange of one message and one posting."""
    total = sum((p.amount for p in payments if isinstance(
        p.amount, Decimal)), Decimal('0.00'))
    posting = Posting('1', total, payments, account='99991000050')
    return Interchange(
        '1', '00810506482', '00923456783', dt.datetime(2024, 3, 1, 12, 0),
        (Message('1', '2024030112000001', (posting,)),))


_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅabcæøå0123456789&-./?:+\''
_word = st.text(alphabet=_LETTERS, min_size=1, max_size=12)
_words = st.lists(_word, min_size=1, max_size=4).map(' '.join)
_amounts = st.decimals(
    min_value=Decimal('0.01'), max_value=Decimal('9999999.99'), places=2)
_dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 1, 1))
_digits = st.text(alphabet='0123456789', min_size=4, max_size=25)


@st.composite
def _payments(draw: st.DrawFn, number: int) -> Payment:
    """Draw one payment with any of the fields a bank may give."""
    optional = st.one_of
    original = draw(optional(st.none(), st.tuples(
        _amounts, st.sampled_from([None, 'EUR', 'SEK']))))
    return Payment(
        number=str(number), amount=draw(_amounts),
        amount_type=draw(st.sampled_from([
            AmountType.TRANSFERRED, AmountType.RECEIVED])),
        execution_date=draw(optional(st.none(), _dates)),
        processing_date=draw(optional(st.none(), _dates)),
        payer_account=draw(optional(st.none(), _digits)),
        payer_name=draw(optional(st.none(), _words)),
        payer_address=tuple(draw(st.lists(_words, max_size=3))),
        beneficiary_name=draw(optional(st.none(), _words)),
        documents=tuple(draw(st.lists(st.builds(
            Document, st.sampled_from(['999', '380']), _digits,
            optional(st.none(), _amounts)), max_size=3))),
        text=draw(optional(st.none(), st.lists(
            _word, min_size=1, max_size=40).map(' '.join))),
        original_amount=original[0] if original else None,
        original_currency=original[1] if original else None,
        charge=draw(optional(st.none(), _amounts)),
        references=tuple(draw(st.lists(st.tuples(
            st.sampled_from(['AEK', 'AGN', 'CT']), _digits), max_size=3))))


@st.composite
def _postings(draw: st.DrawFn, number: int) -> Posting:
    """Draw one posting whose amount is the sum of its payments."""
    count = draw(st.integers(min_value=1, max_value=4))
    payments = tuple(draw(_payments(n)) for n in range(1, count + 1))
    return Posting(
        number=str(number), payments=payments,
        amount=sum((p.amount for p in payments), Decimal('0.00')),
        account=draw(st.one_of(st.none(), _digits)),
        amount_type=draw(st.sampled_from(
            [AmountType.POSTED, AmountType.TO_BE_POSTED])),
        booking_date=draw(_dates),
        environment=draw(st.sampled_from([None, 'DO', 'IN'])),
        business=draw(st.sampled_from([None, '230', '233'])),
        references=(('ACK', draw(_digits)),))


@st.composite
def _interchanges(draw: st.DrawFn) -> Interchange:
    """Draw an interchange of one to three messages."""
    messages = []
    for index in range(1, draw(st.integers(1, 3)) + 1):
        count = draw(st.integers(min_value=0, max_value=3))
        messages.append(Message(
            reference=str(index), number=f'2024{index:012d}',
            postings=tuple(draw(_postings(n)) for n in range(1, count + 1)),
            kind=draw(st.sampled_from(['435', '455'])),
            date=draw(st.one_of(st.none(), _dates)),
            recipient=draw(st.one_of(st.none(), _digits))))
    return Interchange(
        reference=draw(_digits), sender=draw(_digits),
        recipient=draw(_digits),
        prepared=draw(st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2068, 12, 31))).replace(
                second=0, microsecond=0),
        messages=tuple(messages))


@settings(max_examples=60, deadline=None)
@given(_interchanges(), st.sampled_from([None, 1, 13, 80]),
    st.sampled_from([',', '.']))
def test_generated_round_trip(
        interchange: Interchange, width: int | None, mark: str) -> None:
    """Read back any interchange written, wrapped or not."""
    text = cremul.write(interchange, width=width, decimal_mark=mark)
    assert cremul.parse(text) == interchange
