"""search(facets=...): every facet (True), none (False), or some by name, on the AllSides corpus.

Asking for some facets counts those exactly as ``facets=True`` does and leaves the others
empty (the story count None); the source facet is checked against the raw JSON.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from conftest import shared_path

from searchkit import Facets, Index, read_articles
from searchkit.errors import QueryArgumentTypeError, QueryError, SearchkitError

pytestmark = pytest.mark.slow

QUERIES = ["", "north korea", '"white house"', "tax OR budget", "election AND senate"]


@pytest.fixture(scope="module")
def folder() -> Path:
    return shared_path("data", "allsides-article-bias", "jsons")


@pytest.fixture(scope="module")
def index(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("allsides") / "index")
    assert index.add_many(read_articles(folder)).added == 3094
    return index


@pytest.mark.parametrize("query", QUERIES)
def test_the_facets_asked_for_are_those_of_every_facet(index: Index, query: str) -> None:
    options = {"date_interval": "month", "source_facet_limit": None}
    whole = index.search(query, **options)
    assert whole.facets.stories is not None and whole.facets.source and whole.facets.date
    some = index.search(query, facets=("source", "date"), **options)
    assert some.facets == whole.facets.model_copy(update={"stories": None})
    assert (some.total, [(h.id, h.score, h.snippets) for h in some.hits]) == \
        (whole.total, [(h.id, h.score, h.snippets) for h in whole.hits])
    stories = index.search(query, facets=["stories"], **options).facets
    assert stories == Facets(stories=whole.facets.stories)
    only_date = index.search(query, facets="date", **options).facets
    assert (only_date.source, only_date.missing_source, only_date.date, only_date.stories) == \
        ([], 0, whole.facets.date, None)
    assert index.search(query, facets=("source", "date", "stories"), **options).facets == whole.facets
    assert index.search(query, facets=(), **options).facets == index.search(query, facets=False).facets == Facets()


def test_source_facet_from_the_raw_json(index: Index, folder: Path) -> None:
    counts = Counter(orjson.loads(path.read_bytes())["source"] for path in folder.glob("*.json"))
    expected = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0].casefold()))
    facets = index.search("", facets=("source",), source_facet_limit=None).facets
    assert [(value.value, value.count) for value in facets.source] == expected
    assert (sum(counts.values()), facets.date, facets.stories) == (3094, [], None)


@pytest.mark.parametrize(("facets", "error", "message"), [
    (("source", "dates"), QueryError, "unknown facet 'dates' in facets=('source', 'dates'); facets must be True "
                                      "(every facet), False (none), or a list of facet names from 'source', 'date', 'stories'"),
    ("story", QueryError, "unknown facet 'story'"),
    (1, QueryArgumentTypeError, "facets=1 (int) is not accepted; facets must be True (every facet)"),
    ((None,), QueryArgumentTypeError, "facets=(None,) (tuple) is not accepted"),
    ({"source": True}, QueryArgumentTypeError, "facets={'source': True} (dict) is not accepted"),
])
def test_wrong_facets_are_refused_before_searching(index: Index, facets: object, error: type[SearchkitError],
                                                   message: str) -> None:
    with pytest.raises(error) as caught:
        index.search("tax", facets=facets)  # type: ignore[arg-type]
    assert isinstance(caught.value, SearchkitError)
    assert str(caught.value).startswith(message)
