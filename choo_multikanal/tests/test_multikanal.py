"""The Multikanal transport against the simulator, run as a process."""
import datetime as dt
import doctest
import socket
import time
from pathlib import Path

import pytest

from choo_multikanal import multikanal
from choo_multikanal.distribution import (
    AuthenticationFailed, ConnectionFailed, NotCancellable, RetryPolicy,
    ServiceUnavailable, Status, StatusReport, Timeout, UnknownDocument,
    overdue, retry)
from choo_multikanal.multikanal import MultikanalConfig, MultikanalProvider
from choo_multikanal.routing import Channel

from .conftest import REJECTING, SILENT, UNREACHABLE
from .tools import TOKEN, Service, document, simulator

POLL_SECONDS = 10


def statuses(
        provider: MultikanalProvider, key: str) -> list[Status]:
    """Return the statuses *key* went through, in order."""
    return [r.status for r in provider.statuses([key]).reports]


def wait_for(
        provider: MultikanalProvider, key: str,
        status: Status) -> list[StatusReport]:
    """Return the reports of *key* once one of them is *status*."""
    deadline = time.monotonic() + POLL_SECONDS
    reports: list[StatusReport] = []
    cursor = None
    while time.monotonic() < deadline:
        page = provider.statuses(since=cursor)
        reports += [r for r in page.reports if r.key == key]
        cursor = page.cursor
        if any(r.status is status for r in reports):
            return reports
        time.sleep(0.05)
    raise AssertionError(f"{key} did not become {status}: {reports}")


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(multikanal)
    assert failures == 0
    assert attempted > 0


def test_accepted_documents_are_delivered(
        provider: MultikanalProvider) -> None:
    """Each accepted document of a batch gets its reference and
    deliveries."""
    documents = [
        document('ACC-1'),
        document('ACC-2', Channel.EFAKTURA),
        document('ACC-3', Channel.EMAIL, attach_ehf=True),
        document('ACC-4', Channel.PRINT, avtalegiro=True, ehf=None)]

    receipts = provider.submit(documents)

    assert [r.key for r in receipts] == [d.key for d in documents]
    assert all(r.accepted and not r.duplicate for r in receipts)
    references = {r.reference for r in receipts}
    assert len(references) == 4 and None not in references
    for receipt, sent in zip(receipts, documents):
        reports = wait_for(provider, receipt.key, Status.DELIVERED)
        assert [r.status for r in reports] == [
            Status.QUEUED, Status.SENT, Status.DELIVERED]
        assert {r.reference for r in reports} == {receipt.reference}
        assert {r.channel for r in reports} == {sent.channel}


def test_unreachable_receiver_is_refused(
        provider: MultikanalProvider) -> None:
    """A receiver on the unreachable list is refused, the others not."""
    receipts = provider.submit([
            document('UNR-1', organisation=UNREACHABLE), document('UNR-2')])

    assert [(r.accepted, r.reason) for r in receipts] == [
        (False, 'unreachable'), (True, None)]
    assert receipts[0].reference is None
    assert provider.statuses([receipts[0].key]).reports == ()


def test_malformed_documents_are_refused(
        provider: MultikanalProvider) -> None:
    """A PDF that is none and EHF that is no XML are refused."""
    receipts = provider.submit([
            document('BAD-1', pdf=b'plain text'),
            document('BAD-2', ehf=b'not xml')])

    assert [(r.accepted, r.reason) for r in receipts] == [
        (False, 'invalid_document'), (False, 'invalid_document')]
    assert all(r.message for r in receipts)


def test_receiver_rejects_later(provider: MultikanalProvider) -> None:
    """A receiver that rejects gives an accepted then rejected document."""
    receipt, = provider.submit([document('REJ-1', organisation=REJECTING)])

    reports = wait_for(provider, receipt.key, Status.REJECTED)
    assert receipt.accepted
    assert [r.status for r in reports] == [Status.QUEUED, Status.REJECTED]
    assert reports[-1].reason == 'rejected_by_receiver'


def test_unconfirmed_delivery_is_overdue(
        provider: MultikanalProvider) -> None:
    """A document never confirmed stays sent and becomes overdue."""
    receipt, = provider.submit([document('SIL-1', organisation=SILENT)])

    reports = wait_for(provider, receipt.key, Status.SENT)
    time.sleep(0.2)
    assert statuses(provider, receipt.key) == [Status.QUEUED, Status.SENT]
    assert overdue(
        reports[-1], reports[-1].at + dt.timedelta(seconds=2),
        dt.timedelta(seconds=1))


def test_resubmission_returns_first_receipt(
        provider: MultikanalProvider) -> None:
    """A key submitted twice is sent once and keeps its reference."""
    first, = provider.submit([document('IDEM-1')])
    wait_for(provider, first.key, Status.DELIVERED)

    again, twice = provider.submit([
            document('IDEM-1'), document('IDEM-1', subject="Changed")])

    assert again.duplicate and twice.duplicate
    assert again.reference == twice.reference == first.reference
    assert statuses(provider, first.key) == [
        Status.QUEUED, Status.SENT, Status.DELIVERED]


def test_refusal_is_remembered(provider: MultikanalProvider) -> None:
    """A refused key stays refused when submitted again."""
    first, = provider.submit([document('UNR-3', organisation=UNREACHABLE)])
    again, = provider.submit([document('UNR-3', organisation=UNREACHABLE)])

    assert (again.accepted, again.reason, again.duplicate) == (
        False, 'unreachable', True)
    assert not first.duplicate


def test_batches_are_split(service: Service) -> None:
    """More documents than batch_size go in several requests."""
    config = MultikanalConfig(url=service.url, token=TOKEN, batch_size=2)
    documents = [document(f'SPLIT-{i}') for i in range(5)]

    with MultikanalProvider(config) as provider:
        receipts = provider.submit(documents)

    assert [r.key for r in receipts] == [d.key for d in documents]
    assert all(r.accepted for r in receipts)


def test_cancel_before_sending() -> None:
    """A queued document can be cancelled once, a sent one not."""
    with simulator('--send-after', '0.5') as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            kept, cancelled = provider.submit([
                    document('CAN-1'), document('CAN-2')])

            report = provider.cancel(cancelled.key)
            with pytest.raises(NotCancellable):
                provider.cancel(cancelled.key)
            with pytest.raises(UnknownDocument):
                provider.cancel('CAN-9.ehf')
            wait_for(provider, kept.key, Status.SENT)
            with pytest.raises(NotCancellable) as sent:
                provider.cancel(kept.key)
            time.sleep(0.6)

            assert (report.status, report.reference) == (
                Status.CANCELLED, cancelled.reference)
            assert statuses(provider, cancelled.key) == [
                Status.QUEUED, Status.CANCELLED]
            assert not sent.value.retryable
            assert sent.value.code == 'not_cancellable'


def test_delayed_delivery_is_polled_to_delivered() -> None:
    """Statuses move from queued to sent to delivered after the delays."""
    with simulator('--send-after', '0.3', '--deliver-after', '0.4') \
            as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            receipt, = provider.submit([document('DEL-1')])
            early = statuses(provider, receipt.key)
            reports = wait_for(provider, receipt.key, Status.DELIVERED)

    assert early == [Status.QUEUED]
    queued, sent, delivered = (r.at for r in reports)
    assert sent - queued == pytest.approx(
        dt.timedelta(seconds=0.3), abs=dt.timedelta(milliseconds=1))
    assert delivered - sent == pytest.approx(
        dt.timedelta(seconds=0.4), abs=dt.timedelta(milliseconds=1))
    assert queued.tzinfo is not None


def test_state_survives_restart(tmp_path: Path) -> None:
    """A restarted service still knows its keys and their references."""
    state = str(tmp_path / 'state.json')
    with simulator('--state-file', state) as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            first, = provider.submit([document('RST-1')])
            wait_for(provider, first.key, Status.DELIVERED)

    with simulator('--state-file', state) as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            again, = provider.submit([document('RST-1')])
            other, = provider.submit([document('RST-2')])
            history = statuses(provider, first.key)

    assert again.duplicate and again.reference == first.reference
    assert other.reference != first.reference
    assert history == [Status.QUEUED, Status.SENT, Status.DELIVERED]


def test_bad_credentials_are_final(service: Service) -> None:
    """A wrong token is refused and is not worth retrying."""
    config = MultikanalConfig(url=service.url, token='wrong')

    with MultikanalProvider(config) as provider:
        with pytest.raises(AuthenticationFailed) as refused:
            provider.submit([document('AUTH-1')])

    assert not refused.value.retryable
    assert refused.value.code == 'authentication_failed'


def test_basic_login() -> None:
    """Basic credentials are checked as tokens are."""
    with simulator('--login', 'choo:s3cret') as service:
        good = MultikanalConfig(
            url=service.url, username='choo', password='s3cret')
        bad = MultikanalConfig(
            url=service.url, username='choo', password='guess')
        with MultikanalProvider(good) as provider:
            receipt, = provider.submit([document('BASIC-1')])
        with MultikanalProvider(bad) as provider:
            with pytest.raises(AuthenticationFailed):
                provider.submit([document('BASIC-2')])

    assert receipt.accepted


def test_transient_failures_are_retried_with_backoff() -> None:
    """Two 503 answers are waited out by the policy, then it succeeds."""
    policy = RetryPolicy(base=2, factor=3, jitter=0.5, attempts=4)
    waits: list[float] = []

    with simulator('--fail-next', '2') as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            receipt, = retry(
                lambda: provider.submit([document('RETRY-1')]), policy,
                sleep=waits.append, random=lambda: 0.5)
            history = statuses(provider, receipt.key)

    assert receipt.accepted and not receipt.duplicate
    assert waits == [2.0, 6.0]
    assert history[0] is Status.QUEUED


def test_retries_give_up(service: Service) -> None:
    """When the policy's attempts are spent, the failure is raised."""
    policy = RetryPolicy(base=0.5, attempts=3, jitter=0)
    waits: list[float] = []
    config = MultikanalConfig(url=service.url, token=TOKEN)

    with MultikanalProvider(config) as provider:
        control = provider._client.post(
            '_control/fail', json={'count': 3})
        with pytest.raises(ServiceUnavailable) as unavailable:
            retry(lambda: provider.submit([document('GIVEUP-1')]),
                policy, sleep=waits.append)
        receipt, = provider.submit([document('GIVEUP-1')])

    assert control.status_code == 200
    assert waits == [1.0, 1.0]  # the service asked for a second
    assert unavailable.value.retryable
    assert unavailable.value.retry_after == 1.0
    assert receipt.accepted and not receipt.duplicate


def test_lost_answer_is_not_sent_twice(service: Service) -> None:
    """A batch whose answer was lost is answered as the first time."""
    config = MultikanalConfig(url=service.url, token=TOKEN)

    with MultikanalProvider(config) as provider:
        provider._client.post(
            '_control/fail', json={'count': 1, 'after': True})
        with pytest.raises(ServiceUnavailable):
            provider.submit([document('LOST-1')])
        receipt, = retry(
            lambda: provider.submit([document('LOST-1')]), RetryPolicy())
        history = statuses(provider, receipt.key)

    assert receipt.accepted and receipt.duplicate
    assert history.count(Status.QUEUED) == 1


def test_unreachable_service_is_retryable() -> None:
    """A service that is down raises a retryable connection failure."""
    with socket.socket() as unused:
        unused.bind(('127.0.0.1', 0))
        port = unused.getsockname()[1]
    config = MultikanalConfig(url=f'http://127.0.0.1:{port}/', token=TOKEN)

    with MultikanalProvider(config) as provider:
        with pytest.raises(ConnectionFailed) as failed:
            provider.submit([document('DOWN-1')])

    assert failed.value.retryable


def test_silent_service_times_out() -> None:
    """A service that accepts the connection but never answers times
    out."""
    with socket.socket() as silent:
        silent.bind(('127.0.0.1', 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        config = MultikanalConfig(
            url=f'http://127.0.0.1:{port}/', token=TOKEN, timeout=0.3)
        with MultikanalProvider(config) as provider:
            with pytest.raises(Timeout) as late:
                provider.submit([document('SLOW-1')])

    assert late.value.retryable
    assert late.value.code == 'timeout'
