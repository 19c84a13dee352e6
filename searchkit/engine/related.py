"""Articles related to one article (:meth:`searchkit.Index.related`): the rest of its story's
coverage, or the background to it.

The article's own words are the query. Its headline, body and background are analysed as
at index time; each term counts its occurrences, a headline occurrence
:data:`HEADLINE_WEIGHT` times (as BM25F weighs the headline), and gets the weight
``(1 + ln count) * idf``. The :data:`MAX_TERMS` best terms are kept (terms only this article
holds are left out: they find nothing else). A candidate's text score is the weighted sum
of those terms' BM25F scores in it (the scores a search for each word would give), and it
must share at least :data:`MIN_SHARED_TERMS` of them, and the article's near-duplicates
(:meth:`searchkit.Index.duplicates`: reprints of its text) are left out. Then, by ``mode``:

``"coverage"``
    other outlets' reports of the same story first. Coverage of one story appears within
    days, so the score is multiplied by a date proximity ``0.5 + 0.5 * 0.5 ** (d /
    COVERAGE_HALF_LIFE_DAYS)`` for articles ``d`` days apart (:data:`UNDATED_FACTOR` when
    either has no date), and by :data:`SAME_SOURCE_FACTOR` for the article's own outlet.
``"background"``
    earlier articles that give context: only articles dated before the article's day, by
    text score alone. An undated article has no "before": every article is a candidate and
    the results carry a warning saying so.

On the AllSides roundups (``python -m benchmarks.news.related``) coverage reaches recall@2
0.840 (TF-IDF cosine 0.627, Elasticsearch's more_like_this 0.405); with no article dated, text
and outlet alone give 0.665. The README has the table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..analysis import iter_tokens
from ..arguments import check_search_arguments
from ..errors import ArticleNotFoundError, QueryArgumentTypeError, QueryError
from ..models import SearchResults
from ..query import MatchAll
from .collapse import duplicate_groups
from .execute import Executor, Leaf, Matches, Ranking
from .search import SearchRequest, run_search
from .segment import MISSING_DAY
from .snapshot import LoadedSegment, Snapshot

__all__ = [
    "COVERAGE_HALF_LIFE_DAYS",
    "HEADLINE_WEIGHT",
    "MAX_TERMS",
    "MIN_SHARED_TERMS",
    "SAME_SOURCE_FACTOR",
    "UNDATED_FACTOR",
    "RelatedMode",
    "LikeTerms",
    "find_related",
    "like_terms",
    "RelatedScorer",
]

RelatedMode = Literal["coverage", "background"]
RELATED_MODES: tuple[RelatedMode, ...] = ("coverage", "background")
Array = np.ndarray[Any, Any]

HEADLINE_WEIGHT = 3.0
MAX_TERMS = 60
MIN_SHARED_TERMS = 2
COVERAGE_HALF_LIFE_DAYS = 2.0
UNDATED_FACTOR = 0.75
SAME_SOURCE_FACTOR = 0.5
QUERY_WORDS = 8  # the results' ``query``: the article's words with the most weight


class LikeTerms:
    """The weighted terms an article is matched on, best first: per term its weight and its
    leaf (:meth:`Executor.term_leaf`), and a word of the article's own text for each
    (``words``: what the results show as their query)."""

    def __init__(self, terms: list[tuple[str, float, Leaf]], words: dict[str, str]):
        self.terms = terms
        self.words = [words[term] for term, _, _ in terms]


def like_terms(executor: Executor, stored: dict[str, Any], *, max_terms: int = MAX_TERMS) -> LikeTerms:
    """The terms of a stored article to find its related articles with (module docstring)."""
    counts: dict[str, float] = {}
    words: dict[str, str] = {}
    texts = [(stored.get("headline", ""), HEADLINE_WEIGHT), (stored.get("body", ""), 1.0)]
    texts += [(line, 1.0) for line in stored.get("background", [])]
    for text, weight in texts:
        for token in iter_tokens(text):
            for term in token.terms:
                counts[term] = counts.get(term, 0.0) + weight
                words.setdefault(term, text[token.start:token.end])
    weighted = []
    for term, count in counts.items():
        executor.check_time()
        leaf = executor.term_leaf(term)
        if leaf.df >= 2:  # a term only this article holds finds nothing else
            weighted.append((term, (1.0 + math.log(count)) * leaf.idf, leaf))
    weighted.sort(key=lambda item: (-item[1], item[0]))
    return LikeTerms(weighted[:max_terms], words)


def _text_scores(executor: Executor, terms: LikeTerms) -> list[tuple[Array, Array]]:
    """Per segment, dense arrays: the weighted text score and how many terms each document shares."""
    segments = executor.snapshot.segments
    scores = [np.zeros(loaded.reader.doc_count) for loaded in segments]
    shared = [np.zeros(loaded.reader.doc_count, dtype=np.int32) for loaded in segments]
    for _, weight, leaf in terms.terms:
        for number, (docs, term_scores) in enumerate(executor.leaf_scores(leaf)):
            scores[number][docs] += weight * term_scores
            shared[number][docs] += 1
    return list(zip(scores, shared))


def _proximity(days: Array, day: int) -> Array:
    """The coverage factor of each day number as seen from ``day`` (module docstring)."""
    apart = np.abs(days.astype(np.float64) - day)
    factors = 0.5 + 0.5 * np.power(0.5, apart / COVERAGE_HALF_LIFE_DAYS)
    undated = (days == MISSING_DAY) | (day == MISSING_DAY)
    result: Array = np.where(undated, UNDATED_FACTOR, factors)
    return result


class RelatedScorer:
    """A scorer for :func:`~searchkit.engine.search.run_search` that finds and scores the
    articles related to ``article`` (its segment and document number) in ``mode``; the
    article itself is never among them. ``terms`` holds the article's terms once it ran."""

    def __init__(self, snapshot: Snapshot, article: tuple[LoadedSegment, int], mode: RelatedMode):
        self.snapshot = snapshot
        self.home, self.home_doc = article
        self.mode = mode
        self.terms = LikeTerms([], {})

    def __call__(self, executor: Executor) -> list[Matches]:
        home, home_doc, mode = self.home, self.home_doc, self.mode
        day = int(home.reader.day[home_doc])
        outlet = int(home.global_source[home_doc])
        self.terms = like_terms(executor, home.reader.stored(home_doc))
        executor.highlight_terms.update(term for term, _, _ in self.terms.terms)
        groups = duplicate_groups(self.snapshot)
        home_number = next(int(groups.base[n]) for n, each in enumerate(self.snapshot.segments) if each is home)
        copies = groups.others(home_number + home_doc)  # its near-duplicates: not other coverage
        found = []
        for number, (loaded, (scores, shared)) in enumerate(zip(self.snapshot.segments,
                                                               _text_scores(executor, self.terms))):
            keep = shared >= MIN_SHARED_TERMS
            if loaded is home:
                keep[home_doc] = False
            local = copies - int(groups.base[number])
            keep[local[(local >= 0) & (local < keep.size)]] = False
            days = loaded.reader.day
            if mode == "background" and day != MISSING_DAY:
                keep &= (days != MISSING_DAY) & (days < day)
            docs = np.flatnonzero(keep).astype(np.int64)
            values = scores[docs]
            if mode == "coverage":
                values = values * _proximity(days[docs], day)
                if outlet >= 0:
                    values = np.where(loaded.global_source[docs] == outlet, values * SAME_SOURCE_FACTOR, values)
            found.append(Matches(docs, values))
        return found


def find_related(snapshot: Snapshot, ranking: Ranking, path: Path, article_id: str, *, mode: RelatedMode = "coverage",
                 limit: int = 10, sources: Sequence[str] | str | None = None, since: date | str | None = None,
                 until: date | str | None = None, time_limit: float | None = 10.0) -> SearchResults:
    """:meth:`searchkit.Index.related` on one snapshot (``path`` names the index in errors)."""
    started = time.perf_counter()
    if not isinstance(article_id, str):
        raise QueryArgumentTypeError(f"article_id must be a string (an article's id), not {type(article_id).__name__} "
                                     f"{article_id!r}")
    if mode not in RELATED_MODES:
        raise QueryError(f"mode must be one of {', '.join(map(repr, RELATED_MODES))}, not {mode!r}")
    checked = check_search_arguments(
        query="", sources=sources, since=since, until=until, sort="relevance", limit=limit, page=1, cursor=None,
        date_interval="auto", mode="auto", strict=False, snippets=True, facets=False, source_facet_limit=None,
        snippet_chars=240, suggest_spelling=False, time_limit=time_limit, feedback=False,
    )
    article = snapshot.locate(article_id)
    if article is None:
        raise ArticleNotFoundError(article_id, path)
    loaded, docnum = article
    scorer = RelatedScorer(snapshot, article, mode)
    request = SearchRequest(query=MatchAll(), sources=checked.sources, since=checked.since, until=checked.until,
                            limit=checked.limit, facets=False, time_limit=time_limit)
    outcome = run_search(snapshot, request, ranking, scorer=scorer)
    warnings = list(outcome.notes)
    if mode == "background" and loaded.reader.day[docnum] == MISSING_DAY:
        warnings.append(f"the article {article_id!r} has no date, so nothing is known to come before it: "
                        "background ranks every article by its text alone")
    return SearchResults(
        query=" ".join(scorer.terms.words[:QUERY_WORDS]), total=outcome.total, hits=outcome.hits, facets=outcome.facets,
        took_ms=round((time.perf_counter() - started) * 1000, 3), limit=checked.limit, warnings=warnings,
    )
