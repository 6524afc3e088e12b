"""Aging buckets of open receivables.

An open item is aged by the whole days from its maturity date to the date
of the report: an item that falls due on that date or later is not due,
one that fell due the day before is 1 day overdue.  The buckets are the
usual not due, 1-30, 31-60, 61-90 and over 90 days past maturity.

>>> date = dt.date(2024, 12, 31)
>>> bucket_of(dt.date(2024, 12, 31), date).name
'not_due'
>>> bucket_of(dt.date(2024, 12, 1), date).name
'overdue_1_30'
>>> maturity_range(BUCKETS[1], date)
(datetime.date(2024, 12, 1), datetime.date(2024, 12, 30))
"""

import datetime as dt
from typing import NamedTuple

__all__ = ['Bucket', 'BUCKETS', 'days_overdue', 'bucket_of', 'maturity_range']


class Bucket(NamedTuple):
    """A range of days past maturity; None is an open end."""

    name: str
    first_day: int | None
    last_day: int | None


BUCKETS: tuple[Bucket, ...] = (
    Bucket('not_due', None, 0),
    Bucket('overdue_1_30', 1, 30),
    Bucket('overdue_31_60', 31, 60),
    Bucket('overdue_61_90', 61, 90),
    Bucket('overdue_over_90', 91, None),
    )


def days_overdue(maturity_date: dt.date, date: dt.date) -> int:
    """Return the days from *maturity_date* to *date*, negative if not due.

    >>> days_overdue(dt.date(2024, 11, 29), dt.date(2024, 12, 31))
    32
    >>> days_overdue(dt.date(2025, 1, 3), dt.date(2024, 12, 31))
    -3
    """
    return (date - maturity_date).days


def bucket_of(maturity_date: dt.date, date: dt.date) -> Bucket:
    """Return the bucket of an item maturing at *maturity_date* on *date*.

    >>> bucket_of(dt.date(2024, 10, 2), dt.date(2024, 12, 31)).name
    'overdue_61_90'
    >>> bucket_of(dt.date(2024, 10, 1), dt.date(2024, 12, 31)).name
    'overdue_over_90'
    """
    days = days_overdue(maturity_date, date)
    for bucket in BUCKETS:
        if ((bucket.first_day is None or days >= bucket.first_day)
                and (bucket.last_day is None or days <= bucket.last_day)):
            return bucket
    raise ValueError(f"No bucket holds {days} days overdue.")


def maturity_range(
        bucket: Bucket, date: dt.date,
        ) -> tuple[dt.date | None, dt.date | None]:
    """Return the earliest and latest maturity date in *bucket* on *date*.

    None is an open end, to be left out of the comparison.

    >>> maturity_range(BUCKETS[0], dt.date(2024, 12, 31))
    (datetime.date(2024, 12, 31), None)
    >>> maturity_range(BUCKETS[-1], dt.date(2024, 12, 31))
    (None, datetime.date(2024, 10, 1))
    """
    earliest = latest = None
    if bucket.last_day is not None:
        earliest = date - dt.timedelta(days=bucket.last_day)
    if bucket.first_day is not None:
        latest = date - dt.timedelta(days=bucket.first_day)
    return earliest, latest
