"""The HTTP transport to a Multikanal-style distribution service.

Tietoevry's Multikanal interface is not public, so Choo speaks the
protocol below; an adapter for the real one replaces only this module.
``simulator.py`` serves the same protocol for tests.  All bodies are
JSON (UTF-8); every request carries ``Authorization: Bearer <token>`` or
HTTP Basic credentials.  Paths are relative to the configured endpoint,
for instance ``https://multikanal.example/api/v1/``.

``POST batches``
    ``{"documents": [DOCUMENT, ...]}``, at most 500 documents.  A
    DOCUMENT is ``{"key", "channel", "receiver": {"efaktura_id",
    "peppol_id", "email", "postal": {"name", "lines", "postal_code",
    "city", "country"}}, "number", "issuer", "subject", "language",
    "attach_ehf", "avtalegiro", "metadata", "pdf", "ehf"}`` with the PDF
    and EHF as base64.  The answer is ``{"receipts": [{"key",
    "accepted", "reference", "reason", "message", "duplicate"}]}``, one
    per document in order.  A key already submitted gets its first
    receipt again with ``"duplicate": true``; the document is not sent
    again.
``POST statuses``
    ``{"keys": [KEY, ...]}`` or ``{"since": CURSOR, "limit": N}``; the
    answer is ``{"reports": [{"key", "status", "at", "channel",
    "reference", "reason"}], "cursor": CURSOR}``: every status change in
    the order it happened, ``at`` in ISO 8601 with offset.
``POST documents/<key>/cancel``
    The answer is the cancelled status change; 404 for an unknown key,
    409 once the document is sent.

Errors are ``{"error": {"code", "message"}}`` with 400 (malformed
request), 401 (credentials), 404, 409, 413 (batch too large) or 503
(try again, with ``Retry-After`` in seconds).
"""

import base64
import dataclasses
import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from .distribution import (
    Addresses, AuthenticationFailed, ConnectionFailed, DistributionError,
    Document, NotCancellable, PostalAddress, ProtocolError, Receipt,
    ServiceUnavailable, StatusPage, StatusReport, Timeout, UnknownDocument,
    report_from_json)
from .routing import Channel

__all__ = [
    'MAX_BATCH', 'MultikanalConfig', 'MultikanalProvider',
    'document_to_json', 'document_from_json', 'receipt_to_json']

logger = logging.getLogger(__name__)

MAX_BATCH = 500


@dataclasses.dataclass(frozen=True)
class MultikanalConfig:
    """Where the service is and how to log in to it.

    Give either *token* or *username* and *password*.  *verify* is True,
    False or the path of a CA bundle.  *timeout* is in seconds, for each
    of connecting and reading.
    """

    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    batch_size: int = MAX_BATCH
    verify: bool | str = True

    def __post_init__(self) -> None:
        if not self.token and not (self.username and self.password):
            raise ValueError("give a token or a username and password")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1 to {MAX_BATCH}")

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> 'MultikanalConfig':
        """Return the configuration of the ``multikanal_*`` options.

        >>> MultikanalConfig.from_options({
        ...     'multikanal_url': 'https://mk.example/api/v1/',
        ...     'multikanal_token': 'secret',
        ...     'multikanal_timeout': '10'}).timeout
        10.0
        """
        value = options.get('multikanal_verify', 'true')
        verify: bool | str = value
        if value.lower() in {'true', 'false'}:
            verify = value.lower() == 'true'
        return cls(
            url=options['multikanal_url'],
            token=options.get('multikanal_token'),
            username=options.get('multikanal_username'),
            password=options.get('multikanal_password'),
            timeout=float(options.get('multikanal_timeout', 30)),
            batch_size=int(options.get('multikanal_batch_size', MAX_BATCH)),
            verify=verify)


class MultikanalProvider:
    """A distribution provider that is a Multikanal service over HTTP."""

    def __init__(
            self, config: MultikanalConfig,
            transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        auth: httpx.Auth | None = None
        headers = {'Accept': 'application/json'}
        if config.token:
            headers['Authorization'] = f'Bearer {config.token}'
        else:
            assert config.username and config.password
            auth = httpx.BasicAuth(config.username, config.password)
        self._client = httpx.Client(
            base_url=config.url.rstrip('/') + '/', auth=auth,
            headers=headers, timeout=config.timeout, verify=config.verify,
            transport=transport)

    def __enter__(self) -> 'MultikanalProvider':
        return self

    def __exit__(
            self, kind: type[BaseException] | None,
            value: BaseException | None,
            traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections to the service."""
        self._client.close()

    def submit(self, documents: Sequence[Document]) -> list[Receipt]:
        """Return one receipt per document, in batches of batch_size."""
        receipts: list[Receipt] = []
        for batch in _chunks(documents, self.config.batch_size):
            answer = self._post('batches', {
                    'documents': [document_to_json(d) for d in batch]})
            receipts.extend(_receipts(answer, batch))
        logger.info(
            "submitted %d documents, %d accepted", len(receipts),
            sum(r.accepted for r in receipts))
        return receipts

    def statuses(
            self, keys: Collection[str] | None = None,
            since: str | None = None, limit: int = 1000) -> StatusPage:
        """Return the status changes of *keys*, or up to *limit* after
        *since*."""
        query: dict[str, Any]
        if keys is not None:
            query = {'keys': list(keys)}
        else:
            query = {'since': since, 'limit': limit}
        answer = self._post('statuses', query)
        try:
            reports = tuple(report_from_json(r) for r in answer['reports'])
            return StatusPage(reports, answer['cursor'])
        except (KeyError, TypeError, ValueError) as error:
            raise ProtocolError(
                "The status answer is malformed: %(error)s.",
                error=str(error)) from error

    def cancel(self, key: str) -> StatusReport:
        """Withdraw the document of *key* before it is sent."""
        answer = self._post(f'documents/{quote(key, safe="")}/cancel', {})
        try:
            return report_from_json(answer)
        except (KeyError, TypeError, ValueError) as error:
            raise ProtocolError(
                "The cancel answer is malformed: %(error)s.",
                error=str(error)) from error

    def _post(self, path: str, body: Mapping[str, Any]) -> Any:
        try:
            response = self._client.post(path, json=body)
        except httpx.TimeoutException as error:
            raise Timeout(
                "The service did not answer within %(seconds)s s.",
                seconds=self.config.timeout) from error
        except httpx.TransportError as error:
            raise ConnectionFailed(
                "The service could not be reached: %(error)s.",
                error=str(error)) from error
        if response.status_code != 200:
            raise _error(response)
        try:
            return response.json()
        except ValueError as error:
            raise ProtocolError(
                "The service answered no JSON.") from error


def _chunks(
        documents: Sequence[Document], size: int
        ) -> Iterator[Sequence[Document]]:
    for start in range(0, len(documents), size):
        yield documents[start:start + size]


def _receipts(answer: Any, batch: Sequence[Document]) -> list[Receipt]:
    try:
        receipts = [Receipt(**r) for r in answer['receipts']]
    except (KeyError, TypeError) as error:
        raise ProtocolError(
            "The submission answer is malformed: %(error)s.",
            error=str(error)) from error
    if [r.key for r in receipts] != [d.key for d in batch]:
        raise ProtocolError(
            "The service answered receipts for other documents.")
    return receipts


def _error(response: httpx.Response) -> DistributionError:
    status = response.status_code
    try:
        error = response.json()['error']
        detail = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        detail = response.reason_phrase
    if status >= 500 or status == 429:
        return ServiceUnavailable(
            "The service is unavailable (%(status)s): %(detail)s.",
            retry_after=_retry_after(response), status=status,
            detail=detail)
    kind: type[DistributionError] = {
        401: AuthenticationFailed, 403: AuthenticationFailed,
        404: UnknownDocument, 409: NotCancellable,
        }.get(status, ProtocolError)
    return kind(
        "The service refused the request (%(status)s): %(detail)s.",
        status=status, detail=detail)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers['Retry-After'])
    except (KeyError, ValueError):
        return None


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode('ascii') if data else None


def document_to_json(document: Document) -> dict[str, Any]:
    """Return *document* as the JSON object of the wire."""
    addresses = document.addresses
    postal = addresses.postal
    return {
        'key': document.key,
        'channel': document.channel.value,
        'receiver': {
            'efaktura_id': addresses.efaktura_id,
            'peppol_id': addresses.peppol_id,
            'email': addresses.email,
            'postal': dataclasses.asdict(postal) if postal else None,
            },
        'number': document.number,
        'issuer': document.issuer,
        'subject': document.subject,
        'language': document.language,
        'attach_ehf': document.attach_ehf,
        'avtalegiro': document.avtalegiro,
        'metadata': dict(document.metadata),
        'pdf': _b64(document.pdf),
        'ehf': _b64(document.ehf),
        }


def document_from_json(value: Mapping[str, Any]) -> Document:
    """Return the Document of a JSON object from document_to_json().

    Raises KeyError, TypeError, ValueError (base64 included) or
    InvalidDocument on a malformed object.
    """
    receiver = value['receiver']
    postal = receiver.get('postal')
    ehf = value.get('ehf')
    return Document(
        key=value['key'], channel=Channel(value['channel']),
        addresses=Addresses(
            efaktura_id=receiver.get('efaktura_id'),
            peppol_id=receiver.get('peppol_id'),
            email=receiver.get('email'),
            postal=PostalAddress(
                name=postal['name'], lines=tuple(postal['lines']),
                postal_code=postal['postal_code'], city=postal['city'],
                country=postal.get('country', 'NO')) if postal else None),
        pdf=base64.b64decode(value['pdf'], validate=True),
        ehf=base64.b64decode(ehf, validate=True) if ehf else None,
        number=value.get('number', ''), issuer=value.get('issuer', ''),
        subject=value.get('subject'), language=value.get('language', 'nb'),
        attach_ehf=bool(value.get('attach_ehf')),
        avtalegiro=bool(value.get('avtalegiro')),
        metadata=dict(value.get('metadata') or {}))


def receipt_to_json(receipt: Receipt) -> dict[str, Any]:
    """Return *receipt* as the JSON object of the wire."""
    return dataclasses.asdict(receipt)
