"""The operator tool ``choo``: one subcommand per job.

Every Choo module adds its subcommands through the ``choo.commands``
entry-point group. An entry point names a function that receives the
subcommand's ``argparse`` parser, adds its arguments and sets ``run`` as
the parser default: a callable taking the parsed arguments and returning
the process exit code. Output is plain ``key: value`` lines.
"""
import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import entry_points

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


@contextlib.contextmanager
def transaction(args: argparse.Namespace) -> Iterator[object]:
    "Yield the pool of the database inside a transaction as admin"
    from trytond import config
    config.update_etc(args.config)

    from trytond.exceptions import UserError, UserWarning
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(args.database)
    pool.init()
    with Transaction().start(args.database, 0, readonly=True):
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')], limit=1)
        context = User.get_preferences(context_only=True)
    with Transaction().start(
            args.database, admin.id, context=context) as transaction:
        with transaction.set_context(_skip_warnings=True):
            try:
                yield pool
            except (UserError, UserWarning) as exception:
                transaction.rollback()
                raise UserFacingError(
                    exception.message if hasattr(exception, 'message')
                    else str(exception)) from exception


if __name__ == '__main__':
    sys.exit(main())
