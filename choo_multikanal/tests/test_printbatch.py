"""The print batch: letters spooled, bundled with a manifest, once."""
import datetime as dt
import doctest
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from choo_multikanal import printbatch
from choo_multikanal.distribution import (
    Document, NotCancellable, Status, UnknownDocument)
from choo_multikanal.printbatch import PrintBatchProvider, PrintConfig
from choo_multikanal.routing import Channel

from .tools import PDF, POSTAL, document

AT = dt.datetime(2026, 12, 4, 10, 15, 30, 123456, tzinfo=dt.timezone.utc)


def letter(base: str, **changes: Any) -> Document:
    """Return a letter of *base* with its own PDF."""
    values: dict[str, Any] = {'pdf': PDF + base.encode()}
    values.update(changes)
    return document(base, Channel.PRINT, ehf=None, **values)


def provider(folder: Path, bundle: str = 'zip') -> PrintBatchProvider:
    """Return a print provider writing to *folder* at a fixed time."""
    return PrintBatchProvider(
        PrintConfig(folder, bundle), clock=lambda: AT)


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(printbatch)
    assert failures == 0
    assert attempted > 0


def test_run_is_one_zip_with_manifest(tmp_path: Path) -> None:
    """A run's letters and manifest are one zip file."""
    printer = provider(tmp_path)
    receipts = printer.submit([
            letter('P-1', number='2026-1'),
            letter('P-2', avtalegiro=True)])

    path = printer.flush()

    assert path == tmp_path / 'choo-print-20261204T101530123456Z.zip'
    assert all(r.accepted for r in receipts)
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read('manifest.json'))
        files = {name: bundle.read(name) for name in bundle.namelist()}
    assert manifest['documents'] == 2
    assert manifest['run'] == path.stem
    first, second = manifest['items']
    assert (first['key'], first['file'], first['number']) == (
        'P-1.print', '000001-P-1.print.pdf', '2026-1')
    assert files[first['file']] == PDF + b'P-1'
    assert first['sha256'] == hashlib.sha256(PDF + b'P-1').hexdigest()
    assert first['recipient'] == {
        'name': POSTAL.name, 'lines': list(POSTAL.lines),
        'postal_code': '0155', 'city': 'OSLO', 'country': 'NO'}
    assert (first['payment_slip'], second['payment_slip']) == (True, False)
    assert sorted(files) == [
        '000001-P-1.print.pdf', '000002-P-2.print.pdf', 'manifest.json']
    assert [p.name for p in tmp_path.iterdir() if p.suffix == '.part'] == []


def test_run_as_folder(tmp_path: Path) -> None:
    """A run can be a folder of PDFs beside its manifest."""
    printer = provider(tmp_path, 'folder')
    printer.submit([letter('F-1')])

    path = printer.flush()

    assert path is not None and path.is_dir()
    assert sorted(p.name for p in path.iterdir()) == [
        '000001-F-1.print.pdf', 'manifest.json']
    assert printer.flush() is None


def test_statuses_and_cancel(tmp_path: Path) -> None:
    """Letters are queued until the run is written, cancellable till
    then."""
    printer = provider(tmp_path)
    kept, dropped = printer.submit([letter('C-1'), letter('C-2')])

    report = printer.cancel(dropped.key)
    path = printer.flush()

    assert report.status is Status.CANCELLED
    with zipfile.ZipFile(path) as bundle:  # type: ignore[arg-type]
        keys = [i['key'] for i in json.loads(
                bundle.read('manifest.json'))['items']]
    assert keys == [kept.key]
    assert [r.status for r in printer.statuses([kept.key]).reports] == [
        Status.QUEUED, Status.SENT]
    with pytest.raises(NotCancellable):
        printer.cancel(kept.key)
    with pytest.raises(UnknownDocument):
        printer.cancel('C-3.print')


def test_restart_loses_nothing_and_prints_once(tmp_path: Path) -> None:
    """Spooled letters survive a restart; a printed key is not printed
    again."""
    provider(tmp_path).submit([letter('R-1')])

    restarted = provider(tmp_path)
    again, new = restarted.submit([letter('R-1'), letter('R-2')])
    path = restarted.flush()
    later, = provider(tmp_path).submit([letter('R-1')])

    with zipfile.ZipFile(path) as bundle:  # type: ignore[arg-type]
        items = json.loads(bundle.read('manifest.json'))['items']
    assert [i['key'] for i in items] == ['R-1.print', 'R-2.print']
    assert [i['sequence'] for i in items] == [1, 2]
    assert again.duplicate and later.duplicate and not new.duplicate
    assert provider(tmp_path).flush() is None


def test_crash_after_writing_finishes_the_run(tmp_path: Path) -> None:
    """A run written before a crash is finished, not written twice."""
    printer = provider(tmp_path)
    printer.submit([letter('X-1')])
    path = printer.flush()
    assert path is not None
    # Put back the spool as a crash before its removal would leave it.
    spool = tmp_path / '.spool'
    (spool / 'RUN').write_text(path.stem)
    with zipfile.ZipFile(path) as bundle:
        item, = json.loads(bundle.read('manifest.json'))['items']
        (spool / item['file']).write_bytes(bundle.read(item['file']))
    (spool / f"{Path(item['file']).stem}.json").write_text(json.dumps(item))
    written = path.stat().st_mtime_ns

    assert provider(tmp_path).flush() == path
    assert path.stat().st_mtime_ns == written
    assert len(list(tmp_path.glob('*.zip'))) == 1
    assert [r.status for r in provider(tmp_path).statuses().reports] == [
        Status.QUEUED, Status.SENT]


def test_wrong_channel_is_refused(tmp_path: Path) -> None:
    """A document for another channel is not printed."""
    receipt, = provider(tmp_path).submit([document('W-1', Channel.EHF)])

    assert (receipt.accepted, receipt.reason) == (False, 'wrong_channel')
