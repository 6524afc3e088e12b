"""Time invoices built as EHF, drawn as PDF and distributed, no database.

Takes the --documents invoices and credit notes of ``ehf.py`` (one
credit note in ten, 1 to 12 lines), builds each as EHF, draws each as a
PDF letter with a logo (one in five an AvtaleGiro notice), then submits
both through the Multikanal simulator, run as its own process on
loopback as ``distribution.py`` does, until every one is delivered.
Progress lines first; one JSON object on the last line.
"""
import argparse
import io
import json
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from distribution import CHANNELS, distribute
from ehf import document as ehf_document
from PIL import Image

from choo_multikanal import distribution, ehf, pdf
from choo_multikanal.tests.tools import document as delivery

T = TypeVar('T')
DOCUMENTS = 10_000


def logo() -> bytes:
    """Return a 600 x 200 PNG, the size of a small letterhead logo."""
    picture = Image.new('RGB', (600, 200), (255, 255, 255))
    picture.paste((180, 20, 40), (0, 0, 200, 200))
    picture.paste((20, 50, 130), (240, 60, 600, 140))
    output = io.BytesIO()
    picture.save(output, 'PNG')
    return output.getvalue()


def letter(number: int, image: bytes) -> pdf.Letter:
    """Return the letter of document *number*: one in five AvtaleGiro."""
    return pdf.Letter(
        member_number=str(10_000 + number), avtalegiro=number % 5 == 0,
        issuer_email="post@forening.no", issuer_phone="22 33 44 55",
        issuer_website="forening.no", logo=image)


def timed(label: str, function: Callable[[T], bytes],
        items: Sequence[T]) -> tuple[list[bytes], float]:
    """Return *function* of each item and the seconds it took."""
    start = time.perf_counter()
    results = [function(item) for item in items]
    seconds = time.perf_counter() - start
    size = sum(map(len, results)) // max(len(results), 1)
    print(f"{label}: {len(results)} in {seconds:.2f} s, "
        f"{len(results) / seconds:.0f} a second, {size} bytes each",
        flush=True)
    return results, seconds


def deliveries(documents: Sequence[ehf.Document], ehfs: Sequence[bytes],
        pdfs: Sequence[bytes]) -> list[distribution.Document]:
    """Return what the simulator is sent: each document by a channel."""
    return [
        delivery(
            f'DOC-{index:06d}', CHANNELS[index % len(CHANNELS)],
            pdf=pdf_bytes, ehf=ehf_bytes, number=document.number,
            avtalegiro=index % 5 == 0)
        for index, (document, ehf_bytes, pdf_bytes) in enumerate(
            zip(documents, ehfs, pdfs), 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--documents', type=int, default=DOCUMENTS)
    args = parser.parse_args()
    image = logo()
    documents = [ehf_document(n) for n in range(1, args.documents + 1)]
    letters = [letter(n, image) for n in range(1, args.documents + 1)]
    print(f"built {len(documents)} documents", flush=True)

    start = time.perf_counter()
    ehfs, ehf_seconds = timed("ehf", ehf.build, documents)
    pdfs, pdf_seconds = timed(
        "pdf", lambda pair: pdf.render(*pair), list(zip(documents, letters)))
    figures = distribute(deliveries(documents, ehfs, pdfs))
    print(f"distributed: {figures['delivered']} delivered in "
        f"{figures['seconds']:.2f} s", flush=True)
    seconds = time.perf_counter() - start

    print(json.dumps({
                'benchmark': 'documents',
                'documents': len(documents),
                'ehf_per_s': round(len(documents) / ehf_seconds, 1),
                'pdf_per_s': round(len(documents) / pdf_seconds, 1),
                'pdf_bytes': sum(map(len, pdfs)) // len(pdfs),
                'accepted': figures['accepted'],
                'delivered': figures['delivered'],
                'distributed_per_s': round(
                    figures['delivered'] / figures['seconds'], 1),
                'seconds': round(seconds, 2),
                'optimised': not __debug__,
                }), flush=True)


if __name__ == '__main__':
    main()
