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
from collections.abc import Sequence

from choo_multikanal.distribution import Document, Status
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

    figures = distribute(documents)
    print(json.dumps({
                'benchmark': 'distribution',
                'documents': len(documents),
                **figures,
                'submitted_per_s': round(
                    len(documents) / figures['submit_seconds'], 1),
                'distributed_per_s': round(
                    figures['delivered'] / figures['seconds'], 1),
                }), flush=True)


def distribute(documents: Sequence[Document]) -> dict[str, float]:
    """Return the figures of *documents* sent through a new simulator."""
    with simulator() as service:
        config = MultikanalConfig(url=service.url, token=TOKEN)
        with MultikanalProvider(config) as provider:
            start = time.perf_counter()
            receipts = provider.submit(documents)
            submitted = time.perf_counter() - start
            delivered = count_delivered(provider, len(documents))
            seconds = time.perf_counter() - start
    return {
        'accepted': sum(r.accepted for r in receipts),
        'delivered': delivered,
        'submit_seconds': round(submitted, 3),
        'seconds': round(seconds, 3)}


def count_delivered(provider: MultikanalProvider, count: int) -> int:
    """Return how many documents are delivered, reading every change."""
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
