"""An OpenSearch index holds exactly searchkit's terms and positions (live cluster).

searchkit analyzes and OpenSearch indexes (searchkit/opensearch/mapping.py): these tests
read the terms back from the cluster's index analyzer (``_analyze``) and
compare them with :func:`searchkit.analysis.field_terms`, on the hand-written articles, on
hard cases and on real news paragraphs. They also check the built-in-filter reproduction
(``searchkit_text``) and that each difference it lists really holds.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from conftest import shared_path
from news_fixtures import NEWS
from opensearch_backends import new_opensearch_index

from searchkit import Article
from searchkit.analysis import field_terms
from searchkit.opensearch import OpenSearchIndex
from searchkit.opensearch.mapping import term_slots

pytestmark = pytest.mark.slow

HARD_CASES = [
    "Residents of Novo-Karsk carried furniture", "Flooding forces 7,400 people from their homes",
    "Mayor José Ferreira's office, O'Brien and the U.S. army", "end.Next 1.5 percent state-of-the-art Núñez straße",
    "covid-19 1990s 12,345,678 dollars; e.g. this", "foo_bar don't it's rock'n'roll", "Jean-Luc's U.S.-backed don’t",
    "the international emergency added to the universal organisation's past", "of-course the-end",
    unicodedata.normalize("NFD", "Núñez said"), "1,234abc,5 end.a.b 1.5-2 people a _ b 3,000-strong Ⅻ",
    "The the THE a an", "",
]


@pytest.fixture(scope="module")
def index(opensearch_url: str) -> Iterator[OpenSearchIndex]:
    made = new_opensearch_index(opensearch_url, NEWS, name="analysis")
    yield made
    made.drop()
    made.close()


def searchkit_terms(text: str) -> list[tuple[str, int]]:
    terms, positions, _ = field_terms(text)
    return sorted(zip(terms, positions))


def cluster_terms(index: OpenSearchIndex, analyzer: str, text: str) -> list[tuple[str, int]]:
    client = index._client
    name = index.url.rsplit("/", 1)[1]
    answer = client.indices.analyze(index=name, body={"analyzer": analyzer, "text": text})
    return sorted((token["token"], token["position"]) for token in answer["tokens"])


def texts_of(article: Article) -> list[str]:
    return [article.headline, article.body, "\n".join(article.background)]


@pytest.mark.parametrize("text", [t for a in NEWS for t in texts_of(a)] + HARD_CASES)
def test_the_index_analyzer_gives_searchkits_terms_and_positions(index: OpenSearchIndex, text: str) -> None:
    assert cluster_terms(index, "searchkit_terms_index", term_slots(text)) == searchkit_terms(text)


@pytest.mark.parametrize("text", [t for a in NEWS for t in texts_of(a)] + HARD_CASES[:5])
def test_the_builtin_reproduction_agrees_on_usual_text(index: OpenSearchIndex, text: str) -> None:
    assert cluster_terms(index, "searchkit_text", text) == searchkit_terms(text)


@pytest.mark.parametrize(
    ("text", "builtin"),
    [
        ("international", [("intern", 0)]),  # searchkit: internat (a newer Snowball)
        ("added", [("ad", 0)]),  # searchkit: add
        # Decomposed accents: one token, kept decomposed (searchkit: nu, n, ez).
        (unicodedata.normalize("NFD", "Núñez"), [(unicodedata.normalize("NFD", "núñez"), 0)]),
        ("3,000-strong", [("3000", 0), ("3000strong", 0), ("strong", 1)]),  # searchkit: 3, 000, strong
        ("end.a.b", [("ab", 1), ("end", 0)]),  # searchkit: end, b
        ("Ⅻ", [("ⅻ", 0)]),  # searchkit: xii
    ],
)
def test_each_listed_difference_of_the_builtin_reproduction_holds(index: OpenSearchIndex, text: str,
                                                                  builtin: list[tuple[str, int]]) -> None:
    assert cluster_terms(index, "searchkit_text", text) == builtin != searchkit_terms(text)


def test_real_news_paragraphs(index: OpenSearchIndex) -> None:
    folder = shared_path("data", "bbc-news")
    paragraphs = []
    for path in sorted(folder.glob("*/*.txt"))[:: 40]:
        text = path.read_text(encoding="utf-8", errors="replace")
        paragraphs.extend(p for p in text.split("\n\n") if p.strip())
    assert len(paragraphs) > 200
    builtin_differs = 0
    for paragraph in paragraphs:
        expected = searchkit_terms(paragraph)
        assert cluster_terms(index, "searchkit_terms_index", term_slots(paragraph)) == expected
        builtin_differs += cluster_terms(index, "searchkit_text", paragraph) != expected
    # Why searchkit analyzes for the cluster: the built-in filters change many paragraphs.
    assert builtin_differs > len(paragraphs) // 50
