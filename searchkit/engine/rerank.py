"""What happens to relevance after BM25F: freshness (``recency``) and outlet diversity.

Freshness multiplies each match's score by :meth:`Recency.factor` of its age, before
the order is made: totals, facets and filters stay those of the query. Diversity
(``diversify="source"``) keeps the scores and changes only the order of the top
``window`` results: a greedy pass that takes, at each rank, the candidate with the best
``score * SOURCE_PENALTY ** n``, where ``n`` is how many articles of its outlet already
came before it (ties: fewer from its outlet, then the relevance order). Articles without
a source form one outlet of their own.
"""

from __future__ import annotations

import heapq
from datetime import date
from typing import Any

import numpy as np

from ..models import Recency
from .segment import MISSING_DAY, day_number

__all__ = ["SOURCE_PENALTY", "decay", "diversify_order", "diversity_window"]

Array = np.ndarray[Any, Any]
SOURCE_PENALTY = 0.5


def decay(recency: Recency, origin: date, days: Array) -> Array:
    """The decay factor of each day number (``MISSING_DAY``: undated) as seen from ``origin``."""
    undated = days == MISSING_DAY
    age = np.abs(days.astype(np.float64) - day_number(origin))
    past = np.maximum(0.0, age - recency.offset_days) / recency.half_life_days
    if recency.shape == "exp":
        factors = np.power(0.5, past)
    elif recency.shape == "gauss":
        factors = np.power(0.5, past * past)
    else:
        factors = np.maximum(0.0, 1.0 - past / 2.0)
    result: Array = np.where(undated, recency.undated, factors)
    return result


def diversity_window(limit: int) -> int:
    """How many of the best results diversity re-orders for pages of ``limit`` hits (the
    same for every page, so pages do not overlap); the order after it is relevance."""
    return max(3 * limit, 50)


def diversify_order(scores: list[float], outlets: list[int]) -> list[int]:
    """Positions of ``scores`` (in relevance order) re-ordered so outlets take turns sooner."""
    queues: dict[int, list[int]] = {}
    for position, outlet in enumerate(outlets):
        queues.setdefault(outlet, []).append(position)
    taken = {outlet: 0 for outlet in queues}
    heads = {outlet: 0 for outlet in queues}
    heap = [(-scores[q[0]], 0, q[0], outlet) for outlet, q in queues.items()]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, _, position, outlet = heapq.heappop(heap)
        order.append(position)
        taken[outlet] += 1
        heads[outlet] += 1
        queue = queues[outlet]
        if heads[outlet] < len(queue):
            following = queue[heads[outlet]]
            count = taken[outlet]
            heapq.heappush(heap, (-scores[following] * SOURCE_PENALTY ** count, count, following, outlet))
    return order
