"""Build the Choo demo database and run the main job through it once.

The demo is a Norwegian association with members on yearly dues.  It
bills them with ``choo billing-run``, writes an OCR giro file that pays
most invoices, reads it with ``choo import-bank-file`` and prints a
summary.  Then it serves the database with the sao web client unless
``--no-serve`` is given.  Running it again rebuilds the database.
"""
import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from demo_data import BANK_ACCOUNT, Association, bank_file_transactions

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / 'var' / 'demo'
BIN = Path(sys.executable).parent
MODULES = [
    'choo_account_no', 'choo_membership', 'choo_subscription_billing',
    'choo_cremul', 'choo_multikanal', 'choo_reports']
ADMIN_PASSWORD = 'admin'


def main(argv=None):
    args = parse_args(argv)
    config_file = args.config or write_config(serve=not args.no_serve)
    create_database(config_file, args.database)

    from proteus import config as proteus_config
    proteus_config.set_trytond(
        database=args.database, config_file=str(config_file))
    today = dt.date.today()
    build_association(today, args.members)

    billing = choo(config_file, args.database, 'billing-run',
        '--date', today.isoformat())
    bank_file = write_bank_file(today)
    payments = choo(config_file, args.database, 'import-bank-file',
        str(bank_file), '--commit')
    print_summary(billing, payments)
    if not args.no_serve:
        serve(config_file, args.database)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', type=Path, default=None,
        help="trytond configuration (default: one in var/demo)")
    parser.add_argument('--database', default='demo')
    parser.add_argument('--members', type=int, default=60)
    parser.add_argument('--no-serve', action='store_true',
        help="stop after the summary")
    return parser.parse_args(argv)


def write_config(serve):
    "Write the demo's trytond configuration and return its path"
    (VAR / 'db').mkdir(parents=True, exist_ok=True)
    config_file = VAR / 'trytond.conf'
    text = (
        "[database]\n"
        "uri = sqlite://\n"
        f"path = {VAR / 'db'}\n"
        "\n[web]\n"
        "listen = 127.0.0.1:8000\n")
    if serve:
        text += f"root = {install_sao()}\n"
    config_file.write_text(text)
    return config_file


def install_sao():
    "Install the sao web client and return its root folder"
    result = subprocess.run(
        [str(ROOT / 'setup' / 'install-sao')],
        check=True, capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1].split(': ', 1)[1]


def database_path(config_file, database):
    "Return the SQLite file of the database, or None for PostgreSQL"
    from trytond import config
    config.update_etc(str(config_file))
    if not config.get('database', 'uri', default='').startswith('sqlite'):
        return None
    return Path(config.get('database', 'path')) / f'{database}.sqlite'


def create_database(config_file, database):
    "Create the database afresh with the Choo modules activated"
    path = database_path(config_file, database)
    if path is not None:
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    else:
        subprocess.run(
            ['dropdb', '--if-exists', database], check=False)
        subprocess.run(['createdb', database], check=True)
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as password:
        password.write(ADMIN_PASSWORD)
        password.flush()
        env = dict(os.environ, TRYTONPASSFILE=password.name)
        subprocess.run(
            [str(BIN / 'trytond-admin'), '-c', str(config_file),
                '-d', database, '--all', '--email', 'admin@example.org',
                '--activate-dependencies', '-u', *MODULES],
            check=True, env=env, stdout=subprocess.DEVNULL)
    # Tryton loads a module's translations as it updates the module, into
    # languages that existed before: Bokmål, which choo_membership adds,
    # takes a second pass.
    subprocess.run(
        [str(BIN / 'trytond-admin'), '-c', str(config_file),
            '-d', database, '-u', *MODULES, '-l', 'nb'],
        check=True, stdout=subprocess.DEVNULL)


def choo(config_file, database, *command):
    "Run the operator tool and return its output as a dictionary"
    result = subprocess.run(
        [str(BIN / 'choo'), '-c', str(config_file), '-d', database,
            *command],
        capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"choo {command[0]} failed")
    return dict(
        line.split(': ', 1) for line in result.stdout.splitlines()
        if ': ' in line)


def build_association(today, n_members):
    "Create the association, its books, its issuer and its members"
    Association(today).build(n_members)


def write_bank_file(today):
    "Write an OCR giro file that pays most open invoices"
    from choo_cremul import ocr
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f'ocr-{today.isoformat()}.txt'
    path.write_text(ocr.write(
            bank_file_transactions(today),
            transmission_number=today.strftime('%y%m%d1'),
            data_transmitter='00008080', data_recipient='00012345',
            agreement_id='000123456', account=BANK_ACCOUNT, date=today),
        encoding='latin-1')
    return path


def print_summary(billing, payments):
    from proteus import Model
    Invoice = Model.get('account.invoice')
    open_invoices = Invoice.find([
            ('type', '=', 'out'), ('state', '=', 'posted')])
    receivable = sum(
        (i.amount_to_pay for i in open_invoices), Decimal(0))
    print()
    print("summary")
    print(f"invoices posted: {billing['invoices posted']}")
    print(f"payments matched: {payments['matched']}")
    print(f"payments suggested: {payments['suggested']}")
    print(f"payments unmatched: {payments['unmatched']}")
    print(f"open receivables: {receivable:.2f}")


def serve(config_file, database):
    print()
    print("Open http://127.0.0.1:8000/ and log in to database "
        f"'{database}' as user 'admin' with password '{ADMIN_PASSWORD}'.")
    print("Stop the server with Ctrl+C.")
    sys.stdout.flush()
    os.execv(str(BIN / 'trytond'),
        [str(BIN / 'trytond'), '-c', str(config_file), '-d', database])


if __name__ == '__main__':
    sys.exit(main())
