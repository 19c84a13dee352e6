"""Bounded edit distance (an adjacent swap is one edit), and finding close terms fast.

Used by fuzzy words (``ukrane~``) and by "did you mean".
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["COUNTED_LETTERS", "LetterIndex", "close_terms", "edit_distance", "letter_counts", "letter_index",
           "letter_totals", "nearby_terms", "possibly_close", "within_distance"]

Array = np.ndarray[Any, Any]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between ``a`` and ``b``, or ``limit + 1`` once it
    exceeds ``limit``.

    Insertions, deletions, substitutions and swaps of two adjacent characters count one
    edit each (``desertoin`` is one edit from ``desertion``), as Lucene's fuzzy queries
    count them. Only a band of width ``2 * limit + 1`` around the diagonal is computed.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if len(a) > len(b):
        a, b = b, a
    big = limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        low = max(1, i - limit)
        high = min(len(b), i + limit)
        current = [big] * (len(b) + 1)
        current[0] = i if i <= limit else big
        char = a[i - 1]
        row_min = current[0]
        for j in range(low, high + 1):
            cost = previous[j - 1] + (char != b[j - 1])
            insert = current[j - 1] + 1
            delete = previous[j] + 1
            value = min(cost, insert, delete)
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == b[j - 1] and before[j - 2] + 1 < value:
                value = before[j - 2] + 1
            current[j] = value
            if value < row_min:
                row_min = value
        if row_min > limit:
            # A row's minimum grows by at most one per row, and a swap reaches back two
            # rows for one edit: nothing later can come back within the limit.
            return big
        before, previous = previous, current
    return min(previous[len(b)], big)


def within_distance(a: str, b: str, limit: int) -> bool:
    return edit_distance(a, b, limit) <= limit


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
COUNTED_LETTERS = 255  # longer terms get no letter counts (see letter_counts)
_COLUMN = np.full(256, -1, dtype=np.int64)
_COLUMN[np.frombuffer(_ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(_ALPHABET))


def letter_counts(offsets: Array, data: Array) -> Array:
    """How often each of a-z and 0-9 occurs in each term of a blob: a (terms x 36) matrix.

    Terms longer than :data:`COUNTED_LETTERS` (junk such as an 8 MB run of one letter) are
    not counted: their row is -1, which :func:`close_terms` reads as "check exactly", so
    building the matrix costs the size of the ordinary vocabulary only.
    """
    terms = offsets.size - 1
    starts = offsets[:-1].astype(np.int64)
    lengths: Array = np.diff(offsets.astype(np.int64))
    counted = lengths <= COUNTED_LETTERS
    kept = lengths[counted]
    owner = np.repeat(np.flatnonzero(counted), kept)
    first = np.repeat(starts[counted], kept)
    within = np.arange(int(kept.sum()), dtype=np.int64) - np.repeat(np.cumsum(kept) - kept, kept)
    column = _COLUMN[np.asarray(data, dtype=np.uint8)[first + within]]
    known = column >= 0
    flat = np.bincount(owner[known] * len(_ALPHABET) + column[known], minlength=terms * len(_ALPHABET))
    counts: Array = flat.reshape(terms, len(_ALPHABET)).astype(np.int32)
    counts[~counted] = -1
    return counts


def letter_totals(counts: Array) -> Array:
    """Each row of :func:`letter_counts` summed (negative for the terms it does not count)."""
    totals: Array = counts.sum(axis=1)
    return totals


def close_terms(word: str, limit: int, lo: int, hi: int, vocabulary: list[str], counts: Array,
                totals: Array | None = None) -> list[int]:
    """Term numbers in ``[lo, hi)`` within ``limit`` edits of ``word``.

    A vectorized filter goes first: one edit changes the letter and digit counts by at most
    2 in all, so terms whose counts differ by more than ``2 * limit`` cannot be close; the
    few that remain get the exact (banded) edit distance. With ``totals`` (each row of
    ``counts`` summed, :func:`letter_totals`), terms whose totals differ by more than that
    are set aside before the counts are compared (the same terms remain, sooner).
    """
    return [
        number
        for number in possibly_close(word, limit, lo, hi, counts, totals).tolist()
        if abs(len(vocabulary[number]) - len(word)) <= limit and within_distance(word, vocabulary[number], limit)
    ]


def possibly_close(word: str, limit: int, lo: int, hi: int, counts: Array, totals: Array | None = None) -> Array:
    """The term numbers in ``[lo, hi)`` that :func:`close_terms` checks exactly: those whose
    letter counts (see there) do not rule out ``limit`` edits from ``word``."""
    if hi <= lo:
        return np.zeros(0, dtype=np.int64)
    wanted = _wanted(word)
    numbers = np.arange(lo, hi)
    if totals is not None:
        part = totals[lo:hi]
        numbers = numbers[(np.abs(part - int(wanted.sum())) <= 2 * limit) | (part < 0)]
    return _by_counts(numbers, wanted, limit, counts)


class LetterIndex(NamedTuple):
    """The letter counts of a run of terms (:func:`letter_counts`) and the terms in order of
    their totals, so that those whose totals lie near a word's are a slice."""

    counts: Array
    by_total: Array  # the term numbers (from 0), by total
    totals: Array  # their totals, ascending (negative first: the terms not counted)


def letter_index(offsets: Array, data: Array) -> LetterIndex:
    """The :class:`LetterIndex` of the terms of a blob (as :func:`letter_counts` takes it)."""
    counts = letter_counts(offsets, data)
    totals = letter_totals(counts)
    order = np.argsort(totals, kind="stable")
    return LetterIndex(counts.astype(np.int16), order, totals[order])  # counts of at most 255 letters


def nearby_terms(word: str, limit: int, index: LetterIndex) -> Array:
    """:func:`possibly_close` of all the terms of ``index`` (with their totals), ascending,
    from the slice of terms whose totals are near the word's instead of a scan of them all."""
    wanted = _wanted(word)
    total = int(wanted.sum())
    uncounted = int(np.searchsorted(index.totals, 0))
    lo = max(int(np.searchsorted(index.totals, total - 2 * limit, "left")), uncounted)
    hi = int(np.searchsorted(index.totals, total + 2 * limit, "right"))
    numbers = np.sort(np.concatenate((index.by_total[:uncounted], index.by_total[lo:max(lo, hi)])))
    return _by_counts(numbers, wanted, limit, index.counts)


def _wanted(word: str) -> Array:
    """The word's a-z and 0-9 counts, as a row of :func:`letter_counts`."""
    wanted = np.zeros(len(_ALPHABET), dtype=np.int32)
    for char in word:
        column = _ALPHABET.find(char)
        if column >= 0:
            wanted[column] += 1
    return wanted


def _by_counts(numbers: Array, wanted: Array, limit: int, counts: Array) -> Array:
    """Of the term ``numbers``, those whose counts differ from ``wanted`` by at most
    ``2 * limit`` in all, and those not counted."""
    rows = counts[numbers]
    distance = np.abs(rows - wanted).sum(axis=1)
    survivors: Array = numbers[(distance <= 2 * limit) | (rows[:, 0] < 0)]
    return survivors
