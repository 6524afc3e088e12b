"""The ``choo distribute`` subcommand."""
from collections import Counter

from choo.cli import UserFacingError, in_transaction

from .routing import DEFAULT_ORDER

STATES = [
    'waiting', 'queued', 'sent', 'delivered', 'rejected', 'failed',
    'cancelled']


def distribute(parser):
    "send the invoices waiting for delivery and poll their statuses"
    parser.add_argument(
        '--run', dest='billing_run', type=int, default=None, metavar='ID',
        help="only the invoices of this billing run")
    parser.add_argument(
        '--retry-failed', action='store_true',
        help="try the failed deliveries again by their channel and the "
        "rejected ones by their next channel")
    parser.set_defaults(run=_run)


def _run(args):
    in_transaction(args, lambda pool: _send(pool, args))
    in_transaction(args, lambda pool: _poll(pool, args))
    counts = in_transaction(args, lambda pool: _count(pool, args))
    for line in report(counts):
        print(line)
    return 0


def _domain(args):
    "Return the domain of the deliveries the command works on"
    if args.billing_run is None:
        return []
    return [('invoice.billing_run', '=', args.billing_run)]


def _send(pool, args):
    "Queue the sending of the deliveries due, failed ones first moved on"
    Delivery = pool.get('choo.delivery')
    run = args.billing_run
    if run is not None and not pool.get('choo.billing.run').search([
                ('id', '=', run),
                ]):
        raise UserFacingError(f"no billing run {run}")
    if args.retry_failed:
        Delivery.retry_failed(Delivery.search([
                    ('state', 'in', ['failed', 'rejected']),
                    *_domain(args),
                    ]))
    _queue_due(pool, args)


def _poll(pool, args):
    "Read the statuses and queue the fallbacks they call for"
    pool.get('choo.delivery').poll()
    _queue_due(pool, args)


def _queue_due(pool, args):
    Delivery = pool.get('choo.delivery')
    due = Delivery.due(_domain(args))
    Delivery.check_providers(due)
    Delivery.queue(due)


def _count(pool, args):
    "Return the number of deliveries per channel and state"
    Delivery = pool.get('choo.delivery')
    return Counter(
        (d.channel, d.state) for d in Delivery.search(_domain(args)))


def report(counts):
    """Return the lines that tell the counts, channels in their usual order.

    >>> report(Counter({('email', 'sent'): 2, ('ehf', 'delivered'): 1}))
    ['deliveries: 3', 'ehf delivered: 1', 'email sent: 2', 'committed: yes']
    """
    lines = [f"deliveries: {sum(counts.values())}"]
    for channel in DEFAULT_ORDER:
        for state in STATES:
            if counts.get((channel.value, state)):
                lines.append(
                    f"{channel.value} {state}: {counts[channel.value, state]}")
    lines.append("committed: yes")
    return lines
