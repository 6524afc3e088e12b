"""The ``choo billing-run`` subcommand."""
import datetime as dt

from trytond.transaction import Transaction

from choo.cli import in_transaction


def billing_run(parser):
    "invoice and post every subscription period that is due"
    parser.add_argument(
        '--date', type=dt.date.fromisoformat, default=None,
        help="bill what is due up to this date (default: today)")
    parser.add_argument(
        '--company', type=int, action='append', default=None,
        help="the company to bill (default: every company)")
    parser.set_defaults(run=_run)


def _run(args):
    for report in in_transaction(args, lambda pool: _bill(pool, args)):
        print(f"billing run: {report['run']}")
        print(f"company: {report['company']}")
        print(f"date: {report['date']}")
        print(f"invoices posted: {report['invoices']}")
        print(f"amount: {report['amount']}")
    return 0


def _bill(pool, args):
    BillingRun = pool.get('choo.billing.run')
    Company = pool.get('company.company')
    Date = pool.get('ir.date')

    companies = (Company.browse(args.company) if args.company
        else Company.search([]))
    reports = []
    for company in companies:
        with Transaction().set_context(company=company.id):
            date = args.date or Date.today()
            run, = BillingRun.create([{
                        'company': company.id,
                        'date': date,
                        }])
            BillingRun.run([run])
            reports.append({
                    'run': run.id,
                    'company': company.rec_name,
                    'date': date.isoformat(),
                    'invoices': run.invoice_count,
                    'amount': run.total_amount,
                    })
    return reports
