"""Pseudo-relevance feedback (RM3), an option of ``Index.search(feedback=True)``.

RM3 (Lavrenko and Croft's relevance model, interpolated with the query as in Anserini)
takes the ``docs`` best-scoring matches as if they were relevant, builds a term
distribution from them (each document's term frequencies over its length, weighted by its
share of the score), keeps the ``terms`` most likely terms and re-scores::

    score'(d) = w * score(d) / |Q|  +  (1 - w) * sum_t P(t | R) * BM25F(t, d)

searchkit re-scores *within* the query's matches, so totals, facets and filters are those
of the query as typed; only the order changes. Off by default: see the README's ranking
section for what it does on the relevance benchmark.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..analysis import field_terms
from .execute import Executor, Matches

__all__ = ["rm3"]

Array = np.ndarray[Any, Any]


def _top_documents(matches: list[Matches], count: int) -> list[tuple[float, int, int]]:
    best: list[tuple[float, int, int]] = []
    for segment, found in enumerate(matches):
        if found.docs.size == 0:
            continue
        take = min(count, found.docs.size)
        top = np.argpartition(-found.scores, take - 1)[:take]
        best.extend((float(found.scores[i]), segment, int(found.docs[i])) for i in top.tolist())
    best.sort(key=lambda item: (-item[0], item[1], item[2]))
    return best[:count]


def rm3(executor: Executor, matches: list[Matches], *, docs: int = 10, terms: int = 20, weight: float = 0.5) -> list[Matches]:
    """``matches`` re-scored with RM3 (see the module docstring)."""
    query_size = sum(1 for leaf in executor.leaves() if leaf is not None)
    feedback = [item for item in _top_documents(matches, docs) if item[0] > 0]
    if not query_size or not feedback:
        return matches
    total_score = sum(score for score, _, _ in feedback)
    relevance: dict[str, float] = {}
    for score, segment, doc in feedback:
        stored = executor.snapshot.segments[segment].reader.stored(doc)
        counts: Counter[str] = Counter()
        length = 0
        for text in (stored.get("headline", ""), stored.get("body", ""), "\n".join(stored.get("background", []))):
            field_words, _, field_length = field_terms(text)
            counts.update(field_words)
            length += field_length
        if length:
            share = score / total_score
            for term, count in counts.items():
                relevance[term] = relevance.get(term, 0.0) + share * count / length
    expansion = sorted(relevance.items(), key=lambda item: (-item[1], item[0]))[:terms]
    mass: float = sum(p for _, p in expansion) or 1.0
    rescored = [Matches(found.docs, found.scores * (weight / query_size)) for found in matches]
    for term, probability in expansion:
        contributions = executor.term_scores(term)
        for number, (term_docs, term_scores) in enumerate(contributions):
            target = rescored[number]
            _, left, right = np.intersect1d(target.docs, term_docs, assume_unique=True, return_indices=True)
            target.scores[left] += (1.0 - weight) * (probability / mass) * term_scores[right]
    return rescored
