"""The operator tool ``choo``: one subcommand per job.

Every Choo module adds its subcommands through the ``choo.commands``
entry-point group. An entry point names a function that receives the
subcommand's ``argparse`` parser, adds its arguments and sets ``run`` as
the parser default: a callable taking the parsed arguments and returning
the process exit code. Output is plain ``key: value`` lines.
"""
import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, TypeVar, cast

T = TypeVar('T')

COMMAND_GROUP = 'choo.commands'


def build_parser() -> argparse.ArgumentParser:
    "Return the parser with the subcommands of every installed module"
    parser = argparse.ArgumentParser(
        prog='choo', description="Choo operator tool")
    parser.add_argument(
        '-c', '--config', default=os.environ.get('TRYTOND_CONFIG'),
        help="trytond configuration file")
    parser.add_argument(
        '-d', '--database', default=os.environ.get('CHOO_DATABASE'),
        help="database name (default: $CHOO_DATABASE)")
    parser.add_argument(
        '-v', '--verbose', action='store_true', help="log progress")
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    subparsers.required = True
    commands = sorted(
        entry_points(group=COMMAND_GROUP), key=lambda e: e.name)
    for command in commands:
        configure = command.load()
        subparser = subparsers.add_parser(
            command.name, help=(configure.__doc__ or '').strip())
        configure(subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    "Run the subcommand given on the command line"
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format='%(levelname)s %(name)s: %(message)s')
    if not args.database:
        parser.error("give the database with -d or $CHOO_DATABASE")
    try:
        return args.run(args)
    except UserFacingError as exception:
        print(f"error: {exception}", file=sys.stderr)
        return 1


class UserFacingError(Exception):
    "An error whose message is meant for the operator"


class _Rollback(Exception):
    "Carry the result of a transaction that must change nothing"

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


def in_transaction(
        args: argparse.Namespace, func: Callable[[Any], T],
        commit: bool = True) -> T:
    """Return func(pool) run in one transaction of the database as admin.

    The transaction is started again when Tryton asks for it (to lock a
    table on SQLite, for instance), so func must not print: it returns
    what the command reports.  A user error rolls everything back, and so
    does the end of func without commit.  The tasks it queues run
    afterwards, unless trytond-worker takes them.
    """
    from trytond import config
    config.update_etc(args.config)

    from trytond.exceptions import UserError, UserWarning
    from trytond.pool import Pool

    pool = Pool(args.database)
    pool.init()
    user, context = admin_context(args.database)
    def run() -> T:
        result = func(pool)
        if not commit:
            raise _Rollback(result)
        return result

    try:
        result, transaction = committed(args.database, user, context, run)
    except _Rollback as rollback:
        return cast(T, rollback.result)
    except (UserError, UserWarning) as exception:
        raise UserFacingError(_message(exception)) from exception
    _run_tasks(pool, transaction)
    return result


def admin_context(database: str) -> tuple[int, dict[str, Any]]:
    "Return the id of the admin user and the context a job runs in as admin"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    User = Pool(database).get('res.user')
    with Transaction().start(database, 0, readonly=True):
        admin, = User.search([('login', '=', 'admin')], limit=1)
    with Transaction().start(database, admin.id, readonly=True):
        context = User.get_preferences(context_only=True)
    context['_skip_warnings'] = True
    return admin.id, context


def committed(
        database: str, user: int, context: dict[str, Any],
        func: Callable[[], T]) -> tuple[T, Any]:
    """Return func() run and committed in a transaction, and the transaction

    As trytond does for a request, the transaction starts again with the
    locks Tryton asks for; an error rolls it back as it leaves.
    """
    from trytond.transaction import Transaction, TransactionError

    extras: dict[str, Any] = {}
    while True:
        with Transaction().start(
                database, user, context=context, **extras) as transaction:
            try:
                result = func()
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            transaction.commit()
        return result, transaction


def _run_tasks(pool: Any, transaction: Any) -> None:
    "Run the queued tasks as trytond does when no worker takes them"
    from trytond.worker import run_task
    while transaction.tasks:
        run_task(pool, transaction.tasks.pop())


def _message(exception: Exception) -> str:
    message = getattr(exception, 'message', '') or str(exception)
    description = getattr(exception, 'description', '')
    return f"{message} {description}".strip()


if __name__ == '__main__':
    sys.exit(main())
