"""Billing periods of a subscription, counted from its anchor date.

A subscription is billed per period of one, three, six or twelve months.
Period k starts on the anchor plus k intervals, the day clamped to the end
of a short month, and ends the day before period k + 1 starts: every
boundary is computed from the anchor, never from the previous boundary, so
a subscription anchored on the 31st comes back to the 31st after February.
Ends are inclusive, like the periods printed on an invoice.

>>> from datetime import date
>>> anchor = date(2024, 1, 31)
>>> [str(p.start) for p in periods_between(
...     anchor, Interval.MONTHLY, anchor, date(2024, 4, 30))]
['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30']
>>> period = period_containing(anchor, Interval.MONTHLY, date(2024, 3, 1))
>>> period.index, str(period.start), str(period.end), period.days
(1, '2024-02-29', '2024-03-30', 31)
>>> str(due_date(period, Timing.ARREARS))
'2024-03-31'

A period that the subscription covers in part is prorated over the
months it is made of, each month over its own number of days. Those
months are the monthly periods of the same anchor, so they are calendar
months only for an anchor on the 1st; from the 31st the first one runs
2024-01-31..2024-02-28:

>>> quarter = period_at(date(2023, 4, 1), Interval.QUARTERLY, 0)
>>> share = prorate(quarter, date(2023, 4, 8), None, Proration.PRO_RATA)
>>> share
Fraction(83, 90)
>>> prorated_amount(Decimal('11850.00'), Decimal(1), share)
Decimal('10928.33')

A missed billing run is caught up: every unbilled period due by then is
returned, in order:

>>> [str(p.start) for p in due_periods(
...     date(2024, 1, 1), Interval.MONTHLY, Timing.ADVANCE,
...     date(2024, 4, 15), billed={date(2024, 1, 1)})]
['2024-02-01', '2024-03-01', '2024-04-01']
"""

import dataclasses
import enum
from collections.abc import Collection, Iterator
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta

__all__ = [
    'Interval', 'Timing', 'Proration', 'Period', 'period_at',
    'period_containing', 'periods_between', 'due_date', 'due_periods',
    'prorate', 'prorated_amount']

_DAY = timedelta(days=1)


class Interval(enum.Enum):
    """The length of a billing period; the value is its number of months."""

    MONTHLY = 1
    QUARTERLY = 3
    HALF_YEARLY = 6
    YEARLY = 12

    @property
    def months(self) -> int:
        """Return the number of months in one period."""
        return self.value


class Timing(enum.Enum):
    """When a period falls due."""

    ADVANCE = 'advance'  # on the first day it covers
    ARREARS = 'arrears'  # on the day after the last day it covers


class Proration(enum.Enum):
    """How a period that a subscription covers in part is billed."""

    WHOLE = 'whole'  # in full, as soon as one day is covered
    PRO_RATA = 'pro_rata'  # for the share of days covered, month by month


@dataclasses.dataclass(frozen=True, order=True)
class Period:
    """Period *index* of the calendar of *anchor* and *interval*."""

    start: date
    end: date  # inclusive
    index: int
    anchor: date
    interval: Interval = dataclasses.field(compare=False)

    @property
    def days(self) -> int:
        """Return the number of days in the period, both ends counted."""
        return (self.end - self.start).days + 1

    def monthly_periods(self) -> tuple['Period', ...]:
        """Return the monthly periods of the same anchor that make it up.

        For an anchor on the 1st these are calendar months; an anchor on
        the 31st gives pieces such as 2024-01-31..2024-02-28.
        """
        first = self.index * self.interval.months
        return tuple(
            period_at(self.anchor, Interval.MONTHLY, first + j)
            for j in range(self.interval.months))


def _boundary(anchor: date, interval: Interval, index: int) -> date:
    # relativedelta clamps the day to the end of a short month.
    return anchor + relativedelta(months=index * interval.months)


def period_at(anchor: date, interval: Interval, index: int) -> Period:
    """Return period *index* of *anchor*; negative ones precede it."""
    return Period(
        _boundary(anchor, interval, index),
        _boundary(anchor, interval, index + 1) - _DAY,
        index, anchor, interval)


def period_containing(
        anchor: date, interval: Interval, day: date) -> Period:
    """Return the period of *anchor* that contains *day*, before it too."""
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    index = months // interval.months
    while _boundary(anchor, interval, index) > day:
        index -= 1
    while _boundary(anchor, interval, index + 1) <= day:
        index += 1
    return period_at(anchor, interval, index)


def periods_between(
        anchor: date, interval: Interval, first_day: date,
        last_day: date) -> Iterator[Period]:
    """Yield in order the periods that touch [*first_day*, *last_day*]."""
    if first_day > last_day:
        return
    period = period_containing(anchor, interval, first_day)
    while period.start <= last_day:
        yield period
        period = period_at(anchor, interval, period.index + 1)


def _covered(
        period: Period, start: date | None,
        end: date | None) -> tuple[date, date] | None:
    first = period.start if start is None else max(start, period.start)
    last = period.end if end is None else min(end, period.end)
    return (first, last) if first <= last else None


def _days(covered: tuple[date, date] | None) -> int:
    if covered is None:
        return 0
    first, last = covered
    return (last - first).days + 1


def due_date(
        period: Period, timing: Timing, start: date | None = None,
        end: date | None = None) -> date:
    """Return the day *period* falls due for its part in [*start*, *end*].

    In advance it is the first day covered, in arrears the day after the
    last day covered: a member who joins mid-period is not billed before
    joining, and one who leaves is billed on leaving.
    Raise ValueError if the window does not touch the period.
    """
    covered = _covered(period, start, end)
    if covered is None:
        raise ValueError(
            f"The window {start}..{end} does not touch the period "
            f"{period.start}..{period.end}.")
    first, last = covered
    return first if timing is Timing.ADVANCE else last + _DAY


def due_periods(
        anchor: date, interval: Interval, timing: Timing, until: date,
        start: date | None = None, end: date | None = None,
        billed: Collection[date] = ()) -> list[Period]:
    """Return in order the periods due by *until* and not billed yet.

    The subscription runs from *start* (the anchor if None) to *end* (open
    if None); the periods are those that touch it, skipping those whose
    start is in *billed*. Missed periods are all returned, so a late
    billing run catches up.
    """
    first_day = anchor if start is None else start
    last_day = until if end is None else min(end, until)
    return [
        period
        for period in periods_between(anchor, interval, first_day, last_day)
        if period.start not in billed
        and due_date(period, timing, first_day, end) <= until]


def prorate(
        period: Period, start: date | None, end: date | None,
        policy: Proration) -> Fraction:
    """Return the share of *period* that [*start*, *end*] covers.

    None for *start* or *end* leaves that side open. WHOLE gives 1 if the
    window touches the period and 0 if not. PRO_RATA counts the days
    covered, both ends included, in each of the period's monthly periods
    over that month's own length, and averages over the months.
    """
    if _covered(period, start, end) is None:
        return Fraction(0)
    if policy is Proration.WHOLE:
        return Fraction(1)
    months = period.monthly_periods()
    shares = (
        Fraction(_days(_covered(month, start, end)), month.days)
        for month in months)
    return sum(shares, Fraction(0)) / len(months)


def prorated_amount(
        unit_price: Decimal, quantity: Decimal, fraction: Fraction,
        digits: int = 2) -> Decimal:
    """Return *unit_price* x *quantity* x *fraction* rounded to *digits*.

    The product is exact and rounded once, half away from zero like
    ROUND_HALF_UP, so pieces of a period never add up rounding errors.
    Raise ValueError if *digits* is negative.
    """
    if digits < 0:
        raise ValueError(f"Cannot round to {digits} digits.")
    amount = Fraction(unit_price) * Fraction(quantity) * fraction
    scaled, remainder = divmod(
        abs(amount.numerator) * 10 ** digits, amount.denominator)
    if 2 * remainder >= amount.denominator:
        scaled += 1
    if amount < 0:
        scaled = -scaled
    return Decimal(scaled).scaleb(-digits)
