"""Test the pure AvtaleGiro agreement layer on the shared sample."""
import datetime as dt
import doctest
import hashlib

import pytest

from choo_cremul import avtalegiro, ocr
from choo_cremul.avtalegiro import (
    Agreement, NotAgreementFileError, RegistrationType)
from choo_cremul.ocr import (
    NotOcrGiroError, RecordError, RecordLengthError, StructureError,
    TotalsError)
from choo_cremul.tests.tools import SAMPLES
from choo_cremul.tests.tools import join_lines as _join
from choo_cremul.tests.tools import overwrite as _edit
from choo_cremul.tests.tools import sample as read_sample

OCR_SAMPLES = SAMPLES / 'ocr'
AGREEMENTS = 'avtalegiro_agreements_zero_date.txt'
HEADER = dict(
    transmission_number='0000042', data_transmitter='00008080',
    data_recipient='00012345', account='99991000026',
    date=dt.date(2024, 3, 4))


def _sample(name: str = AGREEMENTS) -> bytes:
    """Return a sample file's bytes, skipping the test if it is absent."""
    return read_sample(OCR_SAMPLES / name)


def _lines() -> list[str]:
    """Return the lines of the agreement sample without their line ends."""
    return _sample().decode('iso-8859-1').splitlines()




def _refused(text: str, code: str) -> ocr.BankFileError:
    """Return the error of the code parse_agreements() raises for text.

    The error's text must be its message worded from its values.
    """
    with pytest.raises(ocr.BankFileError) as info:
        avtalegiro.parse_agreements(text)
    error = info.value
    assert error.code == code
    assert str(error) == avtalegiro.MESSAGES[code].format(**error.params)
    return error


def test_module_examples_run() -> None:
    """Check the examples in the module's docstrings."""
    result = doctest.testmod(avtalegiro)
    assert result.attempted > 0
    assert result.failed == 0


def test_sample_as_described() -> None:
    """Read the sample's transmission, assignment and two deletions."""
    data = _sample()
    parsed = avtalegiro.parse_agreements(data)

    assert parsed.transmission_number == '5594114'
    assert parsed.data_transmitter == '00008080'
    assert parsed.date is None
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()
    assignment, = parsed.assignments
    assert (assignment.number, assignment.account) == (
        '0000171', '99991000026')
    assert not assignment.full_list
    assert [(a.kid, a.registration_type, a.notify, a.line)
        for a in parsed.agreements] == [
        ('71000000000012', RegistrationType.DELETED, False, 3),
        ('71000000000020', RegistrationType.DELETED, False, 4)]


def test_registration_types_have_notes() -> None:
    """Name every registration type of the spec, and only 2 as ending."""
    assert [int(t) for t in RegistrationType] == [0, 1, 2]
    assert all(t.description for t in RegistrationType)
    assert [t.is_active for t in RegistrationType] == [True, True, False]


def test_unpadded_copy_is_refused() -> None:
    """Refuse a copy whose lines lost their padding, at its first line."""
    unpadded = b'\n'.join(
        line.rstrip(b'0 ') for line in _sample().split(b'\n'))
    error = _refused(unpadded.decode('iso-8859-1'), 'record_length')
    assert isinstance(error, RecordLengthError)
    assert error.line == 1


def test_truncated_copy_is_refused() -> None:
    """Refuse a file cut before its end records."""
    error = _refused(_join(_lines()[:4]), 'truncated')
    assert isinstance(error, StructureError)
    assert "truncated" in str(error)


def test_wrong_count_is_refused() -> None:
    """Refuse an assignment end record that counts another agreement."""
    error = _refused(
        _join(_edit(_lines(), 5, 9, '00000003')), 'assignment_transactions')
    assert isinstance(error, TotalsError)
    assert error.line == 5


def test_unknown_registration_type_is_refused() -> None:
    """Refuse a registration type the spec does not define."""
    error = _refused(_join(_edit(_lines(), 3, 16, '7')), 'bad_record')
    assert isinstance(error, RecordError)
    assert error.line == 3


def test_missing_kid_is_refused() -> None:
    """Refuse an agreement record whose KID is blank."""
    error = _refused(
        _join(_edit(_lines(), 4, 17, ' ' * 25)), 'missing_kid')
    assert isinstance(error, RecordError)
    assert error.line == 4


def test_repeated_transaction_is_refused() -> None:
    """Refuse two agreements of one assignment with the same number."""
    error = _refused(
        _join(_edit(_lines(), 4, 9, '0000001')), 'duplicate_transaction')
    assert isinstance(error, StructureError)
    assert error.line == 4


def test_full_list_mixed_with_changes_is_refused() -> None:
    """Refuse an assignment that mixes registration type 0 with 1 or 2."""
    error = _refused(
        _join(_edit(_lines(), 3, 16, '0')), 'mixed_registration_types')
    assert isinstance(error, StructureError)
    assert error.line == 4


def test_ocr_parse_still_refuses_agreements() -> None:
    """Let ocr.parse() tell a caller that this is an agreement file."""
    with pytest.raises(NotOcrGiroError) as info:
        ocr.parse(_sample())
    assert "agreement" in str(info.value)


def test_payment_files_are_not_agreement_files() -> None:
    """Refuse OCR giro payments and AvtaleGiro claims as another kind."""
    for name, code in [
            ('ocr_giro_three_types.txt', 'payment_file'),
            ('avtalegiro_payment_request.txt', 'claim_assignment')]:
        error = _refused(_sample(name).decode('iso-8859-1'), code)
        assert isinstance(error, NotAgreementFileError)
        assert error.line == 2


def test_other_files_are_not_agreement_files() -> None:
    """Refuse a file that is no Nets file as not an agreement file."""
    error = _refused("Dear treasurer,\n", 'not_nets')
    assert isinstance(error, NotAgreementFileError)
    assert error.line == 1
    assert "this is not a Nets OCR giro or AvtaleGiro file" in str(error)


def test_sample_round_trip() -> None:
    """Write the sample's agreements back to the sample's very bytes."""
    parsed = avtalegiro.parse_agreements(_sample())
    assignment, = parsed.assignments
    text = avtalegiro.write_agreements(
        parsed.agreements, transmission_number=parsed.transmission_number,
        data_transmitter=parsed.data_transmitter,
        data_recipient=parsed.data_recipient, account=assignment.account,
        date=parsed.date, assignment_number=assignment.number)
    assert text.encode('iso-8859-1') == _sample()


def test_written_full_list_reads_back() -> None:
    """Read a written full list with its date, KIDs and notify choices."""
    agreements = [
        Agreement(RegistrationType.ACTIVE, number, kid, notify)
        for number, kid, notify in [
            (1, '71000000000012', True), (2, '0000125', False)]]
    parsed = avtalegiro.parse_agreements(
        avtalegiro.write_agreements(agreements, **HEADER))
    assert parsed.date == dt.date(2024, 3, 4)
    assert parsed.assignments[0].full_list
    assert list(parsed.agreements) == agreements


def test_write_refuses_a_mixed_list() -> None:
    """Refuse to write what parse_agreements() would refuse."""
    agreements = [
        Agreement(RegistrationType.ACTIVE, 1, '71000000000012', False),
        Agreement(RegistrationType.DELETED, 2, '71000000000020', False)]
    with pytest.raises(ValueError, match="registration type 2"):
        avtalegiro.write_agreements(agreements, **HEADER)
