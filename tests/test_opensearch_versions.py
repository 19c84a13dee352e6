"""Index versions on a live cluster: the name an index is given is an alias of a versioned
index; an index made by an earlier searchkit without an alias still opens; one made by an
incompatible searchkit is refused with the way to rebuild it, and ``OpenSearchIndex.rebuild``
copies it into a new index and swaps the name over in one step while searches go on."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from news_fixtures import NEWS

from searchkit import IndexExistsError, IndexVersionError, OpenSearchIndex
from searchkit.index import Progress
from searchkit.opensearch.mapping import field_repeats, index_body

pytestmark = pytest.mark.slow


@pytest.fixture
def client(opensearch_url: str) -> Iterator[Any]:
    from opensearchpy import OpenSearch

    made = OpenSearch([opensearch_url])
    yield made
    made.close()


@pytest.fixture
def name(client: Any) -> Iterator[str]:
    """A fresh index name; whatever is behind it is deleted afterwards."""
    fresh = f"sk-version-{uuid.uuid4().hex[:10]}"
    yield fresh
    if client.indices.exists(index=fresh):
        client.indices.delete(index=",".join(client.indices.get(index=fresh)))


def behind(client: Any, name: str) -> list[str]:
    """The concrete indexes the name stands for (itself when it is a plain index)."""
    return sorted(client.indices.get(index=name))


def test_create_names_an_alias_of_a_versioned_index(client: Any, opensearch_url: str, name: str) -> None:
    url = f"{opensearch_url}/{name}"
    index = OpenSearchIndex.create(url, shards=2, replicas=0)
    index.add_many(NEWS)
    [concrete] = behind(client, name)
    assert re.fullmatch(rf"{name}__v1_\d{{20}}", concrete)
    assert list(client.indices.get_alias(name=name)) == [concrete]
    settings = client.indices.get_settings(index=concrete)[concrete]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("2", "0")
    assert [hit.id for hit in OpenSearchIndex.open(url).search("flood", sort="oldest").hits] == [
        "river-rises", "flood-evacuation", "flood-insurance"]
    for taken in (url, f"{opensearch_url}/{concrete}"):
        with pytest.raises(IndexExistsError):
            OpenSearchIndex.create(taken)
    index.drop()
    assert not client.indices.exists(index=name) and not client.indices.exists(index=concrete)


def test_an_old_index_opens_and_one_of_another_version_is_rebuilt_while_it_serves(
    client: Any, opensearch_url: str, name: str
) -> None:
    url = f"{opensearch_url}/{name}"
    client.indices.create(index=name, body=index_body(shards=3, replicas=1))  # as searchkit made them before aliases
    old = OpenSearchIndex.open(url)
    old.add_many(NEWS)
    before = [hit.id for hit in old.search("river OR budget").hits]
    assert len(before) == 5
    client.indices.put_mapping(index=name, body={"_meta": {"searchkit_mapping_version": 0,
                                                           "field_repeats": dict(field_repeats())}})
    with pytest.raises(IndexVersionError) as refused:
        OpenSearchIndex.open(url)
    assert str(refused.value) == (
        f"{url} (index {name}) was made by searchkit mapping version 0; this searchkit reads version 1. Rebuild it "
        f"with this searchkit: searchkit reindex {url} {url} (or OpenSearchIndex.rebuild(url)) copies its articles "
        f"into a new index and points the name '{name}' at it in one step; searches keep working meanwhile")

    seen: list[tuple[int, list[str], int]] = []

    def while_copying(progress: Progress) -> None:  # searches through the name still reach the old index
        answer = client.search(index=name, body={"query": {"match_all": {}}}, params={"size": 0})
        seen.append((progress.done, behind(client, name), answer["hits"]["total"]["value"]))

    report = OpenSearchIndex.rebuild(url, progress=while_copying)
    assert (report.added, report.replaced, report.unchanged, report.rejected) == (10, 0, 0, [])
    assert seen and seen[-1] == (10, [name], 10)
    [concrete] = behind(client, name)
    assert concrete.startswith(f"{name}__v1_") and list(client.indices.get_alias(name=name)) == [concrete]
    rebuilt = OpenSearchIndex.open(url)
    assert [hit.id for hit in rebuilt.search("river OR budget").hits] == before
    assert {a.id: a for a in rebuilt.articles()} == {a.id: a for a in NEWS}

    # Rebuilding an alias swaps it to another new index and drops the one it replaced.
    again = OpenSearchIndex.rebuild(url, shards=1, replicas=0)
    assert again.added == 10
    [newer] = behind(client, name)
    assert newer != concrete and not client.indices.exists(index=concrete)
    settings = client.indices.get_settings(index=newer)[newer]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("1", "0")
    assert [hit.id for hit in rebuilt.search("river OR budget").hits] == before  # the open handle follows the name
