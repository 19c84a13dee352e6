"""Bounded edit distance, for fuzzy words and spelling suggestions."""

from __future__ import annotations

__all__ = ["edit_distance", "within_distance"]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance between ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``.

    Only a band of width ``2 * limit + 1`` around the diagonal is computed.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if len(a) > len(b):
        a, b = b, a
    big = limit + 1
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
            current[j] = value
            if value < row_min:
                row_min = value
        if row_min > limit:
            return big
        previous = current
    return min(previous[len(b)], big)


def within_distance(a: str, b: str, limit: int) -> bool:
    return edit_distance(a, b, limit) <= limit
