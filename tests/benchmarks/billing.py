"""Time a billing run of many yearly subscriptions beside stock Tryton.

The association gets --subscriptions members billed by Choo's billing
runs and --stock members whose subscriptions are invoiced the stock way
(sale_subscription's consumptions and invoice generation, then
``Invoice.post``), all with the same dues.  Preview, commit and the
stock path are timed apart, and the invoices of both paths are compared:
posted moves, taxes, receivables, strict numbers and KIDs.

As with trytond-worker, the configuration queues tasks instead of
running them: the batches of the run are taken from the queue here, one
transaction each, and the rendering of the posted invoices that Tryton
queues is left to a worker and counted, not timed, for both paths.
"""
import os
import sys
import time
from collections import defaultdict

from bulk import add_members, committed, transaction
from harness import association_database, progress, report

SUBSCRIPTIONS = 10_000
LARGE = 100_000
STOCK = 2_000


def main():
    args = parse_args()
    subscriptions = LARGE if args.large else args.subscriptions
    with association_database(0, worker=True) as bench:
        start = bench.today.replace(day=1)
        built = time.perf_counter()
        add_members(bench.database, subscriptions, start)
        add_members(bench.database, args.stock, start, stock=True)
        progress(f"{subscriptions} + {args.stock} subscriptions built in "
            f"{time.perf_counter() - built:.1f} s")

        load = os.getloadavg()[0]
        # Stock Tryton invoices at the start of the period, the run at
        # today: a series takes no invoice dated before its last one.
        stock = stock_path(bench)
        progress(f"stock: {stock['invoices']} invoices in "
            f"{stock['seconds']:.1f} s")
        preview = preview_run(bench, args.batch_size)
        progress(f"preview: {preview['seconds']:.1f} s")
        commit = commit_run(bench, preview['run'], args.batch_size)
        progress(f"commit: {commit['invoices']} invoices in "
            f"{commit['seconds']:.1f} s")
        comparison = compare(bench)
        progress(f"compared: {comparison}")

    choo_rate = commit['invoices'] / commit['seconds']
    stock_rate = stock['invoices'] / stock['seconds']
    report('billing',
        subscriptions=subscriptions,
        stock_subscriptions=args.stock,
        batch_size=args.batch_size,
        optimised=not __debug__,
        preview_seconds=preview['seconds'],
        preview_invoices=preview['invoices'],
        choo_invoices=commit['invoices'],
        choo_seconds=commit['seconds'],
        choo_invoices_per_s=choo_rate,
        stock_invoices=stock['invoices'],
        stock_seconds=stock['seconds'],
        stock_invoices_per_s=stock_rate,
        stock_post_seconds=stock['post_seconds'],
        stock_posted_per_s=stock['invoices'] / stock['post_seconds'],
        ratio=choo_rate / stock_rate,
        render_tasks_queued=comparison.pop('render_tasks'),
        **comparison,
        load_average=load)
    return 0 if comparison['identical'] else 1


def parse_args():
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--subscriptions', type=int, default=SUBSCRIPTIONS,
        help="subscriptions billed by the run (default: %(default)s)")
    parser.add_argument(
        '--large', action='store_true',
        help=f"bill {LARGE} subscriptions")
    parser.add_argument(
        '--stock', type=int, default=STOCK,
        help="subscriptions invoiced the stock way (default: %(default)s)")
    parser.add_argument(
        '--batch-size', type=int, default=500,
        help="subscriptions per batch (default: %(default)s)")
    return parser.parse_args()


def preview_run(bench, batch_size):
    "Create the billing run of the day and preview it"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def preview():
        pool = Pool()
        Issuer = pool.get('choo.issuer')
        Run = pool.get('choo.billing.run')
        issuer, = Issuer.search([])
        with Transaction().set_context(
                choo_billing_batch_size=batch_size):
            run, = Run.create([{
                        'company': issuer.company.id,
                        'issuer': issuer.id,
                        'date': bench.today,
                        }])
            Run.preview([run])
        return {'run': run.id, 'invoices': run.preview_invoices}

    started = time.perf_counter()
    result = committed(bench.database, preview)
    return {**result, 'seconds': time.perf_counter() - started}


def commit_run(bench, run_id, batch_size):
    "Approve the run and take its batches from the queue as a worker"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def commit():
        Run = Pool().get('choo.billing.run')
        with Transaction().set_context(
                choo_billing_batch_size=batch_size):
            Run.commit([Run(run_id)])

    started = time.perf_counter()
    committed(bench.database, commit)
    work_queue(bench.database, {'choo.billing.run.batch', 'choo.billing.run'})
    seconds = time.perf_counter() - started

    with transaction(bench.database):
        run = Pool().get('choo.billing.run')(run_id)
        if run.state != 'done':
            raise SystemExit(f"the billing run ended {run.state}")
        return {'seconds': seconds, 'invoices': run.invoice_count}


def work_queue(database, models, methods=None):
    """Run the queued tasks of models, oldest first, as trytond-worker does

    With methods, only the tasks that call one of them.
    """
    from trytond.pool import Pool
    from trytond.worker import run_task

    pool = Pool(database)
    while True:
        with transaction(database):
            Queue = pool.get('ir.queue')
            tasks = [t.id for t in Queue.search([
                        ('dequeued_at', '=', None),
                        ], order=[('id', 'ASC')])
                if t.data['model'] in models
                and (methods is None or t.data['method'] in methods)]
        if not tasks:
            return
        for task in tasks:
            run_task(pool, task)


def stock_path(bench):
    "Invoice the stock subscriptions as sale_subscription does, and post"
    from trytond.pool import Pool

    def invoice():
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('sale.subscription.line')
        Subscription = pool.get('sale.subscription')
        Line.generate_consumption(date=bench.today)
        Subscription.generate_invoice(date=bench.today)
        invoices = Invoice.search([
                ('state', '=', 'draft'), ('type', '=', 'out')])
        posting = time.perf_counter()
        Invoice.post(invoices)
        return len(invoices), time.perf_counter() - posting

    started = time.perf_counter()
    invoices, post_seconds = committed(bench.database, invoice)
    return {
        'seconds': time.perf_counter() - started, 'invoices': invoices,
        'post_seconds': post_seconds}


def compare(bench):
    "Return how the invoices of both paths compare, in figures"
    from trytond.pool import Pool
    from choo_subscription_billing import kid

    with transaction(bench.database):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Queue = pool.get('ir.queue')
        invoices = Invoice.search([('type', '=', 'out')])
        shapes = {True: set(), False: set()}
        for invoice in invoices:
            shapes[bool(invoice.billing_run)].add(_shape(invoice))
        numbers = sorted(i.number for i in invoices)
        kids = [i.kid for i in invoices]
        render = Queue.search([('dequeued_at', '=', None)], count=True)
        return {
            'identical': (
                len(shapes[True]) == len(shapes[False]) == 1
                and shapes[True] == shapes[False]
                and all(kid.is_valid(k) for k in kids)
                and len(set(kids)) == len(kids)
                and _unbroken(numbers)),
            'invoice_shapes': len(shapes[True] | shapes[False]),
            'render_tasks': render,
            }


def _shape(invoice):
    "Return what an invoice books, without what differs per member"
    move = invoice.move
    return (
        invoice.state, move.state, invoice.untaxed_amount,
        invoice.tax_amount, invoice.total_amount, invoice.amount_to_pay,
        tuple(sorted(
                (t.tax.id, t.base, t.amount) for t in invoice.taxes)),
        tuple(sorted(
                (l.account.code, l.debit, l.credit, bool(l.party),
                    len(l.tax_lines))
                for l in move.lines)),
        len(invoice.kid), invoice.number.split('-')[0])


def _unbroken(numbers):
    "Return whether the numbers of each series run from 1 without a gap"
    series = defaultdict(list)
    for number in numbers:
        prefix, counter = number.rsplit('-', 1)
        series[prefix].append(int(counter))
    return all(
        sorted(counters) == list(range(1, len(counters) + 1))
        for counters in series.values())


if __name__ == '__main__':
    sys.exit(main())
