"""Test the pure camt.054 layer on hand-written ISO 20022 documents."""
import dataclasses
import datetime as dt
import doctest
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choo_cremul import camt054
from choo_cremul.camt054 import (
    BankFileError, Camt054, Check, CreditDebit, Entry, NotCamt054Error,
    Notification, RecordError, StructureError, TotalsError, Transaction)
from choo_cremul.tests.tools import raises
from choo_cremul.tests.tools import replace_once as _edit

DATA = Path(__file__).resolve().parent / 'data'
BATCH = 'camt054_v02_batch.xml'
SINGLE = 'camt054_v08_single.xml'


def _text(name: str = BATCH) -> str:
    """Return a test document as text."""
    return (DATA / name).read_text(encoding='utf-8')


def _raises(
        kind: type[BankFileError], text: str | bytes, code: str,
        pattern: str | None = None) -> BankFileError:
    """Parse, expecting an error of the kind and code; return it."""
    return raises(camt054, kind, text, code, pattern)


@pytest.fixture
def batch() -> Camt054:
    """Return the parsed version 02 batch."""
    return camt054.parse((DATA / BATCH).read_bytes())


@pytest.fixture
def single() -> Camt054:
    """Return the parsed version 08 notification."""
    return camt054.parse((DATA / SINGLE).read_bytes())


def test_module_examples_run() -> None:
    """Check the examples in the module docstring."""
    assert doctest.testmod(camt054).failed == 0


def test_batch_header(batch: Camt054) -> None:
    """Read the group header, the account and the digest."""
    assert batch.message_id == 'CAMT054-20240301-000117'
    assert batch.created == dt.datetime(2024, 3, 1, 15, 46, 2)
    assert batch.version == '02'
    notification, = batch.notifications
    assert notification.id == '20240301-NTF-1'
    assert notification.account == 'NO9386011117947'
    assert notification.currency == 'NOK'
    assert notification.created is not None
    assert notification.created.utcoffset() == dt.timedelta(hours=1)
    raw = (DATA / BATCH).read_bytes()
    assert batch.sha256 == hashlib.sha256(raw).hexdigest()
    assert batch.warnings == ()


def test_batch_entries(batch: Camt054) -> None:
    """Read each entry's signed amount, dates and references."""
    credit, reversal = batch.entries
    assert (credit.amount, credit.currency, credit.indicator) == (
        Decimal('1345.61'), 'NOK', CreditDebit.CREDIT)
    assert credit.booking_date == credit.value_date == dt.date(2024, 3, 1)
    assert credit.account_servicer_reference == '08011116222'
    assert (credit.status, credit.reference, credit.reversal) == (
        'BOOK', '1', False)
    assert reversal.amount == Decimal('-250.00')
    assert reversal.reversal
    assert reversal.value_date == dt.date(2024, 2, 29)


def test_batch_transactions(batch: Camt054) -> None:
    """Read the KID, the text, the debtor and the charges of each."""
    kid, text, back = batch.transactions
    assert (kid.amount, kid.kid, kid.debtor_name, kid.debtor_account) == (
        Decimal('500.00'), '20241000015', "Kari Testesen", '99991000069')
    assert kid.text is None
    assert kid.end_to_end_id is None
    assert text.kid is None
    assert text.text == "Kontingent 2024 medlem 4711"
    assert text.debtor_name == "Snekkerfirma Åse & Ære AS"
    assert text.debtor_account == 'NO8330001234567'
    assert text.end_to_end_id == 'E2E-2024-0042'
    assert text.charges == Decimal('2.50')
    assert (back.amount, back.indicator) == (
        Decimal('-250.00'), CreditDebit.DEBIT)
    assert (back.kid, back.invoice_number) == ('20241000049', '10042')


def test_transaction_keys(batch: Camt054, single: Camt054) -> None:
    """Key by the bank's reference of the transaction, else the entry's."""
    assert [t.key for t in batch.transactions] == [
        'NO9386011117947:TX:85290467', 'NO9386011117947:TX:362509152',
        'NO9386011117947:NTRY:08011979782:1']
    assert single.transactions[0].key == '12345678903:NTRY:E00001:1'
    text = _edit(_text(SINGLE), '<AcctSvcrRef>E00001</AcctSvcrRef>', '')
    assert camt054.parse(text).transactions[0].key == (
        'MSG:N8-000042:N8-000042-1:1:1')


def test_shared_reference_falls_back_to_place() -> None:
    """Key transactions that share a reference by their place."""
    text = _edit(_text(), '362509152', '85290467')
    parsed = camt054.parse(text)
    assert [t.key for t in parsed.transactions[:2]] == [
        'MSG:CAMT054-20240301-000117:20240301-NTF-1:1:1',
        'MSG:CAMT054-20240301-000117:20240301-NTF-1:1:2']
    warning, = parsed.warnings
    assert warning.code == 'duplicate_key'
    assert warning.params == dict(
        first=59, second=104, reference='TX:85290467')


def test_version_08(single: Camt054) -> None:
    """Read the status code, a booking time and a Party40Choice debtor."""
    assert single.version == '08'
    notification, = single.notifications
    assert notification.account == '12345678903'
    assert notification.currency is None
    entry, = single.entries
    assert entry.status == 'BOOK'
    assert entry.booking_date == dt.date(2026, 3, 10)
    transaction, = entry.transactions
    assert transaction.debtor_name == "OLA O'BRIEN + SØNN"
    assert transaction.kid == '000123400005674'
    assert transaction.charges == Decimal('3.00')
    assert transaction.end_to_end_id == 'KONT-2026-4711'


def test_text_and_bytes_agree(batch: Camt054) -> None:
    """Read text as its UTF-8 bytes."""
    assert camt054.parse(_text()) == batch
    assert camt054.parse(_text()).sha256 == batch.sha256


@pytest.mark.parametrize('version', camt054.VERSIONS)
def test_every_version_round_trip(batch: Camt054, version: str) -> None:
    """Write and read back the batch in every version."""
    written = dataclasses.replace(batch, version=version)
    again = camt054.parse(camt054.write(written))
    assert again == written
    assert [t.key for t in again.transactions] == [
        t.key for t in batch.transactions]


def test_single_round_trip(single: Camt054) -> None:
    """Write and read back the version 08 notification."""
    assert camt054.parse(camt054.write(single)) == single


@pytest.mark.parametrize('namespace', [
    'urn:iso:std:iso:20022:tech:xsd:camt.054.001.01',
    'urn:iso:std:iso:20022:tech:xsd:camt.054.001.09',
    'urn:iso:std:iso:20022:tech:xsd:camt.053.001.02', ''])
def test_other_namespaces(namespace: str) -> None:
    """Refuse documents of other messages or versions."""
    text = _edit(
        _text(), 'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"',
        f'xmlns="{namespace}"' if namespace else '')
    error = _raises(NotCamt054Error, text, 'not_camt054')
    assert error.params == dict(element='Document', namespace=namespace)


@pytest.mark.parametrize('data', [
    b'UNA:+,? \'UNB+UNOC:3', b'<Document><Ntry>', b'\xff\xfe garbage'])
def test_not_xml(data: bytes) -> None:
    """Refuse a file that is not well-formed XML, naming the place."""
    error = _raises(NotCamt054Error, data, 'not_xml', r'line 1, column')
    assert error.line == 1


@pytest.mark.parametrize('data', [b'', '  \n'])
def test_empty(data: bytes | str) -> None:
    """Refuse an empty file."""
    _raises(BankFileError, data, 'empty', r'^The file is empty\.$')


def test_missing_message_id() -> None:
    """Refuse a group header without MsgId, naming its line."""
    text = _edit(_text(), '<MsgId>CAMT054-20240301-000117</MsgId>', '')
    error = _raises(StructureError, text, 'missing_element')
    assert error.params == dict(element='GrpHdr', line=8, child='MsgId')


def test_missing_account() -> None:
    """Refuse a notification without an account."""
    text = _edit(_text(SINGLE), '<Id>12345678903</Id>', '')
    _raises(StructureError, text, 'missing_element', r'Acct/Id/IBAN')


@pytest.mark.parametrize('value', ['1,345.61', '1345,61', '-1345.61', ''])
def test_bad_amount(value: str) -> None:
    """Refuse an amount that is not an ISO 20022 decimal."""
    text = _edit(_text(), '>1345.61<', f'>{value}<')
    error = _raises(RecordError, text, 'bad_amount', r'^Element Amt')
    assert error.params == dict(element='Amt', line=36, value=value)


def test_transaction_without_amount_in_a_batch() -> None:
    """Refuse a transaction of a batch that states no amount."""
    amount = """            <AmtDtls>
              <TxAmt>
                <Amt Ccy="NOK">500.00</Amt>
              </TxAmt>
            </AmtDtls>
"""
    text = _edit(_text(), amount, '')
    error = _raises(StructureError, text, 'missing_element')
    assert error.params == dict(element='TxDtls', line=59, child='Amt')


def test_missing_currency() -> None:
    """Refuse an amount without its currency."""
    text = _edit(_text(), '<Amt Ccy="NOK">1345.61', '<Amt>1345.61')
    error = _raises(StructureError, text, 'missing_element')
    assert error.params == dict(element='Amt', line=36, child='Ccy')


def test_bad_indicator() -> None:
    """Refuse a credit/debit indicator other than CRDT or DBIT."""
    text = _edit(_text(), '<CdtDbtInd>DBIT', '<CdtDbtInd>DEBIT')
    error = _raises(RecordError, text, 'bad_indicator')
    assert error.params == dict(element='CdtDbtInd', line=137, value='DEBIT')


def test_bad_date() -> None:
    """Refuse a date that does not exist."""
    text = _edit(_text(), '<Dt>2024-02-29</Dt>', '<Dt>2023-02-29</Dt>')
    error = _raises(RecordError, text, 'bad_date', r'^Element Dt \(line 144')
    assert error.params['value'] == '2023-02-29'


def test_entry_total() -> None:
    """Refuse an entry whose transactions add up to another amount."""
    text = _edit(_text(), '>845.61<', '>845.60<')
    error = _raises(
        TotalsError, text, 'entry_total',
        r'^Entry 1 \(line 34\) states 1345.61 NOK, but its transactions '
        r'add up to 1345.60 NOK\.$')
    assert error.params['actual'] == Decimal('1345.60')


def test_counts() -> None:
    """Refuse counts of entries and transactions that do not agree."""
    entries = _edit(_text(), '<NbOfNtries>2<', '<NbOfNtries>3<')
    error = _raises(TotalsError, entries, 'entry_count')
    assert (error.params['stated'], error.params['actual']) == (3, 2)
    batch = _edit(_text(), '<NbOfTxs>2<', '<NbOfTxs>1<')
    _raises(TotalsError, batch, 'transaction_count', r'counts 1 trans')
    word = _edit(_text(), '<NbOfTxs>2<', '<NbOfTxs>two<')
    _raises(RecordError, word, 'bad_count')


def test_control_figures_as_warnings() -> None:
    """Report failed control figures named in warn instead of raising."""
    text = _edit(_text(), '>845.61<', '>845.60<')
    text = _edit(text, '<NbOfNtries>2<', '<NbOfNtries>3<')
    parsed = camt054.parse(
        text, warn={Check.ENTRY_TOTAL, Check.ENTRY_COUNT})
    assert [w.code for w in parsed.warnings] == [
        'entry_total', 'entry_count']


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    """Never read a file that an external entity names."""
    secret = tmp_path / 'secret.txt'
    secret.write_text('TOP SECRET')
    doctype = (
        f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>')
    text = _edit(_text(), '<Document ', doctype + '<Document ')
    text = _edit(text, '<Nm>Kari Testesen</Nm>', '<Nm>&xxe;</Nm>')
    parsed = camt054.parse(text.encode('utf-8'))
    assert 'SECRET' not in repr(parsed)


def test_write_refuses_versions(batch: Camt054) -> None:
    """Refuse to write a version the reader does not read."""
    with pytest.raises(ValueError, match="not one of"):
        camt054.write(dataclasses.replace(batch, version='09'))


def test_write_refuses_float(batch: Camt054) -> None:
    """Refuse an amount that is not a Decimal."""
    entry = dataclasses.replace(
        batch.entries[0], amount=12.5)  # type: ignore[arg-type]
    notification = dataclasses.replace(
        batch.notifications[0], entries=(entry,))
    with pytest.raises(ValueError, match="finite Decimal"):
        camt054.write(dataclasses.replace(
            batch, notifications=(notification,)))


_word = st.text(
    alphabet='ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅabcæøå0123456789&<>\'"-./',
    min_size=1, max_size=12)
_words = st.lists(_word, min_size=1, max_size=5).map(' '.join)
_amounts = st.decimals(
    min_value=Decimal('0.00'), max_value=Decimal('9999999.99'), places=2)
_references = st.text(alphabet='ABC0123456789-', min_size=1, max_size=20)
_dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 1, 1))
_accounts = st.sampled_from(['NO9386011117947', '99991000069', '12345678903'])


@st.composite
def _transactions(draw: st.DrawFn, indicator: CreditDebit) -> Transaction:
    """Draw one transaction on the given side."""
    amount = draw(_amounts)
    optional = st.one_of
    return Transaction(
        amount=-amount if indicator is CreditDebit.DEBIT else amount,
        indicator=indicator,
        kid=draw(optional(st.none(), st.text('0123456789', min_size=4))),
        invoice_number=draw(optional(st.none(), _references)),
        text=draw(optional(st.none(), _words)),
        debtor_name=draw(optional(st.none(), _words)),
        debtor_account=draw(optional(st.none(), _accounts)),
        end_to_end_id=draw(optional(st.none(), _references)),
        charges=draw(optional(st.none(), _amounts)))


@st.composite
def _entries(draw: st.DrawFn) -> Entry:
    """Draw one entry whose amount is the sum of its transactions."""
    indicator = draw(st.sampled_from(CreditDebit))
    transactions = tuple(draw(st.lists(
        _transactions(indicator), min_size=1, max_size=4)))
    return Entry(
        amount=sum((t.amount for t in transactions), Decimal('0.00')),
        transactions=transactions, indicator=indicator,
        reversal=draw(st.booleans()),
        status=draw(st.sampled_from(['BOOK', 'PDNG', 'INFO'])),
        booking_date=draw(st.one_of(st.none(), _dates)),
        value_date=draw(st.one_of(st.none(), _dates)),
        reference=draw(st.one_of(st.none(), _references)),
        account_servicer_reference=draw(st.one_of(st.none(), _references)))


@st.composite
def _documents(draw: st.DrawFn) -> Camt054:
    """Draw a document of one to three notifications."""
    notifications = tuple(
        Notification(
            id=f'N{number}', account=draw(_accounts),
            entries=tuple(draw(st.lists(_entries(), max_size=3))),
            currency=draw(st.sampled_from([None, 'NOK'])))
        for number in range(1, draw(st.integers(1, 3)) + 1))
    return Camt054(
        message_id=draw(_references),
        created=draw(st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2099, 1, 1))).replace(microsecond=0),
        notifications=notifications,
        version=draw(st.sampled_from(camt054.VERSIONS)))


@settings(max_examples=60, deadline=None)
@given(_documents())
def test_generated_round_trip(notice: Camt054) -> None:
    """Read back any document written."""
    assert camt054.parse(camt054.write(notice)) == notice
