"""KID (kundeidentifikasjon, the Norwegian customer identification).

A KID is the payment reference a Norwegian payee prints on a giro or
invoice, and the bank reports it back with each payment so the payment can
be matched to its claim automatically. It is a string of 4 to 25 digits
whose last character is a MOD10 (Luhn) or MOD11 check character, where
MOD11 writes a check value of 10 as '-'.

>>> validate('123456782')
'123456782'
>>> validate('123456785', 'mod11')
'123456785'
>>> validate('1000005-')
'1000005-'
>>> algorithms_of('1000005-')
['mod11']
>>> validate('123456783')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
InvalidChecksum: KID '123456783' does not pass the MOD10 or MOD11 check.
>>> make('12345678')
'123456782'
>>> build([(42, 7), (7, 7)])
'000004200000075'
>>> make('1000005', 'mod11')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
UnusableCheckDigit: KID body '1000005' has the MOD11 check character '-'; ...
>>> next_usable([(100, 3), (5, 4)], 'mod11')
('10000068', 6)
>>> compose({'member': 42, 'sequence': 7, 'product': 3},
...     layout(('product', 'member', 'sequence'),
...         {'member': 7, 'sequence': 7, 'product': 2}))
'03000004200000079'
>>> accepts('123456782', [(9, 'mod10'), (15, 'mod11')])
True
"""

import re
from collections.abc import Collection, Mapping, Sequence

from stdnum import luhn
from stdnum.exceptions import (
    InvalidChecksum, InvalidFormat, InvalidLength, ValidationError)

__all__ = [
    'MOD10', 'MOD11', 'ALGORITHMS', 'MIN_LENGTH', 'MAX_LENGTH',
    'MIN_ISSUE_LENGTH', 'UnusableCheckDigit', 'PartTooLong', 'compact',
    'calc_check_digit', 'algorithms_of', 'validate', 'is_valid', 'make',
    'build', 'next_usable', 'MEMBER', 'SEQUENCE', 'PRODUCT', 'ORDERS',
    'MAX_STRUCTURES', 'TooManyStructures', 'DuplicateLength', 'layout',
    'compose', 'check_structures', 'accepts', 'decompose']

MOD10 = 'mod10'
MOD11 = 'mod11'
ALGORITHMS = (MOD10, MOD11)

# Shortest KID other systems are known to issue (check included); the
# payee's agreement fixes the real lengths, pass them to validate().
MIN_LENGTH = 2
MAX_LENGTH = 25
# Mastercard Payment Services (ex-Nets) agreements allow 4 to 25.
MIN_ISSUE_LENGTH = 4

# The parts a KID layout is built of, and the orders an issuer may choose.
MEMBER = 'member'
SEQUENCE = 'sequence'
PRODUCT = 'product'
ORDERS = {
    'member_sequence_product': (MEMBER, SEQUENCE, PRODUCT),
    'member_product_sequence': (MEMBER, PRODUCT, SEQUENCE),
    'product_member_sequence': (PRODUCT, MEMBER, SEQUENCE),
    'product_sequence_member': (PRODUCT, SEQUENCE, MEMBER),
    'sequence_member_product': (SEQUENCE, MEMBER, PRODUCT),
    'sequence_product_member': (SEQUENCE, PRODUCT, MEMBER),
    }
# A payee agreement accepts up to three KID structures of distinct lengths.
MAX_STRUCTURES = 3

_MOD11_WEIGHTS = (2, 3, 4, 5, 6, 7)
_DIGITS = re.compile(r'[0-9]+')
_DIGITS_OR_DASH_LAST = re.compile(r'[0-9]*[0-9-]')


class UnusableCheckDigit(ValidationError):
    """The MOD11 check character of a body is '-', never to be issued."""

    message = "The MOD11 check character of this KID body is '-'."


class PartTooLong(InvalidLength):
    """A part of a KID layout has more digits than its width."""

    message = "A part of the KID does not fit its width."


class TooManyStructures(ValidationError):
    """More KID structures than a payee agreement accepts."""

    message = "A payee agreement accepts at most three KID structures."


class DuplicateLength(ValidationError):
    """Two KID structures of one agreement have the same length."""

    message = "The KID structures of an agreement differ in length."


def compact(number: str) -> str:
    """Return *number* without any whitespace.

    Only whitespace goes: '-' is the MOD11 check character for 10.
    validate() does not call this, because a KID with embedded spaces is
    not a KID as sent; call it only to strip formatting on purpose.

    >>> compact(' 12 3456 782 ')
    '123456782'
    >>> compact('1000005-')
    '1000005-'
    """
    return ''.join(number.split())


def calc_check_digit(number: str, algorithm: str = MOD10) -> str:
    """Return the check character ('0' to '9' or '-') of the body *number*.

    >>> calc_check_digit('12345678')
    '2'
    >>> calc_check_digit('12345678', 'mod11')
    '5'
    >>> calc_check_digit('1000005', 'mod11')
    '-'
    """
    _check_algorithm(algorithm)
    if not _DIGITS.fullmatch(number):
        raise InvalidFormat(f"KID body {number!r} must be digits only.")
    if algorithm == MOD10:
        return luhn.calc_check_digit(number)
    return _mod11_check(number)


def algorithms_of(number: str) -> list[str]:
    """Return the algorithms whose check character *number* ends with.

    Surrounding whitespace is ignored and the length is not checked.
    Leading zeros change neither check, so compare KIDs as whole strings.

    >>> algorithms_of('123456782')
    ['mod10']
    >>> algorithms_of('00000')
    ['mod10', 'mod11']
    >>> algorithms_of('12-3')
    []
    """
    number = number.strip()
    if len(number) < 2 or not _DIGITS_OR_DASH_LAST.fullmatch(number):
        return []
    body, check = number[:-1], number[-1]
    return [
        algorithm for algorithm in ALGORITHMS
        if calc_check_digit(body, algorithm) == check]


def validate(
        number: str, algorithm: str | None = None,
        lengths: Collection[int] | None = None) -> str:
    """Return the KID *number* without surrounding whitespace, or raise.

    *algorithm* None accepts either check; a final '-' is accepted only
    where MOD11 is. The length must be MIN_LENGTH to MAX_LENGTH, and in
    *lengths* when given (the lengths of the payee's agreement).

    >>> validate(' 0000125 ')
    '0000125'
    >>> validate('0000125', lengths=[15])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    InvalidLength: KID '0000125' has 7 characters; expected one of 15.
    """
    if algorithm is not None:
        _check_algorithm(algorithm)
    number = number.strip()
    _check_format(number, algorithm != MOD10)
    _check_length(number, lengths)
    _check_checksum(number, algorithm)
    return number


def is_valid(
        number: str, algorithm: str | None = None,
        lengths: Collection[int] | None = None) -> bool:
    """Return whether *number* is a valid KID, as validate() decides.

    >>> is_valid('1000005-'), is_valid('1000005-', 'mod10')
    (True, False)
    """
    try:
        validate(number, algorithm, lengths)
    except ValidationError:
        return False
    return True


def make(body: str, algorithm: str = MOD10) -> str:
    """Return the KID made of *body* and its check character.

    The KID must have MIN_ISSUE_LENGTH to MAX_LENGTH characters. When
    MOD11 gives '-', UnusableCheckDigit is raised: take the next body
    (see next_usable()) instead of issuing a KID that banks may refuse.

    >>> make('12345678', 'mod11')
    '123456785'
    """
    check = calc_check_digit(body, algorithm)
    kid = body + check
    if not MIN_ISSUE_LENGTH <= len(kid) <= MAX_LENGTH:
        raise InvalidLength(
            f"KID {kid!r} has {len(kid)} characters; a KID to issue "
            f"has {MIN_ISSUE_LENGTH} to {MAX_LENGTH}.")
    if check == '-':
        raise UnusableCheckDigit(
            f"KID body {body!r} has the MOD11 check character '-'; "
            "use the next body instead.")
    return kid


def build(
        parts: Sequence[tuple[int | str, int]], algorithm: str = MOD10,
        length: int | None = None) -> str:
    """Return the KID made of fixed-width *parts* and a check character.

    Each part is a value and its width; an int is zero-padded, a str is
    taken as its digits, leading zeros included. A part wider than its
    width raises PartTooLong: truncating it would let two claims share a
    KID. *length*, when given, is the total length agreed with the bank.

    >>> build([(1234567, 7), (2345678, 7)], length=15)
    '123456723456782'
    >>> build([(42, 3), (1234, 3)])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    PartTooLong: KID part '1234' has 4 digits; its width is 3.
    """
    body = ''.join(_pad(value, width) for value, width in parts)
    if length is not None and len(body) + 1 != length:
        raise InvalidLength(
            f"KID layout of widths {[width for _, width in parts]} "
            f"gives {len(body) + 1} characters; the KID length is "
            f"{length}.")
    return make(body, algorithm)


def next_usable(
        parts: Sequence[tuple[int | str, int]], algorithm: str = MOD10,
        length: int | None = None) -> tuple[str, int]:
    """Return the first usable KID and counter, counting the last part up.

    The last part must be a counter that may skip values, such as a KID
    sequence: MOD11 skips about one body in eleven, MOD10 none. When the
    counter outgrows its width, PartTooLong is raised.

    >>> next_usable([(42, 7), (7, 7)])
    ('000004200000075', 7)
    """
    if not parts:
        raise ValueError("A KID layout needs at least one part.")
    fixed, (value, width) = parts[:-1], parts[-1]
    counter = int(_pad(value, width))
    while True:
        try:
            return build(
                [*fixed, (counter, width)], algorithm, length), counter
        except UnusableCheckDigit:
            counter += 1


def layout(
        order: Sequence[str],
        widths: Mapping[str, int]) -> list[tuple[str, int]]:
    """Return the parts of *order* with their widths, without empty ones.

    A part of width 0 (or missing from *widths*) is left out, so an
    optional part such as PRODUCT is switched off by its width.

    >>> layout(ORDERS['member_sequence_product'],
    ...     {'member': 7, 'sequence': 7, 'product': 0})
    [('member', 7), ('sequence', 7)]
    """
    return [
        (name, widths[name]) for name in order if widths.get(name, 0) > 0]


def compose(
        values: Mapping[str, int | str],
        parts: Sequence[tuple[str, int]], algorithm: str = MOD10) -> str:
    """Return the KID of the named *values* laid out as *parts*.

    *parts* comes from layout(); build() pads and checks each value.

    >>> compose({'member': 42, 'sequence': 7},
    ...     [('sequence', 4), ('member', 4)], 'mod11')
    '000700428'
    """
    return build(
        [(values[name], width) for name, width in parts], algorithm)


def check_structures(structures: Sequence[tuple[int, str]]) -> None:
    """Raise unless *structures* (length, algorithm) fit one agreement.

    >>> check_structures([(15, 'mod10'), (9, 'mod11')])
    >>> check_structures([(15, 'mod10'), (15, 'mod11')])
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    DuplicateLength: Two KID structures have the length 15.
    """
    if len(structures) > MAX_STRUCTURES:
        raise TooManyStructures(
            f"{len(structures)} KID structures given; an agreement "
            f"accepts at most {MAX_STRUCTURES}.")
    seen: set[int] = set()
    for length, algorithm in structures:
        _check_algorithm(algorithm)
        if not MIN_ISSUE_LENGTH <= length <= MAX_LENGTH:
            raise InvalidLength(
                f"A KID structure of length {length} is outside "
                f"{MIN_ISSUE_LENGTH} to {MAX_LENGTH}.")
        if length in seen:
            raise DuplicateLength(
                f"Two KID structures have the length {length}.")
        seen.add(length)


def accepts(
        number: str, structures: Collection[tuple[int, str]]) -> bool:
    """Return whether *number* is a valid KID of one of *structures*.

    Each structure is a length and the algorithm of its check character.

    >>> structures = [(15, 'mod10'), (8, 'mod11')]
    >>> accepts('000004200000075', structures)
    True
    >>> accepts('1000005-', structures), accepts('123456782', structures)
    (True, False)
    """
    return any(
        is_valid(number, algorithm, [length])
        for length, algorithm in structures)


def decompose(
        number: str, parts: Sequence[tuple[str, int]]) -> dict[str, str]:
    """Return the digits of each named part of the KID *number*.

    The reverse of compose() for *parts* from layout(): leading zeros are
    kept and the check character is left out, unchecked. A KID of another
    length than the layout's raises InvalidLength.

    >>> parts = layout(ORDERS['product_member_sequence'],
    ...     {'member': 7, 'sequence': 7, 'product': 2})
    >>> decompose('03000004200000079', parts)
    {'product': '03', 'member': '0000042', 'sequence': '0000007'}
    """
    length = sum(width for _, width in parts) + 1
    if len(number) != length:
        raise InvalidLength(
            f"KID {number!r} has {len(number)} characters; its layout "
            f"gives {length}.")
    values = {}
    start = 0
    for name, width in parts:
        values[name] = number[start:start + width]
        start += width
    return values

def _mod11_check(body: str) -> str:
    total = sum(
        int(digit) * _MOD11_WEIGHTS[index % len(_MOD11_WEIGHTS)]
        for index, digit in enumerate(reversed(body)))
    check = -total % 11
    return '-' if check == 10 else str(check)


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"Unknown KID algorithm {algorithm!r}; use 'mod10' or 'mod11'.")


def _check_format(number: str, dash_allowed: bool) -> None:
    if dash_allowed and not _DIGITS_OR_DASH_LAST.fullmatch(number):
        raise InvalidFormat(
            f"KID {number!r} must be digits, optionally ending in '-'.")
    if not dash_allowed and not _DIGITS.fullmatch(number):
        raise InvalidFormat(f"KID {number!r} must be digits only.")


def _check_length(number: str, lengths: Collection[int] | None) -> None:
    size = len(number)
    if not MIN_LENGTH <= size <= MAX_LENGTH:
        expected = f"{MIN_LENGTH} to {MAX_LENGTH}"
    elif lengths is not None and size not in lengths:
        expected = "one of " + ", ".join(map(str, sorted(lengths)))
    else:
        return
    raise InvalidLength(
        f"KID {number!r} has {size} characters; expected {expected}.")


def _check_checksum(number: str, algorithm: str | None) -> None:
    wanted = ALGORITHMS if algorithm is None else (algorithm,)
    found = algorithms_of(number)
    if not any(name in found for name in wanted):
        names = " or ".join(name.upper() for name in wanted)
        raise InvalidChecksum(
            f"KID {number!r} does not pass the {names} check.")


def _pad(value: int | str, width: int) -> str:
    digits = str(value)
    if not _DIGITS.fullmatch(digits):
        raise InvalidFormat(
            f"KID part {digits!r} must be a number of zero or more.")
    if len(digits) > width:
        raise PartTooLong(
            f"KID part {digits!r} has {len(digits)} digits; its width is "
            f"{width}.")
    return digits.zfill(width)
