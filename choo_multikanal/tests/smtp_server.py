"""The handler of the test SMTP server: a Maildir that refuses some.

Run as ``python -m aiosmtpd -n -l 127.0.0.1:PORT -c
choo_multikanal.tests.smtp_server.Mailbox MAILDIR``.  Mail to
``unknown@…`` is refused for good (550), to ``busy@…`` for now (451).
"""
from typing import Any

from aiosmtpd import handlers


class Mailbox(handlers.Mailbox):
    """Keep every message accepted in a Maildir."""

    async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str,
            rcpt_options: list[str]) -> str:
        """Refuse the two test mailboxes, accept every other."""
        local = address.partition('@')[0]
        if local == 'unknown':
            return '550 5.1.1 No such mailbox'
        if local == 'busy':
            return '451 4.3.0 Mailbox busy, try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'
