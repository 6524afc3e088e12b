"""Tests of the pure distribution layer."""
import datetime as dt
import doctest
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choo_multikanal import distribution
from choo_multikanal.distribution import (
    Addresses, ConnectionFailed, DistributionError, FinalError,
    InvalidDocument, Journal, Receipt, RetryPolicy, Status, StatusReport,
    TransientError, UnknownDocument, document_key, fallback_channel,
    retry)
from choo_multikanal.routing import Channel, Receiver, possible_channels

from .tools import PDF, document

AT = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.timezone.utc)


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(distribution)
    assert failures == 0
    assert attempted > 0


@pytest.mark.parametrize('channel', list(Channel))
def test_document_needs_address_of_its_channel(channel: Channel) -> None:
    """A document without an address on its channel is refused."""
    with pytest.raises(InvalidDocument) as missing:
        document('ADDR-1', channel, addresses=Addresses())

    assert missing.value.params['channel'] == channel.value
    assert missing.value.code == 'invalid_document'


def test_ehf_channel_needs_ehf() -> None:
    """EHF cannot go without its XML; other channels can."""
    with pytest.raises(InvalidDocument):
        document('NOEHF-1', Channel.EHF, ehf=None)

    assert document('NOEHF-1', Channel.EMAIL, ehf=None).ehf is None


@pytest.mark.parametrize('key', [
        '', 'a b', 'a..b', '.a', 'a.', 'æøå', 'k' * 101, 'a:b', 'a/b'])
def test_malformed_keys_are_refused(key: str) -> None:
    """Keys are dot-atoms of safe characters, at most 100 long."""
    with pytest.raises(InvalidDocument):
        document('X', key=key)


def test_keys_differ_by_channel() -> None:
    """A fallback to another channel is a new delivery."""
    keys = {document_key('INV-7', channel) for channel in Channel}
    assert len(keys) == len(Channel)


def test_errors_separate_retryable_from_final() -> None:
    """Transient errors are retryable and final ones not, each coded."""
    transient = [
        cls for cls in vars(distribution).values()
        if isinstance(cls, type) and issubclass(cls, TransientError)]
    final = [
        cls for cls in vars(distribution).values()
        if isinstance(cls, type) and issubclass(cls, FinalError)]

    assert len(transient) == 4 and len(final) == 6
    assert all(cls.retryable for cls in transient)
    assert not any(cls.retryable for cls in final)
    codes = [cls.code for cls in transient + final]
    assert len(set(codes)) == len(codes)
    error = UnknownDocument("No document %(key)s.", key='K.ehf')
    assert str(error) == "No document K.ehf."
    assert isinstance(error, DistributionError)


@given(
    attempt=st.integers(1, 40), random=st.floats(0, 1, exclude_max=True),
    jitter=st.floats(0, 0.5))
def test_delay_stays_within_jitter(
        attempt: int, random: float, jitter: float) -> None:
    """Every delay is the capped exponential one, spread by the jitter."""
    policy = RetryPolicy(base=30, factor=2, maximum=3600, jitter=jitter)
    plain = min(3600, 30 * 2 ** (attempt - 1))

    delay = policy.delay(attempt, lambda: random)

    assert plain * (1 - jitter) <= delay <= plain * (1 + jitter)


def test_delays_grow_then_stop() -> None:
    """Without jitter delays double to the maximum; then none is left."""
    policy = RetryPolicy(base=30, maximum=200, jitter=0, attempts=5)

    times = [policy.next_attempt(n, AT) for n in range(1, 6)]

    assert [(t - AT).total_seconds() for t in times[:4] if t] == [
        30, 60, 120, 200]
    assert times[4] is None
    assert policy.next_attempt(1, AT, retry_after=90) == (
        AT + dt.timedelta(seconds=90))
    with pytest.raises(ValueError):
        policy.delay(0)


def test_retry_stops_at_final_error() -> None:
    """A final error is raised at once, without waiting."""
    waits: list[float] = []
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise UnknownDocument("no such document")

    with pytest.raises(UnknownDocument):
        retry(refuse, RetryPolicy(), sleep=waits.append)
    assert (calls, waits) == ([1], [])


def test_retry_until_success() -> None:
    """Transient failures are retried until the call succeeds."""
    answers: list[object] = [
        ConnectionFailed("down"), ConnectionFailed("down"), 'done']
    waits: list[float] = []

    def call() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    policy = RetryPolicy(base=1, jitter=0)
    assert retry(call, policy, sleep=waits.append) == 'done'
    assert waits == [1.0, 2.0]


def test_fallback_follows_routing() -> None:
    """The next channel is the next possible one for the receiver."""
    channels = possible_channels(Receiver(
        efaktura_agreement=True, email='kari@example.no'))

    tried: list[Channel] = []
    order = []
    while (channel := fallback_channel(channels, tried)) is not None:
        order.append(channel)
        tried.append(channel)

    assert order == [Channel.EFAKTURA, Channel.EMAIL, Channel.PRINT]


def test_journal_survives_restart(tmp_path: Path) -> None:
    """A journal file gives the same receipts and changes when read."""
    path = tmp_path / 'journal.jsonl'
    journal = Journal(path)
    receipt = Receipt('K-1.email', True, reference='<K-1.email@x>')
    reports = [
        StatusReport('K-1.email', Status.QUEUED, AT, Channel.EMAIL),
        StatusReport(
            'K-1.email', Status.SENT, AT + dt.timedelta(seconds=1),
            Channel.EMAIL, '<K-1.email@x>')]
    journal.record([receipt], reports)
    journal.record([Receipt('K-1.email', False, reason='late')])

    again = Journal(path)

    assert again.receipt('K-1.email') == receipt
    assert again.page() == journal.page()
    assert again.page().reports == tuple(reports)
    assert again.page(since='1').reports == tuple(reports[1:])
    assert again.page(keys=['other']).reports == ()
    assert again.latest('K-1.email') == reports[1]


def test_pdf_is_required() -> None:
    """A document always carries its PDF."""
    with pytest.raises(InvalidDocument):
        document('NOPDF-1', Channel.PRINT, pdf=b'')
    assert document('PDF-1', Channel.PRINT).pdf == PDF
