"""Bank files picked up from a folder by a scheduled job.

The folder is set in trytond's configuration::

    [choo_cremul]
    inbox = /var/lib/choo/bank-in

Each file there is imported alone (a file that fails undoes only
itself), its format found from its content, and its statements posted.
A file imported goes to ``done/`` beside it once the job's transaction
is committed; one that cannot be imported goes to ``failed/`` with the
reason in a ``.error`` file of the same name, and nothing of it is
booked.  A file being written is left alone until it
has not changed for a minute.
"""
import logging
import time
from pathlib import Path

from trytond import config
from trytond.exceptions import UserError
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

from choo_subscription_billing.savepoint import savepoint

from .bankfile import detect

logger = logging.getLogger(__name__)

SETTLED_SECONDS = 60
# AvtaleGiro agreement files switch mandates: an accountant imports them.
PAYMENT_FORMATS = {'ocr_giro', 'cremul', 'camt_054'}


def inbox():
    "Return the configured folder of incoming bank files, if any"
    folder = config.get('choo_cremul', 'inbox', default=None)
    return Path(folder) if folder else None


class Statement(metaclass=PoolMeta):
    __name__ = 'account.statement'

    @classmethod
    def import_inbox(cls):
        "Import the bank files waiting in the configured folder"
        folder = inbox()
        if not folder or not folder.is_dir():
            return
        company = Transaction().context.get('company')
        if not company:
            return
        settled = time.time() - SETTLED_SECONDS
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.stat().st_mtime < settled:
                cls._import_inbox_file(company, path)

    @classmethod
    def _import_inbox_file(cls, company, path):
        "Import the file at path alone, filing it once the import is done"
        data = path.read_bytes()
        file_format = detect(data)
        try:
            if file_format not in PAYMENT_FORMATS:
                raise ValueError(
                    f"{path.name}: not a known bank file of payments")
            with savepoint():
                statements = cls.import_bank_file(company, data, file_format)
        except (UserError, ValueError) as exception:
            message = getattr(exception, 'message', None) or str(exception)
            _file(path, 'failed').with_suffix(
                path.suffix + '.error').write_text(message + '\n')
            logger.warning("bank file %s not imported", path.name)
        else:
            Transaction().join(_Filing()).paths.append(path)
            logger.info(
                "bank file %s: %d statements", path.name, len(statements))


class _Filing:
    "Move the imported files to done/ once their import is committed"

    def __init__(self):
        self.paths = []

    def __eq__(self, other):
        return isinstance(other, _Filing)

    __hash__ = object.__hash__

    def tpc_begin(self, transaction):
        pass

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        for path in self.paths:
            _file(path, 'done')

    def tpc_abort(self, transaction):
        pass


def _file(path, folder):
    "Move path into folder beside it and return its new path"
    target = path.parent / folder
    target.mkdir(exist_ok=True)
    return path.rename(target / path.name)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('account.statement|import_inbox', "Import Bank Files"))
