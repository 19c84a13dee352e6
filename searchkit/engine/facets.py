"""Facet counts from per-document columns: sources by count, dates as a histogram.

Counts come from the ``source`` and ``day`` columns of the matching documents, one
``bincount`` per segment, never from stored articles. Articles without a source or a date
are counted as missing, not as a bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..models import FacetValue
from .segment import MISSING_DAY
from .snapshot import LoadedSegment, Snapshot

__all__ = ["DateInterval", "choose_interval", "date_histogram", "source_counts"]

DateInterval = Literal["day", "week", "month", "year"]
Array = np.ndarray[Any, Any]


def source_counts(
    snapshot: Snapshot, per_segment: Sequence[Array], *, limit: int | None
) -> tuple[list[FacetValue], int]:
    """(display name, count) buckets by count then name, at most ``limit``; and the count without a source."""
    slots = len(snapshot.source_names) + 1
    totals = np.zeros(slots, dtype=np.int64)
    for loaded, docs in zip(snapshot.segments, per_segment):
        if docs.size:
            totals += np.bincount(_source_slots(snapshot, loaded)[docs], minlength=slots)
    missing = int(totals[0])
    pairs = [(snapshot.source_names[i], int(c)) for i, c in enumerate(totals[1:].tolist()) if c]
    pairs.sort(key=lambda pair: (-pair[1], pair[0].casefold()))
    return [FacetValue(name, count) for name, count in (pairs if limit is None else pairs[:limit])], missing


def _source_slots(snapshot: Snapshot, loaded: LoadedSegment) -> Array:
    """Per document of the segment: its index-wide source ordinal + 1 (0: no source), as
    ``bincount`` takes it; made once per snapshot."""
    key = ("source slots", loaded.segment.segid)
    slots = snapshot.cache.get(key)
    if slots is None:
        slots = snapshot.cache[key] = loaded.global_source.astype(np.intp) + 1
    result: Array = slots
    return result


_UNDATED = int(np.iinfo(np.int32).max)  # the bucket ordinal of an undated document


def _bucket_ordinals(snapshot: Snapshot, loaded: LoadedSegment, interval: DateInterval) -> Array:
    """Per document of the segment: the ordinal of its bucket, counted from 1970 in days,
    weeks (from Monday), months or years, so that buckets in a row are numbers in a row;
    :data:`_UNDATED` for an undated one. Made once per snapshot and interval, so a search
    counts a histogram with one gather and one ``bincount``."""
    key = ("date buckets", loaded.segment.segid, interval)
    ordinals = snapshot.cache.get(key)
    if ordinals is None:
        days = loaded.reader.day.astype(np.int64)
        if interval == "day":
            found = days
        elif interval == "week":
            found = (days + 3) // 7  # the week starting on day 7 * ordinal - 3, a Monday
        else:
            unit = "M" if interval == "month" else "Y"
            found = days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)
        ordinals = snapshot.cache[key] = np.where(days == MISSING_DAY, _UNDATED, found).astype(np.int32)
    result: Array = ordinals
    return result


def _bucket_slots(snapshot: Snapshot, interval: DateInterval) -> tuple[int, int]:
    """The first bucket ordinal of the snapshot's dated documents (deleted ones included) and
    how many buckets reach from it to the last: a histogram is then one ``bincount`` per
    segment into those slots, with no list of every match's bucket."""
    key = ("bucket slots", interval)
    found = snapshot.cache.get(key)
    if found is None:
        low, high = None, None
        for loaded in snapshot.segments:
            ordinals = _bucket_ordinals(snapshot, loaded, interval)
            dated = ordinals[ordinals != _UNDATED]
            if dated.size:
                low = int(dated.min()) if low is None else min(low, int(dated.min()))
                high = int(dated.max()) if high is None else max(high, int(dated.max()))
        found = snapshot.cache[key] = (0, 0) if low is None or high is None else (low, high - low + 1)
    result: tuple[int, int] = found
    return result


def _bucket_slot_column(snapshot: Snapshot, loaded: LoadedSegment, interval: DateInterval, low: int, slots: int) -> Array:
    """Per document of the segment: its bucket's slot (ordinal - ``low``), ``slots`` when undated."""
    key = ("bucket slot column", loaded.segment.segid, interval)
    column = snapshot.cache.get(key)
    if column is None:
        ordinals = _bucket_ordinals(snapshot, loaded, interval).astype(np.intp)
        column = snapshot.cache[key] = np.where(ordinals == _UNDATED, slots, ordinals - low)
    result: Array = column
    return result


def _first_days(ordinals: Array, interval: DateInterval) -> Array:
    """The first day (number) of each bucket of ``ordinals`` (see :func:`_bucket_ordinals`)."""
    if interval == "day":
        return ordinals
    if interval == "week":
        return ordinals * 7 - 3
    unit = "M" if interval == "month" else "Y"
    days: Array = ordinals.astype(f"datetime64[{unit}]").astype("datetime64[D]").astype(np.int64)
    return days


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
) -> tuple[DateInterval, list[FacetValue], int]:
    """Buckets from the first to the last matching date (empty ones as zero), each valued its
    first day in ISO form (``YYYY-MM-DD``), and the undated count."""
    present = [(loaded, docs) for loaded, docs in zip(snapshot.segments, per_segment) if docs.size]
    if interval == "auto":
        days = np.concatenate([loaded.reader.day[docs] for loaded, docs in present]) if present else np.zeros(0, np.int32)
        dated_days = days[days != MISSING_DAY]
        if dated_days.size == 0:
            return "month", [], int(days.size)
        interval = choose_interval(int(dated_days.min()), int(dated_days.max()))
    low, slots = _bucket_slots(snapshot, interval)
    totals = np.zeros(slots + 1, dtype=np.int64)  # the last slot counts the undated
    for loaded, docs in present:
        totals += np.bincount(_bucket_slot_column(snapshot, loaded, interval, low, slots)[docs], minlength=slots + 1)
    missing = int(totals[slots])
    used = np.flatnonzero(totals[:slots])
    if used.size == 0:
        return interval, [], missing
    start, stop = int(used[0]), int(used[-1]) + 1
    buckets = _empty_buckets(snapshot, interval, low, start, stop)
    for at, count in zip((used - start).tolist(), totals[used].tolist()):
        buckets[at] = FacetValue(buckets[at].value, count)
    return interval, buckets, missing


def _empty_buckets(snapshot: Snapshot, interval: DateInterval, low: int, start: int, stop: int) -> list[FacetValue]:
    """The buckets of slots ``start`` to ``stop`` (excluded) with a count of 0, each made once
    per snapshot and interval and shared after (a histogram has hundreds of buckets, most of
    them empty for most queries; their ISO days are made in one numpy call)."""
    made: dict[int, FacetValue] = snapshot.cache.setdefault(("empty date buckets", interval), {})
    new = [slot for slot in range(start, stop) if slot not in made]
    if new:
        starts = _first_days(np.array(new, dtype=np.int64) + low, interval)
        for slot, day in zip(new, np.datetime_as_string(starts.astype("datetime64[D]")).tolist()):
            made[slot] = FacetValue(day, 0)
    return [made[slot] for slot in range(start, stop)]
