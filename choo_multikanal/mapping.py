"""Tryton's values as the EHF builder takes them.

A sales tax of the NS 4102 chart carries its SAF-T VAT code; the code,
the rate and whether the issuer is VAT registered give the line's VAT
category (UNCL5305).  Units of measure are given by their UN/ECE
recommendation 20 code.

>>> vat_category('6', Decimal(0), vat_registered=True)
(<VatCategory.EXEMPT: 'E'>, Decimal('0'))
>>> unit_code('h')
'HUR'
"""

from decimal import Decimal

from .ehf import VatCategory

__all__ = [
    'SAFT_CATEGORIES', 'VatMappingError', 'MissingVat', 'UnknownVatCode',
    'VatNotRegistered', 'vat_category', 'percent', 'unit_code',
    'prepaid_amount', 'letter_language']

# SAF-T standard VAT codes of sales and the category each stands for.
SAFT_CATEGORIES = {
    '3': VatCategory.STANDARD,  # 25 %
    '31': VatCategory.STANDARD,  # 15 %, food
    '33': VatCategory.STANDARD,  # 12 %
    '5': VatCategory.ZERO,  # zero-rated, mval chapter 6
    '6': VatCategory.EXEMPT,  # outside the VAT Act (membership dues)
    '52': VatCategory.EXPORT,  # export of goods and services
    }

# Tryton's unit symbols and their UN/ECE recommendation 20 codes.
UNIT_CODES = {
    'u': 'C62', 'h': 'HUR', 'd': 'DAY', 'min': 'MIN', 's': 'SEC',
    'kg': 'KGM', 'g': 'GRM', 'm': 'MTR', 'km': 'KMT', 'l': 'LTR',
    'm²': 'MTK', 'm³': 'MTQ', 'kW⋅h': 'KWH',
    }
ONE = 'C62'
# Norwegian in any written form reads the Bokmål letter.
NORWEGIAN = {'nb', 'nn', 'no'}


class VatMappingError(ValueError):
    """A line's tax that gives no VAT category."""


class MissingVat(VatMappingError):
    """A line of a VAT registered issuer has no tax."""


class UnknownVatCode(VatMappingError):
    """The tax has no SAF-T code of a sale that fits its rate."""


class VatNotRegistered(VatMappingError):
    """A line charges VAT while the issuer is not VAT registered."""


def percent(rate: Decimal) -> Decimal:
    """Return Tryton's tax *rate* (a fraction) as a percentage.

    >>> percent(Decimal('.25'))
    Decimal('25')
    >>> percent(Decimal('0.1500'))
    Decimal('15')
    >>> percent(Decimal('.10'))
    Decimal('10')
    >>> percent(Decimal(0))
    Decimal('0')
    """
    return (rate * 100).normalize() + 0


def vat_category(
        saft_code: str | None, rate: Decimal | None,
        vat_registered: bool) -> tuple[VatCategory, Decimal]:
    """Return the VAT category and percentage of a line's sales tax.

    *rate* is Tryton's fraction, None when the line has no tax.  An
    issuer outside the VAT register writes every line as O; a tax
    without SAF-T code is standard when its rate is not zero.

    >>> vat_category('3', Decimal('.25'), vat_registered=True)
    (<VatCategory.STANDARD: 'S'>, Decimal('25'))
    >>> vat_category('5', Decimal(0), vat_registered=True)
    (<VatCategory.ZERO: 'Z'>, Decimal('0'))
    >>> vat_category('6', Decimal(0), vat_registered=False)
    (<VatCategory.OUTSIDE: 'O'>, Decimal('0'))
    >>> vat_category(None, None, vat_registered=False)
    (<VatCategory.OUTSIDE: 'O'>, Decimal('0'))
    >>> vat_category(None, Decimal('.12'), vat_registered=True)
    (<VatCategory.STANDARD: 'S'>, Decimal('12'))
    >>> vat_category(None, None, vat_registered=True)
    Traceback (most recent call last):
        ...
    choo_multikanal.mapping.MissingVat: The line has no VAT tax.
    >>> vat_category('1', Decimal('.25'), True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    choo_multikanal.mapping.UnknownVatCode: SAF-T code '1' at 25 % ...
    >>> vat_category('6', Decimal('.25'), True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    choo_multikanal.mapping.UnknownVatCode: SAF-T code '6' at 25 % ...
    >>> vat_category('3', Decimal('.25'), vat_registered=False)
    Traceback (most recent call last):
        ...
    choo_multikanal.mapping.VatNotRegistered: The line charges 25 % VAT.
    """
    share = percent(rate) if rate is not None else None
    if not vat_registered:
        if share:
            raise VatNotRegistered(f"The line charges {share} % VAT.")
        return VatCategory.OUTSIDE, Decimal(0)
    if share is None:
        raise MissingVat("The line has no VAT tax.")
    category = SAFT_CATEGORIES.get(saft_code or '')
    if saft_code is None and share:
        category = VatCategory.STANDARD
    if category is None or (category is VatCategory.STANDARD) != bool(share):
        raise UnknownVatCode(
            f"SAF-T code {saft_code!r} at {share} % is no VAT code of a "
            "sale.")
    return category, share


def unit_code(symbol: str | None) -> str:
    """Return the UN/ECE rec. 20 code of a unit symbol, C62 (one) else.

    >>> unit_code('u'), unit_code('d'), unit_code('kg')
    ('C62', 'DAY', 'KGM')
    >>> unit_code(None), unit_code('box')
    ('C62', 'C62')
    """
    return UNIT_CODES.get(symbol or '', ONE)


def prepaid_amount(total: Decimal, to_pay: Decimal) -> Decimal:
    """Return what is paid of *total* when *to_pay* is left, in its sign.

    Nothing is paid of an invoice whose payment lines exceed it (an
    overpayment is the payer's credit, not part of this document).

    >>> prepaid_amount(Decimal('8000.00'), Decimal('6500.00'))
    Decimal('1500.00')
    >>> prepaid_amount(Decimal('-1500.00'), Decimal('-1500.00'))
    Decimal('0.00')
    >>> prepaid_amount(Decimal('-1500.00'), Decimal(0))
    Decimal('-1500.00')
    >>> prepaid_amount(Decimal('800.00'), Decimal('-50.00'))
    Decimal('800.00')
    """
    low, high = sorted([total - total, total])
    return min(max(total - to_pay, low), high)


def letter_language(code: str | None) -> str:
    """Return the language of the letter to a party speaking *code*.

    Norwegian parties and those without a language read Bokmål, the
    others English.

    >>> letter_language('nb'), letter_language('nn_NO')
    ('nb', 'nb')
    >>> letter_language(None), letter_language('en'), letter_language('de')
    ('nb', 'en', 'en')
    """
    if not code or code.split('_')[0] in NORWEGIAN:
        return 'nb'
    return 'en'
