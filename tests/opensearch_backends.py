"""Indexes of either backend for the conformance tests: the embedded folder or a live cluster.

:func:`backend_factory` gives a function that makes a new index of one backend holding
the given articles; OpenSearch indexes get 3 shards and 1 replica, so the shards really
spread over the 3 nodes, and are dropped when the factory's fixture ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator

import pytest
from news_fixtures import NEWS, make_index

from searchkit import Article
from searchkit.opensearch import OpenSearchIndex
from searchkit.protocol import SearchIndex

BACKENDS = ("embedded", "opensearch")
Factory = Callable[..., SearchIndex]


def new_opensearch_index(base_url: str, articles: Iterable[Article] = (), *, name: str = "test") -> OpenSearchIndex:
    index = OpenSearchIndex.create(f"{base_url}/sk-{name}-{uuid.uuid4().hex[:10]}", shards=3, replicas=1)
    index.add_many(articles)
    return index


def temporary_index(base_url: str, articles: Iterable[Article] = (), *, name: str = "test") -> Iterator[OpenSearchIndex]:
    """A fixture's body: yield a new index holding ``articles``, drop it afterwards."""
    made = new_opensearch_index(base_url, articles, name=name)
    yield made
    made.drop()
    made.close()


def backend_factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    backend: str) -> Iterator[Factory]:
    """Yield ``make(articles=NEWS)`` for ``backend``; drops the cluster indexes it made afterwards."""
    if backend == "embedded":
        def make_embedded(articles: Iterable[Article] = NEWS) -> SearchIndex:
            return make_index(tmp_path_factory.mktemp("index") / "index", articles)

        yield make_embedded
        return
    base_url = request.getfixturevalue("opensearch_url")
    made: list[OpenSearchIndex] = []

    def make_cluster(articles: Iterable[Article] = NEWS) -> SearchIndex:
        index = new_opensearch_index(base_url, articles, name="conformance")
        made.append(index)
        return index

    try:
        yield make_cluster
    finally:
        for index in made:
            index.drop()
            index.close()
