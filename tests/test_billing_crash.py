"""A billing run killed half-way is finished by ``--resume``, exactly once.

``choo billing-run --commit`` runs as a real process on a PostgreSQL
database of the demo association, in batches of a few subscriptions.
Once some batches are committed it is killed with SIGKILL; then
``choo billing-run --resume`` finishes the run.  Every subscription is
billed once, the issuer's numbers have no gap and every invoice is posted
with a KID.
"""
import re
import signal
import time

import pytest
from pgdemo import MEMBERS, choo, demo_database, query, today

from choo_subscription_billing import kid

BATCH_SIZE = 3
KILL_AFTER_BATCHES = 2


@pytest.fixture
def database(tmp_path, monkeypatch):
    "Yield the config file and name of a new demo database, then drop it"
    with demo_database(tmp_path, monkeypatch, 'choo_crash') as database:
        yield database


def _batches(name):
    "Return the number of batches per state"
    return dict(query(name,
            "SELECT state, COUNT(*) FROM choo_billing_run_batch "
            "GROUP BY state"))


def _kill_after_batches(process, name, count, output, timeout=90):
    "Kill the process once count batches are committed"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("billing-run ended before it could be killed:\n"
                + output.read_text())
        if _batches(name).get('done', 0) >= count:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return
        time.sleep(0.05)
    process.kill()
    pytest.fail("billing-run committed no batch in time")


def test_killed_run_resumes_exactly_once(database, tmp_path):
    config_file, name = database
    date = today().isoformat()

    output = tmp_path / 'billing-run.txt'
    run = choo(config_file, name, 'billing-run', '--date', date,
        '--commit', '--batch-size', str(BATCH_SIZE), output=output)
    _kill_after_batches(run, name, KILL_AFTER_BATCHES, output)
    batches = _batches(name)
    assert batches.get('pending'), batches
    assert query(name, "SELECT state FROM choo_billing_run") == [
        ('processing',)]

    output = tmp_path / 'resume.txt'
    resume = choo(config_file, name, 'billing-run', '--resume',
        output=output)
    assert resume.wait(timeout=120) == 0, output.read_text()
    assert 'runs resumed: 1' in output.read_text()
    assert _batches(name) == {'done': sum(batches.values())}
    assert query(name, "SELECT state FROM choo_billing_run") == [
        ('done',)]

    subscriptions = query(name,
        "SELECT id FROM sale_subscription WHERE state = 'running' "
        "ORDER BY id")
    billed = query(name,
        "SELECT subscription, COUNT(*) FROM choo_billing_item "
        "GROUP BY subscription ORDER BY subscription")
    assert len(subscriptions) == MEMBERS
    assert billed == [(s, 1) for s, in subscriptions]

    invoices = query(name,
        "SELECT number, state, kid FROM account_invoice "
        "WHERE type = 'out' ORDER BY number")
    assert len(invoices) == MEMBERS
    assert all(
        state == 'posted' and value and kid.is_valid(value)
        for _, state, value in invoices)
    numbers = [int(re.fullmatch(r'EF\d{4}-(\d+)', n)[1])
        for n, _, _ in invoices]
    assert numbers == list(range(1, MEMBERS + 1))
