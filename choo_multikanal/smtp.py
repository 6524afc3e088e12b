"""Direct e-mail: one message per document, sent over SMTP.

Each message carries the document's PDF, and its EHF too when the
receiver asked for it, with a subject and text in the receiver's
language (Norwegian for 'nb', 'nn' and 'no', English otherwise).  The
Message-ID is the document's key at the configured domain, so a message
sent again is recognisable as the same one; the journal makes a key
already sent answer with its first receipt instead of a second message.

>>> Texts.of('nn') is TEXTS['nb'], Texts.of('de') is TEXTS['en']
(True, True)
>>> message_id('INV-2026-42.email', 'forening.no')
'<INV-2026-42.email@forening.no>'
"""

import dataclasses
import email.policy
import email.utils
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Collection, Mapping, Sequence
from email.message import EmailMessage
from types import TracebackType

from .distribution import (
    AuthenticationFailed, ConnectionFailed, Document, Journal,
    NotCancellable, Receipt, ServiceUnavailable, Status, StatusPage,
    StatusReport, Timeout, UnknownDocument, utc_now)
from .routing import Channel

__all__ = [
    'SmtpConfig', 'SmtpProvider', 'Texts', 'TEXTS', 'compose',
    'message_id']

logger = logging.getLogger(__name__)

SECURITY = ('starttls', 'tls', 'none')
_UNSAFE = re.compile(r'[^A-Za-z0-9_.-]+')


@dataclasses.dataclass(frozen=True)
class SmtpConfig:
    """The SMTP server to send through and the sender to send as.

    *security* is 'starttls' (upgrade a plain connection, port 587),
    'tls' (TLS from the start, port 465) or 'none' (only for a relay on
    the same host).  *domain* is the right part of the Message-IDs, by
    default the sender's domain.
    """

    host: str
    sender: str
    port: int = 587
    security: str = 'starttls'
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    reply_to: str | None = None
    domain: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"security must be one of {SECURITY}")

    @property
    def message_domain(self) -> str:
        """Return the domain of the Message-IDs."""
        return self.domain or self.sender.rpartition('@')[2]

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> 'SmtpConfig':
        """Return the configuration of the ``smtp_*`` options.

        >>> SmtpConfig.from_options({'smtp_host': 'localhost',
        ...     'smtp_from': 'faktura@forening.no', 'smtp_port': '25',
        ...     'smtp_security': 'none'}).message_domain
        'forening.no'
        """
        return cls(
            host=options['smtp_host'], sender=options['smtp_from'],
            port=int(options.get('smtp_port', 587)),
            security=options.get('smtp_security', 'starttls'),
            username=options.get('smtp_username'),
            password=options.get('smtp_password'),
            timeout=float(options.get('smtp_timeout', 30)),
            reply_to=options.get('smtp_reply_to'),
            domain=options.get('smtp_domain'))


@dataclasses.dataclass(frozen=True)
class Texts:
    """The words of an e-mail in one language."""

    subject: str
    notice_subject: str  # for an AvtaleGiro notice
    body: str
    notice_body: str
    pdf_name: str

    @staticmethod
    def of(language: str) -> 'Texts':
        """Return the texts for a receiver of *language*."""
        code = language.lower().replace('_', '-').split('-')[0]
        return TEXTS['nb' if code in {'nb', 'nn', 'no'} else 'en']


TEXTS = {
    'nb': Texts(
        subject="Faktura {number} fra {issuer}",
        notice_subject="Varsel om AvtaleGiro-trekk: faktura {number} "
            "fra {issuer}",
        body="Hei,\n\nvedlagt er faktura {number} fra {issuer}.\n\n"
            "Med vennlig hilsen\n{issuer}\n",
        notice_body="Hei,\n\nvedlagt er faktura {number} fra {issuer}. "
            "Beløpet trekkes fra kontoen din med AvtaleGiro på "
            "forfallsdagen; du skal ikke betale den selv.\n\n"
            "Med vennlig hilsen\n{issuer}\n",
        pdf_name="faktura"),
    'en': Texts(
        subject="Invoice {number} from {issuer}",
        notice_subject="AvtaleGiro debit notice: invoice {number} from "
            "{issuer}",
        body="Hello,\n\nplease find attached invoice {number} from "
            "{issuer}.\n\nKind regards\n{issuer}\n",
        notice_body="Hello,\n\nplease find attached invoice {number} from "
            "{issuer}. The amount will be debited from your account by "
            "AvtaleGiro on the due date; you need not pay it yourself."
            "\n\nKind regards\n{issuer}\n",
        pdf_name="invoice"),
    }


def message_id(key: str, domain: str) -> str:
    """Return the Message-ID of the document of *key*."""
    return f'<{key}@{domain}>'


def compose(document: Document, config: SmtpConfig) -> EmailMessage:
    """Return the e-mail that delivers *document*."""
    texts = Texts.of(document.language)
    words = {'number': document.number, 'issuer': document.issuer}
    message = EmailMessage(policy=email.policy.SMTP)
    message['From'] = email.utils.formataddr(
        (document.issuer, config.sender))
    message['To'] = document.addresses.email
    if config.reply_to:
        message['Reply-To'] = config.reply_to
    message['Subject'] = document.subject or (
        texts.notice_subject if document.avtalegiro
        else texts.subject).format(**words)
    message['Date'] = email.utils.format_datetime(utc_now())
    message['Message-ID'] = message_id(document.key, config.message_domain)
    message['X-Choo-Document-Key'] = document.key
    message.set_content((
            texts.notice_body if document.avtalegiro
            else texts.body).format(**words))

    name = _UNSAFE.sub('-', f'{texts.pdf_name}-{document.number}'
        if document.number else document.key)
    message.add_attachment(
        document.pdf, maintype='application', subtype='pdf',
        filename=f'{name}.pdf')
    if document.attach_ehf and document.ehf:
        message.add_attachment(
            document.ehf, maintype='application', subtype='xml',
            filename=f'{name}.xml')
    # After the attachments: making the message multipart moves the
    # Content-* headers into its first part.
    message['Content-Language'] = document.language
    return message


class SmtpProvider:
    """A distribution provider that sends e-mails itself, over SMTP.

    The SMTP server's acceptance of a message is its 'sent' status;
    delivery to the mailbox is not confirmed, so e-mails stay sent.
    """

    def __init__(
            self, config: SmtpConfig, journal: Journal | None = None
            ) -> None:
        self.config = config
        self.journal = journal if journal is not None else Journal()
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> 'SmtpProvider':
        return self

    def __exit__(
            self, kind: type[BaseException] | None,
            value: BaseException | None,
            traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection to the SMTP server, if open."""
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                self._connection.close()
            self._connection = None

    def submit(self, documents: Sequence[Document]) -> list[Receipt]:
        """Return one receipt per document, mailing each key once.

        Each message is journalled as soon as the server took it, so a
        transient error raised half-way leaves the sent ones known.
        """
        receipts = []
        for document in documents:
            known = self.journal.receipt(document.key)
            if known is not None:
                receipts.append(dataclasses.replace(known, duplicate=True))
                continue
            receipts.append(self._send(document))
        logger.info(
            "mailed %d documents, %d accepted", len(receipts),
            sum(r.accepted and not r.duplicate for r in receipts))
        return receipts

    def statuses(
            self, keys: Collection[str] | None = None,
            since: str | None = None) -> StatusPage:
        """Return the status changes of *keys*, or those after *since*."""
        return self.journal.page(keys, since)

    def cancel(self, key: str) -> StatusReport:
        """Refuse: an e-mail cannot be withdrawn once the server has it."""
        if self.journal.receipt(key) is None:
            raise UnknownDocument("No document %(key)s.", key=key)
        raise NotCancellable(
            "Document %(key)s was already mailed.", key=key)

    def _send(self, document: Document) -> Receipt:
        if document.channel is not Channel.EMAIL:
            return self._refuse(document.key, 'wrong_channel',
                f"the document goes by {document.channel.value}")
        message = compose(document, self.config)
        try:
            self._connect().send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            code, text = next(iter(refused.recipients.values()))
            return self._refused(document.key, code, text, 'unreachable')
        except smtplib.SMTPDataError as refused:
            return self._refused(
                document.key, refused.smtp_code, refused.smtp_error,
                'invalid_document')
        except smtplib.SMTPResponseException as error:
            self.close()
            raise ServiceUnavailable(
                "The mail server answered %(code)s.",
                code=error.smtp_code) from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise ConnectionFailed(
                "The mail server dropped the connection: %(error)s.",
                error=str(error)) from error

        reference = message['Message-ID']
        receipt = Receipt(document.key, True, reference=reference)
        now = utc_now()
        self.journal.record([receipt], [
                StatusReport(document.key, status, now, Channel.EMAIL,
                    reference)
                for status in (Status.QUEUED, Status.SENT)])
        return receipt

    def _refused(
            self, key: str, code: int, text: bytes | str,
            reason: str) -> Receipt:
        detail = text.decode('utf-8', 'replace') \
            if isinstance(text, bytes) else text
        if 400 <= code < 500:
            raise ServiceUnavailable(
                "The mail server deferred %(key)s: %(code)s %(detail)s.",
                key=key, code=code, detail=detail)
        return self._refuse(key, reason, f"{code} {detail}")

    def _refuse(self, key: str, reason: str, text: str) -> Receipt:
        receipt = Receipt(key, False, reason=reason, message=text)
        self.journal.record([receipt])
        return receipt

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        config = self.config
        try:
            if config.security == 'tls':
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout,
                    context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(
                    config.host, config.port, timeout=config.timeout)
            if config.security == 'starttls':
                connection.starttls(context=ssl.create_default_context())
            if config.username and config.password:
                connection.login(config.username, config.password)
        except smtplib.SMTPAuthenticationError as error:
            raise AuthenticationFailed(
                "The mail server refused the login.") from error
        except (socket.timeout, TimeoutError) as error:
            raise Timeout(
                "The mail server did not answer within %(seconds)s s.",
                seconds=config.timeout) from error
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionFailed(
                "The mail server could not be reached: %(error)s.",
                error=str(error)) from error
        self._connection = connection
        return connection
