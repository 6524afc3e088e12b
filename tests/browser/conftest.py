"""Fixtures that serve sao from trytond and drive it with headless Chromium.

The database is the demo that ``setup/demo.py`` builds, in SQLite files of
a temporary folder; trytond serves sao from ``var/sao`` (installed by
``setup/install-sao`` when missing) on a free port of 127.0.0.1 only.
"""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / 'test-artifacts'
CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run']
DATABASE = 'choo_demo'
# Lets a developer try the test with a stand-in demo script.
DEMO_SCRIPT = os.environ.get(
    'CHOO_DEMO_SCRIPT', str(REPO / 'setup' / 'demo.py'))


class Demo(NamedTuple):
    database: str
    output: str


class Server(NamedTuple):
    url: str
    database: str
    login: str = 'admin'
    password: str = 'admin'


def unavailable(reason):
    "Fail on CI, where the browser must be installed; skip elsewhere"
    if os.environ.get('CI'):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def bin_path(name):
    "Return the console script installed beside the running Python"
    return Path(sys.executable).parent / name


def trytond_environ():
    "Return the environment without TRYTOND_* settings of other suites"
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith('TRYTOND_')}


@pytest.fixture(scope='session')
def web_address():
    "Return an address of 127.0.0.1 with a port that is free"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return '127.0.0.1:%s' % sock.getsockname()[1]


@pytest.fixture(scope='session')
def browser():
    "Launch Debian's headless Chromium"
    if not CHROMIUM.exists():
        unavailable(
            f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None:
        unavailable("playwright is missing: pip install -e '.[test]'")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope='session')
def sao_root():
    "Return the folder of sao's index.html, installing sao when missing"
    result = subprocess.run(
        [str(REPO / 'setup' / 'install-sao')],
        capture_output=True, text=True)
    if result.returncode:
        pytest.fail(
            "setup/install-sao failed:\n" + result.stderr, pytrace=False)
    last = result.stdout.splitlines()[-1]
    assert last.startswith('sao: '), result.stdout
    return Path(last.removeprefix('sao: '))


@pytest.fixture(scope='session')
def trytond_config(tmp_path_factory, sao_root, web_address):
    "Return a trytond configuration on SQLite that serves sao"
    folder = tmp_path_factory.mktemp('sao')
    path = folder / 'trytond.conf'
    path.write_text(
        "[database]\n"
        "uri = sqlite://\n"
        f"path = {folder}\n"
        "[web]\n"
        f"listen = {web_address}\n"
        f"root = {sao_root}\n"
        "[session]\n")
    return path


@pytest.fixture(scope='session')
def demo(trytond_config):
    "Build the demo database and return its name and what the demo printed"
    if not Path(DEMO_SCRIPT).exists():
        pytest.fail(f"{DEMO_SCRIPT} is missing", pytrace=False)
    result = subprocess.run(
        [sys.executable, DEMO_SCRIPT, '--config', str(trytond_config),
            '--database', DATABASE, '--no-serve'],
        env=trytond_environ(), capture_output=True, text=True,
        timeout=600)
    if result.returncode:
        pytest.fail(
            f"{DEMO_SCRIPT} failed:\n{result.stdout}\n{result.stderr}",
            pytrace=False)
    return Demo(DATABASE, result.stdout)


@pytest.fixture(scope='session')
def trytond_server(trytond_config, demo, web_address):
    "Run trytond serving sao and the demo database"
    url = f'http://{web_address}'
    log_path = trytond_config.with_name('trytond.log')

    # Without -d the first login of a database finds an empty pool.
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            [str(bin_path('trytond')), '-c', str(trytond_config),
                '-d', demo.database],
            env=trytond_environ(), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_server(url, process, log_path)
        yield Server(url, demo.database)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_server(url, process, log_path, timeout=60):
    "Wait until trytond answers on url"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                "trytond stopped:\n" + log_path.read_text(), pytrace=False)
        try:
            with urllib.request.urlopen(url + '/', timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(
        f"trytond did not answer on {url} within {timeout} s",
        pytrace=False)


@pytest.fixture(scope='session')
def artifacts():
    "Return the folder of the screenshots kept after the run"
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(request, browser, trytond_server):
    "Open a page that can only reach the trytond server"
    context = browser.new_context(viewport={'width': 1920, 'height': 900})
    context.set_default_timeout(20_000)
    context.route(
        lambda url: not url.startswith(trytond_server.url + '/'),
        lambda route: route.abort())
    page = context.new_page()
    yield page

    report = getattr(request.node, 'report_call', None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=ARTIFACTS / f'{request.node.name}_failure.png',
            full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == 'call':
        item.report_call = report
    return report
