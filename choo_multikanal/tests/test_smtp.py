"""Direct e-mail through a real SMTP server process on loopback."""
import doctest
import email.policy
import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from choo_multikanal import smtp
from choo_multikanal.distribution import (
    Addresses, ConnectionFailed, Document, Journal, NotCancellable,
    ServiceUnavailable, Status, UnknownDocument)
from choo_multikanal.routing import Channel
from choo_multikanal.smtp import SmtpConfig, SmtpProvider

from .tools import EHF, PDF, document, free_port, smtp_server

SENDER = 'faktura@forening.example'


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[int, Path]]:
    """Yield the port and Maildir folder of a running SMTP server."""
    folder = tmp_path_factory.mktemp('maildir')
    with smtp_server(folder) as port:
        yield port, folder


@pytest.fixture
def config(server: tuple[int, Path]) -> SmtpConfig:
    """Return the configuration that sends through the test server."""
    return SmtpConfig(
        host='127.0.0.1', port=server[0], security='none', sender=SENDER,
        reply_to='post@forening.example', timeout=10)


def received(server: tuple[int, Path], key: str) -> list[EmailMessage]:
    """Return the messages the server holds for the document *key*."""
    messages = []
    for message in mailbox.Maildir(server[1], create=False):
        parsed = email.message_from_bytes(
            message.as_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if parsed['X-Choo-Document-Key'] == key:
            messages.append(parsed)
    return messages


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """Return the attachments of *message* by file name."""
    found = {}
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        content = part.get_content()
        assert isinstance(content, bytes)
        found[part.get_filename() or ''] = (part.get_content_type(), content)
    return found


def mail(
        base: str, email: str = 'kari@example.no',
        **changes: Any) -> Document:
    """Return an e-mail document of *base* to *email*."""
    return document(
        base, Channel.EMAIL, addresses=Addresses(email=email), **changes)


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(smtp)
    assert failures == 0
    assert attempted > 0


def test_norwegian_invoice_with_pdf(
        config: SmtpConfig, server: tuple[int, Path]) -> None:
    """A Norwegian receiver gets a Norwegian message with the PDF."""
    sent = mail('NB-1', number='2026-17')

    with SmtpProvider(config) as provider:
        receipt, = provider.submit([sent])

    message, = received(server, sent.key)
    assert receipt.accepted
    assert receipt.reference == message['Message-ID'] == (
        '<NB-1.email@forening.example>')
    assert message['Subject'] == "Faktura 2026-17 fra Norsk Forening"
    assert message['From'] == f'Norsk Forening <{SENDER}>'
    assert message['To'] == 'kari@example.no'
    assert message['Reply-To'] == 'post@forening.example'
    assert message['Content-Language'] == 'nb'
    body = message.get_body(('plain',))
    assert body is not None and "vedlagt er faktura 2026-17" in (
        body.get_content())
    assert attachments(message) == {
        'faktura-2026-17.pdf': ('application/pdf', PDF)}


def test_english_invoice_with_ehf(
        config: SmtpConfig, server: tuple[int, Path]) -> None:
    """An English-speaking organisation gets English text and the EHF."""
    sent = mail('EN-1', 'ap@company.example', number='2026-18',
        language='en', attach_ehf=True)

    with SmtpProvider(config) as provider:
        provider.submit([sent])

    message, = received(server, sent.key)
    assert message['Subject'] == "Invoice 2026-18 from Norsk Forening"
    assert attachments(message) == {
        'invoice-2026-18.pdf': ('application/pdf', PDF),
        'invoice-2026-18.xml': ('application/xml', EHF)}


def test_ehf_only_when_wanted(
        config: SmtpConfig, server: tuple[int, Path]) -> None:
    """The EHF stays out of a message whose receiver did not ask."""
    sent = mail('EN-2', language='en-GB', attach_ehf=False)

    with SmtpProvider(config) as provider:
        provider.submit([sent])

    message, = received(server, sent.key)
    assert list(attachments(message)) == ['invoice-EN-2.pdf']


def test_avtalegiro_notice(
        config: SmtpConfig, server: tuple[int, Path]) -> None:
    """A member on AvtaleGiro is told the amount will be debited."""
    sent = mail('AG-1', number='2026-19', avtalegiro=True, language='nn')

    with SmtpProvider(config) as provider:
        provider.submit([sent])

    message, = received(server, sent.key)
    body = message.get_body(('plain',))
    assert message['Subject'].startswith("Varsel om AvtaleGiro-trekk")
    assert body is not None and "trekkes fra kontoen din" in (
        body.get_content())


def test_resend_is_not_mailed_again(
        config: SmtpConfig, server: tuple[int, Path],
        tmp_path: Path) -> None:
    """A key sent before, even by another process, is not mailed twice."""
    journal = tmp_path / 'mail.jsonl'
    with SmtpProvider(config, Journal(journal)) as provider:
        first, = provider.submit([mail('DUP-1')])
        again, = provider.submit([mail('DUP-1')])
    with SmtpProvider(config, Journal(journal)) as restarted:
        later, = restarted.submit([mail('DUP-1')])
        history = restarted.statuses(['DUP-1.email']).reports

    assert len(received(server, 'DUP-1.email')) == 1
    assert again.duplicate and later.duplicate
    assert first.reference == again.reference == later.reference
    assert [r.status for r in history] == [Status.QUEUED, Status.SENT]


def test_refused_mailbox(
        config: SmtpConfig, server: tuple[int, Path]) -> None:
    """A mailbox refused for good refuses its document, not the batch."""
    with SmtpProvider(config) as provider:
        refused, sent = provider.submit([
                mail('REF-1', 'unknown@example.no'), mail('REF-2')])

    assert (refused.accepted, refused.reason) == (False, 'unreachable')
    assert refused.message and refused.message.startswith('550')
    assert sent.accepted
    assert received(server, 'REF-1.email') == []
    assert len(received(server, 'REF-2.email')) == 1


def test_deferred_mailbox_is_retryable(
        config: SmtpConfig, server: tuple[int, Path]) -> None:
    """A 4xx answer raises a retryable error; what was sent stays sent."""
    batch = [mail('BUSY-1'), mail('BUSY-2', 'busy@example.no')]
    with SmtpProvider(config) as provider:
        with pytest.raises(ServiceUnavailable) as deferred:
            provider.submit(batch)
        with pytest.raises(ServiceUnavailable):
            provider.submit(batch)
        first = provider.journal.receipt('BUSY-1.email')

    assert deferred.value.retryable
    assert first is not None and first.accepted
    assert provider.journal.receipt('BUSY-2.email') is None
    assert len(received(server, 'BUSY-1.email')) == 1


def test_wrong_channel_is_refused(config: SmtpConfig) -> None:
    """A document for another channel is not mailed."""
    with SmtpProvider(config) as provider:
        receipt, = provider.submit([document('WRONG-1', Channel.EHF)])

    assert (receipt.accepted, receipt.reason) == (False, 'wrong_channel')


def test_mail_cannot_be_cancelled(config: SmtpConfig) -> None:
    """A mailed message cannot be withdrawn; an unknown key is unknown."""
    with SmtpProvider(config) as provider:
        provider.submit([mail('CANCEL-1')])
        with pytest.raises(NotCancellable):
            provider.cancel('CANCEL-1.email')
        with pytest.raises(UnknownDocument):
            provider.cancel('CANCEL-2.email')


def test_server_down_is_retryable() -> None:
    """No server on the port raises a retryable connection failure."""
    config = SmtpConfig(
        host='127.0.0.1', port=free_port(), security='none', sender=SENDER)

    with SmtpProvider(config) as provider:
        with pytest.raises(ConnectionFailed) as failed:
            provider.submit([mail('DOWN-1')])

    assert failed.value.retryable
    assert provider.journal.receipt('DOWN-1.email') is None
