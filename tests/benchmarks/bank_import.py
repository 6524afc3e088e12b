"""Time bank files of many payments read against as many open invoices.

The association's members are billed by a billing run as a worker does
it; then an OCR giro file and a CREMUL file are written that pay those
invoices (most in full, some short, some with a KID nobody issued).
Each file is read by ``choo import-bank-file --commit`` in a copy of the
billed database of its own, so that both find the same open invoices:
parsed, matched, posted and reconciled; then the invoices' processing
that reconciliation queued (paid in full becomes paid) is taken from the
queue as trytond-worker does.  Parsing alone is also timed apart.  One
JSON object per file, each on its own line.
"""
import contextlib
import dataclasses
import datetime as dt
import os
import subprocess
import random
import sys
import time
from decimal import Decimal

from billing import commit_run, preview_run, work_queue
from bulk import _init, add_members, transaction
from harness import (
    association_database, choo, close_database, drop_database, progress,
    report)

INVOICES = 100_000
PER_POSTING = 1_000
BANK_ACCOUNT = '99991000018'


def main():
    args = parse_args()
    with association_database(0, worker=True) as bench:
        start = bench.today.replace(day=1)
        add_members(bench.database, args.invoices, start)
        preview = preview_run(bench, args.batch_size)
        billed = commit_run(bench, preview['run'], args.batch_size)
        progress(f"billed {billed['invoices']} invoices in "
            f"{billed['seconds']:.1f} s")
        payments = _payments(bench)
        for name, write, parse in [
                ('ocr_giro', _write_ocr, _parse_ocr),
                ('cremul', _write_cremul, _parse_cremul)]:
            path = bench.folder / f'{name}.txt'
            path.write_bytes(write(bench.today, payments))
            parsed = time.perf_counter()
            parse(path.read_bytes())
            parse_seconds = time.perf_counter() - parsed
            with _copy(bench, name) as copy:
                load = os.getloadavg()[0]
                timing = choo(
                    copy, 'import-bank-file', str(path), '--commit')
                processed = time.perf_counter()
                work_queue(
                    copy.database, {'account.invoice'}, {'process'})
                process_seconds = time.perf_counter() - processed
                paid = _paid(copy.database)
            count = int(timing.report['payments'])
            seconds = timing.seconds + process_seconds
            report('bank_import',
                format=name,
                invoices=billed['invoices'],
                payments=count,
                amount=timing.report['amount'],
                matched=int(timing.report['matched']),
                suggested=int(timing.report['suggested']),
                unmatched=int(timing.report['unmatched']),
                statements_posted=int(timing.report['statements posted']),
                invoices_paid=paid,
                parse_seconds=parse_seconds,
                import_seconds=timing.seconds,
                process_seconds=process_seconds,
                seconds=seconds,
                payments_per_s=count / seconds,
                attempts=timing.attempts,
                load_average=load)
    return 0


def parse_args():
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--invoices', type=int, default=INVOICES,
        help="open invoices and payments (default: %(default)s)")
    parser.add_argument(
        '--batch-size', type=int, default=500,
        help="subscriptions per billing batch (default: %(default)s)")
    return parser.parse_args()


@contextlib.contextmanager
def _copy(bench, name):
    "Yield a Bench of a copy of bench's database, dropped afterwards"
    copy = dataclasses.replace(bench, database=f'{bench.database}_{name}')
    close_database(bench.database)
    subprocess.run(
        ['createdb', '-T', bench.database, copy.database], check=True)
    try:
        _init(copy.database)
        yield copy
    finally:
        drop_database(copy.database)


def _paid(database):
    "Return how many customer invoices of database are paid"
    from trytond.pool import Pool
    with transaction(database):
        Invoice = Pool().get('account.invoice')
        return Invoice.search([
                ('type', '=', 'out'), ('state', '=', 'paid'),
                ], count=True)


def _payments(bench):
    "Return (KID, amount) of a payment per open invoice, some wrong"
    from trytond.pool import Pool
    from choo_subscription_billing import kid

    chance = random.Random(bench.today.toordinal())
    with transaction(bench.database):
        Invoice = Pool().get('account.invoice')
        invoices = Invoice.search_read([
                ('type', '=', 'out'), ('state', '=', 'posted'),
                ], order=[('number', 'ASC')],
            fields_names=['kid', 'total_amount'])
    payments = []
    for invoice in invoices:
        draw = chance.random()
        amount = invoice['total_amount']
        if draw < 0.95:
            payments.append((invoice['kid'], amount))
        elif draw < 0.98:
            payments.append((invoice['kid'], amount - 50))
        else:
            payments.append((kid.make(f'{chance.randrange(10**13):014d}'),
                    amount))
    return payments


def _write_ocr(today, payments):
    from choo_cremul import ocr
    transactions = [
        ocr.Transaction(
            transaction_type=ocr.TransactionType.GIRO_DEBITED_ACCOUNT,
            number=number, amount=amount, kid=kid_, nets_date=today,
            bank_date=today, payer_account='99992000011',
            reference=f'{number:09d}')
        for number, (kid_, amount) in enumerate(payments, 1)]
    return ocr.write(
        transactions, transmission_number=today.strftime('%y%m%d2'),
        data_transmitter='00008080', data_recipient='00012345',
        agreement_id='000123456', account=BANK_ACCOUNT,
        date=today).encode('iso-8859-1')


def _write_cremul(today, payments):
    from choo_cremul import cremul
    postings = []
    for offset in range(0, len(payments), PER_POSTING):
        chunk = payments[offset:offset + PER_POSTING]
        seqs = tuple(
            cremul.Payment(
                number=str(number), amount=amount,
                execution_date=today - dt.timedelta(days=1),
                payer_account='99992000011', payer_name="Medlem",
                documents=(cremul.Document('999', kid_),),
                references=(('ACD', f'B{offset + number:09d}'),))
            for number, (kid_, amount) in enumerate(chunk, 1))
        postings.append(cremul.Posting(
                number=str(len(postings) + 1),
                amount=sum((p.amount for p in seqs), Decimal(0)),
                payments=seqs, account=BANK_ACCOUNT, booking_date=today))
    interchange = cremul.Interchange(
        reference=today.strftime('%y%m%d3'), sender='BANK',
        recipient='FORENING', prepared=dt.datetime.combine(
            today, dt.time(6)),
        messages=(cremul.Message(
                reference='1', number='1', postings=tuple(postings)),))
    return cremul.write(interchange, width=80).encode('iso-8859-1')


def _parse_ocr(data):
    from choo_cremul import ocr
    return ocr.parse(data)


def _parse_cremul(data):
    from choo_cremul import cremul
    return cremul.parse(data)


if __name__ == '__main__':
    sys.exit(main())
