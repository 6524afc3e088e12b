"""The ``choo import-bank-file`` subcommand."""
import os
from decimal import Decimal

from trytond.transaction import Transaction

from choo.cli import UserFacingError, in_transaction

from . import bankfile

AGREEMENTS = 'avtalegiro_agreements'
FORMATS = ['ocr_giro', 'cremul', 'camt_054', AGREEMENTS]


def import_bank_file(parser):
    "import bank files and settle the invoices their payments pay"
    parser.add_argument('paths', metavar='PATH', nargs='+',
        help="a bank file: OCR giro, CREMUL or camt.054 payments, or "
        "AvtaleGiro agreements (direct-debit mandates)")
    parser.add_argument(
        '--format', choices=FORMATS, default=None,
        help="the files' format (default: found from their content)")
    parser.add_argument(
        '--company', type=int, default=None,
        help="the receiving company (default: the admin's company)")
    parser.add_argument(
        '--commit', action='store_true',
        help="import, match and post; without it nothing is changed")
    parser.add_argument(
        '--draft', action='store_true',
        help="with --commit, leave the statements in draft for review")
    parser.set_defaults(run=_run)


def _run(args):
    for path in args.paths:
        data = _read(path)
        file_format = args.format or bankfile.detect(data)
        if not file_format:
            raise UserFacingError(
                f"{path}: not an OCR giro, CREMUL, camt.054 or AvtaleGiro "
                "agreement file")
        name = os.path.basename(path)
        if file_format == AGREEMENTS:
            job = _import_mandates
        else:
            job = _import_and_post
        lines = in_transaction(
            args, lambda pool: job(pool, args, data, file_format, name),
            commit=args.commit)
        for line in lines:
            print(line)
    return 0


def _read(path):
    try:
        with open(path, 'rb') as file_:
            return file_.read()
    except OSError as exception:
        raise UserFacingError(
            f"cannot read {path}: {exception.strerror}")


def _import_and_post(pool, args, data, file_format, name):
    Statement = pool.get('account.statement')
    company = args.company or Transaction().context.get('company')
    with Transaction().set_context(company=company):
        statements = Statement.import_bank_file(
            company, data, file_format, post=not args.draft)
        return report(name, file_format, statements, args.commit)


def _import_mandates(pool, args, data, file_format, name):
    # Imported here: choo loads commands before trytond reads its config.
    from .mandate import import_agreements
    company = args.company or Transaction().context.get('company')
    with Transaction().set_context(company=company):
        lines = import_agreements(pool, data, company, name)
    return [
        f"file: {name}",
        *lines,
        f"committed: {'yes' if args.commit else 'no'}",
        ]


def report(name, file_format, statements, committed=True):
    "Return the lines that tell what the import of one file did"
    origins = [o for s in statements for o in s.origins]
    posted = [s for s in statements if s.state == 'posted']
    states = {
        state: sum(o.match_state == state for o in origins)
        for state in ['matched', 'suggested', 'unmatched']}
    amount = sum((o.amount for o in origins), Decimal(0))
    return [
        f"file: {name}",
        f"format: {file_format}",
        f"statements: {len(statements)}",
        f"statements posted: {len(posted) if committed else 0}",
        f"payments: {len(origins)}",
        f"amount: {amount:.2f}",
        *(f"{state}: {count}" for state, count in states.items()),
        f"committed: {'yes' if committed else 'no'}",
        ]
