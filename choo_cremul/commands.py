"""The ``choo import-bank-file`` subcommand."""
import os

from trytond.transaction import Transaction

from choo.cli import UserFacingError, in_transaction

FORMATS = ['ocr_giro']


def import_bank_file(parser):
    "import a bank file and settle the invoices its payments quote"
    parser.add_argument('path', help="the bank file")
    parser.add_argument(
        '--format', choices=FORMATS, default='ocr_giro',
        help="the file's format (default: %(default)s)")
    parser.add_argument(
        '--company', type=int, default=None,
        help="the receiving company (default: the admin's company)")
    parser.add_argument(
        '--draft', action='store_true',
        help="leave the statements in draft for review")
    parser.set_defaults(run=_run)


def _run(args):
    try:
        with open(args.path, 'rb') as file_:
            data = file_.read()
    except OSError as exception:
        raise UserFacingError(
            f"cannot read {args.path}: {exception.strerror}")
    name = os.path.basename(args.path)
    for line in in_transaction(
            args, lambda pool: _import_and_post(pool, args, data, name)):
        print(line)
    return 0


def _import_and_post(pool, args, data, name):
    company = args.company or Transaction().context.get('company')
    with Transaction().set_context(company=company):
        statements = _import(pool, data, args.format, company)
        posted = [] if args.draft else _post(pool, statements)
        return _report(name, statements, posted)


def _import(pool, data, file_format, company):
    ImportStatement = pool.get('account.statement.import', type='wizard')
    Statement = pool.get('account.statement')
    session_id, _, _ = ImportStatement.create()
    try:
        wizard = ImportStatement(session_id)
        wizard.start.company = company
        wizard.start.file_ = data
        wizard.start.file_format = file_format
        _, action_data = wizard.do_import_({'views': []})
    finally:
        ImportStatement.delete(session_id)
    return Statement.browse(action_data['res_id'])


def _post(pool, statements):
    Statement = pool.get('account.statement')
    ready = [s for s in statements
        if all(not o.pending_amount for o in s.origins)]
    Statement.validate_statement(ready)
    Statement.post(ready)
    return ready


def _report(name, statements, posted):
    origins = [o for s in statements for o in s.origins]
    matched = [o for o in origins if o.match_state == 'matched']
    return [
        f"file: {name}",
        f"statements: {len(statements)}",
        f"statements posted: {len(posted)}",
        f"payments: {len(origins)}",
        f"payments matched: {len(matched)}",
        f"payments unmatched: {len(origins) - len(matched)}",
        f"amount: {sum(o.amount for o in origins)}",
        ]
