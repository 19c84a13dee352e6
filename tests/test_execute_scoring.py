"""Lazy scoring (:mod:`searchkit.engine.execute`) against the exhaustive reference, on the BBC corpus.

A search matches documents first and scores only those that need a score: an AND its
intersection, a NOT clause nothing, a search the hits left after deletions and its source
and date filters. ``SEARCHKIT_EXHAUSTIVE=1`` makes every clause score all its matches, as
searchkit did before; both must give the same hits in the same order with the same
floats (compared through ``explain``, whose root is the unrounded score), the same totals,
facets and cursors.

The index has three segments, deleted articles, and copies of articles under new ids
(ties in score), so ties, deletions and segment boundaries are exercised.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import shared_path

from searchkit import Article, Index, SearchResults, read_articles
from searchkit.engine.execute import Executor, Ranking
from searchkit.query import parse_query

pytestmark = pytest.mark.slow

OUTLETS = ("Alpha", "Beta", "Gamma")
QUERIES = ["government", "economy growth", "market AND shares AND rise", "chelsea OR arsenal OR film",
           "year -film", "(year OR month) AND NOT film", '"prime minister"', 'blair AND "prime minister"',
           "minister AND (election OR vote)", "film AND source:alpha", "econom*", "goverment~",
           "econom* AND rise", "minist* AND blair", "goverment~ AND (tax OR spending)"]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"page": 2},
    {"page": 3, "limit": 7},
    {"sources": ["alpha", "Gamma"]},
    {"since": date(2004, 6, 1), "until": date(2004, 12, 31)},
    {"sources": ["beta"], "since": date(2004, 3, 1), "page": 2},
    {"sort": "newest"},
    {"sort": "oldest", "page": 2},
    {"recency": "30d"},
    {"diversify": "source"},
    {"feedback": True},
    {"collapse": "duplicates"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    folder = shared_path("data", "bbc-news")
    by_id = {article.id: article for article in read_articles(folder)}
    texts = list(by_id.values())
    # Outlets, dates (a few undated) and, for every fifth article, a background line (a third
    # field for a word to be in): the files have none of these.
    articles = [article.model_copy(update={
        "source": OUTLETS[n % 3],
        "date": None if n % 13 == 0 else date(2004, 1, 1) + timedelta(days=n % 365),
        "background": [texts[n - 1].headline, texts[n - 1].body[:300]] if n % 5 == 0 else []})
        for n, article in enumerate(texts)]
    index = Index.create(tmp_path_factory.mktemp("bbc") / "index", workers=1)
    index.add_many(articles[:1200])
    index.add_many(articles[1200:])  # a second segment
    twins = [article.model_copy(update={"id": f"twin-{n:02d}-{article.id}"}) for n, article in enumerate(articles[:80])]
    index.add_many(twins)  # a third: the same texts, so the same scores
    assert index.delete([article.id for article in articles[50:900:4]]) == 213
    return index


def outcome(index: Index, query: str, **options: Any) -> tuple[Any, ...]:
    explain = not options.get("feedback")  # explain does not take feedback: its scores are compared rounded
    results: SearchResults = index.search(query, explain=explain, snippets=False, suggest_spelling=False, **options)
    for hit in results.hits:
        assert not explain or hit.explanation is not None and round(hit.explanation.value, 6) == hit.score
    return (results.total, [(hit.id, hit.score, hit.explanation.value if hit.explanation else None) for hit in results.hits],
            results.facets.model_dump(), results.next_cursor, results.more_from)


@pytest.mark.parametrize("query", QUERIES)
def test_lazy_scoring_gives_the_exhaustive_results(index: Index, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lazy = [outcome(index, query, **options) for options in OPTIONS]
    monkeypatch.setenv("SEARCHKIT_EXHAUSTIVE", "1")
    exhaustive = [outcome(index, query, **options) for options in OPTIONS]
    for options, got, expected in zip(OPTIONS, lazy, exhaustive):
        assert got == expected, options
    assert lazy[0][0] > 10 or query in ("blair AND \"prime minister\"",)


@pytest.mark.parametrize("query", QUERIES[:6])
def test_cursor_walks_agree(index: Index, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def walk() -> list[tuple[str, float | None]]:
        found: list[tuple[str, float | None]] = []
        cursor: str | None = None
        while True:
            results = index.search(query, limit=41, cursor=cursor, explain=True, snippets=False, sources=["alpha", "beta"])
            found += [(hit.id, hit.explanation.value if hit.explanation else None) for hit in results.hits]
            cursor = results.next_cursor
            if cursor is None:
                return found

    lazy = walk()
    monkeypatch.setenv("SEARCHKIT_EXHAUSTIVE", "1")
    assert walk() == lazy
    assert len(lazy) == index.search(query, sources=["alpha", "beta"], limit=1).total


def test_an_and_is_scored_on_its_intersection_only(index: Index) -> None:
    """The matches come unscored; reading the scores of some gives exactly the floats of all."""
    snapshot = index._snapshot  # the engine's view, to see when scores are computed
    assert snapshot is not None
    tree = parse_query("market AND shares AND rise").query
    found = Executor(snapshot, Ranking()).run(tree)
    assert [m.docs.size for m in found] == [m.docs.size for m in Executor(snapshot, Ranking()).run(tree)]
    assert sum(m.docs.size for m in found) > 20 and not any(m.scored for m in found)
    whole = [m.scores.copy() for m in Executor(snapshot, Ranking()).run(tree)]
    for m, scores in zip(found, whole):
        some = m.take(np.arange(m.docs.size) % 3 == 0)
        assert not some.scored
        assert some.scores.tobytes() == scores[::3].tobytes()


def test_an_index_written_before_keeps_its_scores(index: Index, tmp_path: Path) -> None:
    """The lazy path reads nothing new from segments: a copy opened afresh scores alike."""
    expected = outcome(index, "economy growth", sources=["alpha"])
    assert outcome(Index.open(index.path), "economy growth", sources=["alpha"]) == expected


@pytest.mark.parametrize("query", QUERIES)
def test_scores_are_the_same_floats_as_exhaustive_ones(index: Index, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every match's score, and those of every third match read alone, byte for byte."""
    snapshot = index._snapshot
    assert snapshot is not None
    tree = parse_query(query).query
    lazy = Executor(snapshot, Ranking()).run(tree)
    some = [m.take(np.arange(m.docs.size) % 3 == 1) for m in Executor(snapshot, Ranking()).run(tree)]
    monkeypatch.setenv("SEARCHKIT_EXHAUSTIVE", "1")
    exhaustive = Executor(snapshot, Ranking()).run(tree)
    assert all(m.scored for m in exhaustive) and sum(m.docs.size for m in exhaustive) > 0
    for got, part, expected in zip(lazy, some, exhaustive):
        assert got.docs.tobytes() == expected.docs.tobytes()
        assert got.scores.tobytes() == expected.scores.tobytes()
        assert part.scores.tobytes() == expected.scores[1::3].tobytes()
