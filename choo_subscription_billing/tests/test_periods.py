"""Tests of the pure billing period arithmetic against the shared samples."""
import calendar
import doctest
import json
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from choo_subscription_billing import periods
from choo_subscription_billing.periods import (
    Interval, Period, Proration, Timing, due_date, due_periods, period_at,
    period_containing, periods_between, prorate, prorated_amount)

DAY = timedelta(days=1)


def _samples_directory() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        directory = parent / 'shared' / 'samples' / 'periods'
        if directory.is_dir():
            return directory
    return None


def _sample(name: str) -> dict[str, Any]:
    directory = _samples_directory()
    if directory is None:
        pytest.skip("Shared period samples not found.")
    with (directory / name).open(encoding='utf-8') as file:
        sample: dict[str, Any] = json.load(file)
    return sample


def _date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _fraction(text: str) -> Fraction:
    """Return the fraction a sample's prose starts with, as in '5/28 = …'."""
    match = re.match(r'\s*(\d+)(?:/(\d+))?', text)
    assert match, text
    return Fraction(int(match[1]), int(match[2] or 1))


def _add_months(day: date, months: int) -> date:
    """Return *day* moved by *months*, clamped, without dateutil."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _check_calendar(
        anchor: date, interval: Interval, dates: list[str],
        ranges: list[list[str]]) -> None:
    assert [
        period_at(anchor, interval, k).start for k in range(len(dates))
        ] == [_date(d) for d in dates]
    assert [
        (p.start, p.end) for p in periods_between(
            anchor, interval, anchor, _date(ranges[-1][1]))
        ] == [(_date(s), _date(e)) for s, e in ranges]


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(periods)
    assert failures == 0
    assert attempted > 0


def test_monthly_from_31st_sample() -> None:
    """Monthly from the 31st comes back to the 31st after short months."""
    sample = _sample('monthly_from_31st.json')
    _check_calendar(
        _date(sample['input']['start_date']), Interval.MONTHLY,
        sample['expected_invoice_dates'], sample['expected_periods'])

    also = sample['also']
    anchor = _date(also['start_date'])
    assert [
        period_at(anchor, Interval.MONTHLY, k).start
        for k in range(len(also['expected']))
        ] == [_date(d) for d in also['expected']]


def test_yearly_from_29_february_sample() -> None:
    """Yearly from 29 February gives one date a year, back on the 29th."""
    sample = _sample('yearly_from_29_february.json')
    _check_calendar(
        _date(sample['input']['start_date']), Interval.YEARLY,
        sample['expected_invoice_dates'], sample['expected_periods'])


def test_proration_part_month_samples() -> None:
    """A member joining mid-month pays the inclusive days over the month."""
    sample = _sample('proration.json')
    oca = sample['oca_197']
    first, last = map(_date, oca['input']['period'])
    start = _date(oca['input']['contract_start'])
    period = period_at(first, Interval.MONTHLY, 0)
    assert period.end == last
    assert prorate(period, start, None, Proration.PRO_RATA) == _fraction(
        oca['expected_quantity'])

    leap = oca['leap_year_variant']
    start = _date(leap['contract_start'])
    period = period_containing(
        start.replace(day=1), Interval.MONTHLY, start)
    assert prorate(period, start, None, Proration.PRO_RATA) == _fraction(
        leap['expected_quantity'])


def test_proration_whole_month_samples() -> None:
    """A whole February is 1, not 0.97, and 15 April on is 16/30."""
    sample = _sample('proration.json')['oca_vertical_association_173']
    first, last = map(_date, sample['input']['product_period'])
    period = period_at(first, Interval.MONTHLY, 0)
    assert period.end == last
    share = prorate(
        period, _date(sample['input']['invoice_start']), None,
        Proration.PRO_RATA)
    assert share == _fraction(sample['expected_quantity'])
    assert share != Fraction(sample['wrong_quantity'])

    for more in sample['more']:
        start = _date(more['start'])
        period = period_containing(first, Interval.MONTHLY, start)
        assert prorate(period, start, None, Proration.PRO_RATA) == (
            _fraction(more['expected']))


def test_proration_quarterly_sample() -> None:
    """A quarter joined on 8 April is April's 23/30 plus two months."""
    sample = _sample('proration.json')['erpnext_36880']
    start, end = map(_date, sample['input']['period'])
    months = sample['input']['billing_interval_months']
    monthly_rate = Decimal(sample['input']['monthly_rate'])
    total = re.search(r'= ([\d.]+)', sample['expected_total'])
    assert total, sample['expected_total']
    expected = Decimal(total[1])

    interval = Interval(months)
    period = period_containing(start.replace(day=1), interval, start)
    assert period.end == end
    share = prorate(period, start, end, Proration.PRO_RATA)
    assert share == (Fraction(23, 30) + 2) / 3

    assert prorated_amount(monthly_rate, Decimal(months), share) == expected
    assert prorated_amount(monthly_rate * months, Decimal(1), share) == (
        expected)
    assert expected != Decimal(sample['wrong_total'])


def test_every_interval() -> None:
    """Each interval moves the start by its months and ends the day before."""
    anchor = date(2024, 1, 15)
    for interval, months in [
            (Interval.MONTHLY, 1), (Interval.QUARTERLY, 3),
            (Interval.HALF_YEARLY, 6), (Interval.YEARLY, 12)]:
        assert interval.months == months
        period = period_at(anchor, interval, 2)
        assert period.start == _add_months(anchor, 2 * months)
        assert period.end == _add_months(anchor, 3 * months) - DAY
        assert period.index == 2
        assert len(period.monthly_periods()) == months


def test_month_ends() -> None:
    """Anchors on the 30th, 28 February and 31 August keep their day."""
    cases = [
        (date(2024, 1, 30), Interval.MONTHLY,
         ['2024-01-30', '2024-02-29', '2024-03-30', '2024-04-30']),
        (date(2023, 2, 28), Interval.MONTHLY,
         ['2023-02-28', '2023-03-28', '2023-04-28', '2023-05-28']),
        (date(2023, 2, 28), Interval.YEARLY,
         ['2023-02-28', '2024-02-28', '2025-02-28', '2026-02-28']),
        (date(2023, 11, 30), Interval.QUARTERLY,
         ['2023-11-30', '2024-02-29', '2024-05-30', '2024-08-30']),
        (date(2024, 8, 31), Interval.HALF_YEARLY,
         ['2024-08-31', '2025-02-28', '2025-08-31', '2026-02-28']),
        ]
    for anchor, interval, expected in cases:
        assert [
            period_at(anchor, interval, k).start for k in range(4)
            ] == [_date(d) for d in expected], (anchor, interval)


def test_period_days_and_order() -> None:
    """Days count both ends; periods sort by start."""
    first = period_at(date(2024, 2, 1), Interval.MONTHLY, 0)
    second = period_at(date(2024, 2, 1), Interval.MONTHLY, 1)
    assert (first.days, second.days) == (29, 31)
    assert sorted([second, first]) == [first, second]
    assert period_at(date(2024, 1, 1), Interval.YEARLY, 0).days == 366


def test_period_containing_boundaries() -> None:
    """A period contains its first and its last day, and no other's."""
    anchor = date(2024, 1, 31)
    period = period_at(anchor, Interval.MONTHLY, 3)
    assert period_containing(anchor, Interval.MONTHLY, period.start) == (
        period)
    assert period_containing(anchor, Interval.MONTHLY, period.end) == period
    assert period_containing(
        anchor, Interval.MONTHLY, period.end + DAY).index == 4
    assert period_containing(
        anchor, Interval.MONTHLY, period.start - DAY).index == 2


def test_before_anchor() -> None:
    """Periods before the anchor have negative indexes and still clamp."""
    anchor = date(2024, 1, 31)
    period = period_containing(anchor, Interval.MONTHLY, date(2023, 12, 15))
    assert (period.index, period.start, period.end) == (
        -2, date(2023, 11, 30), date(2023, 12, 30))
    leap = period_at(date(2024, 2, 29), Interval.YEARLY, -1)
    assert (leap.start, leap.end) == (date(2023, 2, 28), date(2024, 2, 28))
    assert [p.index for p in periods_between(
        anchor, Interval.QUARTERLY, date(2023, 6, 1), date(2024, 2, 1))] == [
        -3, -2, -1, 0]


def test_periods_between_bounds() -> None:
    """Periods touching the range are yielded; an empty range yields none."""
    anchor = date(2024, 1, 1)
    assert list(periods_between(
        anchor, Interval.MONTHLY, date(2024, 3, 1), date(2024, 2, 1))) == []
    assert [p.start for p in periods_between(
        anchor, Interval.MONTHLY, date(2024, 2, 29), date(2024, 3, 1))] == [
        date(2024, 2, 1), date(2024, 3, 1)]
    assert [p.start for p in periods_between(
        anchor, Interval.HALF_YEARLY, date(2024, 7, 1),
        date(2024, 7, 1))] == [date(2024, 7, 1)]


def test_due_date_advance_and_arrears() -> None:
    """In advance a period is due on its start, in arrears the day after."""
    period = period_at(date(2024, 1, 31), Interval.MONTHLY, 1)
    assert due_date(period, Timing.ADVANCE) == date(2024, 2, 29)
    assert due_date(period, Timing.ARREARS) == date(2024, 3, 31)


def test_due_date_of_partly_covered_period() -> None:
    """A joiner is not billed before joining; a leaver is billed on leaving."""
    period = period_at(date(2024, 1, 1), Interval.QUARTERLY, 0)
    joined, left = date(2024, 2, 10), date(2024, 3, 5)
    assert due_date(period, Timing.ADVANCE, joined) == joined
    assert due_date(period, Timing.ARREARS, joined) == date(2024, 4, 1)
    assert due_date(period, Timing.ARREARS, None, left) == left + DAY
    assert due_date(period, Timing.ADVANCE, None, left) == period.start
    with pytest.raises(ValueError):
        due_date(period, Timing.ADVANCE, date(2024, 4, 1))


def test_due_periods_catch_up() -> None:
    """A late run returns every missed period in order, skipping billed."""
    anchor = date(2024, 1, 31)
    billed = {date(2024, 1, 31), date(2024, 3, 31)}
    due = due_periods(
        anchor, Interval.MONTHLY, Timing.ADVANCE, date(2024, 6, 29),
        billed=billed)
    assert [p.start for p in due] == [
        date(2024, 2, 29), date(2024, 4, 30), date(2024, 5, 31)]
    assert due == sorted(due)


def test_due_periods_arrears() -> None:
    """In arrears the running period is not due until it has ended."""
    anchor = date(2024, 1, 1)
    args = (anchor, Interval.QUARTERLY, Timing.ARREARS)
    assert due_periods(*args, date(2024, 3, 31)) == []
    assert [p.index for p in due_periods(*args, date(2024, 4, 1))] == [0]
    assert [p.index for p in due_periods(*args, date(2024, 10, 1))] == [
        0, 1, 2]
    assert [p.index for p in due_periods(
        *args, date(2024, 10, 1), billed={anchor})] == [1, 2]


def test_due_periods_window_mid_period() -> None:
    """The window's first and last periods are due, none before or after."""
    anchor = date(2024, 1, 1)
    args = (anchor, Interval.MONTHLY, Timing.ADVANCE)
    start, end = date(2024, 2, 15), date(2024, 4, 10)
    assert due_periods(*args, date(2024, 2, 14), start, end) == []
    assert [p.start for p in due_periods(
        *args, date(2024, 2, 15), start, end)] == [date(2024, 2, 1)]
    assert [p.start for p in due_periods(
        *args, date(2024, 12, 31), start, end)] == [
        date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)]

    args = (anchor, Interval.MONTHLY, Timing.ARREARS)
    assert [p.start for p in due_periods(
        *args, date(2024, 4, 10), start, end)] == [
        date(2024, 2, 1), date(2024, 3, 1)]
    assert [p.start for p in due_periods(
        *args, date(2024, 4, 11), start, end)][-1] == date(2024, 4, 1)


def test_due_periods_empty_window() -> None:
    """Nothing is due before the subscription starts or if it never runs."""
    anchor = date(2024, 1, 1)
    args = (anchor, Interval.MONTHLY, Timing.ADVANCE)
    assert due_periods(*args, date(2023, 12, 31)) == []
    assert due_periods(
        *args, date(2024, 12, 31), date(2024, 5, 1), date(2024, 4, 1)) == []


def test_due_periods_before_anchor() -> None:
    """A subscription starting before the anchor bills the periods before."""
    anchor = date(2024, 1, 1)
    due = due_periods(
        anchor, Interval.QUARTERLY, Timing.ADVANCE, date(2024, 1, 1),
        start=date(2023, 8, 20))
    assert [p.index for p in due] == [-2, -1, 0]


def test_prorate_window() -> None:
    """Shares of windows starting, ending or lying inside a period."""
    period = period_at(date(2024, 4, 1), Interval.MONTHLY, 0)
    pro_rata = Proration.PRO_RATA
    assert prorate(period, None, None, pro_rata) == 1
    assert prorate(period, date(2024, 4, 15), None, pro_rata) == Fraction(
        16, 30)
    assert prorate(period, None, date(2024, 4, 10), pro_rata) == Fraction(
        10, 30)
    assert prorate(
        period, date(2024, 4, 11), date(2024, 4, 20), pro_rata) == Fraction(
        10, 30)
    assert prorate(period, date(2024, 3, 1), date(2024, 5, 1), pro_rata) == 1
    assert prorate(period, date(2024, 5, 1), None, pro_rata) == 0
    assert prorate(period, None, date(2024, 3, 31), pro_rata) == 0


def test_prorate_whole() -> None:
    """WHOLE bills the full period once the window touches it at all."""
    period = period_at(date(2024, 1, 1), Interval.YEARLY, 0)
    whole = Proration.WHOLE
    assert prorate(period, date(2024, 12, 31), None, whole) == 1
    assert prorate(period, None, date(2024, 1, 1), whole) == 1
    assert prorate(period, date(2025, 1, 1), None, whole) == 0
    assert prorate(period, date(2024, 5, 1), date(2024, 4, 1), whole) == 0


def test_prorate_month_pieces_of_anchor() -> None:
    """A quarter anchored on the 31st prorates over its own month pieces."""
    period = period_at(date(2024, 1, 31), Interval.QUARTERLY, 0)
    pieces = period.monthly_periods()
    assert [(p.start, p.end) for p in pieces] == [
        (date(2024, 1, 31), date(2024, 2, 28)),
        (date(2024, 2, 29), date(2024, 3, 30)),
        (date(2024, 3, 31), date(2024, 4, 29))]
    share = prorate(period, date(2024, 3, 1), None, Proration.PRO_RATA)
    assert share == (Fraction(30, 31) + 1) / 3


def test_prorated_amount_rounding() -> None:
    """Halves round away from zero, credits too, at the given digits."""
    cent = Decimal('0.01')
    assert prorated_amount(cent, Decimal(1), Fraction(1, 2)) == cent
    assert prorated_amount(cent, Decimal(1), Fraction(49, 100)) == Decimal(
        '0.00')
    assert prorated_amount(-cent, Decimal(1), Fraction(1, 2)) == -cent
    assert prorated_amount(
        Decimal('100'), Decimal(1), Fraction(1, 3), 0) == Decimal('33')
    assert str(prorated_amount(
        Decimal('100'), Decimal('2'), Fraction(1), 3)) == '200.000'
    with pytest.raises(ValueError):
        prorated_amount(cent, Decimal(1), Fraction(1), -1)


def test_prorated_amount_rounds_once() -> None:
    """Every joining day of a quarter rounds the exact product once."""
    anchor = date(2024, 1, 1)
    period = period_at(anchor, Interval.QUARTERLY, 0)
    price, quantity = Decimal('1234.57'), Decimal('3')
    for offset in range(period.days):
        share = prorate(
            period, anchor + offset * DAY, None, Proration.PRO_RATA)
        with localcontext() as context:
            context.prec = 60
            exact = price * quantity * share.numerator / share.denominator
        assert prorated_amount(price, quantity, share) == exact.quantize(
            Decimal('0.01'), rounding=ROUND_HALF_UP)


def _check_calendar_properties(anchor: date, interval: Interval) -> None:
    previous: Period | None = None
    for k in range(-2, 5):
        period = period_at(anchor, interval, k)
        assert period.start == _add_months(anchor, k * interval.months)
        assert period.start <= period.end
        if previous is not None:
            assert previous.end + DAY == period.start
        assert period_containing(anchor, interval, period.start) == period
        assert period_containing(anchor, interval, period.end) == period
        previous = period
    months = period_at(anchor, interval, 1).monthly_periods()
    assert months[0].start == period_at(anchor, interval, 1).start
    assert months[-1].end == period_at(anchor, interval, 1).end


def test_calendar_properties_of_every_anchor() -> None:
    """Over 2023-2025, periods are contiguous and start on anchor + k."""
    day = date(2023, 1, 1)
    while day <= date(2025, 12, 31):
        for interval in Interval:
            _check_calendar_properties(day, interval)
        day += DAY
