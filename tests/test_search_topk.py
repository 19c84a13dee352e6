"""Top-k shortcuts of a search, checked on the BBC corpus (2,225 files) against paths that take none.

A first page in relevance order dates and orders only the matches that score at least the
page's last score (:func:`searchkit.engine.search._page`); a walk with a cursor, and a page
as large as the whole result, never take that shortcut, so the hits of numbered pages must be
exactly theirs. AND, NOT and phrases find their documents by binary searches in posting lists
(:mod:`searchkit.engine.execute`); their documents are checked against sets made from
single-word searches and, for phrases, against the articles' own terms
(:func:`searchkit.analysis.field_terms`), their scores against the sum of the words' scores.

The files get outlets and dates here (they have none). The index has two segments, deleted articles in the first and articles whose text repeats
others' word for word (ties in score), so the order of ties and deletions is exercised.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import shared_path

from searchkit import Article, Index, SearchResults, read_articles
from searchkit.analysis import field_terms, phrase_terms
from searchkit.engine.segment import field_texts

pytestmark = pytest.mark.slow

OUTLETS = ("Alpha", "Beta", "Gamma")
QUERIES = ["said", "government", "film", "economy growth", "chelsea OR arsenal", "year -film",
           '"prime minister"', '"the company"', "market AND shares AND rise"]


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    folder = shared_path("data", "bbc-news")
    by_id = {article.id: article for article in read_articles(folder)}  # a repeated file replaces the first
    # The files have no outlet or date: give them some (a few undated), so filters and date orders have work.
    return [article.model_copy(update={"source": OUTLETS[n % 3],
                                       "date": None if n % 11 == 0 else date(2004, 1, 1) + timedelta(days=n % 400)})
            for n, article in enumerate(by_id.values())]


@pytest.fixture(scope="module")
def index(articles: list[Article], tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("bbc") / "index", workers=1)
    index.add_many(articles)
    # Copies of 60 articles under new ids, undated or dated alike: their scores tie the originals'.
    twins = [article.model_copy(update={"id": f"twin-{n:02d}-{article.id}", "date": None if n % 2 else article.date})
             for n, article in enumerate(articles[:60])]
    index.add_many(twins)  # a second segment
    assert index.delete([article.id for article in articles[100:400:3]]) == 100
    return index


def hits(results: SearchResults) -> list[tuple[str, float]]:
    return [(hit.id, hit.score) for hit in results.hits]


def walk(index: Index, query: str, **options: object) -> list[tuple[str, float]]:
    """Every hit in order, page after page with a cursor (the path without the shortcut)."""
    found: list[tuple[str, float]] = []
    cursor: str | None = None
    while True:
        results = index.search(query, limit=97, cursor=cursor, **options)  # type: ignore[arg-type]
        found.extend(hits(results))
        cursor = results.next_cursor
        if cursor is None:
            return found


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("options", [{}, {"sources": ["alpha", "Gamma"]}, {"since": date(2004, 6, 1)}])
def test_numbered_pages_are_slices_of_the_full_order(index: Index, query: str, options: dict[str, object]) -> None:
    everything = walk(index, query, **options)
    total = index.search(query, limit=1, **options).total  # type: ignore[arg-type]
    assert len(everything) == len({i for i, _ in everything}) == total > 10
    if total <= 1000:
        assert hits(index.search(query, limit=1000, **options)) == everything  # type: ignore[arg-type]
    for limit, page in ((10, 1), (10, 2), (7, 5), (1, 1), (3, 11), (50, 2)):
        results = index.search(query, limit=limit, page=page, **options)  # type: ignore[arg-type]
        assert hits(results) == everything[(page - 1) * limit:page * limit], (limit, page)
    first = index.search(query, limit=10, **options)  # type: ignore[arg-type]
    assert first.next_cursor is not None
    assert hits(index.search(query, limit=10, cursor=first.next_cursor, **options)) == everything[10:20]  # type: ignore[arg-type]


def test_ties_at_the_page_boundary_are_ordered_by_date_then_id(index: Index) -> None:
    everything = walk(index, "said")
    twins = [(i, s) for i, s in everything if i.startswith("twin-")]
    assert len(twins) > 20
    tied = 0
    for twin, score in twins:
        original = twin.split("-", 2)[2]
        # Each twin ties its original (when that is live and matches): both sit side by side.
        positions = {i: n for n, (i, _) in enumerate(everything)}
        if original in positions:
            tied += 1
            assert dict(everything)[original] == score
    assert tied > 15
    for page in range(1, 40):
        assert hits(index.search("said", limit=5, page=page)) == everything[(page - 1) * 5:page * 5]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_orders_are_unchanged(index: Index, sort: str) -> None:
    everything = walk(index, "government", sort=sort)
    for limit, page in ((10, 1), (10, 3), (25, 2)):
        results = index.search("government", limit=limit, page=page, sort=sort)  # type: ignore[arg-type]
        assert hits(results) == everything[(page - 1) * limit:page * limit]


def ids_of(index: Index, query: str) -> dict[str, float]:
    return dict(walk(index, query))


@pytest.mark.parametrize(("words", "operator"), [(("market", "shares", "rise"), "AND"), (("economy", "growth"), "AND"),
                                                   (("year", "film"), "NOT")])
def test_and_and_not_take_the_documents_and_scores_of_their_words(index: Index, words: tuple[str, ...], operator: str) -> None:
    single = [ids_of(index, word) for word in words]
    if operator == "AND":
        found = ids_of(index, " AND ".join(words))
        expected = set(single[0]).intersection(*single[1:])
        assert set(found) == expected and len(expected) > 10
        for article_id, score in found.items():
            assert score == pytest.approx(sum(s[article_id] for s in single), abs=2e-6)
    else:
        found = ids_of(index, f"{words[0]} -{words[1]}")
        assert set(found) == set(single[0]) - set(single[1])
        assert all(found[i] == single[0][i] for i in found)


@pytest.mark.parametrize("phrase", ["prime minister", "the company", "said that the", "in the uk", "duran duran"])
def test_phrases_match_the_articles_own_terms(index: Index, phrase: str) -> None:
    wanted = phrase_terms(phrase)
    expected = set()
    for article in index.articles():
        for text in field_texts(article):
            terms, positions, _ = field_terms(text)
            at = {(term, position) for term, position in zip(terms, positions)}
            starts = [p - wanted[0][1] for t, p in zip(terms, positions) if t == wanted[0][0]]
            if any(all((t, start + offset) in at for t, offset in wanted) for start in starts):
                expected.add(article.id)
                break
    found = ids_of(index, f'"{phrase}"')
    assert set(found) == expected
    assert len(expected) > (2 if phrase == "duran duran" else 10)
