"""A billing run killed half-way is finished by ``--resume``, exactly once.

``choo billing-run --commit`` runs as a real process on a PostgreSQL
database of the demo association, in batches of a few subscriptions.
Once some batches are committed it is killed with SIGKILL; then
``choo billing-run --resume`` finishes the run.  Every subscription is
billed once, the issuer's numbers have no gap and every invoice is posted
with a KID.
"""
import datetime as dt
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from choo_subscription_billing import kid

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'benchmarks'))

MEMBERS = 24
BATCH_SIZE = 3
KILL_AFTER_BATCHES = 2
TEMPLATE_PREFIX = 'choo_crash_template_'


@pytest.fixture
def database(tmp_path, monkeypatch):
    "Yield the config file and name of a new demo database, then drop it"
    uri = os.environ.get('TRYTOND_DATABASE_URI', '')
    if not uri.startswith('postgresql'):
        pytest.skip("the crash test kills a real process on PostgreSQL; "
            "TRYTOND_DATABASE_URI names no PostgreSQL server")
    import harness
    # createdb and dropdb find the server in libpq's variables.
    for variable, value in harness.libpq_environ(uri).items():
        monkeypatch.setenv(variable, value)
    config_file = harness.write_config(tmp_path, uri)
    template = _template(config_file)
    name = f'choo_crash_{os.getpid()}_{time.time_ns() % 10**6}'
    subprocess.run(['createdb', '-T', template, name], check=True)
    try:
        yield config_file, name
    finally:
        harness.drop_database(name)


def _template(config_file):
    """Return the database of the association for these sources

    Activating the modules takes minutes, so the association is built
    once per version of the sources and day, and copied for each run.
    """
    import harness
    from proteus import config as proteus_config
    from trytond import backend

    name = f'{TEMPLATE_PREFIX}{_digest()}'
    templates = {n for n, in _query('postgres',
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (TEMPLATE_PREFIX + '%',))}
    if name not in templates:
        # Templates of older sources; one being copied is left alone.
        for old in templates:
            subprocess.run(['dropdb', '--if-exists', old],
                capture_output=True)
        building = f'{name}_new'
        harness.demo.create_database(config_file, building)
        proteus_config.set_trytond(
            database=building, config_file=str(config_file))
        harness.demo.build_association(_today(), MEMBERS)
        # A database cannot be renamed while this process holds it open.
        backend.Database(building).close()
        subprocess.run([
                'psql', '-q', '-d', 'postgres', '-c',
                f'ALTER DATABASE "{building}" RENAME TO "{name}"'],
            check=True)
    return name


def _digest():
    "Return a digest of the sources, the demo data and the day"
    digest = hashlib.sha256(f'{_today()} {MEMBERS}'.encode())
    paths = [*REPO.glob('choo_*/**/*'), REPO / 'setup' / 'demo_data.py']
    for path in sorted(paths):
        if path.suffix in {'.py', '.xml', '.cfg', '.po'} and path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _today():
    return dt.date.today()


def _choo(config_file, name, *arguments, output):
    "Start choo on the database, writing to the file output, and return it"
    environ = {
        key: value for key, value in os.environ.items()
        if not key.startswith('TRYTOND_')}
    with output.open('w') as file:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / 'choo'),
                '-c', str(config_file), '-d', name, *arguments],
            env=environ, stdout=file, stderr=subprocess.STDOUT, text=True)


def _query(name, sql, params=None):
    import psycopg
    with psycopg.connect(dbname=name) as connection:
        return connection.execute(sql, params).fetchall()


def _batches(name):
    "Return the number of batches per state"
    return dict(_query(name,
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
    date = _today().isoformat()

    output = tmp_path / 'billing-run.txt'
    run = _choo(config_file, name, 'billing-run', '--date', date,
        '--commit', '--batch-size', str(BATCH_SIZE), output=output)
    _kill_after_batches(run, name, KILL_AFTER_BATCHES, output)
    batches = _batches(name)
    assert batches.get('pending'), batches
    assert _query(name, "SELECT state FROM choo_billing_run") == [
        ('processing',)]

    output = tmp_path / 'resume.txt'
    resume = _choo(config_file, name, 'billing-run', '--resume',
        output=output)
    assert resume.wait(timeout=120) == 0, output.read_text()
    assert 'runs resumed: 1' in output.read_text()
    assert _batches(name) == {'done': sum(batches.values())}
    assert _query(name, "SELECT state FROM choo_billing_run") == [
        ('done',)]

    subscriptions = _query(name,
        "SELECT id FROM sale_subscription WHERE state = 'running' "
        "ORDER BY id")
    billed = _query(name,
        "SELECT subscription, COUNT(*) FROM choo_billing_item "
        "GROUP BY subscription ORDER BY subscription")
    assert len(subscriptions) == MEMBERS
    assert billed == [(s, 1) for s, in subscriptions]

    invoices = _query(name,
        "SELECT number, state, kid FROM account_invoice "
        "WHERE type = 'out' ORDER BY number")
    assert len(invoices) == MEMBERS
    assert all(
        state == 'posted' and value and kid.is_valid(value)
        for _, state, value in invoices)
    numbers = [int(re.fullmatch(r'EF\d{4}-(\d+)', n)[1])
        for n, _, _ in invoices]
    assert numbers == list(range(1, MEMBERS + 1))
