"""The HTTP API over an OpenSearch-backed index: the same requests give the same answers as
over the embedded folder (a live 3-node cluster, see tests/opensearch_cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from news_fixtures import NEWS, make_index
from opensearch_backends import new_opensearch_index
from test_server import TOKEN, WRITE, Api, error

from searchkit.opensearch import OpenSearchIndex


@pytest.fixture
def cluster_index(opensearch_url: str) -> Iterator[OpenSearchIndex]:
    index = new_opensearch_index(opensearch_url, NEWS, name="server")
    try:
        yield index
    finally:
        index.drop()
        index.close()


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    # Timing differs; scores come from another engine's arithmetic (same order, checked by
    # ids); a cursor is the backend's own token (whether there is one must agree).
    # Stories are the folder's alone (hit story ids, the story facet): a cluster index has none.
    hits = [{**{k: v for k, v in hit.items() if k != "story_id"}, "score": None} for hit in data["hits"]]
    facets = {k: v for k, v in data["facets"].items() if k != "stories"}
    return {**data, "took_ms": None, "hits": hits, "facets": facets, "next_cursor": data["next_cursor"] is not None}


@pytest.mark.parametrize(
    "params",
    [
        {"q": "flood"},
        {"q": "river OR budget", "sort": "newest", "limit": "3"},
        {"q": "council", "sources": ["Valley Gazette"], "since": "2024-01-01"},
        {"q": "", "sort": "oldest", "date_interval": "year"},
    ],
)
def test_search_over_a_cluster_answers_as_over_a_folder(
    tmp_path: Path, cluster_index: OpenSearchIndex, params: dict[str, Any]
) -> None:
    folder = Api(make_index(tmp_path / "news"))
    cluster = Api(cluster_index)  # type: ignore[arg-type]
    expected = folder.get("/api/search", params=params)
    got = cluster.get("/api/search", params=params)
    assert (got.status_code, expected.status_code) == (200, 200)
    assert [hit["id"] for hit in got.json()["hits"]] == [hit["id"] for hit in expected.json()["hits"]]
    assert comparable(got.json()) == comparable(expected.json())


def test_writes_reads_and_errors_over_a_cluster(cluster_index: OpenSearchIndex) -> None:
    api = Api(cluster_index)  # type: ignore[arg-type]
    article = {"id": "harbor-lights", "headline": "Harbor lights switched on", "body": "The harbor glows.",
               "source": "Harbor Daily", "date": "2024-12-01"}
    added = api.request("POST", "/api/articles", content=b"[" + orjson.dumps(article) + b"]",
                        headers={**WRITE, "Content-Type": "application/json"})
    assert added.status_code == 200
    assert (added.json()["added"], added.json()["rejected"]) == (1, [])
    cluster_index.refresh()
    assert api.get("/api/articles/harbor-lights").json()["headline"] == "Harbor lights switched on"
    assert [hit["id"] for hit in api.get("/api/search", params={"q": "glows"}).json()["hits"]] == ["harbor-lights"]
    assert api.request("DELETE", "/api/articles/harbor-lights", headers=WRITE).status_code == 200
    cluster_index.refresh()
    missing = api.get("/api/articles/harbor-lights")
    assert missing.status_code == 404
    refused = api.get("/api/search", params={"q": "flood", "explain": "true"})
    assert refused.status_code == 400
    assert "explain" in error(refused)["message"]
    assert TOKEN not in refused.text
