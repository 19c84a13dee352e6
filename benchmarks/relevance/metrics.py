"""Ranking metrics computed as trec_eval computes them, and paired significance tests.

A ranking is the engine's list of doc ids, best first, cut at :data:`DEPTH` (1000)
before anything is measured; a doc id may occur once. Judgments map doc id -> grade;
a doc is relevant when its grade is at least 1 (trec_eval's default relevance level).

- ``nDCG@10`` (trec_eval ``ndcg_cut_10``): DCG = sum of gain / log2(rank + 1) over the
  top 10, gain = the grade of a relevant doc, 0 otherwise; divided by the DCG of the
  ideal ranking, i.e. all relevant judged docs sorted by grade.
- ``MAP`` (``map``): the sum of precision at the rank of each relevant doc retrieved,
  divided by the number of relevant docs (so relevant docs never retrieved count 0).
- ``P@10`` (``P_10``): relevant docs in the top 10 / 10, also when fewer came back.
- ``R@100`` (``recall_100``): relevant docs in the top 100 / number of relevant docs.

:func:`evaluate` scores every query that has at least one relevant judgment; a query
the engine returned nothing for scores 0 (``trec_eval -c``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "DEPTH",
    "METRICS",
    "average_precision",
    "evaluate",
    "mean",
    "ndcg",
    "precision",
    "randomization_test",
    "recall",
    "t_test",
]

DEPTH = 1000

Judged = Mapping[str, int]
Ranking = Sequence[str]


def _checked(ranking: Ranking) -> Ranking:
    seen: set[str] = set()
    for doc in ranking:
        if doc in seen:
            raise ValueError(f"doc {doc!r} occurs twice in one ranking (trec_eval rejects that too)")
        seen.add(doc)
    return ranking[:DEPTH]


def _relevant(judged: Judged) -> set[str]:
    return {doc for doc, grade in judged.items() if grade >= 1}


def ndcg(ranking: Ranking, judged: Judged, k: int = 10) -> float:
    """nDCG at cutoff ``k`` with graded gains; 0 when nothing judged is relevant."""
    ranking = _checked(ranking)

    def dcg(gains: Sequence[int]) -> float:
        return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains[:k], start=1) if g > 0)

    ideal = dcg(sorted((g for g in judged.values() if g >= 1), reverse=True))
    if ideal == 0:
        return 0.0
    return dcg([max(judged.get(doc, 0), 0) for doc in ranking]) / ideal


def average_precision(ranking: Ranking, judged: Judged) -> float:
    """Average precision over the top :data:`DEPTH`; denominator = all relevant docs."""
    relevant = _relevant(judged)
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc in enumerate(_checked(ranking), start=1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def precision(ranking: Ranking, judged: Judged, k: int = 10) -> float:
    """Relevant docs among the first ``k``, divided by ``k`` (not by how many came back)."""
    relevant = _relevant(judged)
    return sum(doc in relevant for doc in _checked(ranking)[:k]) / k


def recall(ranking: Ranking, judged: Judged, k: int = 100) -> float:
    """Relevant docs among the first ``k``, divided by all relevant docs."""
    relevant = _relevant(judged)
    if not relevant:
        return 0.0
    return sum(doc in relevant for doc in _checked(ranking)[:k]) / len(relevant)


METRICS: dict[str, Callable[[Ranking, Judged], float]] = {
    "nDCG@10": ndcg,
    "MAP": average_precision,
    "P@10": precision,
    "R@100": recall,
}


def evaluate(run: Mapping[str, Ranking], qrels: Mapping[str, Judged]) -> dict[str, dict[str, float]]:
    """Per-query scores: metric name -> query id -> score, for queries with a relevant doc."""
    scored = sorted((q for q, judged in qrels.items() if _relevant(judged)), key=_id_order)
    return {
        name: {q: metric(run.get(q, ()), qrels[q]) for q in scored}
        for name, metric in METRICS.items()
    }


def mean(per_query: Mapping[str, float]) -> float:
    """The mean over queries (trec_eval's ``all`` line); NaN when there are none."""
    return sum(per_query.values()) / len(per_query) if per_query else math.nan


def _id_order(qid: str) -> tuple[int, str]:
    return (int(qid), qid) if qid.isdigit() else (0, qid)


def _differences(a: Mapping[str, float], b: Mapping[str, float]) -> np.ndarray:
    if a.keys() != b.keys():
        raise ValueError("a paired test needs scores for the same queries in both runs")
    return np.array([a[q] - b[q] for q in a], dtype=np.float64)


def randomization_test(
    a: Mapping[str, float], b: Mapping[str, float], *, trials: int = 100_000, seed: int = 20240601
) -> float:
    """Two-sided paired randomization test of mean(a) = mean(b), Fisher style.

    Each trial flips the sign of every query's difference with probability 1/2 (swapping
    the two engines' labels on that query); p = (trials with |mean| >= observed + 1) /
    (trials + 1). Deterministic for a given ``seed``.
    """
    diffs = _differences(a, b)
    if not diffs.size or not diffs.any():
        return 1.0
    observed = abs(diffs.mean())
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, trials, 10_000):
        signs = rng.choice((-1.0, 1.0), size=(min(10_000, trials - start), diffs.size))
        hits += int(np.count_nonzero(np.abs(signs @ diffs) / diffs.size >= observed - 1e-12))
    return (hits + 1) / (trials + 1)


def t_test(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Two-sided paired t-test p-value (scipy ``ttest_rel``).

    1.0 when every difference is 0; 0.0 when all differences are equal and non-zero
    (no variance: t is infinite).
    """
    diffs = _differences(a, b)
    if diffs.size < 2 or not diffs.any():
        return 1.0
    if np.ptp(diffs) == 0:
        return 0.0
    from scipy import stats  # the bench extra; imported here so the metrics load without it

    return float(stats.ttest_rel([a[q] for q in a], [b[q] for q in a]).pvalue)
