"""The interface between Choo and the services that deliver its documents.

A distribution provider takes a batch of outgoing documents, each with an
idempotency key, the channel chosen for it and the receiver's address on
every channel, and reports what became of each: queued, sent, delivered,
or rejected, failed or cancelled.  Submitting a key again never sends the
document twice; it returns the receipt of the first submission.

>>> document = Document(
...     key=document_key('INV-2026-42', Channel.EMAIL),
...     channel=Channel.EMAIL, number='2026-42', issuer="Lag og forening",
...     addresses=Addresses(email='kari@example.no'), pdf=b'%PDF-1.7')
>>> document.key
'INV-2026-42.email'
>>> peppol_id('974760673')
'0192:974760673'
>>> policy = RetryPolicy(base=10, factor=2, maximum=60, jitter=0)
>>> [policy.delay(attempt) for attempt in range(1, 6)]
[10.0, 20.0, 40.0, 60.0, 60.0]
>>> fallback_channel([Channel.EHF, Channel.EMAIL, Channel.PRINT],
...     tried=[Channel.EHF])
<Channel.EMAIL: 'email'>
"""

import dataclasses
import datetime as dt
import enum
import json
import os
import random as _random
import re
import threading
import time
from collections.abc import (
    Callable, Collection, Iterable, Mapping, Sequence)
from pathlib import Path
from typing import Any, Protocol, TypeVar

from stdnum.no import orgnr

from .routing import Channel

__all__ = [
    'Status', 'FINAL', 'PostalAddress', 'Addresses', 'Document', 'Receipt',
    'StatusReport', 'StatusPage', 'Provider', 'DistributionError',
    'TransientError', 'ConnectionFailed', 'Timeout', 'ServiceUnavailable',
    'FinalError', 'AuthenticationFailed', 'InvalidDocument',
    'UnknownDocument', 'NotCancellable', 'ProtocolError', 'RetryPolicy',
    'retry', 'document_key', 'peppol_id', 'fallback_channel', 'overdue',
    'Journal', 'utc_now']

T = TypeVar('T')

# Keys go into URLs, file names and Message-IDs: a dot-atom of safe
# characters.
KEY = re.compile(r'[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*')
KEY_LENGTH = 100
PEPPOL_SCHEME = '0192'  # Norwegian organisation number, in Peppol


class Status(enum.StrEnum):
    """What became of a submitted document."""

    QUEUED = 'queued'  # accepted by the provider, not yet sent
    SENT = 'sent'  # handed on to the channel (access point, bank, print)
    DELIVERED = 'delivered'  # the channel confirmed it reached the receiver
    REJECTED = 'rejected'  # refused by the channel or the receiver
    FAILED = 'failed'  # the provider gave up sending it
    CANCELLED = 'cancelled'  # withdrawn before it was sent


# Statuses after which a document's status never changes again.
FINAL = frozenset({
        Status.DELIVERED, Status.REJECTED, Status.FAILED, Status.CANCELLED})


def utc_now() -> dt.datetime:
    """Return the current time, aware and in UTC."""
    return dt.datetime.now(dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class PostalAddress:
    """The address a printed letter is sent to."""

    name: str
    lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str = 'NO'


@dataclasses.dataclass(frozen=True)
class Addresses:
    """The receiver's address on each channel it can be reached by."""

    efaktura_id: str | None = None  # eFaktura identifier of the consent
    peppol_id: str | None = None  # Peppol participant, '0192:<orgnr>'
    email: str | None = None
    postal: PostalAddress | None = None

    def for_channel(self, channel: Channel) -> str | PostalAddress | None:
        """Return the address *channel* delivers to, or None."""
        return {
            Channel.EFAKTURA: self.efaktura_id,
            Channel.EHF: self.peppol_id,
            Channel.EMAIL: self.email,
            Channel.PRINT: self.postal,
            }[channel]


@dataclasses.dataclass(frozen=True)
class Document:
    """One document to deliver by one channel.

    *pdf* is the human-readable document, always sent; *ehf* is the
    Peppol BIS Billing 3.0 invoice in EHF, required by the EHF channel and
    attached to e-mails when *attach_ehf* is set.  *avtalegiro* marks the
    notice of an AvtaleGiro debit: it carries no payment slip.
    """

    key: str
    channel: Channel
    addresses: Addresses
    pdf: bytes
    number: str = ''  # the invoice's number, as the receiver sees it
    issuer: str = ''  # the sender's name, as the receiver sees it
    ehf: bytes | None = None
    subject: str | None = None
    language: str = 'nb'
    attach_ehf: bool = False
    avtalegiro: bool = False
    metadata: Mapping[str, str] = dataclasses.field(
        default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        check_key(self.key)
        if self.addresses.for_channel(self.channel) is None:
            raise InvalidDocument(
                "Document %(key)s has no address for channel %(channel)s.",
                key=self.key, channel=self.channel.value)
        if self.channel is Channel.EHF and not self.ehf:
            raise InvalidDocument(
                "Document %(key)s goes by EHF but has no EHF.",
                key=self.key)
        if not self.pdf:
            raise InvalidDocument(
                "Document %(key)s has no PDF.", key=self.key)


@dataclasses.dataclass(frozen=True)
class Receipt:
    """The provider's answer to the submission of one document.

    *reason* is a short code ('unreachable', 'invalid_receiver',
    'invalid_document', 'wrong_channel') when the document was refused.
    *duplicate* tells that the key had been submitted before and that this
    is the receipt of that first submission.
    """

    key: str
    accepted: bool
    reference: str | None = None
    reason: str | None = None
    message: str | None = None
    duplicate: bool = False


@dataclasses.dataclass(frozen=True)
class StatusReport:
    """One change of a document's status, at the time it happened."""

    key: str
    status: Status
    at: dt.datetime
    channel: Channel
    reference: str | None = None
    reason: str | None = None


@dataclasses.dataclass(frozen=True)
class StatusPage:
    """Status changes in the order they happened, and where to go on.

    Pass *cursor* as *since* to the next statuses() call to get only the
    changes that happened after these.
    """

    reports: tuple[StatusReport, ...]
    cursor: str | None


class Provider(Protocol):
    """A service that delivers documents by one or more channels."""

    def submit(self, documents: Sequence[Document]) -> list[Receipt]:
        """Return one receipt per document, in order, sending each once."""
        ...

    def statuses(
            self, keys: Collection[str] | None = None,
            since: str | None = None) -> StatusPage:
        """Return the status changes of *keys*, or all those after *since*.
        """
        ...

    def cancel(self, key: str) -> StatusReport:
        """Withdraw the document of *key* and return its cancelled status.
        """
        ...


class DistributionError(Exception):
    """A document could not be handed to or asked about at a provider.

    *code* names the failure for translation; the keyword arguments are
    the named placeholders of the message.
    """

    code = 'distribution_error'
    retryable = False

    def __init__(self, message: str, **params: Any) -> None:
        self.params = params
        super().__init__(message % params if params else message)


class TransientError(DistributionError):
    """A failure that may pass: try again later."""

    code = 'transient_error'
    retryable = True

    def __init__(
            self, message: str, retry_after: float | None = None,
            **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after


class ConnectionFailed(TransientError):
    """The provider could not be reached."""

    code = 'connection_failed'


class Timeout(TransientError):
    """The provider did not answer in time."""

    code = 'timeout'


class ServiceUnavailable(TransientError):
    """The provider answered with a server error (5xx) or asked to wait."""

    code = 'service_unavailable'


class FinalError(DistributionError):
    """A failure that trying again will not mend."""

    code = 'final_error'


class AuthenticationFailed(FinalError):
    """The provider refused the credentials."""

    code = 'authentication_failed'


class InvalidDocument(FinalError):
    """A document lacks what its channel needs, or its key is malformed."""

    code = 'invalid_document'


class UnknownDocument(FinalError):
    """The provider knows no document of the key."""

    code = 'unknown_document'


class NotCancellable(FinalError):
    """The document was already sent, or reached a final status."""

    code = 'not_cancellable'


class ProtocolError(FinalError):
    """The provider answered something this client does not understand."""

    code = 'protocol_error'


def check_key(key: str) -> str:
    """Return *key* if it can be an idempotency key, else raise.

    >>> check_key('INV-2026-42.ehf')
    'INV-2026-42.ehf'
    >>> check_key('INV 42')  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    InvalidDocument: Key 'INV 42' is not up to 100 letters, digits, ...
    """
    if len(key) > KEY_LENGTH or not KEY.fullmatch(key):
        raise InvalidDocument(
            "Key %(key)r is not up to 100 letters, digits, '-', '_' and "
            "'.'.", key=key)
    return key


def document_key(base: str, channel: Channel) -> str:
    """Return the idempotency key of sending *base* by *channel*.

    The channel is part of the key so that a fallback to the next channel
    is a new delivery while a retry on the same channel is not.

    >>> document_key('INV-2026-42', Channel.PRINT)
    'INV-2026-42.print'
    """
    return check_key(f'{base}.{channel.value}')


def peppol_id(number: str) -> str:
    """Return the Peppol participant identifier of an organisation number.

    >>> peppol_id('974 760 673')
    '0192:974760673'
    """
    return f'{PEPPOL_SCHEME}:{orgnr.validate(number)}'


def fallback_channel(
        channels: Sequence[Channel],
        tried: Collection[Channel]) -> Channel | None:
    """Return the first of *channels* not yet *tried*, or None.

    *channels* are the receiver's possible channels, most wanted first,
    as routing.possible_channels() gives them.

    >>> fallback_channel([Channel.EFAKTURA, Channel.PRINT],
    ...     tried=[Channel.EFAKTURA, Channel.PRINT]) is None
    True
    """
    for channel in channels:
        if channel not in tried:
            return channel
    return None


def overdue(
        report: StatusReport, now: dt.datetime,
        confirm_within: dt.timedelta) -> bool:
    """Return whether a document still unconfirmed waited too long.

    A document is overdue when its latest status, *report*, is neither
    delivered nor another final one and is older than *confirm_within*:
    the next channel should be tried.

    >>> at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc)
    >>> report = StatusReport('K.ehf', Status.SENT, at, Channel.EHF)
    >>> overdue(report, at + dt.timedelta(hours=25), dt.timedelta(days=1))
    True
    >>> overdue(report, at + dt.timedelta(hours=23), dt.timedelta(days=1))
    False
    """
    return (report.status not in FINAL
        and now - report.at > confirm_within)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """When to try a transient failure again: exponential backoff.

    The n-th retry waits *base* × *factor*^(n-1) seconds, at most
    *maximum*, spread by ±*jitter* (a fraction) so that workers do not
    retry in step; after *attempts* tries there is no next one.
    """

    base: float = 30.0
    factor: float = 2.0
    maximum: float = 3600.0
    jitter: float = 0.1
    attempts: int = 8

    def delay(
            self, attempt: int,
            random: Callable[[], float] = _random.random) -> float:
        """Return the seconds to wait after failed try number *attempt*.

        *random* returns a float in [0, 1); 0.5 means no jitter.

        >>> RetryPolicy(base=10, jitter=0.5).delay(2, random=lambda: 0.0)
        10.0
        """
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        delay = min(self.maximum, self.base * self.factor ** (attempt - 1))
        return delay * (1 + self.jitter * (2 * random() - 1))

    def next_attempt(
            self, attempt: int, failed_at: dt.datetime,
            retry_after: float | None = None,
            random: Callable[[], float] = _random.random
            ) -> dt.datetime | None:
        """Return when to try again after try *attempt* failed, or None.

        *retry_after* is the wait the provider asked for, if any; it is
        honoured when longer than the policy's.

        >>> at = dt.datetime(2026, 1, 5, 12, 0)
        >>> policy = RetryPolicy(base=60, jitter=0, attempts=3)
        >>> policy.next_attempt(2, at)
        datetime.datetime(2026, 1, 5, 12, 2)
        >>> policy.next_attempt(3, at) is None
        True
        """
        if attempt >= self.attempts:
            return None
        delay = max(self.delay(attempt, random), retry_after or 0)
        return failed_at + dt.timedelta(seconds=delay)


def retry(
        call: Callable[[], T], policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random) -> T:
    """Return call(), tried again after each TransientError by *policy*.

    The last TransientError is raised when the policy gives up; a final
    error is raised at once.  Only idempotent calls may be retried, which
    every Provider method is.
    """
    attempt = 1
    while True:
        try:
            return call()
        except TransientError as error:
            if attempt >= policy.attempts:
                raise
            sleep(max(policy.delay(attempt, random), error.retry_after or 0))
            attempt += 1


class Journal:
    """The receipts and status changes of a provider that keeps them itself.

    Direct e-mail and print have no service that remembers keys, so their
    providers keep them here; with *path*, every change is appended to a
    JSON-lines file and read back on start, so a restarted worker still
    knows what was sent.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._receipts: dict[str, Receipt] = {}
        self._reports: list[StatusReport] = []
        self._latest: dict[str, StatusReport] = {}
        if self.path is not None and self.path.exists():
            self._load(self.path)

    def receipt(self, key: str) -> Receipt | None:
        """Return the first receipt of *key*, or None."""
        return self._receipts.get(key)

    def latest(self, key: str) -> StatusReport | None:
        """Return the latest status change of *key*, or None."""
        return self._latest.get(key)

    def record(
            self, receipts: Iterable[Receipt] = (),
            reports: Iterable[StatusReport] = ()) -> None:
        """Record new receipts and status changes, in one write."""
        receipts, reports = list(receipts), list(reports)
        with self._lock:
            for receipt in receipts:
                self._receipts.setdefault(receipt.key, receipt)
            for report in reports:
                self._reports.append(report)
                self._latest[report.key] = report
            if self.path is not None:
                self._append(receipts, reports)

    def page(
            self, keys: Collection[str] | None = None,
            since: str | None = None) -> StatusPage:
        """Return the status changes of *keys*, or those after *since*."""
        with self._lock:
            start = int(since) if since else 0
            reports = self._reports[start:]
            cursor = str(len(self._reports))
        if keys is not None:
            wanted = set(keys)
            reports = [r for r in reports if r.key in wanted]
        return StatusPage(tuple(reports), cursor)

    def _append(
            self, receipts: list[Receipt],
            reports: list[StatusReport]) -> None:
        assert self.path is not None
        lines = [json.dumps({'receipt': dataclasses.asdict(r)})
            for r in receipts]
        lines += [json.dumps({'report': report_to_json(r)}) for r in reports]
        with self.path.open('a', encoding='utf-8') as file:
            file.write(''.join(line + '\n' for line in lines))
            file.flush()
            os.fsync(file.fileno())

    def _load(self, path: Path) -> None:
        with path.open(encoding='utf-8') as file:
            for line in file:
                if not line.strip():
                    continue
                entry = json.loads(line)
                if 'receipt' in entry:
                    receipt = Receipt(**entry['receipt'])
                    self._receipts.setdefault(receipt.key, receipt)
                else:
                    report = report_from_json(entry['report'])
                    self._reports.append(report)
                    self._latest[report.key] = report


def report_to_json(report: StatusReport) -> dict[str, Any]:
    """Return *report* as the JSON object of the wire and journal."""
    return {
        'key': report.key,
        'status': report.status.value,
        'at': report.at.isoformat(),
        'channel': report.channel.value,
        'reference': report.reference,
        'reason': report.reason,
        }


def report_from_json(value: Mapping[str, Any]) -> StatusReport:
    """Return the StatusReport of a JSON object from report_to_json()."""
    return StatusReport(
        key=value['key'], status=Status(value['status']),
        at=dt.datetime.fromisoformat(value['at']),
        channel=Channel(value['channel']),
        reference=value.get('reference'), reason=value.get('reason'))
