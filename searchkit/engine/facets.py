"""Facet counts from per-document columns: sources by count, dates as a histogram.

Counts come from the ``source`` and ``day`` columns of the matching documents, one
``bincount`` per segment, never from stored articles. Articles without a source or a date
are counted as missing, not as a bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from .segment import MISSING_DAY
from .snapshot import Snapshot

__all__ = ["DateInterval", "choose_interval", "date_histogram", "source_counts"]

DateInterval = Literal["day", "week", "month", "year"]
Array = np.ndarray[Any, Any]
_EPOCH = date(1970, 1, 1)


def source_counts(
    snapshot: Snapshot, per_segment: Sequence[Array], *, limit: int | None
) -> tuple[list[tuple[str, int]], int]:
    """(display name, count) by count then name, at most ``limit``; and the count without a source."""
    slots = len(snapshot.source_names) + 1
    totals = np.zeros(slots, dtype=np.int64)
    for loaded, docs in zip(snapshot.segments, per_segment):
        if docs.size:
            totals += np.bincount(loaded.global_source[docs].astype(np.int64) + 1, minlength=slots)
    missing = int(totals[0])
    pairs = [(snapshot.source_names[i], int(c)) for i, c in enumerate(totals[1:].tolist()) if c]
    pairs.sort(key=lambda pair: (-pair[1], pair[0].casefold()))
    return (pairs if limit is None else pairs[:limit]), missing


def _bucket_starts(days: Array, interval: DateInterval) -> Array:
    """The day number of the bucket each day falls in (weeks start on Monday)."""
    starts: Array
    if interval == "day":
        starts = days
    elif interval == "week":
        starts = days - ((days + 3) % 7)
    else:
        unit = "M" if interval == "month" else "Y"
        starts = days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype("datetime64[D]").astype(np.int64)
    return starts


def choose_interval(first: int, last: int) -> DateInterval:
    """The interval that gives a readable histogram (about 10-60 buckets) for a span of days."""
    span = last - first
    if span <= 62:
        return "day"
    if span <= 7 * 60:
        return "week"
    if span <= 366 * 5:
        return "month"
    return "year"


def _all_starts(first: int, last: int, interval: DateInterval) -> Array:
    if interval == "day":
        return np.arange(first, last + 1, dtype=np.int64)
    if interval == "week":
        return np.arange(first, last + 1, 7, dtype=np.int64)
    unit = "M" if interval == "month" else "Y"
    lo = np.array([first], dtype="datetime64[D]").astype(f"datetime64[{unit}]")[0]
    hi = np.array([last], dtype="datetime64[D]").astype(f"datetime64[{unit}]")[0]
    return np.arange(lo, hi + 1).astype("datetime64[D]").astype(np.int64)


def date_histogram(
    snapshot: Snapshot, per_segment: Sequence[Array], *, interval: DateInterval | Literal["auto"]
) -> tuple[DateInterval, list[tuple[date, int]], int]:
    """Buckets from the first to the last matching date (empty ones as zero), and the undated count."""
    days_list = [loaded.reader.day[docs].astype(np.int64) for loaded, docs in zip(snapshot.segments, per_segment) if docs.size]
    days = np.concatenate(days_list) if days_list else np.zeros(0, dtype=np.int64)
    dated = days[days != MISSING_DAY]
    missing = int(days.size - dated.size)
    if dated.size == 0:
        return ("month" if interval == "auto" else interval), [], missing
    chosen: DateInterval = choose_interval(int(dated.min()), int(dated.max())) if interval == "auto" else interval
    buckets = _bucket_starts(dated, chosen)
    starts = _all_starts(int(buckets.min()), int(buckets.max()), chosen)
    counts = np.bincount(np.searchsorted(starts, buckets), minlength=starts.size)
    return chosen, [(_EPOCH + timedelta(days=int(s)), int(c)) for s, c in zip(starts.tolist(), counts.tolist())], missing
