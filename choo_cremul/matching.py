"""Find what an incoming payment pays, from the references it quotes.

A payment matches by the exact KID of an invoice first: KIDs are
compared as whole strings, so leading zeros count and nothing is
guessed.  Failing that, the invoice number it quotes, then a KID
written in its free text, then the account it was paid from.  A KID
that lost its leading zeros is only ever offered.  Pure helpers, no
Tryton import.

>>> split_payment(Decimal('1020.00'), Decimal('1020.00'))
(Decimal('1020.00'), Decimal('0.00'))
>>> split_payment(Decimal('560.50'), Decimal('600.00'))
(Decimal('560.50'), Decimal('0.00'))
>>> split_payment(Decimal('700.00'), Decimal('600.00'))
(Decimal('600.00'), Decimal('100.00'))
>>> split_payment(Decimal('250.00'), Decimal('0.00'))
(Decimal('0.00'), Decimal('250.00'))
>>> text_kids('Medlem 42, KID 00000 42000 00075 takk', [15])
['000004200000075']
>>> padded_kids('4200000224', [7, 15])
['000004200000224']
"""
import re
from collections.abc import Collection
from decimal import Decimal
from enum import Enum

from stdnum.no import kontonr

__all__ = [
    'Method', 'account_forms', 'padded_kids', 'split_payment', 'text_kids']

# Digits in groups separated by one space, dot or hyphen: "0000 4200 75"
_DIGIT_GROUPS = re.compile(r'\d+(?:[ .\-]\d+)*')
_SEPARATORS = re.compile(r'[ .\-]')


class Method(Enum):
    "How a payment was tied to what it pays, in the order tried"

    KID = 'kid'
    "the exact KID of an invoice"
    INVOICE_NUMBER = 'invoice_number'
    "the exact number of an invoice"
    TEXT = 'text'
    "a KID with a valid check digit found in the free text"
    PAYER_ACCOUNT = 'payer_account'
    "the account it was paid from belongs to one known party"
    MANUAL = 'manual'
    "assigned by an accountant"


def split_payment(
        amount: Decimal, amount_to_pay: Decimal) -> tuple[Decimal, Decimal]:
    """Return the part of amount that settles the invoice and the excess.

    A short payment goes wholly to the invoice and leaves its residual
    open; what is paid beyond the amount to pay is an overpayment.
    """
    settled = min(amount, max(amount_to_pay, Decimal(0)))
    return settled, amount - settled


def text_kids(text: str, lengths: Collection[int]) -> list[str]:
    """Return the digit strings of text that have the length of a KID.

    Each run of digit groups is joined, as people split a long KID for
    reading, and each group is also taken alone; the caller checks the
    check digit.  Order of appearance, without repeats.

    >>> text_kids('Faktura 10042, KID 0042002', [7])
    ['0042002']
    >>> text_kids('no digits', [7])
    []
    """
    found: dict[str, None] = {}
    for run in _DIGIT_GROUPS.findall(text or ''):
        groups = _SEPARATORS.split(run)
        for candidate in [''.join(groups), *groups]:
            if len(candidate) in lengths:
                found.setdefault(candidate)
    return list(found)


def padded_kids(kid: str, lengths: Collection[int]) -> list[str]:
    """Return kid given back the leading zeros it may have lost.

    >>> padded_kids('125', [7, 3])
    ['0000125']
    >>> padded_kids('12a', [7])
    []
    """
    if not kid.isdigit():
        return []
    return [kid.zfill(n) for n in sorted(set(lengths)) if n > len(kid)]


def account_forms(number: str) -> list[str]:
    """Return the forms a Norwegian account number is written in.

    Banks and parties write an account as its 11 digits or as its IBAN;
    either gives both, the form given first.

    >>> account_forms('9999 10 00018')
    ['99991000018', 'NO3699991000018']
    >>> account_forms('NO3699991000018')
    ['NO3699991000018', '99991000018']
    >>> account_forms('DE89370400440532013000')
    ['DE89370400440532013000']
    """
    number = ''.join(number.split())
    if number.startswith('NO') and kontonr.is_valid(number[4:]):
        return [number, number[4:]]
    if kontonr.is_valid(number):
        return [number, kontonr.to_iban(number).replace(' ', '')]
    return [number]
