"""Time ``choo billing-run`` over an association of many members.

Every member has a yearly dues subscription starting on 1 January, so
one run on today's date invoices and posts one invoice per member.  The
timing covers the subcommand alone, run in this process.
"""
import os
import sys

from harness import (
    association_database, choo, parse_args, progress, rate, report)

MEMBERS = 150


def main():
    args = parse_args(__doc__, MEMBERS)
    with association_database(args.members) as bench:
        progress("running choo billing-run")
        load = os.getloadavg()[0]
        billing = choo(
            bench, 'billing-run', '--date', bench.today.isoformat())
    invoices = int(billing.report['invoices posted'])
    report('billing_run',
        members=args.members,
        invoices=invoices,
        seconds=billing.seconds,
        invoices_per_second=rate(invoices, billing.seconds),
        attempts=billing.attempts,
        task_seconds=billing.task_seconds,
        setup_seconds=bench.setup_seconds,
        load_average=load)
    return 0


if __name__ == '__main__':
    sys.exit(main())
