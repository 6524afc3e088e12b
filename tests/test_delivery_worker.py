"""Invoices billed and delivered by real trytond-worker processes.

On a PostgreSQL copy of the demo association, with ``[queue] worker``
set, ``choo billing-run --commit`` only queues the run's batches.  A
``trytond-worker`` bills them, and each posting queues the sending of
its invoices' deliveries to the Multikanal simulator, a process on
loopback.  The worker is killed with SIGKILL while it sends; Tryton's
queue does not give a killed task back, so a new worker finishes what
is queued and ``choo distribute``, as the scheduled job does, queues
the deliveries left waiting.  Every invoice ends delivered once: the
simulator took each key once, and no invoice has a second delivery.
"""
import collections
import os
import signal
import time

import pytest
from pgdemo import MEMBERS, choo, demo_database, query, start, today

from choo_multikanal.multikanal import MultikanalConfig, MultikanalProvider
from choo_multikanal.tests.tools import TOKEN, simulator

BATCH_SIZE = 6
DELIVERY_BATCH_SIZE = 3
EFAKTURA_MEMBERS = 8


@pytest.fixture
def service():
    with simulator() as service:
        yield service


@pytest.fixture
def database(tmp_path, monkeypatch, service):
    "Yield a demo database whose e-mails and eFaktura go to the simulator"
    with demo_database(tmp_path, monkeypatch, 'choo_worker',
            worker=True) as (config_file, name):
        with config_file.open('a') as file:
            file.write(
                "[choo_multikanal]\n"
                f"multikanal_url = {service.url}\n"
                f"multikanal_token = {TOKEN}\n"
                "email_provider = multikanal\n"
                f"batch_size = {DELIVERY_BATCH_SIZE}\n")
        _give_efaktura(name)
        yield config_file, name


def _give_efaktura(name):
    "Give the first members an eFaktura consent"
    import psycopg
    with psycopg.connect(dbname=name) as connection:
        connection.execute(
            "UPDATE party_party SET efaktura_agreement = true, "
            "efaktura_id = LPAD(id::text, 10, '0') "
            "WHERE id IN (SELECT party FROM choo_membership "
            "ORDER BY id LIMIT %s)", (EFAKTURA_MEMBERS,))


def _worker(config_file, name, output):
    return start(
        ['trytond-worker', '-c', str(config_file), '-d', name, '-n', '1'],
        output, start_new_session=True)


def _stop(worker, signal_=signal.SIGTERM):
    os.killpg(worker.pid, signal_)
    worker.wait(timeout=30)


def _deliveries(name):
    "Return the number of deliveries per state"
    return dict(query(name,
            "SELECT state, COUNT(*) FROM choo_delivery GROUP BY state"))


def _wait(condition, what, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen in {timeout} s")


def _submitted(service):
    "Return how many times the simulator queued each key"
    config = MultikanalConfig(url=service.url, token=TOKEN)
    with MultikanalProvider(config) as provider:
        return collections.Counter(
            r.key for r in provider.statuses(since=None).reports
            if r.status.value == 'queued')


def test_worker_killed_while_sending(database, service, tmp_path):
    config_file, name = database
    worker = _worker(config_file, name, tmp_path / 'worker-1.txt')
    try:
        billing = choo(config_file, name, 'billing-run',
            '--date', today().isoformat(), '--commit',
            '--batch-size', str(BATCH_SIZE),
            output=tmp_path / 'billing-run.txt')
        assert billing.wait(timeout=120) == 0, (
            tmp_path / 'billing-run.txt').read_text()
        _wait(lambda: _deliveries(name).get('delivered'),
            "a first delivery")
    finally:
        _stop(worker, signal.SIGKILL)
    assert _deliveries(name).get('delivered', 0) < MEMBERS

    worker = _worker(config_file, name, tmp_path / 'worker-2.txt')
    try:
        _wait(lambda: query(name,
                "SELECT COUNT(*) FROM account_invoice "
                "WHERE state = 'posted'") == [(MEMBERS,)],
            "the billing of every member")
        distribute = choo(config_file, name, 'distribute',
            output=tmp_path / 'distribute.txt')
        assert distribute.wait(timeout=120) == 0, (
            tmp_path / 'distribute.txt').read_text()
        _wait(lambda: _deliveries(name) == {'delivered': MEMBERS},
            "the delivery of every invoice")
    finally:
        _stop(worker)

    deliveries = query(name,
        "SELECT invoice, key, channel FROM choo_delivery ORDER BY invoice")
    assert len({invoice for invoice, _, _ in deliveries}) == MEMBERS
    channels = collections.Counter(c for _, _, c in deliveries)
    assert channels == {
        'efaktura': EFAKTURA_MEMBERS, 'email': MEMBERS - EFAKTURA_MEMBERS}
    assert _submitted(service) == {key: 1 for _, key, _ in deliveries}
    assert query(name,
        "SELECT COUNT(*) FROM choo_delivery_event "
        "WHERE status = 'delivered'") == [(MEMBERS,)]
