"""Time 10 000 small documents distributed through the Multikanal
simulator.

The simulator runs as its own process on loopback, sending and
delivering at once; the documents go through the HTTP transport in
batches of 500, then the status changes are read by cursor until every
document is delivered.  One JSON object on the last line.
"""
import argparse
import json
import time

from choo_multikanal.distribution import Status
from choo_multikanal.multikanal import MultikanalConfig, MultikanalProvider
from choo_multikanal.routing import Channel
from choo_multikanal.tests.tools import TOKEN, document, simulator

CHANNELS = [Channel.EHF, Channel.EFAKTURA, Channel.EMAIL, Channel.PRINT]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--documents', type=int, default=10_000)
    args = parser.parse_args()
    documents = [
        document(f'BENCH-{i:06d}', CHANNELS[i % len(CHANNELS)])
        for i in range(args.documents)]

    with simulator() as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            start = time.perf_counter()
            receipts = provider.submit(documents)
            submitted = time.perf_counter() - start
            delivered = _delivered(provider, len(documents))
            seconds = time.perf_counter() - start

    print(json.dumps({
                'benchmark': 'distribution',
                'documents': len(documents),
                'accepted': sum(r.accepted for r in receipts),
                'delivered': delivered,
                'submit_seconds': round(submitted, 3),
                'seconds': round(seconds, 3),
                'submitted_per_s': round(len(documents) / submitted, 1),
                'distributed_per_s': round(delivered / seconds, 1),
                }), flush=True)


def _delivered(provider: MultikanalProvider, count: int) -> int:
    delivered, cursor = 0, None
    while delivered < count:
        page = provider.statuses(since=cursor, limit=5000)
        delivered += sum(
            r.status is Status.DELIVERED for r in page.reports)
        if not page.reports:
            break
        cursor = page.cursor
    return delivered


if __name__ == '__main__':
    main()
