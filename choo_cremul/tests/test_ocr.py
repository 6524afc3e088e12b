"""Test the pure OCR giro layer on the shared real-world samples."""
import datetime as dt
import doctest
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from choo_cremul import nets, ocr
from choo_cremul.ocr import (
    BankFileError, NotOcrGiroError, RecordError, RecordLengthError,
    StructureError, TotalsError, Transaction, TransactionType)
from choo_cremul.tests.tools import SAMPLES
from choo_cremul.tests.tools import join_lines as _join
from choo_cremul.tests.tools import overwrite as _edit
from choo_cremul.tests.tools import raises
from choo_cremul.tests.tools import sample as read_sample

OCR_SAMPLES = SAMPLES / 'ocr'
THREE_TYPES = 'ocr_giro_three_types.txt'
AGREEMENTS = 'avtalegiro_agreements_zero_date.txt'
CLAIMS = 'avtalegiro_payment_request.txt'
HEADER = dict(
    transmission_number='0000042', data_transmitter='00008080',
    data_recipient='00012345', agreement_id='000123456',
    account='99991000018', date=dt.date(2024, 3, 4))


def _sample(name: str, folder: Path = OCR_SAMPLES) -> bytes:
    """Return a sample file's bytes, skipping the test if it is absent."""
    return read_sample(folder / name)


def _lines(name: str = THREE_TYPES) -> list[str]:
    """Return the lines of an OCR sample without their line ends."""
    return _sample(name).decode('iso-8859-1').splitlines()




@pytest.fixture
def sample() -> ocr.OcrFile:
    """Return the parsed three-types sample."""
    return ocr.parse(_sample(THREE_TYPES))


def test_module_examples_run() -> None:
    """Check the examples in the docstrings of ocr and its record layer."""
    assert doctest.testmod(ocr).failed == 0
    assert doctest.testmod(nets).failed == 0


def test_sample_transmission(sample: ocr.OcrFile) -> None:
    """Read the transmission's header and end record."""
    assert sample.transmission_number == '0170031'
    assert sample.data_transmitter == '00008080'
    assert sample.data_recipient == '00012345'
    assert sample.date == dt.date(1992, 1, 20)
    assert sample.total_amount == Decimal('7080.50')
    assert len(sample.transactions) == 3


def test_sample_assignment(sample: ocr.OcrFile) -> None:
    """Read the single assignment of service 09."""
    assignment, = sample.assignments
    assert assignment.agreement_id == '000123456'
    assert assignment.account == '99991000018'
    assert assignment.number == '0000002'
    assert assignment.date == dt.date(1992, 1, 20)
    assert assignment.total_amount == Decimal('7080.50')


def test_purchase_with_text(sample: ocr.OcrFile) -> None:
    """Read a type 21 transaction with its record 32 text."""
    transaction = sample.transactions[0]
    assert transaction.transaction_type == TransactionType.PURCHASE_WITH_TEXT
    assert transaction.transaction_type == 21
    assert transaction.amount == Decimal('1020.00')
    assert transaction.kid == '0000125'
    assert transaction.payer_account == '99992000011'
    assert transaction.text == "Faktura 10042 abonnement"
    assert transaction.nets_date == dt.date(1992, 1, 20)
    assert transaction.bank_date == dt.date(1992, 1, 16)
    assert transaction.line == 3


def test_giro_debited_account_keeps_filler(sample: ocr.OcrFile) -> None:
    """Read a type 10 transaction whose record 31 filler holds digits."""
    transaction = sample.transactions[1]
    assert transaction.transaction_type == 10
    assert transaction.amount == Decimal('560.50')
    assert transaction.kid == '0042002'
    assert transaction.payer_account == '99991000034'
    assert transaction.filler == '1883206'
    assert transaction.text is None


def test_business_terminal_giro_without_bank_date(
        sample: ocr.OcrFile) -> None:
    """Read '000000' as no bank date, and keep the KID's leading zero."""
    transaction = sample.transactions[2]
    assert transaction.transaction_type == 13
    assert transaction.amount == Decimal('5500.00')
    assert transaction.kid == '02311291000171'
    assert transaction.bank_date is None
    assert transaction.form_number is None


def test_tracing_fields(sample: ocr.OcrFile) -> None:
    """Keep what traces a payment back to the bank's statement."""
    transaction = sample.transactions[0]
    assert transaction.reference == '099038562'
    assert transaction.form_number == '9636827194'
    assert transaction.centre_id == '13'
    assert transaction.day_code == 20
    assert transaction.partial_settlement_number == 1
    assert transaction.partial_settlement_serial == '01464'
    assert transaction.negative is False


def test_amounts_are_decimal_nok(sample: ocr.OcrFile) -> None:
    """Give amounts as Decimal NOK with two places, never float."""
    for transaction in sample.transactions:
        assert isinstance(transaction.amount, Decimal)
        assert transaction.amount.as_tuple().exponent == -2


def test_two_digit_years_are_not_2092(sample: ocr.OcrFile) -> None:
    """Read '92' as 1992."""
    for transaction in sample.transactions:
        assert transaction.nets_date.year == 1992


@pytest.mark.parametrize('year', [1969, 1999, 2000, 2024, 2068])
def test_two_digit_year_window(year: int) -> None:
    """Write and read back dates on both sides of the century."""
    day = dt.date(year, 12, 31)
    text = ocr.write(
        [Transaction(TransactionType.COUNTER_GIRO, 1, Decimal('1.00'),
            '0000125', day, bank_date=day)],
        **{**HEADER, 'date': day})
    parsed = ocr.parse(text)
    assert parsed.date == day
    assert parsed.transactions[0].nets_date == day
    assert parsed.transactions[0].bank_date == day


def test_sha256_of_the_raw_bytes(sample: ocr.OcrFile) -> None:
    """Give the digest of the bytes, the same for bytes and text."""
    raw = _sample(THREE_TYPES)
    assert sample.sha256 == hashlib.sha256(raw).hexdigest()
    assert ocr.parse(raw.decode('iso-8859-1')).sha256 == sample.sha256


def test_line_ends_and_trailing_blank_lines(sample: ocr.OcrFile) -> None:
    """Accept CRLF line ends and blank lines at the end."""
    text = '\r\n'.join(_lines()) + '\r\n\r\n'
    assert ocr.parse(text).transactions == sample.transactions


def test_kid_ending_in_dash() -> None:
    """Accept a MOD11 KID whose check character is '-'."""
    text = _join(_edit(_lines(), 6, 50, '1000005-'.rjust(25)))
    assert ocr.parse(text).transactions[1].kid == '1000005-'


def test_latin1_text() -> None:
    """Decode free text as ISO-8859-1."""
    text = _join(_edit(_lines(), 5, 16, "Kontingent Åse Ærø".ljust(40)))
    raw = text.encode('iso-8859-1')
    assert ocr.parse(raw).transactions[0].text == "Kontingent Åse Ærø"


def test_transaction_type_descriptions() -> None:
    """Describe each transaction type in plain English."""
    assert TransactionType(13).description == "Business terminal giro (BTG)"
    assert TransactionType.REVERSAL_WITH_KID.is_reversal
    assert not TransactionType.PURCHASE_WITH_KID.is_reversal
    assert all(member.description for member in TransactionType)


def test_errors_are_value_errors() -> None:
    """Let callers catch every bank-file error as ValueError."""
    for error in (NotOcrGiroError, RecordError, RecordLengthError,
            StructureError, TotalsError):
        assert issubclass(error, BankFileError)
    assert issubclass(BankFileError, ValueError)


def test_lost_padding_is_a_record_length_error() -> None:
    """Refuse a copy whose lines lost their trailing padding."""
    text = _join([line.rstrip('0 ') for line in _lines()])
    error = raises(
        ocr, RecordLengthError, text, 'record_length', r"^Line 1 has \d+ ")
    assert error.line == 1
    assert "80" in str(error)


def test_short_line_inside_the_file() -> None:
    """Name the line that is too long."""
    lines = _lines()
    lines[6] += '0'
    with pytest.raises(RecordLengthError, match=r"^Line 7 has 81 "):
        ocr.parse(_join(lines))


@pytest.mark.parametrize('kept, missing', [
    (10, "end-of-transmission"),
    (9, "end-of-assignment"),
    (3, "amount item 2"),
])
def test_truncated_file(kept: int, missing: str) -> None:
    """Refuse a file that stops before its end records."""
    text = _join(_lines()[:kept])
    error = raises(ocr, StructureError, text, 'truncated', missing)
    assert str(error).startswith(f"The file ends after line {kept}")
    assert "truncated" in str(error)
    assert error.params['line'] == kept


def test_unknown_record_type() -> None:
    """Refuse a record type the format does not have."""
    text = _join(_edit(_lines(), 5, 7, '55'))
    error = raises(
        ocr, RecordError, text, 'unknown_record_type',
        r"^Line 5 .* unknown record type")
    assert error.params['type'] == '55'


def test_malformed_record() -> None:
    """Refuse a record whose fields do not fit its layout."""
    text = _join(_edit(_lines(), 6, 40, 'X'))
    error = raises(
        ocr, RecordError, text, 'bad_record',
        r"^Line 6 does not fit .* item 1")
    assert error.params['record'] is nets.RecordKind.AMOUNT_ITEM_1


@pytest.mark.parametrize('code, error_code', [
    ('22', 'bad_record'),  # netsgiro knows no type 22
    ('94', 'unknown_transaction_type'),  # an AvtaleGiro type
])
def test_unknown_transaction_type(code: str, error_code: str) -> None:
    """Refuse a transaction type that OCR giro does not use."""
    lines = _edit(_edit(_lines(), 6, 5, code), 7, 5, code)
    error = raises(
        ocr, RecordError, _join(lines), error_code,
        rf"^Line 6 .*\b{code}\b")
    assert error.params['line'] == 6


def test_assignment_total_does_not_match() -> None:
    """Refuse an assignment whose end record states another sum."""
    text = _join(_edit(_lines(), 10, 25, f'{708060:017d}'))
    error = raises(ocr, TotalsError, text, 'assignment_amount')
    assert error.line == 10
    assert error.params['stated'] == Decimal('7080.60')
    assert error.params['actual'] == Decimal('7080.50')
    assert "7080.60 NOK" in str(error)
    assert "7080.50 NOK" in str(error)


def test_transmission_count_does_not_match() -> None:
    """Refuse a transmission whose end record counts other transactions."""
    text = _join(_edit(_lines(), 11, 9, f'{4:08d}'))
    raises(
        ocr, TotalsError, text, 'transmission_transactions',
        r"^Line 11 .*4 transactions.*3 tr")


def test_records_out_of_order() -> None:
    """Refuse an amount item 2 before its amount item 1."""
    lines = _lines()
    lines[2], lines[3] = lines[3], lines[2]
    error = raises(
        ocr, StructureError, _join(lines), 'unexpected_record',
        r"^Line 3 should be an amount")
    assert error.params['expected'] is nets.RecordKind.AMOUNT_ITEM_1
    assert error.params['found'] is nets.RecordKind.AMOUNT_ITEM_2


def test_repeated_transaction_number() -> None:
    """Refuse two transactions with the same number in one assignment."""
    lines = _edit(_edit(_lines(), 8, 9, '0000002'), 9, 9, '0000002')
    raises(
        ocr, StructureError, _join(lines), 'duplicate_transaction',
        r"^Line 8 repeats trans")


@pytest.mark.parametrize('data', [b'', '', '\n\n', b'  \r\n'])
def test_empty_input(data: bytes | str) -> None:
    """Refuse an empty file."""
    raises(ocr, BankFileError, data, 'empty', r"^The file is empty\.$")


def test_random_text() -> None:
    """Refuse a file that is not OCR giro at all."""
    raises(
        ocr, NotOcrGiroError,
        b"Dear treasurer,\nplease find the payments below.\n", 'not_nets',
        r"not a Nets OCR giro or AvtaleGiro file")


def test_edifact_file() -> None:
    """Refuse a CREMUL file with a hint at what it is."""
    raw = _sample('cremul_kid_batch.edi', SAMPLES / 'cremul')
    raises(ocr, NotOcrGiroError, raw, 'edifact', r"^Line 1 .* EDIFACT")


def test_avtalegiro_agreement_file() -> None:
    """Refuse an AvtaleGiro agreement file: it holds no payments."""
    error = raises(
        ocr, NotOcrGiroError, _sample(AGREEMENTS), 'agreement_file')
    assert error.line == 2
    assert "AvtaleGiro agreement file" in str(error)
    assert "not OCR giro payments" in str(error)


def test_avtalegiro_claim_file() -> None:
    """Refuse an AvtaleGiro claim file."""
    raises(
        ocr, NotOcrGiroError, _sample(CLAIMS), 'claim_file',
        r"AvtaleGiro claim file")


def test_avtalegiro_without_padding() -> None:
    """Refuse an agreement file that lost its padding by record length."""
    text = _join([line.rstrip('0 ') for line in _lines(AGREEMENTS)])
    with pytest.raises(RecordLengthError, match=r"^Line 1 "):
        ocr.parse(text)


def test_text_outside_latin1() -> None:
    """Refuse text that cannot be an ISO-8859-1 file."""
    error = raises(
        ocr, BankFileError, "NY00\n€\n", 'unencodable', r"^Line 2 holds '€'")
    assert error.params == {'line': 2, 'char': '€'}


def test_sample_write_parse_round_trip(sample: ocr.OcrFile) -> None:
    """Write the sample back byte for byte and read the same transactions."""
    text = ocr.write(
        sample.transactions,
        transmission_number=sample.transmission_number,
        data_transmitter=sample.data_transmitter,
        data_recipient=sample.data_recipient,
        agreement_id='000123456', account='99991000018',
        date=dt.date(1992, 1, 20), assignment_number='0000002')
    assert text.encode('iso-8859-1') == _sample(THREE_TYPES)
    assert ocr.parse(text).transactions == sample.transactions


@pytest.mark.parametrize('amount', [
    '0.00', '0.01', '0.10', '1.00', '560.50', '99999999999999.99'])
def test_write_parse_round_trip(amount: str) -> None:
    """Read back the amounts, KIDs, texts and dates that were written."""
    day = dt.date(2024, 3, 1)
    transactions = [
        Transaction(TransactionType.GIRO_DEBITED_ACCOUNT, 1, Decimal(amount),
            '0042002', day, bank_date=dt.date(2024, 2, 29),
            payer_account='99991000034'),
        Transaction(TransactionType.PURCHASE_WITH_TEXT, 2, Decimal('9.90'),
            None, day, text="Kontingent 2024 Åse"),
        Transaction(TransactionType.REVERSAL_WITH_KID, 3, Decimal('12.00'),
            '1000005-', day, negative=True),
    ]
    parsed = ocr.parse(ocr.write(transactions, **HEADER))
    assert [t.amount for t in parsed.transactions] == [
        Decimal(amount), Decimal('9.90'), Decimal('12.00')]
    assert [t.kid for t in parsed.transactions] == [
        '0042002', None, '1000005-']
    assert parsed.transactions[0].bank_date == dt.date(2024, 2, 29)
    assert parsed.transactions[1].text == "Kontingent 2024 Åse"
    assert parsed.transactions[2].negative
    assert parsed.total_amount == Decimal(amount) + Decimal('21.90')
    assert parsed.date == dt.date(2024, 3, 4)


def test_written_lines_are_records() -> None:
    """Write 80-character lines only."""
    day = dt.date(2024, 3, 1)
    text = ocr.write(
        [Transaction(TransactionType.CASH_GIRO, 1, Decimal('5'), '1', day)],
        **HEADER)
    assert {len(line) for line in text.splitlines()} == {80}


@pytest.mark.parametrize('changes, message', [
    ({'amount': 12.5}, "Decimal NOK"),
    ({'amount': Decimal('0.005')}, "whole øre"),
    ({'amount': Decimal('-1.00')}, "not negative"),
    ({'text': "Hei"}, "only transaction types 20 and 21"),
    ({'payer_account': '9999100003X'}, "valid OCR giro file"),
    ({'kid': 'ABC'}, "valid OCR giro file"),
])
def test_write_refuses_what_it_cannot_write(
        changes: dict[str, object], message: str) -> None:
    """Refuse values that would not read back the same."""
    fields: dict[str, object] = dict(
        transaction_type=TransactionType.COUNTER_GIRO, number=1,
        amount=Decimal('1.00'), kid='0000125', nets_date=dt.date(2024, 1, 2))
    transaction = Transaction(**{**fields, **changes})  # type: ignore
    with pytest.raises(ValueError, match=message):
        ocr.write([transaction], **HEADER)
