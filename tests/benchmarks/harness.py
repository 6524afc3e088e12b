"""What the benchmarks share: a throwaway database, a timer, a report.

A benchmark makes a PostgreSQL database on the server that
CHOO_TEST_POSTGRESQL names, activates the Choo modules and builds the
demo association of setup/demo_data.py in it.  It then runs ``choo``
subcommands in this process, so that a timing covers the job and not
Python's start or the loading of the modules.  The database is dropped
whatever happens, and the last line printed is one JSON object.
"""
import argparse
import contextlib
import hashlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'setup'))

import demo  # noqa: E402

DEFAULT_URI = 'postgresql://postgres@127.0.0.1:5432/'
LIBPQ_ENVIRON = {
    'host': 'PGHOST',
    'hostaddr': 'PGHOSTADDR',
    'port': 'PGPORT',
    'user': 'PGUSER',
    'password': 'PGPASSWORD',
    'passfile': 'PGPASSFILE',
    'sslmode': 'PGSSLMODE',
    'service': 'PGSERVICE',
    }


@dataclass
class Bench:
    "The database a benchmark works in"
    config_file: Path
    database: str
    folder: Path
    today: dt.date
    setup_seconds: float = 0


def parse_args(doc, members):
    "Return the command line arguments of a benchmark"
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(
        '--members', type=int, default=members,
        help="members of the association (default: %(default)s)")
    return parser.parse_args()


def progress(message):
    "Print a progress line at once"
    print(message, flush=True)


@contextlib.contextmanager
def association_database(n_members, worker=False):
    """Yield a Bench whose database holds the association, then drop it

    With worker, the configuration leaves queued tasks to trytond-worker.
    """
    uri = os.environ.get('CHOO_TEST_POSTGRESQL') or DEFAULT_URI
    database = f'choo_bench_{os.getpid()}'
    # createdb and dropdb, run by demo.py, find the server in libpq's
    # environment variables.
    os.environ.update(libpq_environ(uri))
    with tempfile.TemporaryDirectory(prefix='choo-bench-') as folder:
        bench = Bench(
            config_file=write_config(Path(folder), uri, worker),
            database=database, folder=Path(folder),
            today=dt.date.today())
        try:
            bench.setup_seconds = set_up(bench, n_members)
            yield bench
        finally:
            drop_database(database)


def libpq_environ(uri):
    "Return the libpq environment variables that reach the server of uri"
    from psycopg.conninfo import conninfo_to_dict
    params = conninfo_to_dict(uri)
    return {
        variable: str(params[key])
        for key, variable in LIBPQ_ENVIRON.items() if key in params}


def write_config(folder, uri, worker=False):
    "Write a trytond configuration using uri and return its path"
    config_file = folder / 'trytond.conf'
    text = f"[database]\nuri = {uri}\n"
    if worker:
        text += "[queue]\nworker = True\n"
    config_file.write_text(text)
    return config_file


def set_up(bench, n_members):
    "Create the database with the association and return the seconds"
    from proteus import config as proteus_config

    started = time.perf_counter()
    template = template_name(bench.today)
    if not database_exists(template):
        for old in databases_like('choo_bench_template_%'):
            progress(f"dropping the template of older sources {old}")
            subprocess.run(['dropdb', '--if-exists', old], check=True)
        progress(f"creating template database {template}")
        demo.create_database(bench.config_file, template)
        proteus_config.set_trytond(
            database=template, config_file=str(bench.config_file))
        demo.build_association(bench.today, 0)
        close_database(template)
    progress(f"creating database {bench.database} from {template}")
    subprocess.run(
        ['createdb', '-T', template, bench.database], check=True)
    proteus_config.set_trytond(
        database=bench.database, config_file=str(bench.config_file))
    activated = time.perf_counter()
    progress(f"association ready in {activated - started:.1f} s")

    if n_members:
        demo.Association(bench.today).add_members(n_members)
    built = time.perf_counter()
    progress(f"{n_members} members built in {built - activated:.1f} s")
    return built - started


def template_name(today):
    """Return the name of the database the benchmark databases copy

    Activating the modules takes minutes; the template that holds the
    activated modules and the association without members is kept for
    the next benchmark while the sources and the day stay the same.
    """
    digest = hashlib.sha256(today.isoformat().encode())
    for path in sorted([*REPO.glob('choo_*/**/*'), *REPO.glob('setup/*')]):
        if path.is_file() and path.suffix in {'.py', '.xml', '.cfg', '.po'}:
            digest.update(str(path).encode() + path.read_bytes())
    return f'choo_bench_template_{digest.hexdigest()[:12]}'


def database_exists(name):
    "Return whether the server has a database called name"
    result = subprocess.run(
        ['psql', '-XAtc',
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
            'postgres'],
        capture_output=True, text=True, check=True)
    return result.stdout.strip() == '1'


def databases_like(pattern):
    "Return the names of the server's databases matching the LIKE pattern"
    result = subprocess.run(
        ['psql', '-XAtc',
            f"SELECT datname FROM pg_database WHERE datname LIKE '{pattern}'",
            'postgres'],
        capture_output=True, text=True, check=True)
    return result.stdout.split()


def close_database(database):
    "Close this process's connections to database"
    from trytond import backend

    # Database(name) would open a pool if there were none to close.
    if database in backend.Database._databases.get(os.getpid(), {}):
        backend.Database(database).close()


def drop_database(database):
    "Close this process's connections to database and drop it"
    close_database(database)
    result = subprocess.run(
        ['dropdb', '--if-exists', '--force', database],
        capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stderr)
        progress(f"could not drop database {database}")
    else:
        progress(f"dropped database {database}")


def choo(bench, *command):
    "Run a choo subcommand in this process and return its Timing"
    from choo.cli import main

    output = io.StringIO()
    try:
        with Timing() as timing, contextlib.redirect_stdout(output):
            code = main([
                    '-c', str(bench.config_file), '-d', bench.database,
                    *command])
    finally:
        sys.stdout.write(output.getvalue())
    if code:
        raise SystemExit(f"choo {command[0]} failed")
    timing.report = dict(
        line.split(': ', 1) for line in output.getvalue().splitlines()
        if ': ' in line)
    progress(f"choo {command[0]}: {timing.seconds:.1f} s, "
        f"{timing.attempts} attempts, "
        f"{timing.task_seconds:.1f} s in queued tasks")
    if timing.locks:
        progress(f"restarted to take the locks {timing.locks}")
    return timing


class Timing:
    """Time a choo subcommand and the parts of it worth knowing.

    in_transaction starts the whole job again each time Tryton asks for
    a lock it did not take at the start, and afterwards runs the tasks
    the job queued (such as rendering the invoices), so both are counted.
    """

    def __enter__(self):
        import choo.cli
        from trytond.transaction import Transaction

        self.attempts = 1
        self.task_seconds = 0.0
        self.locks = {}
        self.report = {}
        self._patches = contextlib.ExitStack()
        self._patches.enter_context(mock.patch.object(
                Transaction, 'start', self._count(Transaction.start)))
        self._patches.enter_context(mock.patch.object(
                choo.cli, '_run_tasks', self._time(choo.cli._run_tasks)))
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._started
        self._patches.close()

    def _count(self, start):
        "Count the transactions started again with the locks asked for"
        def counting_start(transaction, *args, **extras):
            locks = {
                k: v for k, v in extras.items()
                if k in {'_lock_tables', '_lock_records'}}
            if locks:
                self.attempts += 1
                self.locks = locks
            return start(transaction, *args, **extras)
        return counting_start

    def _time(self, run_tasks):
        def timed_run_tasks(*args):
            started = time.perf_counter()
            try:
                return run_tasks(*args)
            finally:
                self.task_seconds += time.perf_counter() - started
        return timed_run_tasks


def report(benchmark, **figures):
    "Print the benchmark's figures as one JSON object on the last line"
    rounded = {
        key: round(value, 3) if isinstance(value, float) else value
        for key, value in figures.items()}
    print(json.dumps(
            {'benchmark': benchmark, 'backend': 'postgresql', **rounded}),
        flush=True)


def rate(count, seconds):
    "Return count per second, or None when nothing was timed"
    return count / seconds if seconds else None
