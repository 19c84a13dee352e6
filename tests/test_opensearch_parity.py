"""The two backends on real news: the same totals and source facets for a fixed mix of queries.

The 3,094 AllSides articles (../shared/data) go into an embedded index and into an
OpenSearch index (3 shards, 1 replica, the live 3-node cluster); a fixed mix of more than
100 queries (words, phrases, prefixes, fuzzy words, operators, modes, fields, filters) runs
on both. Both index searchkit's own terms, so every total, source facet, date histogram and
warning must be equal; the top hits mostly agree (the ranking formulas differ a little: see
searchkit/opensearch/mapping.py). Misspelt queries get the same "did you mean" on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path
from opensearch_backends import new_opensearch_index

from searchkit import Index, SearchResults, read_articles
from searchkit.opensearch import OpenSearchIndex

pytestmark = pytest.mark.slow

WORDS = [
    "iran", "nuclear", "sanctions", "syria", "refugees", "terrorism", "isis", "drone", "missile", "russia",
    "ukraine", "china", "trade", "tariffs", "military", "troops", "afghanistan", "taliban", "embassy", "hostage",
    "cyberattack", "hackers", "election", "intelligence", "pentagon", "diplomacy", "ceasefire", "airstrikes",
    "venezuela", "cuba", "immigration", "israel", "palestinians", "treaty", "nato", "putin", "obama", "trump",
]
PHRASES = ['"north korea"', '"nuclear deal"', '"white house"', '"islamic state"', '"united nations"',
           '"secretary of state"', '"human rights"', '"chemical weapons"', '"national security"', '"kim jong un"']
COMBINED = [
    "iran nuclear deal", "syria chemical weapons", "north korea missile test", "russia sanctions ukraine",
    "trump putin summit", "isis OR taliban", "nuclear -iran", "military AND (syria OR iraq)", "+drone strike",
    "sanction*", "terror*", "negotiat*", "missle~", "sanctoins~", "korea~1", "headline:iran", "title:(russia OR china)",
    "body:\"prime minister\"", "u.s.-led coalition", "anti-american", "9/11 attacks", "al-qaeda", "al qaeda",
    "what did the president say about the nuclear agreement with iran", "the",
    'date:2017 "north korea"', "date:[2015-01-01 TO 2015-12-31] iran", "*",
]


def queries() -> list[tuple[str, dict[str, Any]]]:
    mix: list[tuple[str, dict[str, Any]]] = [(q, {}) for q in WORDS + PHRASES + COMBINED]
    mix += [(f"{a} {b}", {"mode": "any"}) for a, b in zip(WORDS[::2], WORDS[1::2])]
    mix += [(word, {"since": date(2016, 1, 1), "until": date(2018, 6, 30)}) for word in WORDS[:12]]
    mix += [(word, {"sources": ["CNN (Web News)", "Fox Online News", "BBC News"]}) for word in WORDS[12:24]]
    return mix


@pytest.fixture(scope="module")
def folder() -> Path:
    return shared_path("data", "allsides-article-bias", "jsons")


@pytest.fixture(scope="module")
def embedded(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("allsides") / "index", refresh_interval=0)
    index.add_many(read_articles(folder))
    return index


@pytest.fixture(scope="module")
def cluster(folder: Path, opensearch_url: str) -> Iterator[OpenSearchIndex]:
    index = new_opensearch_index(opensearch_url, name="parity")
    report = index.add_many(read_articles(folder))
    assert (report.added, report.replaced, report.unchanged, report.rejected) == (3094, 0, 0, [])
    yield index
    index.drop()
    index.close()


def test_the_same_articles_and_stats(embedded: Index, cluster: OpenSearchIndex) -> None:
    assert len(cluster) == len(embedded) == 3094
    mine, theirs = embedded.stats(), cluster.stats()
    assert (theirs.sources, theirs.first_date, theirs.last_date, theirs.undated) == (
        mine.sources, mine.first_date, mine.last_date, mine.undated)


def facets(results: SearchResults) -> tuple[object, ...]:
    """The facets both backends have (``stories`` is None on a cluster, which has no stories)."""
    f = results.facets
    return f.source, f.date, f.date_interval, f.missing_source, f.missing_date


def test_totals_and_facets_are_equal_for_every_query(embedded: Index, cluster: OpenSearchIndex) -> None:
    mix = queries()
    assert len(mix) >= 100
    differences = []
    for query, options in mix:
        a = embedded.search(query, limit=10, **options)
        b = cluster.search(query, limit=10, **options)
        if (a.total, facets(a), a.warnings) != (b.total, facets(b), b.warnings):
            differences.append((query, options, a.total, b.total))
    assert differences == []


def test_the_top_hits_mostly_agree(embedded: Index, cluster: OpenSearchIndex) -> None:
    """The ranking formulas differ a little (one length normalization over the weighted fields
    rather than one per field; Lucene's one-byte lengths): measured on this mix, 0.93 of the
    top 10 are shared on average and the first hit is the same for 105 of 117 queries."""
    overlaps: list[float] = []
    same_first = 0
    for query, options in queries():
        a = embedded.search(query, limit=10, facets=False, snippets=False, **options)
        if a.total < 10:
            continue
        b = cluster.search(query, limit=10, facets=False, snippets=False, **options)
        overlaps.append(len({h.id for h in a.hits} & {h.id for h in b.hits}) / 10)
        same_first += a.hits[0].id == b.hits[0].id
    assert len(overlaps) >= 100
    assert sum(overlaps) / len(overlaps) >= 0.85
    assert same_first >= 0.8 * len(overlaps)


def misspelt() -> list[str]:
    """Three misspellings of each word of the mix (two middle letters swapped, one dropped, one
    changed to "e") and a few misspelt phrases of two or three words."""
    typos = []
    for word in WORDS:
        if len(word) >= 4:
            m = len(word) // 2
            typos += [word[:m - 1] + word[m] + word[m - 1] + word[m + 1:], word[:m] + word[m + 1:],
                      word[:m] + "e" + word[m + 1:]]
    return typos + ["north corea", "preisdent obama", "supreme cuort ruling", "climte change", "immigraton reform",
                    "gun contorl"]


def test_did_you_mean_is_the_same_on_both(embedded: Index, cluster: OpenSearchIndex) -> None:
    """Measured: the same total and the same suggestion for all 120 misspelt queries, 116 of
    which get one."""
    differences = []
    suggested = 0
    for query in misspelt():
        a = embedded.search(query, facets=False, snippets=False)
        b = cluster.search(query, facets=False, snippets=False)
        suggested += a.suggestion is not None
        if (a.total, a.suggestion) != (b.total, b.suggestion):
            differences.append((query, a.total, a.suggestion, b.total, b.suggestion))
    assert differences == []
    assert suggested >= 110
