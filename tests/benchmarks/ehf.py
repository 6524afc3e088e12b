"""Time the EHF builder on many documents, without a database.

Builds --documents invoices and credit notes (one in ten) of 1 to 12
lines each, with periods, cost centres and a KID, and prints one JSON
object with the number of documents and the documents built a second.
"""
import argparse
import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from choo_multikanal import ehf  # noqa: E402

DOCUMENTS = 10_000
SUPPLIER = ehf.Supplier(
    name="Eksempel Forening", organisation_number='923456783',
    address=ehf.Address("Prøvegata 1", "Testby", '9999'),
    bank_account='99991000050', vat_registered=True)
CUSTOMER = ehf.Customer(
    name="Eksempel Kunde AS",
    address=ehf.Address("Kundeveien 8", "Kundeby", '9998'),
    organisation_number='987654325', buyer_reference='REF-4711')
MONTH = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))


def document(number: int) -> ehf.Document:
    sign = -1 if number % 10 == 0 else 1
    lines = []
    for index in range(1 + number % 12):
        quantity = Decimal(sign * (1 + index % 3))
        price = Decimal(100 + number % 900) + Decimal(index) / 100
        lines.append(ehf.Line(
                name=f"Kontingent {index}", quantity=quantity,
                unit_price=price, net_amount=ehf.net_amount(quantity, price),
                vat_category=ehf.VatCategory.STANDARD,
                vat_rate=Decimal(25 if index % 2 else 12), period=MONTH,
                accounting_cost='K-100'))
    return ehf.Document(
        type=(ehf.DocumentType.CREDIT_NOTE if sign < 0
            else ehf.DocumentType.INVOICE),
        number=f'2026-{number}', issue_date=MONTH[0],
        due_date=MONTH[0] + dt.timedelta(days=14), supplier=SUPPLIER,
        customer=CUSTOMER, lines=lines, kid=None if sign < 0 else '0000125',
        billing_reference='2026-1' if sign < 0 else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--documents', type=int, default=DOCUMENTS)
    args = parser.parse_args()
    documents = [document(n) for n in range(1, args.documents + 1)]

    start = time.perf_counter()
    size = sum(len(ehf.build(d)) for d in documents)
    elapsed = time.perf_counter() - start

    print(json.dumps({
                'documents': len(documents),
                'seconds': round(elapsed, 2),
                'ehf_per_s': round(len(documents) / elapsed),
                'bytes_per_document': size // len(documents)}))


if __name__ == '__main__':
    main()
