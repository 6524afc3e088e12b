"""Real processes the distribution tests talk to, and sample documents."""
import contextlib
import dataclasses
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from choo_multikanal.distribution import (
    Addresses, Document, PostalAddress, document_key, peppol_id)
from choo_multikanal.routing import Channel

TOKEN = 'simulator-token'
PDF = b'%PDF-1.7\n% a small stand-in page\n%%EOF\n'
EHF = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
    b'Invoice-2"/>\n')
ORGNR = '974760673'
POSTAL = PostalAddress(
    "Kari Nordmann", ("Storgata 1",), '0155', "OSLO")
STARTUP_SECONDS = 20


@dataclasses.dataclass
class Service:
    """A process serving on loopback, and the URL it answers at."""

    process: subprocess.Popen[str]
    url: str


@contextlib.contextmanager
def running(command: Sequence[str]) -> Iterator[Service]:
    """Yield a process whose first output line ends with its URL."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith('listening on '):
            raise RuntimeError(f"{command[2]} did not start: {line!r}")
        yield Service(process, line.split()[-1])
    finally:
        process.terminate()
        process.wait(STARTUP_SECONDS)


def simulator(
        *options: str,
        token: str = TOKEN) -> contextlib.AbstractContextManager[Service]:
    """Return a context that runs the simulator with *options*."""
    return running([
            sys.executable, '-m', 'choo_multikanal.simulator',
            '--port', '0', '--token', token, *options])


def document(
        base: str, channel: Channel = Channel.EHF,
        organisation: str = ORGNR,
        **changes: Any) -> Document:
    """Return a small document of *base* going by *channel*."""
    addresses = Addresses(
        efaktura_id=f'0{organisation}', peppol_id=peppol_id(organisation),
        email=f'faktura.{organisation}@example.no', postal=POSTAL)
    values: dict[str, Any] = dict(
        key=document_key(base, channel), channel=channel,
        addresses=addresses, pdf=PDF, ehf=EHF, number=base,
        issuer="Norsk Forening")
    values.update(changes)
    return Document(**values)


def maildir(path: Path) -> Path:
    """Return *path* made ready to hold a Maildir."""
    for name in ['cur', 'new', 'tmp']:
        (path / name).mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(folder: Path) -> Iterator[int]:
    """Yield the port of a real SMTP server that delivers to *folder*."""
    port = free_port()
    process = subprocess.Popen([
            sys.executable, '-m', 'aiosmtpd', '-n',
            '-l', f'127.0.0.1:{port}',
            '-c', 'choo_multikanal.tests.smtp_server.Mailbox',
            str(maildir(folder))])
    try:
        _wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(STARTUP_SECONDS)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the SMTP server stopped")
        with contextlib.suppress(OSError):
            socket.create_connection(('127.0.0.1', port), 1).close()
            return
        time.sleep(0.05)
    raise RuntimeError("the SMTP server did not start")
