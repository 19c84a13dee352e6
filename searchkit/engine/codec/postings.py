"""A Whoosh matcher over one term's postings held as numpy arrays.

:class:`PostingsMatcher` walks ascending document numbers with their weights (term
frequencies) and, for text fields, each posting's positions, which Whoosh's phrase and span
queries read with ``value_as("positions")``. The whole posting list is one block, so the
matcher does not offer Whoosh's block-quality shortcuts; results are the same without them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from whoosh.matching import LeafMatcher, ReadTooFar

__all__ = ["PositionsSource", "PostingsMatcher"]

Array = np.ndarray[Any, Any]
PositionsSource = Callable[[], tuple[Array, Array]]
"""Returns the term's positions and, per posting, where its run starts (``len + 1`` items)."""


class PostingsMatcher(LeafMatcher):  # type: ignore[misc]
    """Matches the documents of one term in one field of one segment."""

    def __init__(
        self,
        term: tuple[str, bytes],
        docs: Array,
        weights: Array,
        format_: Any,
        *,
        scorer: Any = None,
        positions: PositionsSource | None = None,
        terminfo: Any = None,
        at: int = 0,
    ):
        self._term = term
        self._docs = docs
        self._weights = weights
        self.format = format_
        self.scorer = scorer
        self._positions_source = positions
        self._positions: tuple[Array, Array] | None = None
        self._terminfo = terminfo
        self._at = at

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._term!r}, {self._docs.size} postings)"

    # Moving

    def is_active(self) -> bool:
        return self._at < self._docs.size

    def reset(self) -> None:
        self._at = 0

    def next(self) -> None:
        if not self.is_active():
            raise ReadTooFar
        self._at += 1

    def skip_to(self, id: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if id > self.id():
            self._at = int(np.searchsorted(self._docs, id, side="left"))

    def copy(self) -> PostingsMatcher:
        twin = PostingsMatcher(
            self._term, self._docs, self._weights, self.format, scorer=self.scorer,
            positions=self._positions_source, terminfo=self._terminfo, at=self._at,
        )
        twin._positions = self._positions
        return twin

    # The current posting

    def id(self) -> int:
        return int(self._docs[self._at])

    def all_ids(self) -> Iterator[int]:
        return iter(self._docs[self._at :].tolist())

    def weight(self) -> float:
        return float(self._weights[self._at])

    def positions(self) -> list[int]:
        """The positions of the term in the current document (text fields only)."""
        if self._positions_source is None:
            raise ValueError(f"{self._term[0]!r} has no positions")
        if self._positions is None:
            self._positions = self._positions_source()
        positions, starts = self._positions
        return [int(p) for p in positions[int(starts[self._at]) : int(starts[self._at + 1])]]

    def value(self) -> Any:
        """The current posting in the field format's own encoding."""
        if self._positions_source is not None and self.format.supports("positions"):
            return self.format.encode(self.positions())
        if self.format.supports("frequency"):
            return self.format.encode(int(self._weights[self._at]))
        return b""

    def value_as(self, astype: str) -> Any:
        if astype == "positions":
            return self.positions()
        if astype in ("frequency", "weight"):
            value = int(self._weights[self._at])
            return value * self.format.field_boost if astype == "weight" else value
        return super().value_as(astype)

    def score(self) -> float:
        if self.scorer is None:
            return self.weight()
        score: float = self.scorer.score(self)
        return score

    # Block statistics: one block, the whole list

    def supports_block_quality(self) -> bool:
        return False

    def block_min_length(self) -> int:
        return int(self._terminfo.min_length() or 0) if self._terminfo is not None else 0

    def block_max_length(self) -> int:
        return int(self._terminfo.max_length()) if self._terminfo is not None else 0

    def block_max_weight(self) -> float:
        return float(self._weights.max()) if self._weights.size else 0.0
