"""``choo import-bank-file`` run as the operator runs it.

A SQLite database of the demo association, its books open in 1992 (the
year of the OCR giro sample), holds the three open invoices whose KIDs
the sample pays.  The real ``choo`` command reads the sample into it:
without ``--commit`` the report is printed and nothing stays; with it the
statement is posted and the invoices are settled; the same file again is
refused and changes nothing.  An AvtaleGiro agreement file goes the same
way.  The database is read with sqlite3, outside Tryton.
"""
import datetime as dt
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'samples' / 'ocr'
OCR_GIRO = SAMPLES / 'ocr_giro_three_types.txt'
AGREEMENTS = SAMPLES / 'avtalegiro_agreements_zero_date.txt'
DATABASE = 'cli'
BOOKS = dt.date(1992, 1, 20)
# The sample's KIDs and what their invoices ask (see the samples' README)
INVOICES = [('0000125', Decimal('1020.00')), ('0042002', Decimal('600.00')),
    ('02311291000171', Decimal('5500.00'))]
TABLES = ['account_statement', 'account_statement_origin',
    'account_statement_line', 'account_move', 'choo_avtalegiro_file',
    'choo_avtalegiro_agreement']

pytestmark = pytest.mark.skipif(
    not (OCR_GIRO.exists() and AGREEMENTS.exists()),
    reason=f"the samples in {SAMPLES} are not available")


@pytest.fixture(scope='module')
def database(tmp_path_factory):
    "Return the configuration file and the SQLite file of the association"
    folder = tmp_path_factory.mktemp('choo-cli')
    config_file = folder / 'trytond.conf'
    config_file.write_text(
        f"[database]\nuri = sqlite://\npath = {folder}\n")
    # Built in a process of its own, so that this one's trytond is untouched
    built = subprocess.run(
        [sys.executable, __file__, str(config_file)], env=_environ(),
        capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-4000:]
    return config_file, folder / f'{DATABASE}.sqlite'


def _environ():
    "Return the environment without this test run's database settings"
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith(('TRYTOND_', 'DB_'))}


def build(config_file):
    "Create the association with the sample's open invoices"
    sys.path.insert(0, str(REPO / 'setup'))
    import demo
    from demo_data import Association
    from proteus import Model
    from proteus import config as proteus_config

    demo.create_database(config_file, DATABASE)
    proteus_config.set_trytond(
        database=DATABASE, config_file=str(config_file))
    association = Association(BOOKS)
    association.build(0)

    Account = Model.get('account.account')
    Invoice = Model.get('account.invoice')
    Party = Model.get('party.party')
    revenue, = Account.find([('code', '=', '3000')])
    for kid, amount in INVOICES:
        member = Party(name=f"Member {kid}")
        member.save()
        invoice = Invoice(type='out', party=member)
        invoice.issuer = association.issuer
        invoice.invoice_date = dt.date(1992, 1, 2)
        invoice.kid = kid
        line = invoice.lines.new(
            account=revenue, description="Dues", quantity=1)
        line.taxes.clear()  # the account's VAT: the sample pays no VAT
        line.unit_price = amount
        invoice.click('post')


def choo(database, *arguments):
    "Return the finished process of choo run on the database"
    config_file, _ = database
    return subprocess.run(
        [str(Path(sys.executable).parent / 'choo'), '-c', str(config_file),
            '-d', DATABASE, *arguments],
        env=_environ(), capture_output=True, text=True)


def report(process):
    "Return the lines choo printed as a dictionary"
    assert process.returncode == 0, process.stderr
    return dict(line.split(': ', 1) for line in process.stdout.splitlines())


def rows(database, sql):
    "Return the rows the query reads from the database file"
    with sqlite3.connect(database[1]) as connection:
        return connection.execute(sql).fetchall()


def counts(database):
    "Return the number of rows of each table an import writes to"
    return {
        table: rows(database, f'SELECT COUNT(*) FROM "{table}"')[0][0]
        for table in TABLES}


def invoice_states(database):
    return dict(rows(database,
            "SELECT kid, state FROM account_invoice WHERE type = 'out'"))


def test_payments(database):
    "Report the sample's payments, then post them once with --commit"
    before = counts(database)
    expected = {
        'file': OCR_GIRO.name, 'format': 'ocr_giro', 'statements': '1',
        'payments': '3', 'amount': '7080.50', 'matched': '3',
        'suggested': '0', 'unmatched': '0'}

    preview = report(choo(database, 'import-bank-file', str(OCR_GIRO)))
    assert preview == {
        **expected, 'statements posted': '0', 'committed': 'no'}
    assert counts(database) == before
    assert set(invoice_states(database).values()) == {'posted'}
    # Tryton keeps SQLite numbers as text.
    assert {kid: Decimal(debit) for kid, debit in rows(database,
            "SELECT i.kid, CAST(l.debit AS TEXT) FROM account_invoice AS i "
            "JOIN account_move_line AS l ON l.move = i.move "
            "WHERE CAST(l.debit AS REAL) > 0")} == dict(INVOICES)

    committed = report(choo(
            database, 'import-bank-file', str(OCR_GIRO), '--commit'))
    assert committed == {
        **expected, 'statements posted': '1', 'committed': 'yes'}
    assert rows(database, "SELECT name, state FROM account_statement") == [
        ('OCR 0170031/0000002', 'posted')]
    assert rows(database,
        "SELECT kid, match_state FROM account_statement_origin "
        "ORDER BY id") == [
        ('0000125', 'matched'), ('0042002', 'matched'),
        ('02311291000171', 'matched')]
    assert invoice_states(database) == {
        '0000125': 'paid', '0042002': 'posted', '02311291000171': 'paid'}
    # Each payment is its invoice's payment line, the short one included
    assert {kid: Decimal(credit) for kid, credit in rows(database,
            "SELECT i.kid, CAST(l.credit AS TEXT) FROM account_invoice AS i "
            'JOIN "account_invoice-account_move_line" AS p '
            "ON p.invoice = i.id "
            "JOIN account_move_line AS l ON l.id = p.line")} == {
        '0000125': Decimal('1020.00'), '0042002': Decimal('560.50'),
        '02311291000171': Decimal('5500.00')}
    # One move a booking day, whose one bank line is the day's total
    assert [(day, Decimal(debit)) for day, debit in rows(database,
            "SELECT m.date, CAST(SUM(l.debit) AS TEXT) FROM account_move AS m "
            "JOIN account_move_line AS l ON l.move = m.id "
            "WHERE m.origin LIKE 'account.statement,%' AND l.party IS NULL "
            "GROUP BY m.id, m.date ORDER BY m.date")] == [
        ('1992-01-16', Decimal('1580.50')), ('1992-01-20', Decimal('5500.00'))]
    after = counts(database)

    again = choo(database, 'import-bank-file', str(OCR_GIRO), '--commit')
    assert again.returncode == 1
    assert again.stdout == ''
    assert "has been imported already" in again.stderr
    assert counts(database) == after


def test_refusals(database, tmp_path):
    "Refuse a malformed file and a file of no known format, changing nothing"
    before = counts(database)
    unpadded = tmp_path / 'unpadded.txt'
    unpadded.write_bytes(b'\n'.join(
            line.rstrip(b'0 ') for line in OCR_GIRO.read_bytes().splitlines()))
    letter = tmp_path / 'letter.txt'
    letter.write_text("Dear treasurer,\n")

    malformed = choo(database, 'import-bank-file', str(unpadded), '--commit')
    assert malformed.returncode == 1
    assert malformed.stderr.startswith(
        "error: The bank file cannot be read, and nothing was imported: "
        "Line 1 has ")
    unknown = choo(database, 'import-bank-file', str(letter), '--commit')
    assert unknown.returncode == 1
    assert "letter.txt: not an OCR giro" in unknown.stderr
    assert counts(database) == before


def test_agreements(database):
    "Report an agreement file's mandates, then store it once with --commit"
    before = counts(database)
    expected = {
        'file': AGREEMENTS.name, 'format': 'avtalegiro_agreements',
        'transmission': '5594114', 'agreements': '2', 'registered': '0',
        'deleted': '0', 'unknown': '2', 'ended by full list': '0'}

    preview = report(choo(database, 'import-bank-file', str(AGREEMENTS)))
    assert preview == {**expected, 'committed': 'no'}
    assert counts(database) == before

    committed = report(choo(
            database, 'import-bank-file', str(AGREEMENTS), '--commit'))
    assert committed == {**expected, 'committed': 'yes'}
    assert rows(database,
        "SELECT kid, registration_type, state FROM choo_avtalegiro_agreement "
        "ORDER BY line") == [
        ('71000000000012', 'deleted', 'unknown'),
        ('71000000000020', 'deleted', 'unknown')]
    after = counts(database)

    again = choo(database, 'import-bank-file', str(AGREEMENTS), '--commit')
    assert again.returncode == 1
    assert "has been imported already" in again.stderr
    as_payments = choo(
        database, 'import-bank-file', '--format', 'ocr_giro', str(AGREEMENTS))
    assert as_payments.returncode == 1
    assert "AvtaleGiro agreement file" in as_payments.stderr
    assert counts(database) == after


if __name__ == '__main__':
    build(Path(sys.argv[1]))
