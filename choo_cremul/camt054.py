"""Read and write ISO 20022 camt.054, a bank's debit and credit notification.

A document (versions 001.02 to 001.08) holds notifications (Ntfctn), one
per account; each holds entries (Ntry) as booked on the account, and each
entry the transactions (TxDtls) it adds up, with the payer's structured
creditor reference (the KID) or free text.

>>> import datetime as dt
>>> paid = Transaction(Decimal('250.00'), kid='20241000015',
...     debtor_name="Kari Nordmann", account_servicer_reference='A1')
>>> entry = Entry(Decimal('250.00'), (paid,),
...     booking_date=dt.date(2024, 3, 1))
>>> notice = Camt054('M1', dt.datetime(2024, 3, 1, 15, 46),
...     (Notification('N1', 'NO9386011117947', (entry,)),))
>>> [(t.kid, t.amount, t.key) for t in parse(write(notice)).transactions]
[('20241000015', Decimal('250.00'), 'NO9386011117947:TX:A1')]

Debits are negative, so that a reversed payment takes its amount back:

>>> back = replace(paid, amount=Decimal('-250.00'),
...     indicator=CreditDebit.DEBIT)
>>> parse(write(replace(notice, notifications=(Notification(
...     'N1', 'NO9386011117947', (Entry(Decimal('-250.00'), (back,),
...     indicator=CreditDebit.DEBIT, reversal=True),)),)))
...     ).transactions[0].amount
Decimal('-250.00')
"""
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from lxml import etree

from .bankfile import (
    BankFileError, Checks, RecordError, StructureError, TotalsError,
    WrongFormatError)

__all__ = [
    'BankFileError', 'Camt054', 'Check', 'CreditDebit', 'Entry',
    'MESSAGES', 'NotCamt054Error', 'Notification', 'RecordError',
    'StructureError', 'TotalsError', 'Transaction', 'VERSIONS', 'parse',
    'write']

_Element = etree._Element
T = TypeVar('T')

VERSIONS = ('02', '03', '04', '05', '06', '07', '08')  # camt.054.001.NN
_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.'
_NAMESPACE_PATTERN = re.compile(
    re.escape(_NAMESPACE) + r'(\d\d)')
_AMOUNT = re.compile(r'\d+(\.\d+)?')
_NOT_PROVIDED = 'NOTPROVIDED'  # an EndToEndId the payer did not give
_IBAN = re.compile(r'[A-Z]{2}\d\d[A-Z0-9]{10,30}')

MESSAGES: Mapping[str, str] = {
    'empty': "The file is empty.",
    'not_xml': (
        "The file is not well-formed XML: the fault is at line {line}, "
        "column {column}."),
    'not_camt054': (
        "The file holds {element} in the namespace {namespace!r}, not a "
        "camt.054 notification of versions 001.02 to 001.08."),
    'missing_element': (
        "Element {element} (line {line}) lacks its {child}."),
    'bad_amount': (
        "Element {element} (line {line}) holds the amount {value!r}, "
        "which is not a decimal number."),
    'bad_count': (
        "Element {element} (line {line}) states the count {value!r}, which "
        "is not a whole number."),
    'bad_date': (
        "Element {element} (line {line}) holds {value!r}, which is not an "
        "ISO 8601 date or date and time."),
    'bad_indicator': (
        "Element {element} (line {line}) holds {value!r}, where CRDT or "
        "DBIT is expected."),
    'entry_count': (
        "Notification {notification} (line {line}) counts {stated} "
        "entries, but holds {actual}."),
    'transaction_count': (
        "Entry {entry} (line {line}) counts {stated} transactions, but "
        "holds {actual}."),
    'entry_total': (
        "Entry {entry} (line {line}) states {stated} {currency}, but its "
        "transactions add up to {actual} {currency}."),
    'duplicate_key': (
        "Transactions at lines {first} and {second} share the reference "
        "{reference}; both are keyed by their place in the file instead."),
}


class NotCamt054Error(WrongFormatError):
    """Signal a file that is not a camt.054 notification."""


class Check(Enum):
    """Name the control figures that parse() can report instead of raise."""

    ENTRY_COUNT = 'entry_count'  # TxsSummry/TtlNtries/NbOfNtries
    TRANSACTION_COUNT = 'transaction_count'  # Btch/NbOfTxs of an entry
    ENTRY_TOTAL = 'entry_total'  # an entry's Amt against its TxDtls


class CreditDebit(Enum):
    """Name the two sides of an amount (CdtDbtInd)."""

    CREDIT = 'CRDT'  # money into the account: a receipt
    DEBIT = 'DBIT'  # money out of it, such as a reversed receipt


@dataclass(frozen=True)
class Transaction:
    """Hold one payment (TxDtls) of an entry, signed: debits negative."""

    amount: Decimal
    currency: str = 'NOK'
    indicator: CreditDebit = CreditDebit.CREDIT
    kid: str | None = None  # RmtInf/Strd/CdtrRefInf/Ref
    invoice_number: str | None = None  # RmtInf/Strd/RfrdDocInf/Nb
    text: str | None = None  # every RmtInf/Ustrd, joined by spaces
    debtor_name: str | None = None
    debtor_account: str | None = None  # IBAN, or the other id
    end_to_end_id: str | None = None
    account_servicer_reference: str | None = None
    charges: Decimal | None = None
    line: int = field(default=0, compare=False)
    # Unique across files; see parse() for how it is made.
    key: str = field(default='', compare=False)


@dataclass(frozen=True)
class Entry:
    """Hold one booking (Ntry) on the account, signed: debits negative."""

    amount: Decimal
    transactions: tuple[Transaction, ...]
    currency: str = 'NOK'
    indicator: CreditDebit = CreditDebit.CREDIT
    reversal: bool = False  # RvslInd: the entry undoes an earlier one
    status: str = 'BOOK'
    booking_date: dt.date | None = None
    value_date: dt.date | None = None
    reference: str | None = None  # NtryRef
    account_servicer_reference: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Notification:
    """Hold the entries notified for one account (Ntfctn)."""

    id: str
    account: str  # IBAN, or the other id (such as a BBAN)
    entries: tuple[Entry, ...]
    currency: str | None = None
    created: dt.datetime | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Camt054:
    """Hold one camt.054 document and the digest of its bytes."""

    message_id: str  # GrpHdr/MsgId
    created: dt.datetime
    notifications: tuple[Notification, ...]
    version: str = '08'
    sha256: str = field(default='', compare=False)
    warnings: tuple[BankFileError, ...] = field(default=(), compare=False)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Return the entries of all notifications, in file order."""
        return tuple(e for n in self.notifications for e in n.entries)

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        """Return the transactions of all entries, in file order."""
        return tuple(t for e in self.entries for t in e.transactions)


class _Tree:
    """Find elements of one camt.054 version, raising errors with lines."""

    def __init__(self, namespace: str) -> None:
        self.namespaces = {'c': namespace}

    def find(self, element: _Element, path: str) -> _Element | None:
        """Return the first element at the path, if any."""
        return element.find(self._path(path), self.namespaces)

    def findall(self, element: _Element, path: str) -> list[_Element]:
        """Return every element at the path."""
        return element.findall(self._path(path), self.namespaces)

    def text(self, element: _Element, path: str) -> str | None:
        """Return the stripped text at the path, None if absent or empty."""
        found = self.find(element, path)
        text = (found.text or '').strip() if found is not None else ''
        return text or None

    def first(self, element: _Element, *paths: str) -> str | None:
        """Return the text at the first path that has one."""
        return next(
            (t for t in (self.text(element, p) for p in paths) if t), None)

    def required(self, element: _Element, path: str) -> str:
        """Return the text at the path, raising if it is absent."""
        text = self.text(element, path)
        if text is None:
            raise _error(
                StructureError, 'missing_element', element=_name(element),
                line=_line(element), child=path)
        return text

    @staticmethod
    def _path(path: str) -> str:
        """Return a path of plain names with the namespace prefix."""
        return '/'.join(f'c:{step}' for step in path.split('/'))


def parse(data: bytes | str, *, warn: Collection[Check] = ()) -> Camt054:
    """Read a camt.054 document whole, or raise BankFileError.

    A failed control figure raises TotalsError unless its Check is in
    *warn*; then it is kept in the result's ``warnings``.  A transaction's
    ``key`` is ``<account>:TX:<AcctSvcrRef>`` from its own account
    servicer reference, else ``<account>:NTRY:<AcctSvcrRef>:<n>`` from its
    entry's and its place in the entry, else ``MSG:<MsgId>:<notification
    id>:<entry>:<n>``.  The EndToEndId is the payer's and not unique, so
    it does not make a key.  Transactions that share a reference fall back
    to the MSG key, with a warning.
    """
    raw = data.encode('utf-8') if isinstance(data, str) else data
    root = _root(raw)
    version, tree = _version(root)
    checks = Checks(warn, MESSAGES)
    notice = _document(tree, root, version, checks)
    return replace(
        _with_keys(notice, checks), sha256=hashlib.sha256(raw).hexdigest(),
        warnings=tuple(checks.warnings))


def write(notice: Camt054) -> bytes:
    """Return the document as camt.054 XML of its version, in UTF-8."""
    if notice.version not in VERSIONS:
        raise ValueError(
            f"camt.054 version {notice.version!r} is not one of "
            f"{', '.join(VERSIONS)}.")
    writer = _Writer(_NAMESPACE + notice.version, notice.version)
    return etree.tostring(
        writer.document(notice), xml_declaration=True, encoding='UTF-8',
        pretty_print=True)


def _error(kind: type[BankFileError], code: str, **params: object
           ) -> BankFileError:
    """Return an error of the kind, worded from its code and values."""
    line = params.get('line')
    return kind(
        MESSAGES[code].format(**params),
        line if isinstance(line, int) else None, code=code, **params)


def _line(element: _Element | None) -> int:
    """Return the line an element starts on, 0 if unknown."""
    line = None if element is None else element.sourceline
    return line if isinstance(line, int) else 0


def _name(element: _Element) -> str:
    """Return an element's name without its namespace."""
    return etree.QName(element).localname


def _root(raw: bytes) -> _Element:
    """Return the root element of well-formed XML, or raise."""
    if not raw.strip():
        raise _error(BankFileError, 'empty')
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True)
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise _error(
            NotCamt054Error, 'not_xml', line=line, column=column) from exc


def _version(root: _Element) -> tuple[str, _Tree]:
    """Return the version the root's namespace names, or raise."""
    name = etree.QName(root)
    match = _NAMESPACE_PATTERN.fullmatch(name.namespace or '')
    if (name.localname != 'Document' or match is None
            or match.group(1) not in VERSIONS):
        raise _error(
            NotCamt054Error, 'not_camt054', element=name.localname,
            namespace=name.namespace or '')
    return match.group(1), _Tree(name.namespace or '')


def _document(
        tree: _Tree, root: _Element, version: str, checks: Checks
        ) -> Camt054:
    """Read the group header and the notifications."""
    body = tree.find(root, 'BkToCstmrDbtCdtNtfctn')
    if body is None:
        raise _error(
            StructureError, 'missing_element', element='Document',
            line=_line(root), child='BkToCstmrDbtCdtNtfctn')
    header = tree.find(body, 'GrpHdr')
    if header is None:
        raise _error(
            StructureError, 'missing_element', element=_name(body),
            line=_line(body), child='GrpHdr')
    return Camt054(
        message_id=tree.required(header, 'MsgId'),
        created=_datetime(tree, header, 'CreDtTm'),
        notifications=tuple(
            _notification(tree, element, checks)
            for element in tree.findall(body, 'Ntfctn')),
        version=version)


def _notification(
        tree: _Tree, element: _Element, checks: Checks) -> Notification:
    """Read one notification: its account and entries."""
    identifier = tree.required(element, 'Id')
    account = tree.first(element, 'Acct/Id/IBAN', 'Acct/Id/Othr/Id')
    if account is None:
        raise _error(
            StructureError, 'missing_element', element=_name(element),
            line=_line(element), child='Acct/Id/IBAN or Acct/Id/Othr/Id')
    entries = tuple(
        _entry(tree, e, checks) for e in tree.findall(element, 'Ntry'))

    stated = tree.text(element, 'TxsSummry/TtlNtries/NbOfNtries')
    if stated is not None:
        checks.compare(
            Check.ENTRY_COUNT, _count(tree, element, stated), len(entries),
            notification=identifier, line=_line(element))
    created = tree.find(element, 'CreDtTm')
    return Notification(
        id=identifier, account=account, entries=entries,
        currency=tree.text(element, 'Acct/Ccy'),
        created=None if created is None else _datetime(
            tree, element, 'CreDtTm'),
        line=_line(element))


def _entry(tree: _Tree, element: _Element, checks: Checks) -> Entry:
    """Read one entry and its transactions."""
    amount, currency = _amount(tree, element, 'Amt')
    indicator = _indicator(tree, element)
    signed = _signed(amount, indicator)
    details = tree.findall(element, 'NtryDtls/TxDtls')
    transactions = tuple(
        _transaction(tree, detail, element, len(details))
        for detail in details)

    reference = tree.text(element, 'NtryRef')
    label = reference or str(_line(element))
    _check_entry(tree, element, checks, label, transactions)
    if transactions and all(t.currency == currency for t in transactions):
        checks.compare(
            Check.ENTRY_TOTAL, signed,
            sum((t.amount for t in transactions), Decimal('0.00')),
            entry=label, line=_line(element), currency=currency)
    return Entry(
        amount=signed, transactions=transactions, currency=currency,
        indicator=indicator,
        reversal=tree.text(element, 'RvslInd') in ('true', '1'),
        status=tree.first(element, 'Sts/Cd', 'Sts') or '',
        booking_date=_date(tree, element, 'BookgDt'),
        value_date=_date(tree, element, 'ValDt'), reference=reference,
        account_servicer_reference=tree.text(element, 'AcctSvcrRef'),
        line=_line(element))


def _check_entry(
        tree: _Tree, element: _Element, checks: Checks, label: str,
        transactions: tuple[Transaction, ...]) -> None:
    """Compare the entry's batch counts with its transactions."""
    counts = [tree.text(b, 'NbOfTxs') for b in tree.findall(
        element, 'NtryDtls/Btch')]
    stated = [int(_count(tree, element, c)) for c in counts if c]
    if stated:
        checks.compare(
            Check.TRANSACTION_COUNT, sum(stated), len(transactions),
            entry=label, line=_line(element))


def _transaction(
        tree: _Tree, element: _Element, entry: _Element, count: int
        ) -> Transaction:
    """Read one transaction, taking what it lacks from a lone entry's."""
    amount, currency = _transaction_amount(tree, element, entry, count)
    has_indicator = tree.find(element, 'CdtDbtInd') is not None
    indicator = _indicator(tree, element if has_indicator else entry)
    return Transaction(
        amount=_signed(amount, indicator), currency=currency,
        indicator=indicator,
        kid=tree.text(element, 'RmtInf/Strd/CdtrRefInf/Ref'),
        invoice_number=tree.text(element, 'RmtInf/Strd/RfrdDocInf/Nb'),
        text=' '.join(filter(None, (
            (u.text or '').strip()
            for u in tree.findall(element, 'RmtInf/Ustrd')))) or None,
        debtor_name=tree.first(
            element, 'RltdPties/Dbtr/Nm', 'RltdPties/Dbtr/Pty/Nm'),
        debtor_account=tree.first(
            element, 'RltdPties/DbtrAcct/Id/IBAN',
            'RltdPties/DbtrAcct/Id/Othr/Id'),
        end_to_end_id=_given(tree.text(element, 'Refs/EndToEndId')),
        account_servicer_reference=tree.text(element, 'Refs/AcctSvcrRef'),
        charges=_charges(tree, element),
        line=_line(element))


def _transaction_amount(
        tree: _Tree, element: _Element, entry: _Element, count: int
        ) -> tuple[Decimal, str]:
    """Return a transaction's amount: its own, else its lone entry's."""
    # Version 02 has no TxDtls/Amt, only the amount the payer sent.
    for path in ('Amt', 'AmtDtls/TxAmt/Amt'):
        if tree.find(element, path) is not None:
            return _amount(tree, element, path)
    return _amount(tree, entry if count == 1 else element, 'Amt')


def _given(end_to_end_id: str | None) -> str | None:
    """Return an EndToEndId, None for the NOTPROVIDED the schema asks for."""
    return None if end_to_end_id == _NOT_PROVIDED else end_to_end_id


def _charges(tree: _Tree, element: _Element) -> Decimal | None:
    """Return the sum of a transaction's charges, if it states any."""
    for path in ('Chrgs/Rcrd/Amt', 'Chrgs/Amt', 'Chrgs/TtlChrgsAndTaxAmt'):
        found = tree.findall(element, path)
        if found:
            return sum(
                (_decimal(tree, amount) for amount in found),
                Decimal('0.00'))
    return None


def _amount(
        tree: _Tree, element: _Element, path: str) -> tuple[Decimal, str]:
    """Return the amount at the path and its currency (Ccy)."""
    found = tree.find(element, path)
    if found is None:
        raise _error(
            StructureError, 'missing_element', element=_name(element),
            line=_line(element), child=path)
    currency = found.get('Ccy')
    if not currency:
        raise _error(
            StructureError, 'missing_element', element=_name(found),
            line=_line(found), child='Ccy')
    return _decimal(tree, found), currency


def _decimal(tree: _Tree, element: _Element) -> Decimal:
    """Return an element's text as a Decimal in at least whole cents."""
    value = (element.text or '').strip()
    if not _AMOUNT.fullmatch(value):
        raise _error(
            RecordError, 'bad_amount', element=_name(element),
            line=_line(element), value=value)
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # unreachable after the pattern
        raise _error(
            RecordError, 'bad_amount', element=_name(element),
            line=_line(element), value=value) from exc
    exponent = amount.as_tuple().exponent
    return amount.quantize(Decimal('0.01')) if isinstance(
        exponent, int) and exponent > -2 else amount


def _signed(amount: Decimal, indicator: CreditDebit) -> Decimal:
    """Return a debit as a negative amount."""
    return -amount if indicator is CreditDebit.DEBIT else amount


def _indicator(tree: _Tree, element: _Element) -> CreditDebit:
    """Return the CdtDbtInd of an element, raising if it is not a code."""
    value = tree.required(element, 'CdtDbtInd')
    try:
        return CreditDebit(value)
    except ValueError as exc:
        found = tree.find(element, 'CdtDbtInd')
        raise _error(
            RecordError, 'bad_indicator', element='CdtDbtInd',
            line=_line(found),
            value=value) from exc


def _count(tree: _Tree, element: _Element, value: str) -> int:
    """Return a stated count, raising unless it is a whole number."""
    if not value.isdigit():
        raise _error(
            RecordError, 'bad_count', element=_name(element),
            line=_line(element), value=value)
    return int(value)


def _date(tree: _Tree, element: _Element, path: str) -> dt.date | None:
    """Return the date of a DateAndDateTime choice (Dt or DtTm)."""
    parent = tree.find(element, path)
    if parent is None:
        return None
    if tree.find(parent, 'Dt') is not None:
        return _iso(tree, parent, 'Dt', dt.date.fromisoformat)
    return _datetime(tree, parent, 'DtTm').date()


def _datetime(tree: _Tree, element: _Element, path: str) -> dt.datetime:
    """Return an ISO 8601 date and time at the path."""
    return _iso(tree, element, path, dt.datetime.fromisoformat)


def _iso(
        tree: _Tree, element: _Element, path: str,
        convert: Callable[[str], T]) -> T:
    """Return the text at the path converted, naming it if it fails."""
    value = tree.required(element, path)
    try:
        return convert(value)
    except ValueError as exc:
        found = tree.find(element, path)
        raise _error(
            RecordError, 'bad_date', element=path.rsplit('/')[-1],
            line=_line(found),
            value=value) from exc


def _with_keys(notice: Camt054, checks: Checks) -> Camt054:
    """Return the document with a unique key on every transaction."""
    keyed = _keyed(notice, frozenset())
    lines: dict[str, list[int]] = {}
    for transaction in keyed.transactions:
        lines.setdefault(transaction.key, []).append(transaction.line)
    shared = frozenset(key for key, found in lines.items() if len(found) > 1)
    if not shared:
        return keyed

    for key in sorted(shared, key=lambda k: lines[k][0]):
        checks.warnings.append(_error(
            StructureError, 'duplicate_key', first=lines[key][0],
            second=lines[key][1], reference=key.split(':', 1)[1]))
    return _keyed(notice, shared)


def _keyed(notice: Camt054, shared: frozenset[str]) -> Camt054:
    """Return the document with keys, by place for the shared ones."""
    def entry(parent: Notification, number: int, item: Entry) -> Entry:
        return replace(item, transactions=tuple(
            replace(t, key=_key(
                notice, parent, number, item, index, t, shared))
            for index, t in enumerate(item.transactions, 1)))

    return replace(notice, notifications=tuple(
        replace(n, entries=tuple(
            entry(n, number, e) for number, e in enumerate(n.entries, 1)))
        for n in notice.notifications))


def _key(
        notice: Camt054, notification: Notification, number: int,
        entry: Entry, index: int, transaction: Transaction,
        shared: Collection[str]) -> str:
    """Return a transaction's key; see parse()."""
    account = notification.account
    key = None
    if transaction.account_servicer_reference:
        key = f'{account}:TX:{transaction.account_servicer_reference}'
    elif entry.account_servicer_reference:
        key = f'{account}:NTRY:{entry.account_servicer_reference}:{index}'
    if key is None or key in shared:
        key = ':'.join((
            'MSG', notice.message_id, notification.id, str(number),
            str(index)))
    return key


_FAMILIES = {  # bank transaction family: received or issued credit transfer
    CreditDebit.CREDIT: 'RCDT', CreditDebit.DEBIT: 'ICDT'}


class _Writer:
    """Build the elements of one camt.054 version."""

    def __init__(self, namespace: str, version: str) -> None:
        self.namespace = namespace
        self.version = version

    def add(
            self, parent: _Element, path: str, text: str | None = None,
            **attributes: str) -> _Element:
        """Add the elements of a path under parent; return the last."""
        element = parent
        for step in path.split('/'):
            element = etree.SubElement(
                element, f'{{{self.namespace}}}{step}')
        element.text = text
        for name, value in attributes.items():
            element.set(name, value)
        return element

    def document(self, notice: Camt054) -> _Element:
        """Return the Document element of the whole notice."""
        # lxml-stubs miss that None names the default namespace.
        namespaces = {None: self.namespace}
        root = etree.Element(
            f'{{{self.namespace}}}Document',
            nsmap=namespaces)  # type: ignore[arg-type]
        body = self.add(root, 'BkToCstmrDbtCdtNtfctn')
        header = self.add(body, 'GrpHdr')
        self.add(header, 'MsgId', notice.message_id)
        self.add(header, 'CreDtTm', notice.created.isoformat())
        for notification in notice.notifications:
            self.notification(self.add(body, 'Ntfctn'), notification)
        return root

    def notification(
            self, element: _Element, notification: Notification) -> None:
        """Fill a Ntfctn element."""
        self.add(element, 'Id', notification.id)
        if notification.created:
            self.add(element, 'CreDtTm', notification.created.isoformat())
        account = self.add(element, 'Acct')
        self.account(account, notification.account)
        if notification.currency:
            self.add(account, 'Ccy', notification.currency)
        self.add(
            element, 'TxsSummry/TtlNtries/NbOfNtries',
            str(len(notification.entries)))
        for entry in notification.entries:
            self.entry(self.add(element, 'Ntry'), entry)

    def entry(self, element: _Element, entry: Entry) -> None:
        """Fill a Ntry element."""
        if entry.reference:
            self.add(element, 'NtryRef', entry.reference)
        self.amount(element, 'Amt', entry.amount, entry.currency)
        self.add(element, 'CdtDbtInd', entry.indicator.value)
        if entry.reversal:
            self.add(element, 'RvslInd', 'true')
        self.add(
            element, 'Sts/Cd' if self.version >= '08' else 'Sts',
            entry.status)
        for path, date in (
                ('BookgDt/Dt', entry.booking_date),
                ('ValDt/Dt', entry.value_date)):
            if date is not None:
                self.add(element, path, date.isoformat())
        if entry.account_servicer_reference:
            self.add(
                element, 'AcctSvcrRef', entry.account_servicer_reference)
        family = self.add(element, 'BkTxCd/Domn')
        self.add(family, 'Cd', 'PMNT')
        self.add(family, 'Fmly/Cd', _FAMILIES[entry.indicator])
        self.add(family, 'Fmly/SubFmlyCd', 'DMCT')
        details = self.add(element, 'NtryDtls')
        self.add(details, 'Btch/NbOfTxs', str(len(entry.transactions)))
        for transaction in entry.transactions:
            self.transaction(self.add(details, 'TxDtls'), transaction)

    def transaction(
            self, element: _Element, transaction: Transaction) -> None:
        """Fill a TxDtls element, in the order the schema gives."""
        refs = self.add(element, 'Refs')
        if transaction.account_servicer_reference:
            self.add(
                refs, 'AcctSvcrRef', transaction.account_servicer_reference)
        self.add(
            refs, 'EndToEndId', transaction.end_to_end_id or _NOT_PROVIDED)
        if self.version >= '03':
            self.amount(
                element, 'Amt', transaction.amount, transaction.currency)
            self.add(element, 'CdtDbtInd', transaction.indicator.value)
        else:
            self.amount(
                element, 'AmtDtls/TxAmt/Amt', transaction.amount,
                transaction.currency)
        if transaction.charges is not None:
            path = 'Chrgs/Rcrd/Amt' if self.version >= '03' else 'Chrgs/Amt'
            self.amount(
                element, path, transaction.charges, transaction.currency)
        self.parties(element, transaction)
        self.remittance(element, transaction)

    def parties(self, element: _Element, transaction: Transaction) -> None:
        """Add the debtor's name and account, if known."""
        if not (transaction.debtor_name or transaction.debtor_account):
            return
        parties = self.add(element, 'RltdPties')
        if transaction.debtor_name:
            path = 'Dbtr/Pty/Nm' if self.version >= '08' else 'Dbtr/Nm'
            self.add(parties, path, transaction.debtor_name)
        if transaction.debtor_account:
            self.account(
                self.add(parties, 'DbtrAcct'), transaction.debtor_account)

    def remittance(
            self, element: _Element, transaction: Transaction) -> None:
        """Add the free text, the invoice number and the KID, if any."""
        if not (transaction.text or transaction.invoice_number
                or transaction.kid):
            return
        info = self.add(element, 'RmtInf')
        if transaction.text:
            self.add(info, 'Ustrd', transaction.text)
        if not (transaction.invoice_number or transaction.kid):
            return
        structured = self.add(info, 'Strd')
        if transaction.invoice_number:
            document = self.add(structured, 'RfrdDocInf')
            self.add(document, 'Tp/CdOrPrtry/Cd', 'CINV')
            self.add(document, 'Nb', transaction.invoice_number)
        if transaction.kid:
            reference = self.add(structured, 'CdtrRefInf')
            self.add(reference, 'Tp/CdOrPrtry/Cd', 'SCOR')
            self.add(reference, 'Ref', transaction.kid)

    def account(self, parent: _Element, account: str) -> None:
        """Add an account's Id, as an IBAN if it looks like one."""
        if _IBAN.fullmatch(account):
            self.add(parent, 'Id/IBAN', account)
        else:
            self.add(parent, 'Id/Othr/Id', account)

    def amount(
            self, parent: _Element, path: str, amount: Decimal,
            currency: str) -> None:
        """Add an amount without its sign, which CdtDbtInd carries."""
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise ValueError(
                f"The amount {amount!r} is not a finite Decimal.")
        self.add(parent, path, format(abs(amount), 'f'), Ccy=currency)
