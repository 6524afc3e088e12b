"""``choo distribute`` run as the operator runs it.

A SQLite database of the demo association has five members: a club in
Peppol, a member with an eFaktura consent, one with e-mail, one with
only a postal address and a shop in Peppol whose EHF the receiver
rejects.  ``choo billing-run`` invoices them without sending
(``send_on_post = false``); ``choo distribute --run`` then sends the
run's invoices to the Multikanal simulator and a real SMTP server, both
processes on loopback, and to the print folder, once that is
configured; the shop's rejected EHF falls back to e-mail.  Run again,
it sends nothing twice.  An invoice outside the run waits; sent when
the service is down, it fails, and ``--retry-failed`` sends it again by
eFaktura.  A service that does not answer a poll stops nothing; options
that cannot be read are refused.  The database is read with sqlite3,
outside Tryton.
"""
import datetime as dt
import mailbox
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from proteus import Model

from choo_multikanal.multikanal import MultikanalConfig, MultikanalProvider

from .tools import TOKEN, Service, free_port, simulator, smtp_server

REPO = Path(__file__).resolve().parents[2]
DATABASE = 'distribute'
MEMBERS = 5
CLUB_ORGNR = '974760673'
REJECTED_ORGNR = '981975677'
EFAKTURA_ID = '0012345678'
OTHER_EFAKTURA_ID = '0087654321'
BUILD = ("import sys; from choo_multikanal.tests.test_distribute "
    "import build; build(sys.argv[1])")


def _environ():
    "Return the environment without this test run's database settings"
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith(('TRYTOND_', 'DB_'))}


def write_config(folder: Path, options: dict[str, str]) -> Path:
    "Write the configuration of the database and the providers"
    config_file = folder / 'trytond.conf'
    section = ''.join(f"{key} = {value}\n" for key, value in options.items())
    config_file.write_text(
        f"[database]\nuri = sqlite://\npath = {folder}\n\n"
        f"[choo_multikanal]\n{section}")
    return config_file


@pytest.fixture(scope='module')
def services(tmp_path_factory) -> Iterator[tuple[Service, int, Path]]:
    "Yield the simulator, the SMTP port and the mail folder"
    folder = tmp_path_factory.mktemp('mail')
    with simulator('--reject-later', REJECTED_ORGNR) as service, \
            smtp_server(folder) as port:
        yield service, port, folder


@pytest.fixture(scope='module')
def database(tmp_path_factory, services):
    "Return the folder and options of the billed association"
    service, port, _ = services
    folder = tmp_path_factory.mktemp('choo-distribute')
    options = {
        'multikanal_url': service.url, 'multikanal_token': TOKEN,
        'smtp_host': '127.0.0.1', 'smtp_port': str(port),
        'smtp_security': 'none', 'smtp_from': 'faktura@forening.example',
        'print_provider': 'print', 'send_on_post': 'false'}
    config_file = write_config(folder, options)
    # Built in a process of its own, so that this one's trytond is untouched
    built = subprocess.run(
        [sys.executable, '-c', BUILD, str(config_file)], env=_environ(),
        capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-4000:]
    return folder, options


def build(config_file):
    "Create the association with its five members and bill them"
    sys.path.insert(0, str(REPO / 'setup'))
    import demo
    from demo_data import Association
    from proteus import config as proteus_config

    demo.create_database(config_file, DATABASE)
    proteus_config.set_trytond(
        database=DATABASE, config_file=str(config_file))
    Association(dt.date.today()).build(MEMBERS)

    ContactMechanism = Model.get('party.contact_mechanism')
    Membership = Model.get('choo.membership')
    Party = Model.get('party.party')
    club, consumer, _, letter, shop = [m.party for m in Membership.find(
            [], order=[('id', 'ASC')])]
    for organisation, number in [(club, CLUB_ORGNR), (shop, REJECTED_ORGNR)]:
        organisation.peppol_receiver = True
        organisation.identifiers.new(type='no_orgnr', code=number)
    consumer.efaktura_agreement = True
    consumer.efaktura_id = EFAKTURA_ID
    Party.save([club, consumer, shop])
    ContactMechanism.delete(letter.contact_mechanisms)
    demo.choo(config_file, DATABASE, 'billing-run',
        '--date', dt.date.today().isoformat())
    post_extra_invoice(club)


def post_extra_invoice(club):
    "Post an invoice outside the run to a member with eFaktura and e-mail"
    Invoice = Model.get('account.invoice')
    Party = Model.get('party.party')
    kari = Party(name="Kari Utenfor", efaktura_agreement=True,
        efaktura_id=OTHER_EFAKTURA_ID)
    kari.contact_mechanisms.new(type='email', value='kari@example.org')
    address, = kari.addresses
    address.street, address.postal_code, address.city = (
        "Utenforveien 1", '0150', "Oslo")
    kari.save()
    billed, = Invoice.find([('party', '=', club.id)])
    invoice = Invoice(type='out', party=kari)
    line = invoice.lines.new()
    line.product = billed.lines[0].product
    line.quantity = 1
    line.unit_price = billed.lines[0].unit_price
    invoice.click('post')


def choo(folder, *arguments):
    "Return the finished process of choo run on the database"
    return subprocess.run(
        [str(Path(sys.executable).parent / 'choo'),
            '-c', str(folder / 'trytond.conf'), '-d', DATABASE,
            *arguments],
        env=_environ(), capture_output=True, text=True)


def report(process):
    "Return the lines choo printed as a dictionary"
    assert process.returncode == 0, process.stderr
    return dict(line.split(': ', 1) for line in process.stdout.splitlines())


def rows(folder, sql):
    "Return the rows the query reads from the database file"
    with sqlite3.connect(folder / f'{DATABASE}.sqlite') as connection:
        return connection.execute(sql).fetchall()


def submitted(service):
    "Return the keys the simulator took, each time it took one"
    config = MultikanalConfig(url=service.url, token=TOKEN)
    with MultikanalProvider(config) as provider:
        return sorted(
            r.key for r in provider.statuses(since=None).reports
            if r.status.value == 'queued')


def test_distribute(database, services, tmp_path):
    "Send a run's invoices by each channel once, then nothing more"
    folder, options = database
    service, _, mail = services
    run, = rows(folder, "SELECT id FROM choo_billing_run")[0]
    assert rows(folder,
        "SELECT channel, state FROM choo_delivery ORDER BY id") == [
        ('ehf', 'waiting'), ('efaktura', 'waiting'), ('email', 'waiting'),
        ('print', 'waiting'), ('ehf', 'waiting'), ('efaktura', 'waiting')]

    refused = choo(folder, 'distribute', '--run', str(run))
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        'error: To deliver invoices by channel "print", you must give it '
        'a provider in section [choo_multikanal]')
    assert submitted(service) == []

    write_config(folder, {**options, 'print_folder': str(tmp_path)})
    expected = {
        'deliveries': '5', 'ehf delivered': '1', 'efaktura delivered': '1',
        'email sent': '2', 'print sent': '1', 'committed': 'yes'}
    assert report(choo(folder, 'distribute', '--run', str(run))) == expected
    keys = submitted(service)
    assert sorted(k.rsplit('.', 1)[1] for k in keys) == [
        'efaktura', 'ehf', 'ehf']
    assert len(list(mailbox.Maildir(mail))) == 2
    run_file, = tmp_path.glob('*.zip')

    assert report(choo(folder, 'distribute', '--run', str(run))) == expected
    assert submitted(service) == keys
    assert len(list(mailbox.Maildir(mail))) == 2
    assert list(tmp_path.glob('*.zip')) == [run_file]
    events = rows(folder,
        "SELECT e.channel, e.status FROM choo_delivery_event AS e "
        "JOIN choo_delivery AS d ON d.id = e.delivery "
        "JOIN account_invoice AS i ON i.id = d.invoice "
        f"WHERE i.billing_run = {run} ORDER BY d.id, e.time, e.id")
    assert events == [
        ('ehf', 'queued'), ('ehf', 'sent'), ('ehf', 'delivered'),
        ('efaktura', 'queued'), ('efaktura', 'sent'),
        ('efaktura', 'delivered'), ('email', 'queued'), ('email', 'sent'),
        ('print', 'queued'), ('print', 'sent'),
        ('ehf', 'queued'), ('ehf', 'rejected'), ('ehf', 'fallback'),
        ('email', 'queued'), ('email', 'sent')]
    assert rows(folder,
        "SELECT tried, last_error FROM choo_delivery WHERE key LIKE "
        "'%.email' AND tried != 'email'") == [('ehf email', None)]
    assert rows(folder,
        "SELECT COUNT(*) FROM choo_delivery WHERE attempts = 1") == [(5,)]
    assert rows(folder, "SELECT d.state FROM choo_delivery AS d "
        "JOIN account_invoice AS i ON i.id = d.invoice "
        "WHERE i.billing_run IS NULL") == [('waiting',)]


def test_retry_failed(database, services, tmp_path):
    """Fail the invoice outside the run, then send it again by its channel

    It follows test_distribute, on the same database.
    """
    folder, options = database
    service, _, mail = services
    write_config(folder, {
            **options, 'print_folder': str(tmp_path),
            'retry_attempts': '1'})
    mails = len(list(mailbox.Maildir(mail)))
    outside = ("FROM choo_delivery AS d "
        "JOIN account_invoice AS i ON i.id = d.invoice "
        "WHERE i.billing_run IS NULL")
    assert rows(folder, f"SELECT d.channel, d.state {outside}") == [
        ('efaktura', 'waiting')]
    httpx.post(service.url + '_control/fail', json={'count': 1},
        headers={'Authorization': f'Bearer {TOKEN}'}).raise_for_status()

    failed = report(choo(folder, 'distribute'))
    assert failed['efaktura failed'] == '1'
    assert failed['deliveries'] == '6'
    assert rows(folder,
        f"SELECT d.state, d.attempts, d.last_error {outside}") == [
        ('failed', 1, "The service is unavailable (503): "
            "service_unavailable: try again later.")]

    retried = report(choo(folder, 'distribute', '--retry-failed'))
    assert 'efaktura failed' not in retried
    assert retried['efaktura delivered'] == '2'
    assert retried['email sent'] == '2'
    assert len(list(mailbox.Maildir(mail))) == mails
    assert rows(folder,
        f"SELECT d.tried, d.last_error {outside}") == [('efaktura', None)]
    assert rows(folder,
        "SELECT e.channel, e.status FROM choo_delivery_event AS e "
        "JOIN choo_delivery AS d ON d.id = e.delivery "
        "JOIN account_invoice AS i ON i.id = d.invoice "
        "WHERE i.billing_run IS NULL ORDER BY e.time, e.id") == [
        ('efaktura', 'failed'), ('efaktura', 'retry'),
        ('efaktura', 'queued'), ('efaktura', 'sent'),
        ('efaktura', 'delivered')]


def test_unreachable_or_misconfigured(database, tmp_path):
    """Poll a service that does not answer, then one configured wrong

    It follows test_retry_failed, on the same database.
    """
    folder, options = database
    write_config(folder, {
            **options, 'print_folder': str(tmp_path),
            'multikanal_url': f'http://127.0.0.1:{free_port()}/api/v1/'})
    unreachable = choo(folder, 'distribute')
    assert report(unreachable)['committed'] == 'yes'
    assert 'statuses not read (connection_failed)' in unreachable.stderr

    write_config(folder, {**options, 'multikanal_timeout': '30s'})
    misconfigured = choo(folder, 'distribute')
    assert misconfigured.returncode == 1
    assert misconfigured.stderr.startswith(
        'error: The options of provider "multikanal" in section '
        '[choo_multikanal] of the server configuration are wrong: ')
