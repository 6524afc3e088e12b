"""Match incoming payments to open invoices by their KID.

A payment matches when its KID is exactly the KID of one posted customer
invoice of an issuer paid into the receiving account: leading zeros count
and nothing is guessed.  Pure helpers, no Tryton import.

>>> split_payment(Decimal('1020.00'), Decimal('1020.00'))
(Decimal('1020.00'), Decimal('0.00'))
>>> split_payment(Decimal('560.50'), Decimal('600.00'))
(Decimal('560.50'), Decimal('0.00'))
>>> split_payment(Decimal('700.00'), Decimal('600.00'))
(Decimal('600.00'), Decimal('100.00'))
>>> split_payment(Decimal('250.00'), Decimal('0.00'))
(Decimal('0.00'), Decimal('250.00'))
"""
from decimal import Decimal

__all__ = ['split_payment']


def split_payment(
        amount: Decimal, amount_to_pay: Decimal) -> tuple[Decimal, Decimal]:
    """Return the part of amount that settles the invoice and the excess.

    A short payment goes wholly to the invoice and leaves its residual
    open; what is paid beyond the amount to pay is an overpayment.
    """
    settled = min(amount, max(amount_to_pay, Decimal(0)))
    return settled, amount - settled
