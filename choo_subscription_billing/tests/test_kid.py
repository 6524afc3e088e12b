"""Tests of the pure KID helper against the shared identifier samples."""
import doctest
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from stdnum import luhn
from stdnum.exceptions import (
    InvalidChecksum, InvalidFormat, InvalidLength, ValidationError)

from choo_subscription_billing import kid

SAMPLES = (
    Path(__file__).resolve().parents[2].parent
    / 'shared' / 'samples' / 'identifiers')


def _samples(name: str) -> list[dict[str, Any]]:
    if not SAMPLES.is_dir():
        pytest.skip(f"Shared samples not found at {SAMPLES}.")
    with (SAMPLES / name).open(encoding='utf-8') as file:
        entries: list[dict[str, Any]] = json.load(file)
    return entries


def _truncating_layout(partner_id: int, invoice_number: str) -> str:
    """Return the KID of the layout that keeps 7 invoice digits only."""
    sequence = invoice_number.rsplit('/', 1)[-1][-7:]
    body = str(partner_id).zfill(7) + sequence.zfill(7)
    return body + luhn.calc_check_digit(body)


def _invoice_sequence(invoice_number: str) -> int:
    return int(invoice_number.rsplit('/', 1)[-1])


def _layout_samples() -> list[tuple[int, str, str]]:
    return [
        (entry['partner_id'], entry['invoice_number'], entry['kid_mod10'])
        for entry in _samples('kid_generation.json')
        if 'partner_id' in entry]


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(kid)
    assert failures == 0
    assert attempted > 0


def test_validation_samples() -> None:
    """Every sample KID gets its expected validity and algorithm."""
    for entry in _samples('kid_validation.json'):
        number, note = entry['kid'], entry['note']
        assert kid.is_valid(number) is entry['expected_valid'], note
        if not entry['expected_valid']:
            with pytest.raises(ValidationError):
                kid.validate(number)
        elif entry['algorithm']:
            algorithm = entry['algorithm'].lower()
            assert algorithm in kid.algorithms_of(number), note
            assert kid.validate(number, algorithm) == number, note


def test_generation_samples() -> None:
    """Every sample body gives its MOD10 KID and its MOD11 check character."""
    for entry in _samples('kid_generation.json'):
        base, mod11_check = entry['base'], entry['mod11_check_digit']
        assert kid.make(base) == entry['kid_mod10'], entry['note']
        assert kid.calc_check_digit(base, 'mod11') == mod11_check
        assert kid.validate(entry['kid_mod10'], 'mod10')
        if mod11_check == '-':
            with pytest.raises(kid.UnusableCheckDigit):
                kid.make(base, 'mod11')
        else:
            assert kid.make(base, 'mod11') == base + mod11_check


def test_builder_matches_sample_layouts_that_fit() -> None:
    """build() gives the sample KID where no part needs truncating."""
    for partner, invoice, expected in _layout_samples():
        sequence = _invoice_sequence(invoice)
        assert _truncating_layout(partner, invoice) == expected
        if sequence < 10 ** 7:
            assert kid.build([(partner, 7), (sequence, 7)]) == expected


def test_truncating_layout_collides() -> None:
    """Truncating the invoice number collides; build() refuses instead."""
    overflowing = [
        (partner, invoice) for partner, invoice, _ in _layout_samples()
        if _invoice_sequence(invoice) >= 10 ** 7]
    assert overflowing
    for partner, invoice in overflowing:
        prefix, sequence = invoice.rsplit('/', 1)
        other = f'{prefix}/0{sequence[1:]}'
        truncated = _truncating_layout(partner, invoice)
        assert truncated == _truncating_layout(partner, other)

        with pytest.raises(kid.PartTooLong, match=re.escape(sequence)):
            kid.build([(partner, 7), (_invoice_sequence(invoice), 7)])
        wider = {
            kid.build([(partner, 7), (_invoice_sequence(number), 8)])
            for number in (invoice, other)}
        assert len(wider) == 2


def test_build_layout() -> None:
    """build() pads each part and checks the agreed total length."""
    assert kid.build([(42, 7), (7, 7)], length=15) == '000004200000075'
    assert kid.build([('0042', 4), (7, 3)]) == kid.make('0042007')
    with pytest.raises(InvalidLength, match="15"):
        kid.build([(42, 7), (7, 6)], length=15)
    with pytest.raises(InvalidLength):
        kid.build([(4, 1), (2, 1)])
    with pytest.raises(InvalidLength):
        kid.build([(1, 13), (2, 12)])
    with pytest.raises(InvalidFormat):
        kid.build([(-1, 3), (7, 3)])


def test_next_usable_skips_dash() -> None:
    """next_usable() moves the counter past a MOD11 '-' body."""
    assert kid.calc_check_digit('1000005', 'mod11') == '-'
    number, counter = kid.next_usable([(100, 3), (5, 4)], 'mod11')
    assert (number, counter) == ('10000068', 6)
    assert kid.next_usable([(100, 3), (5, 4)]) == ('10000057', 5)
    with pytest.raises(kid.PartTooLong):
        kid.next_usable([(100, 3), (10000, 4)])
    with pytest.raises(ValueError):
        kid.next_usable([])


def test_validate_errors_name_the_kid() -> None:
    """validate() raises the narrow error, and its text names the KID."""
    cases: list[tuple[str, str | None, type[ValidationError]]] = [
        ('12-3', None, InvalidFormat),
        ('1000005-', 'mod10', InvalidFormat),
        ('１２３４', None, InvalidFormat),
        ('1', None, InvalidLength),
        ('9' * 26, None, InvalidLength),
        ('123456783', None, InvalidChecksum),
        ('123456785', 'mod10', InvalidChecksum),
        ('1234567890-', 'mod11', InvalidChecksum),
        ]
    for number, algorithm, error in cases:
        with pytest.raises(error, match=re.escape(repr(number))):
            kid.validate(number, algorithm)


def test_lengths_restrict_accepted_kids() -> None:
    """lengths limits the accepted lengths, inside 2 to 25."""
    assert kid.validate('123456782', lengths={9, 15}) == '123456782'
    with pytest.raises(InvalidLength, match='one of 7, 15'):
        kid.validate('123456782', lengths=(15, 7))
    with pytest.raises(InvalidLength):
        kid.validate('9' * 25 + '6', lengths=[26])


def test_whitespace() -> None:
    """Surrounding blanks are dropped; embedded ones only by compact()."""
    assert kid.validate('      0000125') == '0000125'
    assert not kid.is_valid('12 3456 782')
    assert kid.validate(kid.compact('12 3456 782')) == '123456782'
    assert kid.compact(' 1000005-\n') == '1000005-'


def test_leading_zeros_are_not_checked() -> None:
    """Leading zeros are kept but do not change either check."""
    assert kid.validate('0000125') == '0000125'
    assert kid.algorithms_of('0000125') == kid.algorithms_of('125')
    assert kid.calc_check_digit('00012345678', 'mod11') == '5'


def test_unknown_algorithm_is_a_programming_error() -> None:
    """An unknown algorithm is a ValueError, not a validation failure."""
    for call in (
            lambda: kid.validate('123456782', 'MOD10'),
            lambda: kid.is_valid('123456782', 'luhn'),
            lambda: kid.make('12345678', 'mod97')):
        with pytest.raises(ValueError) as info:
            call()
        assert not isinstance(info.value, ValidationError)


def test_make_refuses_bad_bodies() -> None:
    """make() takes digits only and issues 4 to 25 characters."""
    with pytest.raises(InvalidFormat):
        kid.make('12 34')
    with pytest.raises(InvalidFormat):
        kid.make('')
    with pytest.raises(InvalidLength):
        kid.make('12')
    with pytest.raises(InvalidLength):
        kid.make('1' * 25)
    assert kid.make('123') == '1230'


def test_single_digit_changes_are_caught() -> None:
    """Generated KIDs validate, and any one changed digit fails the check."""
    generator = random.Random(20240101)
    for _ in range(400):
        size = generator.randint(3, 24)
        body = ''.join(generator.choice('0123456789') for _ in range(size))
        for algorithm in kid.ALGORITHMS:
            _check_made_kid(body, algorithm)
            number = body + kid.calc_check_digit(body, algorithm)
            assert kid.validate(number, algorithm) == number
            for changed in _one_digit_changes(number):
                assert not kid.is_valid(changed, algorithm), changed


def _check_made_kid(body: str, algorithm: str) -> None:
    try:
        number = kid.make(body, algorithm)
    except kid.UnusableCheckDigit:
        assert kid.calc_check_digit(body, algorithm) == '-'
    else:
        assert kid.validate(number, algorithm) == number
        assert not number.endswith('-')


def _one_digit_changes(number: str) -> list[str]:
    return [
        number[:index] + digit + number[index + 1:]
        for index, old in enumerate(number)
        for digit in '0123456789' if digit != old]


def test_layout_orders_cover_every_part_once() -> None:
    """Each order names member, sequence and product exactly once."""
    assert len(kid.ORDERS) == 6
    for order in kid.ORDERS.values():
        assert sorted(order) == sorted(
            (kid.MEMBER, kid.SEQUENCE, kid.PRODUCT))


def test_layout_with_product_code() -> None:
    """The product code takes its place in the order, zero-padded."""
    widths = {kid.MEMBER: 7, kid.SEQUENCE: 7, kid.PRODUCT: 3}
    values = {kid.MEMBER: 42, kid.SEQUENCE: 7, kid.PRODUCT: '05'}
    bodies = {
        name: kid.compose(values, kid.layout(order, widths))[:-1]
        for name, order in kid.ORDERS.items()}
    assert bodies['member_sequence_product'] == '00000420000007005'
    assert bodies['product_member_sequence'] == '00500000420000007'
    assert bodies['sequence_product_member'] == '00000070050000042'
    assert len(set(bodies.values())) == 6


def test_layout_without_product_is_the_sample_layout() -> None:
    """Width 0 drops the product: the sample KIDs come out unchanged."""
    order = kid.ORDERS['member_product_sequence']
    parts = kid.layout(
        order, {kid.MEMBER: 7, kid.SEQUENCE: 7, kid.PRODUCT: 0})
    assert parts == [(kid.MEMBER, 7), (kid.SEQUENCE, 7)]
    for partner, invoice, expected in _layout_samples():
        sequence = _invoice_sequence(invoice)
        if sequence < 10 ** 7:
            values = {kid.MEMBER: partner, kid.SEQUENCE: sequence}
            assert kid.compose(values, parts) == expected


def test_compose_refuses_a_product_code_too_wide() -> None:
    """A code wider than its part is refused rather than cut."""
    parts = [(kid.PRODUCT, 2), (kid.MEMBER, 4), (kid.SEQUENCE, 4)]
    with pytest.raises(kid.PartTooLong, match='123'):
        kid.compose(
            {kid.PRODUCT: '123', kid.MEMBER: 1, kid.SEQUENCE: 1}, parts)


def test_check_structures() -> None:
    """An agreement holds up to three structures of distinct lengths."""
    kid.check_structures([(15, 'mod10'), (10, 'mod11'), (4, 'mod10')])
    with pytest.raises(kid.TooManyStructures):
        kid.check_structures(
            [(15, 'mod10'), (10, 'mod11'), (9, 'mod10'), (8, 'mod10')])
    with pytest.raises(kid.DuplicateLength, match='15'):
        kid.check_structures([(15, 'mod10'), (15, 'mod11')])
    for length in (3, 26):
        with pytest.raises(InvalidLength, match=str(length)):
            kid.check_structures([(length, 'mod10')])
    with pytest.raises(ValueError):
        kid.check_structures([(15, 'luhn')])


def test_accepts_sample_kids_of_their_structure() -> None:
    """Valid sample KIDs are accepted by a structure of their own kind."""
    for entry in _samples('kid_validation.json'):
        number = entry['kid']
        if not entry['expected_valid'] or not entry['algorithm']:
            continue
        algorithm = entry['algorithm'].lower()
        other = kid.MOD11 if algorithm == kid.MOD10 else kid.MOD10
        assert kid.accepts(number, [(len(number), algorithm)])
        assert not kid.accepts(number, [(len(number) + 1, algorithm)])
        if other not in kid.algorithms_of(number):
            assert not kid.accepts(number, [(len(number), other)])


def test_accepts_refuses_invalid_sample_kids() -> None:
    """No structure accepts a sample KID that fails its check."""
    for entry in _samples('kid_validation.json'):
        number = entry['kid'].strip()
        if entry['expected_valid'] or not 2 <= len(number) <= 25:
            continue
        structures = [
            (len(number), algorithm) for algorithm in kid.ALGORITHMS]
        assert not kid.accepts(number, structures[:1]), entry['note']
        assert not kid.accepts(number, structures[1:]), entry['note']


def test_decompose_reverses_compose() -> None:
    """Every order's parts come back out of the KID they composed."""
    values = {kid.MEMBER: 42, kid.SEQUENCE: 7, kid.PRODUCT: 3}
    widths = {kid.MEMBER: 7, kid.SEQUENCE: 4, kid.PRODUCT: 2}
    for order in kid.ORDERS.values():
        parts = kid.layout(order, widths)
        number = kid.compose(values, parts)
        assert kid.decompose(number, parts) == {
            name: str(values[name]).zfill(width) for name, width in parts}
    with pytest.raises(InvalidLength, match="14"):
        kid.decompose('000004200000075', kid.layout(
                kid.ORDERS['member_sequence_product'], widths))
