"""searchkit's BM25F as a Whoosh weighting model, for Whoosh's searcher on a searchkit index.

Whoosh scores a query term once per field it is searched in and adds the field scores up,
each saturated on its own. searchkit's BM25F (:mod:`..execute`) adds the fields' weighted,
length-normalized frequencies first and saturates once::

    tf~ = sum_f w_f * tf_f / (1 - b + b * len_f / avglen_f)
    score = idf * tf~ * (k1 + 1) / (k1 + tf~),   idf = ln(1 + (N - df + 0.5) / (df + 0.5))

:class:`SearchkitBM25F` gives each field its share of that one score: the field scorer of
``f`` returns ``score * (w_f * tf_f / norm_f) / tf~``, so the shares of the fields a document
matches in add up to searchkit's score when a query asks every field for the term (as
``MultifieldParser(["headline", "body", "background"], ...)`` does). ``avglen_f`` is over
the live documents that have the field, ``df`` counts live documents holding the term in
any field, ``N`` live documents, as in searchkit. Field weights apply when ``fields`` holds
several fields; one field alone weighs 1 (searchkit's ``headline:word``).

It reads postings of the other fields for every term it scores, so it is made for checking
parity and for small indexes, not for speed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from whoosh.scoring import BaseScorer, WeightingModel

from ..execute import Ranking
from ..segment import FIELDS

__all__ = ["SearchkitBM25F"]


class _ShareScorer(BaseScorer):  # type: ignore[misc]
    """One field's share of each document's BM25F score for one term."""

    def __init__(self, field: str, shares: dict[int, float]):
        self._field = field
        self._shares = shares

    def supports_block_quality(self) -> bool:
        return False

    def score(self, matcher: Any) -> float:
        return self._shares.get(matcher.id(), 0.0)


class SearchkitBM25F(WeightingModel):  # type: ignore[misc]
    """searchkit's BM25F ranking in Whoosh (see the module docstring)."""

    use_final = False

    def __init__(self, ranking: Ranking | None = None, fields: tuple[str, ...] = FIELDS):
        self.ranking = ranking or Ranking()
        self.fields = fields
        # Keyed by the searcher's id, holding the searcher so that the id is not reused.
        self._global: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._local: dict[tuple[int, str], tuple[Any, dict[str, dict[int, float]]]] = {}

    def _weight(self, field: str) -> float:
        return self.ranking.weight(field) if len(self.fields) > 1 else 1.0

    def _averages(self, parent: Any) -> dict[str, float]:
        key = (id(parent), "")
        if key not in self._global:
            reader = parent.reader()
            live = list(reader.all_doc_ids())
            averages = {}
            for field in self.fields:
                lengths = np.array([reader.doc_field_length(doc, field, 0) for doc in live], dtype=np.int64)
                averages[field] = max(float(lengths.sum()) / max(int(np.count_nonzero(lengths)), 1), 1e-9)
            self._global[key] = (parent, averages)
        averages_found: dict[str, float] = self._global[key][1]
        return averages_found

    def _idf(self, parent: Any, text: bytes) -> float:
        key = (id(parent), f"idf:{text!r}")
        if key not in self._global:
            reader = parent.reader()
            holding: set[int] = set()
            for field in self.fields:
                if (field, text) in reader:
                    holding.update(reader.postings(field, text).all_ids())
            n, df = parent.doc_count(), len(holding)
            self._global[key] = (parent, math.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        idf: float = self._global[key][1]
        return idf

    def _shares(self, searcher: Any, text: bytes) -> dict[str, dict[int, float]]:
        """Per field, per document of this (segment) searcher: the field's share of the score."""
        key = (id(searcher), f"shares:{text!r}")
        if key not in self._local:
            parent = searcher.get_parent()
            averages = self._averages(parent)
            b, k1 = self.ranking.b, self.ranking.k1
            reader = searcher.reader()
            parts: dict[str, dict[int, float]] = {}
            for field in self.fields:
                part: dict[int, float] = {}
                if (field, text) in reader:
                    matcher = reader.postings(field, text)
                    while matcher.is_active():
                        doc = matcher.id()
                        norm = (1.0 - b) + b * searcher.doc_field_length(doc, field, 0) / averages[field]
                        part[doc] = self._weight(field) * matcher.weight() / norm
                        matcher.next()
                parts[field] = part
            totals: dict[int, float] = {}
            for part in parts.values():
                for doc, value in part.items():
                    totals[doc] = totals.get(doc, 0.0) + value
            idf = self._idf(parent, text)
            shares = {
                field: {doc: idf * totals[doc] * (k1 + 1.0) / (k1 + totals[doc]) * value / totals[doc]
                        for doc, value in part.items()}
                for field, part in parts.items()
            }
            self._local[key] = (searcher, shares)
        return self._local[key][1]

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> BaseScorer:
        if fieldname not in self.fields:
            return _ShareScorer(fieldname, {})
        return _ShareScorer(fieldname, self._shares(searcher, text)[fieldname])
