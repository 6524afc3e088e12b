"""Print: the PDFs of a run bundled for the print house, with a manifest.

Documents submitted for print are spooled to disk at once, so a
restarted worker loses none, and stay cancellable until flush() closes
the run: then the run's PDFs and its ``manifest.json`` are written as one
zip file or one folder, under a temporary name first and renamed when
complete, so that whoever picks the runs up never sees half of one.

The manifest names each letter's file, its receiver's postal address,
its SHA-256 and whether it carries a payment slip (an AvtaleGiro notice
does not).

>>> PrintConfig.from_options({'print_folder': '/srv/print'}).bundle
'zip'
"""

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import shutil
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from .distribution import (
    Document, Journal, NotCancellable, Receipt, Status, StatusPage,
    StatusReport, UnknownDocument, utc_now)
from .routing import Channel

__all__ = ['BUNDLES', 'PrintConfig', 'PrintBatchProvider']

logger = logging.getLogger(__name__)

BUNDLES = ('zip', 'folder')
MANIFEST = 'manifest.json'
SPOOL = '.spool'
JOURNAL = '.journal.jsonl'
RUN = 'RUN'  # in the spool: the name of the run being written


@dataclasses.dataclass(frozen=True)
class PrintConfig:
    """Where the print runs are written and in which form."""

    folder: Path
    bundle: str = 'zip'

    def __post_init__(self) -> None:
        if self.bundle not in BUNDLES:
            raise ValueError(f"bundle must be one of {BUNDLES}")

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> 'PrintConfig':
        """Return the configuration of the ``print_*`` options."""
        return cls(
            folder=Path(options['print_folder']),
            bundle=options.get('print_bundle', 'zip'))


class PrintBatchProvider:
    """A distribution provider that bundles letters for a print house.

    Handing the run over is its 'sent' status; the print house confirms
    nothing, so letters stay sent.
    """

    def __init__(
            self, config: PrintConfig, journal: Journal | None = None,
            clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.config = config
        self.spool = config.folder / SPOOL
        self.spool.mkdir(parents=True, exist_ok=True)
        self.journal = journal if journal is not None else Journal(
            config.folder / JOURNAL)
        self.clock = clock

    def submit(self, documents: Sequence[Document]) -> list[Receipt]:
        """Return one receipt per document, spooling each key once."""
        receipts: list[Receipt] = []
        accepted: list[Receipt] = []
        refused: list[Receipt] = []
        sequence = self._last_sequence()
        for document in documents:
            known = self.journal.receipt(document.key)
            if known is not None:
                receipts.append(dataclasses.replace(known, duplicate=True))
                continue
            if document.channel is not Channel.PRINT:
                receipt = Receipt(
                    document.key, False, reason='wrong_channel',
                    message=f"the document goes by {document.channel}")
                refused.append(receipt)
            else:
                sequence += 1
                receipt = self._spool(document, sequence)
                accepted.append(receipt)
            receipts.append(receipt)

        now = self.clock()
        self.journal.record(accepted + refused, [
                StatusReport(r.key, Status.QUEUED, now, Channel.PRINT,
                    r.reference)
                for r in accepted])
        return receipts

    def statuses(
            self, keys: Collection[str] | None = None,
            since: str | None = None) -> StatusPage:
        """Return the status changes of *keys*, or those after *since*."""
        return self.journal.page(keys, since)

    def cancel(self, key: str) -> StatusReport:
        """Take the letter of *key* out of the run not yet handed over."""
        latest = self.journal.latest(key)
        if latest is None:
            raise UnknownDocument("No document %(key)s.", key=key)
        if latest.status is not Status.QUEUED:
            raise NotCancellable(
                "Document %(key)s is %(status)s.", key=key,
                status=latest.status.value)
        for path in self.spool.iterdir():
            if path.stem.partition('-')[2] == key:
                path.unlink()
        report = StatusReport(
            key, Status.CANCELLED, self.clock(), Channel.PRINT,
            latest.reference)
        self.journal.record(reports=[report])
        return report

    def flush(self) -> Path | None:
        """Write the spooled letters as one run; return its path, if any.
        """
        entries = sorted(self.spool.glob('*.json'))
        if not entries:
            return None
        now = self.clock()
        # A run written before a crash is finished, not written again.
        marker = self.spool / RUN
        if marker.exists():
            run = marker.read_text(encoding='utf-8')
        else:
            run = f'choo-print-{now:%Y%m%dT%H%M%S%f}Z'
            marker.write_text(run, encoding='utf-8')
        items = [json.loads(e.read_text(encoding='utf-8')) for e in entries]
        manifest = {
            'run': run, 'created': now.isoformat(),
            'documents': len(items), 'items': items}

        path = self._path(run)
        if not path.exists():
            self._write(path, manifest)
        self.journal.record(reports=[
                StatusReport(item['key'], Status.SENT, now, Channel.PRINT,
                    item['reference'])
                for item in items
                if self._queued(item['key'])])
        shutil.rmtree(self.spool)
        self.spool.mkdir()
        logger.info("print run written with %d letters", len(items))
        return path

    def _queued(self, key: str) -> bool:
        latest = self.journal.latest(key)
        return latest is not None and latest.status is Status.QUEUED

    def _spool(self, document: Document, sequence: int) -> Receipt:
        postal = document.addresses.postal
        assert postal is not None  # Document checks its channel's address
        name = f'{sequence:06d}-{document.key}'
        reference = f'print:{document.key}'
        item = {
            'sequence': sequence,
            'key': document.key,
            'reference': reference,
            'file': f'{name}.pdf',
            'sha256': hashlib.sha256(document.pdf).hexdigest(),
            'bytes': len(document.pdf),
            'number': document.number,
            'issuer': document.issuer,
            'language': document.language,
            'payment_slip': not document.avtalegiro,
            'recipient': dataclasses.asdict(postal),
            'metadata': dict(document.metadata),
            }
        (self.spool / f'{name}.pdf').write_bytes(document.pdf)
        (self.spool / f'{name}.json').write_text(
            json.dumps(item, ensure_ascii=False), encoding='utf-8')
        return Receipt(document.key, True, reference=reference)

    def _last_sequence(self) -> int:
        names = [p.name for p in self.spool.glob('*.json')]
        return max((int(n.partition('-')[0]) for n in names), default=0)

    def _path(self, run: str) -> Path:
        if self.config.bundle == 'zip':
            return self.config.folder / f'{run}.zip'
        return self.config.folder / run

    def _write(self, final: Path, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=2)
        partial = final.with_name(final.name + '.part')
        if self.config.bundle == 'zip':
            with zipfile.ZipFile(partial, 'w') as bundle:
                for item in manifest['items']:
                    bundle.write(self.spool / item['file'], item['file'])
                bundle.writestr(MANIFEST, text)
        else:
            partial.mkdir()
            for item in manifest['items']:
                shutil.copyfile(
                    self.spool / item['file'], partial / item['file'])
            (partial / MANIFEST).write_text(text, encoding='utf-8')
        partial.rename(final)
