"""A local simulator of the Multikanal protocol, for tests and trials.

It speaks the protocol described in ``multikanal.py`` and behaves like a
provider: it checks credentials, refuses receivers that are unreachable,
accepts the rest as queued, sends them after ``--send-after`` seconds
and confirms delivery ``--deliver-after`` seconds later (or rejects
them, or never confirms, by rule), and answers a key submitted twice with
its first receipt.  Run it as::

    python -m choo_multikanal.simulator --host 127.0.0.1 --port 8090 \\
        --token secret --send-after 2 --deliver-after 5 \\
        --unreachable 0192:974760673 --state-file /tmp/multikanal.json

With ``--port 0`` it picks a free port.  Its first line on standard
output is ``listening on http://HOST:PORT/api/v1/`` (the ``--prefix``).
``POST _control/fail`` with ``{"count": N, "after": false}`` makes the
next N requests answer 503 (with ``"after": true`` the request is
carried out first and only its answer is lost), as does ``--fail-next
N`` at start.
"""

import argparse
import base64
import binascii
import dataclasses
import datetime as dt
import heapq
import hmac
import http.server
import json
import os
import sys
import tempfile
import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from stdnum.no import orgnr

from .distribution import (
    FINAL, DistributionError, Document, Receipt, Status, StatusReport,
    report_from_json, report_to_json, utc_now)
from .multikanal import MAX_BATCH, document_from_json, receipt_to_json
from .routing import Channel

__all__ = ['Rules', 'Simulator', 'serve', 'main']


@dataclasses.dataclass(frozen=True)
class Rules:
    """How the simulated channels treat documents.

    A receiver matches a rule by its eFaktura id, Peppol participant id
    (with or without the '0192:' scheme), or e-mail address.
    """

    send_after: float = 0.0
    deliver_after: float = 0.0
    unreachable: frozenset[str] = frozenset()  # refused at submission
    reject_later: frozenset[str] = frozenset()  # rejected when sent
    never_confirm: frozenset[str] = frozenset()  # stays sent


class Refused(Exception):
    """A request the simulator answers with an HTTP error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Simulator:
    """The state of the simulated service, safe to share among threads."""

    def __init__(
            self, rules: Rules, state_file: Path | None = None) -> None:
        self.rules = rules
        self.state_file = state_file
        self._lock = threading.Lock()
        self._receipts: dict[str, Receipt] = {}
        self._channels: dict[str, Channel] = {}
        self._status: dict[str, Status] = {}
        self._reports: list[StatusReport] = []
        self._pending: list[tuple[float, int, str, str]] = []
        # Keys whose receiver never confirms delivery.
        self._silent: set[str] = set()
        self._counter = 0
        self._failures = 0
        self._fail_after = False
        if state_file is not None and state_file.exists():
            self._load(state_file)

    def fail(self, count: int, after: bool = False) -> None:
        """Make the next *count* requests fail with 503."""
        with self._lock:
            self._failures = count
            self._fail_after = after

    def take_failure(self) -> bool | None:
        """Return None to serve, else whether to serve before failing."""
        with self._lock:
            if not self._failures:
                return None
            self._failures -= 1
            return self._fail_after

    def submit(self, documents: Sequence[Any]) -> list[dict[str, Any]]:
        """Return the receipts of the documents' JSON objects."""
        if not isinstance(documents, list):
            raise Refused(400, 'invalid_request', "documents is no list")
        if len(documents) > MAX_BATCH:
            raise Refused(
                413, 'batch_too_large',
                f"a batch holds at most {MAX_BATCH} documents")
        now = utc_now()
        receipts = []
        with self._lock:
            self._advance(now)
            for value in documents:
                receipts.append(self._submit_one(value, now))
            self._advance(now)
            self._save()
        return [receipt_to_json(r) for r in receipts]

    def statuses(
            self, keys: Collection[str] | None, since: str | None,
            limit: int) -> dict[str, Any]:
        """Return the status page of *keys* or after the cursor *since*."""
        with self._lock:
            self._advance(utc_now())
            if keys is not None:
                wanted = set(keys)
                reports = [r for r in self._reports if r.key in wanted]
                cursor = len(self._reports)
            else:
                start = int(since or 0)
                reports = self._reports[start:start + limit]
                cursor = start + len(reports)
            self._save()
        return {
            'reports': [report_to_json(r) for r in reports],
            'cursor': str(cursor),
            }

    def cancel(self, key: str) -> dict[str, Any]:
        """Return the cancelled status change of *key*, or refuse."""
        with self._lock:
            now = utc_now()
            self._advance(now)
            status = self._status.get(key)
            if status is None:
                raise Refused(404, 'unknown_document', f"no document {key}")
            if status is not Status.QUEUED:
                raise Refused(
                    409, 'not_cancellable', f"document {key} is {status}")
            report = self._change(key, Status.CANCELLED, now)
            self._save()
        return report_to_json(report)

    def _submit_one(self, value: Any, now: dt.datetime) -> Receipt:
        key = value.get('key') if isinstance(value, dict) else None
        if isinstance(key, str) and key in self._receipts:
            return dataclasses.replace(self._receipts[key], duplicate=True)
        try:
            document = document_from_json(value)
        except (DistributionError, KeyError, TypeError, ValueError,
                binascii.Error) as error:
            if not isinstance(key, str):
                raise Refused(400, 'invalid_request', "a key is missing")
            return self._refuse(key, 'invalid_document', str(error))
        reason = self._check(document)
        if reason is not None:
            return self._refuse(document.key, *reason)
        self._counter += 1
        receipt = Receipt(
            document.key, True, reference=f'MK{self._counter:010d}')
        self._receipts[document.key] = receipt
        self._channels[document.key] = document.channel
        self._change(document.key, Status.QUEUED, now)
        if self._matches(document, self.rules.never_confirm):
            self._silent.add(document.key)
        next_status = (Status.REJECTED
            if self._matches(document, self.rules.reject_later)
            else Status.SENT)
        self._schedule(document.key, now, self.rules.send_after, next_status)
        return receipt

    def _refuse(self, key: str, reason: str, message: str) -> Receipt:
        receipt = Receipt(key, False, reason=reason, message=message)
        self._receipts[key] = receipt
        return receipt

    def _check(self, document: Document) -> tuple[str, str] | None:
        if not document.pdf.startswith(b'%PDF-'):
            return 'invalid_document', "the PDF is no PDF"
        if document.channel is Channel.EHF:
            scheme, _, number = (document.addresses.peppol_id or '') \
                .partition(':')
            if scheme != '0192' or not orgnr.is_valid(number):
                return 'invalid_receiver', "no 0192 Peppol participant"
            if not (document.ehf or b'').lstrip().startswith(b'<'):
                return 'invalid_document', "the EHF is no XML"
        if self._matches(document, self.rules.unreachable):
            return 'unreachable', "the receiver is not reachable"
        return None

    @staticmethod
    def _matches(document: Document, names: frozenset[str]) -> bool:
        addresses = document.addresses
        peppol = addresses.peppol_id or ''
        candidates = {
            addresses.efaktura_id, peppol, peppol.partition(':')[2],
            addresses.email}
        return not names.isdisjoint(candidates - {None, ''})

    def _schedule(
            self, key: str, start: dt.datetime, seconds: float,
            status: Status) -> None:
        self._counter += 1
        heapq.heappush(self._pending, (
                start.timestamp() + seconds, self._counter, key,
                status.value))

    def _change(
            self, key: str, status: Status, at: dt.datetime,
            reason: str | None = None) -> StatusReport:
        report = StatusReport(
            key, status, at, self._channels[key],
            self._receipts[key].reference, reason)
        self._status[key] = status
        self._reports.append(report)
        return report

    def _advance(self, now: dt.datetime) -> None:
        """Carry out the status changes that fell due up to *now*."""
        while self._pending and self._pending[0][0] <= now.timestamp():
            due, _, key, value = heapq.heappop(self._pending)
            if self._status[key] in FINAL:
                continue
            at = dt.datetime.fromtimestamp(due, dt.timezone.utc)
            status = Status(value)
            if status is Status.REJECTED:
                self._change(key, status, at, 'rejected_by_receiver')
                continue
            self._change(key, status, at)
            if status is Status.SENT and key not in self._silent:
                self._schedule(
                    key, at, self.rules.deliver_after, Status.DELIVERED)

    def _save(self) -> None:
        if self.state_file is None:
            return
        state = {
            'receipts': [receipt_to_json(r)
                for r in self._receipts.values()],
            'reports': [report_to_json(r) for r in self._reports],
            'pending': self._pending,
            'counter': self._counter,
            'silent': sorted(self._silent),
            }
        folder = self.state_file.parent
        with tempfile.NamedTemporaryFile(
                'w', dir=folder, delete=False, encoding='utf-8') as file:
            json.dump(state, file)
        os.replace(file.name, self.state_file)

    def _load(self, path: Path) -> None:
        state = json.loads(path.read_text(encoding='utf-8'))
        for value in state['receipts']:
            receipt = Receipt(**value)
            self._receipts[receipt.key] = receipt
        for value in state['reports']:
            report = report_from_json(value)
            self._reports.append(report)
            self._channels[report.key] = report.channel
            self._status[report.key] = report.status
        self._pending = [
            (float(due), int(order), str(key), str(status))
            for due, order, key, status in state['pending']]
        heapq.heapify(self._pending)
        self._counter = state['counter']
        self._silent.update(state['silent'])


class Handler(http.server.BaseHTTPRequestHandler):
    """One request to the simulator."""

    protocol_version = 'HTTP/1.1'
    server: 'Server'

    def do_POST(self) -> None:
        """Serve a POST request of the protocol."""
        simulator = self.server.simulator
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if not self._authorised():
            self._send(401, _error('authentication_failed', "bad login"),
                {'WWW-Authenticate': 'Bearer, Basic realm="multikanal"'})
            return
        failure = simulator.take_failure()
        if failure is False:
            self._unavailable()
            return
        try:
            answer = self._route(self._path(), body)
        except Refused as refused:
            status, answer = refused.status, _error(
                refused.code, str(refused))
        else:
            status = 200
        if failure:
            self._unavailable()
            return
        self._send(status, answer)

    def _route(self, path: str, body: bytes) -> Any:
        simulator = self.server.simulator
        try:
            request = json.loads(body or b'{}')
        except ValueError:
            raise Refused(400, 'invalid_request', "the body is no JSON")
        if not isinstance(request, dict):
            raise Refused(400, 'invalid_request', "the body is no object")
        if path == 'batches':
            return {'receipts': simulator.submit(request.get('documents', []))}
        if path == 'statuses':
            return simulator.statuses(
                request.get('keys'), request.get('since'),
                int(request.get('limit') or 1000))
        if path.startswith('documents/') and path.endswith('/cancel'):
            return simulator.cancel(path[len('documents/'):-len('/cancel')])
        if path == '_control/fail':
            simulator.fail(
                int(request.get('count', 1)), bool(request.get('after')))
            return {}
        raise Refused(404, 'not_found', f"no such path {path}")

    def _path(self) -> str:
        path = urlsplit(self.path).path
        prefix = self.server.prefix
        if path.startswith(prefix):
            path = path[len(prefix):]
        return unquote(path.strip('/'))

    def _authorised(self) -> bool:
        given = self.headers.get('Authorization', '')
        kind, _, credential = given.partition(' ')
        if kind == 'Bearer':
            wanted = self.server.tokens
        elif kind == 'Basic':
            wanted = self.server.logins
            try:
                credential = base64.b64decode(credential).decode()
            except (ValueError, UnicodeDecodeError):
                return False
        else:
            return False
        return any(hmac.compare_digest(credential, w) for w in wanted)

    def _unavailable(self) -> None:
        self._send(
            503, _error('service_unavailable', "try again later"),
            {'Retry-After': '1'})

    def _send(
            self, status: int, answer: Any,
            headers: Mapping[str, str] | None = None) -> None:
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the simulator's callers report what matters."""


def _error(code: str, message: str) -> dict[str, Any]:
    return {'error': {'code': code, 'message': message}}


class Server(http.server.ThreadingHTTPServer):
    """The simulator's HTTP server."""

    daemon_threads = True

    def __init__(
            self, address: tuple[str, int], simulator: Simulator,
            tokens: Collection[str], logins: Collection[str],
            prefix: str = '/') -> None:
        super().__init__(address, Handler)
        self.simulator = simulator
        self.tokens = list(tokens)
        self.logins = list(logins)
        self.prefix = '/' + prefix.strip('/') + ('/' if prefix.strip('/')
            else '')


def serve(args: argparse.Namespace) -> None:
    """Serve the simulator until the process is stopped."""
    rules = Rules(
        send_after=args.send_after, deliver_after=args.deliver_after,
        unreachable=frozenset(args.unreachable),
        reject_later=frozenset(args.reject_later),
        never_confirm=frozenset(args.never_confirm))
    simulator = Simulator(rules, args.state_file)
    simulator.fail(args.fail_next)
    server = Server(
        (args.host, args.port), simulator, args.token, args.login,
        args.prefix)
    print(f"listening on http://{args.host}:{server.server_port}"
        f"{server.prefix}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the command line's options."""
    parser = argparse.ArgumentParser(
        prog='python -m choo_multikanal.simulator',
        description="Simulate a Multikanal distribution service.")
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8090)
    parser.add_argument('--prefix', default='/api/v1/',
        help="path of the endpoint")
    parser.add_argument('--state-file', type=Path,
        help="keep the state in this JSON file across restarts")
    parser.add_argument('--token', action='append', default=[],
        help="a bearer token accepted")
    parser.add_argument('--login', action='append', default=[],
        metavar='USER:PASSWORD', help="a basic login accepted")
    parser.add_argument('--send-after', type=float, default=0.0,
        metavar='SECONDS', help="from queued to sent")
    parser.add_argument('--deliver-after', type=float, default=0.0,
        metavar='SECONDS', help="from sent to delivered")
    parser.add_argument('--unreachable', action='append', default=[],
        metavar='ID', help="receiver refused at submission")
    parser.add_argument('--reject-later', action='append', default=[],
        metavar='ID', help="receiver that rejects when sent")
    parser.add_argument('--never-confirm', action='append', default=[],
        metavar='ID', help="receiver whose delivery is never confirmed")
    parser.add_argument('--fail-next', type=int, default=0,
        metavar='N', help="answer 503 to the first N requests")
    args = parser.parse_args(argv)
    if not args.token and not args.login:
        parser.error("give at least one --token or --login")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator from the command line."""
    serve(parse_args(argv))
    return 0


if __name__ == '__main__':
    sys.exit(main())
