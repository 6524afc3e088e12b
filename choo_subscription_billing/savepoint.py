"""A part of a transaction that can be undone alone."""
import contextlib
import itertools

from trytond import backend
from trytond.transaction import Transaction

_names = itertools.count(1)


@contextlib.contextmanager
def savepoint():
    """Undo what the block wrote when it raises, and keep the rest

    Rows of strict sequences are rolled back with the rest, so a number
    taken in the block is given again; the records cached since the
    savepoint and the tasks queued by the block are forgotten too.
    """
    transaction = Transaction()
    name = f'choo_{next(_names)}'
    cursor = transaction.connection.cursor()
    tasks = len(transaction.tasks)
    logs = len(transaction.log_records)
    cursor.execute(f'SAVEPOINT {name}')
    try:
        yield
    except Exception:
        cursor.execute(f'ROLLBACK TO SAVEPOINT {name}')
        del transaction.tasks[tasks:]
        del transaction.log_records[logs:]
        for cache in transaction.cache.values():
            cache.clear()
        raise
    else:
        # On SQLite the release of a first savepoint would commit.
        if backend.name != 'sqlite':
            cursor.execute(f'RELEASE SAVEPOINT {name}')
