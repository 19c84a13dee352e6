"""Related coverage on the AllSides story roundups: ``python -m benchmarks.news.related``.

Each of the 1,479 articles (``../shared/data/allsides-roundups``, read its PROVENANCE.md) is
the query once; the other 1-2 articles of its story are the relevant ones. Printed per
method: recall@2 (the target of issue 13: at least 0.75 for ``related(mode="coverage")``),
recall@5 and MRR@10 (the reciprocal rank of the first relevant article in the top 10), and
the p50 time per query. Methods:

- ``TF-IDF cosine``: the floor. Headline and body terms (searchkit's analysis), raw term
  frequency times ``ln(N / df)``, cosine similarity with every other article.
- ``Elasticsearch MLT``: ``more_like_this`` with its defaults as Lucene's ``MoreLikeThis``
  applies them, per field (headline, body): a term of the article is a candidate when it
  occurs at least ``min_term_freq`` 2 times in that field and at least ``min_doc_freq`` 5
  articles hold it there; candidates are ranked by ``tf * idf`` (Lucene's classic idf,
  ``1 + ln((docCount + 1) / (df + 1))``) and the best ``max_query_terms`` 25 become
  ``should`` clauses of which ``minimum_should_match`` 30% (rounded down) must match;
  scored by BM25 (k1 1.2, b 0.75) per field, summed; the article itself excluded. Also
  with ``min_term_freq`` 1, kinder to these short excerpts.
- ``searchkit related``: ``Index.related(id, mode="coverage")``, with the dates as the
  benchmark loads them (from the URL, else the roundup's day), with only URL dates (938
  of the 1,479 undated: the roundup's day is shared by a whole story and flatters dates),
  and with no dates (text and outlet only).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from searchkit import Article, Index
from searchkit.analysis import field_terms

from benchmarks.relevance.metrics import recall

from .roundups import DEFAULT_DATA, Dates, Story, load

Ranker = Callable[[str], list[str]]


@dataclass(frozen=True)
class Row:
    method: str
    recall_2: float
    recall_5: float
    mrr: float
    p50_ms: float


def _reciprocal_rank(ranking: Sequence[str], relevant: set[str]) -> float:
    return next((1.0 / rank for rank, doc in enumerate(ranking[:10], start=1) if doc in relevant), 0.0)


def measure(method: str, rank: Ranker, stories: list[Story]) -> Row:
    """Run ``rank`` for every article of a story with others and average the metrics."""
    r2, r5, rr, took = [], [], [], []
    for story in stories:
        for article_id in story.article_ids:
            relevant = {other: 1 for other in story.article_ids if other != article_id}
            if not relevant:
                continue
            started = time.perf_counter()
            ranking = rank(article_id)
            took.append((time.perf_counter() - started) * 1000)
            r2.append(recall(ranking, relevant, 2))
            r5.append(recall(ranking, relevant, 5))
            rr.append(_reciprocal_rank(ranking, set(relevant)))
    return Row(method, statistics.mean(r2), statistics.mean(r5), statistics.mean(rr), statistics.median(took))


def _fields(article: Article) -> dict[str, list[str]]:
    return {"headline": field_terms(article.headline)[0], "body": field_terms(article.body)[0]}


def tfidf_cosine(articles: list[Article]) -> Ranker:
    """The TF-IDF cosine floor (module docstring)."""
    counts = {a.id: Counter(t for terms in _fields(a).values() for t in terms) for a in articles}
    df = Counter(term for c in counts.values() for term in c)
    n = len(articles)
    vectors = {}
    for article_id, c in counts.items():
        vector = {t: tf * math.log(n / df[t]) for t, tf in c.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors[article_id] = {t: v / norm for t, v in vector.items()}
    postings: dict[str, list[tuple[str, float]]] = {}
    for article_id, vector in vectors.items():
        for t, v in vector.items():
            postings.setdefault(t, []).append((article_id, v))

    def rank(article_id: str) -> list[str]:
        scores: Counter[str] = Counter()
        for t, v in vectors[article_id].items():
            for other, w in postings[t]:
                scores[other] += v * w
        del scores[article_id]
        return [other for other, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:10]]

    return rank


def elasticsearch_mlt(articles: list[Article], *, max_query_terms: int = 25, min_term_freq: int = 2,
                      min_doc_freq: int = 5, minimum_should_match: float = 0.30,
                      k1: float = 1.2, b: float = 0.75) -> Ranker:
    """Elasticsearch's ``more_like_this`` with its defaults (module docstring)."""
    fields = {a.id: {name: Counter(terms) for name, terms in _fields(a).items()} for a in articles}
    names = ("headline", "body")
    postings: dict[tuple[str, str], list[tuple[str, int]]] = {}
    lengths: dict[str, dict[str, int]] = {name: {} for name in names}
    for article_id, per_field in fields.items():
        for name, c in per_field.items():
            lengths[name][article_id] = sum(c.values())
            for t, tf in c.items():
                postings.setdefault((name, t), []).append((article_id, tf))
    doc_count = {name: sum(1 for length in lengths[name].values() if length) for name in names}
    average = {name: sum(lengths[name].values()) / max(doc_count[name], 1) for name in names}

    def rank(article_id: str) -> list[str]:
        candidates = []
        for name in names:
            for t, tf in fields[article_id][name].items():
                df = len(postings[(name, t)])
                if tf < min_term_freq or df < min_doc_freq:
                    continue
                idf = 1.0 + math.log((doc_count[name] + 1) / (df + 1))
                candidates.append((tf * idf, name, t))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        clauses = candidates[:max_query_terms]
        needed = max(int(len(clauses) * minimum_should_match), 1) if clauses else 0
        scores: Counter[str] = Counter()
        matched: Counter[str] = Counter()
        for _, name, t in clauses:
            entries = postings[(name, t)]
            idf = math.log(1.0 + (doc_count[name] - len(entries) + 0.5) / (len(entries) + 0.5))
            for other, tf in entries:
                norm = k1 * (1.0 - b + b * lengths[name][other] / average[name])
                scores[other] += idf * tf / (tf + norm)
                matched[other] += 1
        hits = [(s, other) for other, s in scores.items() if matched[other] >= needed and other != article_id]
        return [other for _, other in sorted(hits, key=lambda x: (-x[0], x[1]))[:10]]

    return rank


def searchkit_related(index: Index) -> Ranker:
    def rank(article_id: str) -> list[str]:
        return [hit.id for hit in index.related(article_id, mode="coverage", limit=10).hits]

    return rank


def rows(data: Path = DEFAULT_DATA) -> list[Row]:
    """Every method's row (what :mod:`benchmarks.news` prints)."""
    articles, stories = load(data)
    result = [measure("TF-IDF cosine", tfidf_cosine(articles), stories),
              measure("Elasticsearch MLT (defaults)", elasticsearch_mlt(articles), stories),
              measure("Elasticsearch MLT, min_term_freq 1", elasticsearch_mlt(articles, min_term_freq=1), stories)]
    variants: list[tuple[str, Dates]] = [("", "url-or-roundup"), (", URL dates only", "url"), (", no dates", "none")]
    with tempfile.TemporaryDirectory() as folder:
        for label, dates in variants:
            dated, _ = load(data, dates=dates)
            with Index.create(Path(folder) / dates) as index:
                index.add_many(dated)
                result.append(measure(f"searchkit related{label}", searchkit_related(index), stories))
    return result


def table(result: list[Row]) -> str:
    lines = [f"{'method':<38} {'recall@2':>8} {'recall@5':>8} {'MRR@10':>7} {'p50 ms':>7}"]
    lines += [f"{r.method:<38} {r.recall_2:>8.3f} {r.recall_5:>8.3f} {r.mrr:>7.3f} {r.p50_ms:>7.2f}" for r in result]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    result = rows(args.data)
    print(f"AllSides roundups: 1,479 articles, each the query once (the rest of its story relevant); "
          f"{platform.machine()}, Python {platform.python_version()}")
    print(table(result))


if __name__ == "__main__":
    main()
