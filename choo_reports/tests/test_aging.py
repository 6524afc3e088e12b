"""Tests of the pure aging helper."""
import datetime as dt
import doctest

import pytest

from choo_reports import aging

DATE = dt.date(2024, 12, 31)


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(aging)
    assert failures == 0
    assert attempted > 0


@pytest.mark.parametrize('days, name', [
        (-400, 'not_due'), (-1, 'not_due'), (0, 'not_due'),
        (1, 'overdue_1_30'), (30, 'overdue_1_30'),
        (31, 'overdue_31_60'), (60, 'overdue_31_60'),
        (61, 'overdue_61_90'), (90, 'overdue_61_90'),
        (91, 'overdue_over_90'), (4000, 'overdue_over_90'),
        ])
def test_bucket_boundaries(days: int, name: str) -> None:
    """Each boundary day falls in the bucket its name says."""
    maturity_date = DATE - dt.timedelta(days)
    assert aging.days_overdue(maturity_date, DATE) == days
    assert aging.bucket_of(maturity_date, DATE).name == name


def test_maturity_ranges_agree_with_buckets() -> None:
    """Every maturity date is in the range of its own bucket only."""
    for days in range(-10, 200):
        maturity_date = DATE - dt.timedelta(days)
        holding = [
            bucket for bucket in aging.BUCKETS
            if _in_range(maturity_date, aging.maturity_range(bucket, DATE))]
        assert holding == [aging.bucket_of(maturity_date, DATE)], days


def test_buckets_are_contiguous() -> None:
    """The buckets follow each other without gap or overlap."""
    buckets = aging.BUCKETS
    assert buckets[0].first_day is None
    assert buckets[-1].last_day is None
    for before, after in zip(buckets, buckets[1:]):
        assert before.last_day is not None
        assert after.first_day == before.last_day + 1


def _in_range(
        date: dt.date,
        bounds: tuple[dt.date | None, dt.date | None]) -> bool:
    earliest, latest = bounds
    return ((earliest is None or date >= earliest)
        and (latest is None or date <= latest))
