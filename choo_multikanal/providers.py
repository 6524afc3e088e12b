"""Which provider takes each channel, from the ``[choo_multikanal]`` options.

The options are those of ``trytond.conf`` as a plain mapping, so the rule
can be tested without Tryton.  ``<channel>_provider`` names the provider
of a channel; left out, EHF and eFaktura go to Multikanal, e-mail to SMTP
when a server is given (else Multikanal) and print to the print folder
when one is given (else Multikanal).

>>> options = {'multikanal_url': 'https://mk.example/', 'smtp_host': 'mx'}
>>> [provider_name(c, options) for c in Channel]
['multikanal', 'multikanal', 'smtp', 'multikanal']
>>> provider_name(Channel.EHF, {}) is None
True
>>> provider_name(Channel.EMAIL, {'email_provider': 'smtp'}) is None
True
"""

import datetime as dt
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .distribution import Journal, Provider, RetryPolicy
from .multikanal import MultikanalConfig, MultikanalProvider
from .printbatch import PrintBatchProvider, PrintConfig
from .routing import Channel
from .smtp import SmtpConfig, SmtpProvider

__all__ = [
    'SECTION', 'MULTIKANAL', 'SMTP', 'PRINT', 'CHANNEL_PROVIDERS',
    'provider_name', 'retry_policy', 'confirm_within', 'batch_size',
    'Providers']

SECTION = 'choo_multikanal'
MULTIKANAL, SMTP, PRINT = 'multikanal', 'smtp', 'print'
# The providers each channel can be given to
CHANNEL_PROVIDERS = {
    Channel.EHF: (MULTIKANAL,),
    Channel.EFAKTURA: (MULTIKANAL,),
    Channel.EMAIL: (SMTP, MULTIKANAL),
    Channel.PRINT: (PRINT, MULTIKANAL),
    }
# The option a provider cannot work without
REQUIRED = {
    MULTIKANAL: 'multikanal_url', SMTP: 'smtp_host', PRINT: 'print_folder'}


def provider_name(
        channel: Channel, options: Mapping[str, str]) -> str | None:
    """Return the provider of *channel*, or None when it is not set up."""
    name = options.get(f'{channel.value}_provider')
    if name:
        name = name.strip().lower()
        if name not in CHANNEL_PROVIDERS[channel]:
            return None
        return name if options.get(REQUIRED[name]) else None
    for candidate in CHANNEL_PROVIDERS[channel]:
        if options.get(REQUIRED[candidate]):
            return candidate
    return None


def retry_policy(options: Mapping[str, str]) -> RetryPolicy:
    """Return the backoff of the ``retry_*`` options.

    >>> retry_policy({'retry_base': '5', 'retry_attempts': '3'}).attempts
    3
    """
    default = RetryPolicy()
    return RetryPolicy(
        base=float(options.get('retry_base', default.base)),
        maximum=float(options.get('retry_maximum', default.maximum)),
        attempts=int(options.get('retry_attempts', default.attempts)))


def confirm_within(options: Mapping[str, str]) -> dt.timedelta:
    """Return how long a confirmation of delivery is waited for.

    >>> confirm_within({'confirm_hours': '1.5'})
    datetime.timedelta(seconds=5400)
    """
    return dt.timedelta(hours=float(options.get('confirm_hours', 72)))


def batch_size(options: Mapping[str, str]) -> int:
    """Return how many deliveries one queued task sends."""
    return max(1, int(options.get('batch_size', 100)))


class Providers:
    """The providers of one sending, opened when first asked for.

    Print runs are written and connections closed when it is closed.
    """

    def __init__(self, options: Mapping[str, str]) -> None:
        self.options = options
        self._open: dict[str, Any] = {}

    def __enter__(self) -> 'Providers':
        return self

    def __exit__(
            self, kind: type[BaseException] | None,
            value: BaseException | None,
            traceback: TracebackType | None) -> None:
        self.close()

    def get(self, name: str) -> Provider:
        """Return the provider called *name*."""
        if name not in self._open:
            self._open[name] = self._create(name)
        provider: Provider = self._open[name]
        return provider

    def flush(self) -> None:
        """Hand the letters spooled so far to the print house."""
        provider = self._open.get(PRINT)
        if provider is not None:
            provider.flush()

    def close(self) -> None:
        """Flush the print run and close every connection."""
        self.flush()
        for provider in self._open.values():
            close = getattr(provider, 'close', None)
            if close is not None:
                close()
        self._open.clear()

    def _create(self, name: str) -> Any:
        options = self.options
        if name == MULTIKANAL:
            return MultikanalProvider(MultikanalConfig.from_options(options))
        if name == SMTP:
            path = options.get('smtp_journal')
            return SmtpProvider(
                SmtpConfig.from_options(options),
                Journal(path) if path else None)
        if name == PRINT:
            return PrintBatchProvider(PrintConfig.from_options(options))
        raise ValueError(f"no provider {name!r}")
