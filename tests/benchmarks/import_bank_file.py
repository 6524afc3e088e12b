"""Time ``choo import-bank-file`` on an OCR giro file paying the dues.

The association is billed first, then setup/demo_data.py writes the
file: most invoices paid in full, some short, two payments nobody can
place.  The timing covers the subcommand alone, run in this process:
parsing the file, matching each payment by KID and posting.
"""
import os
import sys
import time

from harness import (
    association_database, choo, demo, parse_args, progress, rate, report)

MEMBERS = 150


def main():
    args = parse_args(__doc__, MEMBERS)
    with association_database(args.members) as bench:
        progress("billing the members")
        choo(bench, 'billing-run', '--date', bench.today.isoformat())
        path, file_seconds = write_bank_file(bench)
        progress(f"bank file written in {file_seconds:.1f} s")

        progress("running choo import-bank-file")
        load = os.getloadavg()[0]
        payments = choo(bench, 'import-bank-file', str(path), '--commit')
    count = int(payments.report['payments'])
    report('import_bank_file',
        members=args.members,
        payments=count,
        matched=int(payments.report['matched']),
        suggested=int(payments.report['suggested']),
        unmatched=int(payments.report['unmatched']),
        seconds=payments.seconds,
        payments_per_second=rate(count, payments.seconds),
        attempts=payments.attempts,
        task_seconds=payments.task_seconds,
        setup_seconds=bench.setup_seconds,
        load_average=load)
    return 0


def write_bank_file(bench):
    "Write the OCR giro file into the bench's folder; return it and seconds"
    started = time.perf_counter()
    # demo.write_bank_file writes into demo.VAR, the demo's own folder.
    demo.VAR = bench.folder
    path = demo.write_bank_file(bench.today)
    return path, time.perf_counter() - started


if __name__ == '__main__':
    sys.exit(main())
