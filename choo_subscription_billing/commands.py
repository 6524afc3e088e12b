"""The ``choo billing-run`` subcommand."""
import datetime as dt

from trytond.transaction import Transaction

from choo.cli import UserFacingError, in_transaction


def billing_run(parser):
    "preview, or invoice and post, every subscription period that is due"
    parser.add_argument(
        '--issuer', action='append', default=None,
        help="the name or id of the issuer to bill (default: every issuer)")
    parser.add_argument(
        '--date', type=dt.date.fromisoformat, default=None,
        help="bill what is due up to this date (default: today)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        '--preview', dest='commit', action='store_false',
        help="show what would be invoiced and write no invoice")
    mode.add_argument(
        '--commit', dest='commit', action='store_true',
        help="invoice and post (the default)")
    mode.add_argument(
        '--resume', action='store_true',
        help="process the pending batches of the runs left processing")
    parser.add_argument(
        '--no-catch-up', dest='catch_up', action='store_false',
        help="bill only the latest due period of each line")
    parser.add_argument(
        '--batch-size', type=int, default=None,
        help="subscriptions per batch of the workers")
    parser.set_defaults(run=_run, commit=True, catch_up=True, resume=False)


def _run(args):
    runs = in_transaction(args, lambda pool: _start(pool, args))
    if args.resume:
        print(f"runs resumed: {len(runs)}")
    for report in in_transaction(args, lambda pool: _report(pool, runs)):
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


def _start(pool, args):
    "Create a run per issuer, preview it and commit it when asked"
    BillingRun = pool.get('choo.billing.run')
    Date = pool.get('ir.date')

    if args.resume:
        runs = BillingRun.search([
                ('issuer', 'in', [i.id for i in _issuers(pool, args.issuer)]),
                ('state', '=', 'processing'),
                ], order=[('id', 'ASC')])
        BillingRun.process(runs)
        return [r.id for r in runs]

    context = {}
    if args.batch_size:
        context['choo_billing_batch_size'] = args.batch_size
    runs = []
    for issuer in _issuers(pool, args.issuer):
        with Transaction().set_context(
                company=issuer.company.id, **context):
            run, = BillingRun.create([{
                        'company': issuer.company.id,
                        'issuer': issuer.id,
                        'date': args.date or Date.today(),
                        'catch_up': args.catch_up,
                        }])
            BillingRun.preview([run])
            if args.commit:
                BillingRun.commit([run])
            runs.append(run.id)
    return runs


def _issuers(pool, names):
    "Return the issuers named or numbered, or all"
    Issuer = pool.get('choo.issuer')
    if not names:
        return Issuer.search([], order=[('id', 'ASC')])
    issuers = []
    for name in names:
        domain = [('name', '=', name)]
        if name.isdigit():
            domain = ['OR', domain, ('id', '=', int(name))]
        found = Issuer.search(domain)
        if len(found) != 1:
            raise UserFacingError(f"no single issuer is named {name!r}")
        issuers.extend(found)
    return issuers


def _report(pool, run_ids):
    "Return what each run did, in the order of the lines printed"
    BillingRun = pool.get('choo.billing.run')
    reports = []
    for run in BillingRun.browse(run_ids):
        report = {
            'billing run': run.id,
            'issuer': run.issuer.rec_name,
            'date': run.date.isoformat(),
            'state': run.state,
            'preview invoices': run.preview_invoices,
            'preview lines': run.preview_lines,
            'preview amount': run.preview_amount,
            'missed periods': run.preview_missed,
            'missed amount': run.preview_missed_amount,
            }
        for summary in run.preview_summary:
            report[f'product {summary.product.rec_name}'] = (
                f"{summary.lines} lines, {summary.amount}")
        if run.state in {'processing', 'done'}:
            report.update({
                    'progress': f"{run.processed}/{run.total}",
                    'invoices posted': run.invoice_count,
                    'amount': run.total_amount,
                    'errors': len(run.errors),
                    })
            for error in run.errors:
                unit = error.subscription or error.party
                report[f'error {unit.rec_name}'] = error.message
        else:
            report['errors'] = run.preview_errors
        reports.append(report)
    return reports
