"""Tests of the pure mapping of Tryton's values to the EHF builder's."""
import doctest
from decimal import Decimal

import pytest

from choo_multikanal import mapping
from choo_multikanal.ehf import VatCategory


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(mapping)
    assert failures == 0
    assert attempted > 0


@pytest.mark.parametrize('code, rate, category, percent', [
        ('3', '0.25', VatCategory.STANDARD, '25'),
        ('31', '0.15', VatCategory.STANDARD, '15'),
        ('33', '0.12', VatCategory.STANDARD, '12'),
        ('5', '0', VatCategory.ZERO, '0'),
        ('6', '0', VatCategory.EXEMPT, '0'),
        ('52', '0', VatCategory.EXPORT, '0'),
        ])
def test_sales_codes_of_the_chart(
        code: str, rate: str, category: VatCategory, percent: str) -> None:
    """Each SAF-T sales code of NS 4102 gives its category and rate."""
    assert mapping.vat_category(code, Decimal(rate), True) == (
        category, Decimal(percent))


@pytest.mark.parametrize('code, rate', [
        ('1', '0.25'), ('11', '0.15'), ('86', '0.25'), ('3', '0'),
        ('5', '0.25'), (None, '0'), ('', '0')])
def test_no_sales_code(code: str | None, rate: str) -> None:
    """A purchase code, or a code whose rate does not fit, is refused."""
    with pytest.raises(mapping.UnknownVatCode):
        mapping.vat_category(code, Decimal(rate), True)


@pytest.mark.parametrize('total, to_pay, prepaid', [
        ('750.00', '750.00', '0.00'),
        ('750.00', '0', '750.00'),
        ('750.00', '500.00', '250.00'),
        ('750.00', '900.00', '0.00'),
        ('-300.00', '-300.00', '0.00'),
        ('-300.00', '-100.00', '-200.00'),
        ('-300.00', '50.00', '-300.00'),
        ])
def test_prepaid_stays_within_the_total(
        total: str, to_pay: str, prepaid: str) -> None:
    """What is paid lies between nothing and the whole, in its sign."""
    assert mapping.prepaid_amount(Decimal(total), Decimal(to_pay)) == (
        Decimal(prepaid))
