"""Reading the dates news files use (searchkit.dates)."""

from __future__ import annotations

import datetime as dt

import pytest

from searchkit.dates import parse_date, parse_published

UTC = dt.timezone.utc


def tz(hours: int, minutes: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/30/2024", dt.date(2024, 11, 30)),
        ("1/2/2024", dt.date(2024, 1, 2)),
        (" 11/30/2024\u00a0", dt.date(2024, 11, 30)),
        ("2024-11-30", dt.date(2024, 11, 30)),
        ("2024/11/30", dt.date(2024, 11, 30)),
        ("20241130", dt.date(2024, 11, 30)),
        ("2024-11-30T10:15", dt.datetime(2024, 11, 30, 10, 15)),
        ("2024-11-30 10:15:30", dt.datetime(2024, 11, 30, 10, 15, 30)),
        ("2024-11-30T10:15:30Z", dt.datetime(2024, 11, 30, 10, 15, 30, tzinfo=UTC)),
        ("2024-11-30t10:15:30z", dt.datetime(2024, 11, 30, 10, 15, 30, tzinfo=UTC)),
        (
            "2024-11-30T10:15:30.123456789+05:30",
            dt.datetime(2024, 11, 30, 10, 15, 30, 123456, tzinfo=tz(5, 30)),
        ),
        ("2024-11-30T10:15:30,5-0800", dt.datetime(2024, 11, 30, 10, 15, 30, 500000, tzinfo=tz(-8))),
        ("2024-11-30T10:15:30+02", dt.datetime(2024, 11, 30, 10, 15, 30, tzinfo=tz(2))),
        ("Sat, 30 Nov 2024 10:00:00 +0000", dt.datetime(2024, 11, 30, 10, 0, tzinfo=UTC)),
        ("Sat, 30 Nov 2024 10:00:00 GMT", dt.datetime(2024, 11, 30, 10, 0, tzinfo=UTC)),
        ("30 November 2024", dt.date(2024, 11, 30)),
        ("30th Nov. 2024", dt.date(2024, 11, 30)),
        ("Saturday, 30 November 2024", dt.date(2024, 11, 30)),
        ("November 30, 2024", dt.date(2024, 11, 30)),
        ("Sept 3rd 2024", dt.date(2024, 9, 3)),
    ],
)
def test_accepted_forms(text: str, expected: dt.date) -> None:
    assert parse_published(text) == expected
    assert type(parse_published(text)) is type(expected)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-11-30T23:30:00-05:00", dt.date(2024, 11, 30)),
        ("2024-12-01T04:30:00Z", dt.date(2024, 12, 1)),
        ("2024-12-01T01:30:00+09:00", dt.date(2024, 12, 1)),
        ("2024-11-30 23:59", dt.date(2024, 11, 30)),
        ("11/30/2024", dt.date(2024, 11, 30)),
    ],
)
def test_the_date_is_the_day_in_the_given_offset(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601"),
        ("tomorrow", "'tomorrow' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601"),
        ("30/11/2024", "'30/11/2024' is not a valid date: month must be in 1..12"),
        ("2024-02-30", "'2024-02-30' is not a valid date: day is out of range for month"),
        ("2024-11-30T25:00", "'2024-11-30T25:00' is not a valid date: hour must be in 0..23"),
        (
            "30 Brumaire 2024",
            "'30 Brumaire 2024' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601",
        ),
        ("2024-11", "'2024-11' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601"),
    ],
)
def test_rejected_forms(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_published(text)
    assert str(caught.value) == message
