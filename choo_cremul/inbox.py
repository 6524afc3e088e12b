"""Bank files picked up from a folder by a scheduled job.

The folder is set in trytond's configuration::

    [choo_cremul]
    inbox = /var/lib/choo/bank-in

Each file there is imported in a transaction of its own, its format
found from its content, and its statements posted.  A file imported
goes to ``done/`` beside it; one that cannot be imported goes to
``failed/`` with the reason in a ``.error`` file of the same name, and
nothing of it is booked.  A file being written is left alone until it
has not changed for a minute.
"""
import logging
import time
from pathlib import Path

from trytond.config import config
from trytond.exceptions import UserError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .bankfile import detect

logger = logging.getLogger(__name__)

SETTLED_SECONDS = 60


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
        "Import the file at path in a transaction of its own, then file it"
        data = path.read_bytes()
        file_format = detect(data)
        transaction = Transaction()
        try:
            if not file_format:
                raise ValueError(f"{path.name}: not a known bank file")
            with transaction.new_transaction() as new, \
                    new.set_context(company=company):
                Statement = Pool().get('account.statement')
                statements = Statement.import_bank_file(
                    company, data, file_format)
                new.commit()
        except (UserError, ValueError) as exception:
            message = getattr(exception, 'message', None) or str(exception)
            _file(path, 'failed').with_suffix(
                path.suffix + '.error').write_text(message + '\n')
            logger.warning("bank file %s not imported", path.name)
        else:
            _file(path, 'done')
            logger.info(
                "bank file %s: %d statements", path.name, len(statements))


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
