"""The AllSides article-bias corpus (3,094 articles): facet counts checked against the raw JSON.

The expected counts are computed here straight from the JSON files, never through
searchkit's analysis: filter-only queries compare with the raw ``source`` and ``date``
values, and the phrase query with a regular expression over the raw title and body, for
a phrase whose words have no inflections that the stemmer could fold in ("North Korea").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import shared_path

from searchkit import Index, SearchResults, read_articles

pytestmark = pytest.mark.slow

Record = dict[str, Any]
NORTH_KOREA = re.compile(r"\bnorth\W+korea\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def folder() -> Path:
    return shared_path("data", "allsides-article-bias", "jsons")


@pytest.fixture(scope="module")
def records(folder: Path) -> list[Record]:
    return [orjson.loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))]


@pytest.fixture(scope="module")
def index(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("allsides") / "index")
    report = index.add_many(read_articles(folder))
    assert (report.added, report.replaced, report.unchanged, report.rejected) == (3094, 0, 0, [])
    return index


def day(record: Record) -> date | None:
    return date.fromisoformat(record["date"]) if record["date"] else None


def expected_sources(records: Iterable[Record]) -> list[tuple[str, int]]:
    counts = Counter(record["source"] for record in records)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0].casefold()))


def expected_months(records: Iterable[Record]) -> list[tuple[str, int]]:
    """Records per month, from the first month to the last, empty months as zero."""
    counts = Counter((d.year, d.month) for d in map(day, records) if d is not None)
    (year, month), last = min(counts), max(counts)
    months = []
    while (year, month) <= last:
        months.append((date(year, month, 1).isoformat(), counts[year, month]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def facets(
    results: SearchResults,
) -> tuple[list[tuple[str | None, int]], list[tuple[str | None, int]], int, int]:
    return (
        [(v.value, v.count) for v in results.facets.source],
        [(v.value, v.count) for v in results.facets.date],
        results.facets.missing_source,
        results.facets.missing_date,
    )


def where(records: list[Record], keep: Callable[[Record], bool]) -> list[Record]:
    return [record for record in records if keep(record)]


def test_the_corpus_is_what_the_counts_assume(records: list[Record]) -> None:
    assert len(records) == 3094
    assert all(record["source"] and record["title"] and record["content_original"] for record in records)
    assert Counter(bool(record["date"]) for record in records) == {True: 2598, False: 496}


def test_everything(index: Index, records: list[Record]) -> None:
    results = index.search("*", source_facet_limit=None, date_interval="month")
    assert (results.total, len(index)) == (3094, 3094)
    assert facets(results) == (expected_sources(records), expected_months(records), 0, 496)


def test_one_source_in_a_date_range(index: Index, records: list[Record]) -> None:
    since, until = date(2017, 1, 1), date(2018, 6, 30)

    def in_range(record: Record) -> bool:
        d = day(record)
        return d is not None and since <= d <= until

    results = index.search(
        "*",
        sources=["fox online news"],
        since=since,
        until=until,
        source_facet_limit=None,
        date_interval="month",
    )
    chosen = where(records, lambda r: r["source"] == "Fox Online News" and in_range(r))
    assert results.total == len(chosen) > 0
    # The source facet ignores the source filter; the date histogram ignores the date filter.
    assert facets(results) == (
        expected_sources(where(records, in_range)),
        expected_months(where(records, lambda r: r["source"] == "Fox Online News")),
        0,
        sum(1 for r in records if r["source"] == "Fox Online News" and not r["date"]),
    )


def mentions_north_korea(record: Record) -> bool:
    return bool(NORTH_KOREA.search(record["title"]) or NORTH_KOREA.search(record["content_original"]))


def test_a_phrase(index: Index, records: list[Record]) -> None:
    results = index.search(
        '"north korea"', source_facet_limit=None, date_interval="month", limit=1000, snippets=False
    )
    chosen = where(records, mentions_north_korea)
    assert results.total == len(chosen) > 100
    assert sorted(hit.id for hit in results.hits) == sorted(record["ID"] for record in chosen)
    assert facets(results) == (
        expected_sources(chosen),
        expected_months(chosen),
        0,
        sum(1 for record in chosen if not record["date"]),
    )


def test_a_phrase_in_a_date_range(index: Index, records: list[Record]) -> None:
    since, until = date(2017, 8, 1), date(2017, 12, 31)
    results = index.search('"north korea"', since=since, until=until, limit=1000, snippets=False)
    chosen = {
        r["ID"]: d for r in where(records, mentions_north_korea) if (d := day(r)) and since <= d <= until
    }
    assert sorted(hit.id for hit in results.hits) == sorted(chosen)
    newest = index.search('"north korea"', since=since, until=until, sort="newest", limit=5)
    assert [hit.date for hit in newest.hits] == sorted(chosen.values(), reverse=True)[:5]


def test_the_phrase_is_highlighted_as_written(index: Index) -> None:
    spellings: Counter[str] = Counter()
    for hit in index.search('"north korea"', limit=100).hits:
        assert hit.snippets
        for snippet in hit.snippets:
            assert snippet.highlights
            for start, end in snippet.highlights:
                # A highlight covers whole raw words: "North Korea’s", "Trump-North Korea".
                marked = snippet.text[start:end]
                assert NORTH_KOREA.search(marked)
                spellings[marked] += 1
    assert spellings["North Korea"] > 50
