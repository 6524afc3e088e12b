"""The demo association on PostgreSQL, for tests that run real processes.

Activating the modules takes minutes, so the association is built once
per version of the sources and day into a template database, and each
test gets a copy of it (``createdb -T``) that is dropped afterwards.
"""
import contextlib
import datetime as dt
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'benchmarks'))

MEMBERS = 24
TEMPLATE_PREFIX = 'choo_crash_template_'


@contextlib.contextmanager
def demo_database(folder, monkeypatch, prefix, worker=False):
    "Yield the config file and name of a new demo database, then drop it"
    uri = os.environ.get('TRYTOND_DATABASE_URI', '')
    if not uri.startswith('postgresql'):
        pytest.skip("this test runs real processes on PostgreSQL; "
            "TRYTOND_DATABASE_URI names no PostgreSQL server")
    import harness
    # createdb and dropdb find the server in libpq's variables.
    for variable, value in harness.libpq_environ(uri).items():
        monkeypatch.setenv(variable, value)
    template = _template(harness.write_config(folder, uri))
    config_file = harness.write_config(folder, uri, worker=worker)
    name = f'{prefix}_{os.getpid()}_{time.time_ns() % 10**6}'
    subprocess.run(['createdb', '-T', template, name], check=True)
    try:
        yield config_file, name
    finally:
        harness.drop_database(name)


def _template(config_file):
    "Return the template database of the association for these sources"
    import harness
    from proteus import config as proteus_config
    from trytond import backend

    name = f'{TEMPLATE_PREFIX}{_digest()}'
    templates = {n for n, in query('postgres',
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
        harness.demo.build_association(today(), MEMBERS)
        # A database cannot be renamed while this process holds it open.
        backend.Database(building).close()
        subprocess.run([
                'psql', '-q', '-d', 'postgres', '-c',
                f'ALTER DATABASE "{building}" RENAME TO "{name}"'],
            check=True)
    return name


def _digest():
    "Return a digest of the sources, the demo data and the day"
    digest = hashlib.sha256(f'{today()} {MEMBERS}'.encode())
    paths = [*REPO.glob('choo_*/**/*'), REPO / 'setup' / 'demo_data.py']
    for path in sorted(paths):
        if path.suffix in {'.py', '.xml', '.cfg', '.po'} and path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def today():
    return dt.date.today()


def environ():
    "Return the environment without this test run's Tryton settings"
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith('TRYTOND_')}


def start(command, output, **options):
    "Start the command of the venv, writing to the file output"
    with output.open('w') as file:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / command[0]), *command[1:]],
            env=environ(), stdout=file, stderr=subprocess.STDOUT,
            text=True, **options)


def choo(config_file, name, *arguments, output):
    "Start choo on the database, writing to the file output, and return it"
    return start(
        ['choo', '-c', str(config_file), '-d', name, *arguments], output)


def query(name, sql, params=None):
    "Return the rows of the query on the database"
    import psycopg
    with psycopg.connect(dbname=name) as connection:
        return connection.execute(sql, params).fetchall()
