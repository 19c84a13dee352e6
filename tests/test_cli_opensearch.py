"""The installed ``searchkit`` command on an OpenSearch index URL, and ``searchkit reindex``
between folders and a live cluster (the ``opensearch_url`` fixture: a local 3-node cluster)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from test_cli import N_ARTICLES, assert_one_line_error, cli, write_articles

from searchkit import Index, OpenSearchIndex


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


@pytest.fixture
def cluster_urls(opensearch_url: str) -> Iterator[list[str]]:
    """Unique index URLs on the cluster (call ``new()``); every index made there is dropped after."""
    made: list[str] = []
    yield made
    for url in made:
        try:
            index = OpenSearchIndex.open(url)
        except FileNotFoundError:
            continue
        index.drop()
        index.close()


def new_url(base: str, made: list[str], *, credentials: str = "") -> str:
    name = f"sk-cli-{uuid.uuid4().hex[:10]}"
    made.append(f"{base}/{name}")
    if credentials:
        scheme, rest = base.split("://", 1)
        return f"{scheme}://{credentials}@{rest}/{name}"
    return f"{base}/{name}"


def folder_ids(path: Path) -> list[str]:
    return sorted(article.id for article in Index.open(path).articles())


def test_every_command_takes_a_cluster_url(
    tmp_path: Path, articles: Path, opensearch_url: str, cluster_urls: list[str]
) -> None:
    url = new_url(opensearch_url, cluster_urls)
    done = cli("index", str(articles), "--index", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{url}: added {N_ARTICLES}, replaced 0, unchanged 0, rejected 0 in ")
    again = cli("index", str(articles), "--index", url, "--json")
    assert again.returncode == 0, again.stderr
    assert orjson.loads(again.stdout)["unchanged"] == N_ARTICLES

    folder = tmp_path / "folder"
    assert cli("index", str(articles), "--index", str(folder), "--quiet").returncode == 0
    for query in ("ferry", "storm OR flood", '"ferry terminal"'):
        on_cluster = orjson.loads(cli("search", query, "--index", url, "--json").stdout)
        in_folder = orjson.loads(cli("search", query, "--index", str(folder), "--json").stdout)
        assert [hit["id"] for hit in on_cluster["hits"]] == [hit["id"] for hit in in_folder["hits"]], query
        assert on_cluster["total"] == in_folder["total"] > 0

    first = folder_ids(folder)[0]
    shown = cli("show", first, "--index", url, "--json")
    assert shown.returncode == 0 and orjson.loads(shown.stdout)["id"] == first

    stats = orjson.loads(cli("stats", "--index", url, "--json").stdout)
    assert (stats["articles"], stats["path"]) == (N_ARTICLES, url)
    checked = cli("check", "--index", url, "--json")
    assert checked.returncode == 0 and orjson.loads(checked.stdout)["ok"] is True

    exported = cli("export", "--index", url)
    assert sorted(orjson.loads(line)["id"] for line in exported.stdout.splitlines()) == folder_ids(folder)

    deleted = cli("delete", first, "nope", "--index", url, "--json")
    assert orjson.loads(deleted.stdout) == {"deleted": 1, "requested": 2, "not_found": ["nope"]}
    assert orjson.loads(cli("stats", "--index", url, "--json").stdout)["articles"] == N_ARTICLES - 1

    refused = cli("search", "ferry", "--index", url, "--explain")
    assert refused.returncode == 1
    assert_one_line_error(refused.stderr, "search")
    assert "explain" in refused.stderr

    watch = cli("index", str(articles), "--index", url, "--watch")
    assert watch.returncode == 1 and "--watch needs a folder index" in watch.stderr


def test_credentials_in_the_url_are_never_printed(
    articles: Path, opensearch_url: str, cluster_urls: list[str]
) -> None:
    url = new_url(opensearch_url, cluster_urls, credentials="alice:s3cr3t-pw")
    outputs = []
    for argv in (["index", str(articles)], ["index", str(articles), "--json"], ["stats", "--json"], ["stats"],
                 ["check", "--json"], ["search", "ferry", "--json"], ["search", "ferry", "--diversify", "source"]):
        done = cli(*argv, "--index", url)
        assert done.returncode == (1 if "--diversify" in argv else 0), done.stderr
        outputs.append(done.stdout + done.stderr)
    missing = cli("search", "ferry", "--index", url + "-missing")
    assert missing.returncode == 1
    assert_one_line_error(missing.stderr, "search")
    outputs.append(missing.stdout + missing.stderr)
    assert all("s3cr3t" not in text and "alice" not in text for text in outputs), outputs


def test_reindex_folder_to_cluster_to_folder_round_trip(
    tmp_path: Path, articles: Path, opensearch_url: str, cluster_urls: list[str]
) -> None:
    folder = tmp_path / "folder"
    assert cli("index", str(articles), "--index", str(folder), "--quiet").returncode == 0
    url = new_url(opensearch_url, cluster_urls)

    up = cli("reindex", str(folder), url)
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith(f"reindexed {folder} into {url}\n{url}: added {N_ARTICLES}, replaced 0, ")

    back = tmp_path / "back"
    down = cli("reindex", url, str(back), "--json")
    assert down.returncode == 0, down.stderr
    report = orjson.loads(down.stdout)
    assert (report["added"], report["replaced"], report["unchanged"], report["rejected"]) == (N_ARTICLES, 0, 0, [])
    assert (report["source"], report["target"]) == (url, str(back))

    original = {article.id: article for article in Index.open(folder).articles()}
    copied = {article.id: article for article in Index.open(back).articles()}
    assert sorted(copied) == sorted(original) and len(copied) == N_ARTICLES
    assert all(copied[key] == original[key] for key in original)
    for query in ("ferry", "storm"):
        assert ([hit.id for hit in Index.open(back).search(query).hits]
                == [hit.id for hit in Index.open(folder).search(query).hits])

    # cluster -> cluster
    other = new_url(opensearch_url, cluster_urls)
    across = cli("reindex", url, other, "--json", "--quiet")
    assert across.returncode == 0 and orjson.loads(across.stdout)["added"] == N_ARTICLES
    assert sorted(a.id for a in OpenSearchIndex.open(other).articles()) == sorted(original)


def test_reindex_refuses_a_target_with_articles_unless_into_existing(tmp_path: Path, articles: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    assert cli("index", str(articles), "--index", str(source), "--quiet").returncode == 0
    assert cli("index", str(articles / "valley"), "--index", str(target), "--quiet").returncode == 0

    refused = cli("reindex", str(source), str(target))
    assert refused.returncode == 1 and refused.stdout == ""
    assert_one_line_error(refused.stderr, "reindex")
    assert f"the target {target} already holds 2 articles; pass --into-existing" in refused.stderr
    assert len(Index.open(target)) == 2

    into = cli("reindex", str(source), str(target), "--into-existing", "--json")
    assert into.returncode == 0, into.stderr
    assert {k: orjson.loads(into.stdout)[k] for k in ("added", "unchanged")} == {"added": N_ARTICLES - 2,
                                                                               "unchanged": 2}
    assert folder_ids(target) == folder_ids(source)

    same = cli("reindex", str(source), str(source))
    assert same.returncode == 1 and "source and target are the same index" in same.stderr

    missing = cli("reindex", str(tmp_path / "nowhere"), str(tmp_path / "new"))
    assert missing.returncode == 1 and "no searchkit index at" in missing.stderr
    assert not (tmp_path / "new").exists()


def test_shards_and_replicas_of_a_cluster_index_the_cli_creates(
    tmp_path: Path, articles: Path, opensearch_url: str, cluster_urls: list[str]
) -> None:
    from opensearchpy import OpenSearch

    def layout(url: str) -> tuple[str, str]:
        client = OpenSearch([opensearch_url])
        name = url.rsplit("/", 1)[1]
        [(concrete, found)] = client.indices.get_settings(index=name).items()
        client.close()
        assert concrete.startswith(f"{name}__v1_")
        return found["settings"]["index"]["number_of_shards"], found["settings"]["index"]["number_of_replicas"]

    url = new_url(opensearch_url, cluster_urls)
    done = cli("index", str(articles), "--index", url, "--shards", "2", "--replicas", "0")
    assert done.returncode == 0, done.stderr
    assert layout(url) == ("2", "0")
    again = cli("index", str(articles), "--index", url, "--shards", "2")
    assert again.returncode == 1
    assert_one_line_error(again.stderr, "index")
    assert again.stderr == (f"searchkit index: --shards and --replicas apply when a cluster index is created; {url} "
                            "already exists (to change its shards, rebuild it: searchkit reindex URL URL --shards N)\n")
    copied = new_url(opensearch_url, cluster_urls)
    done = cli("reindex", url, copied, "--shards", "1", "--replicas", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    assert layout(copied) == ("1", "0")
    for bad, message in ((["--shards", "0"], "argument --shards: 0 must be 1 or more"),
                         (["--replicas", "-1"], "argument --replicas: -1 must be 0 or more"),
                         (["--shards", "two"], "argument --shards: 'two' is not a whole number")):
        refused = cli("index", str(articles), "--index", new_url(opensearch_url, cluster_urls), *bad)
        assert refused.returncode == 2 and message in refused.stderr
    folder = cli("index", str(articles), "--index", str(tmp_path / "folder"), "--replicas", "1")
    assert folder.returncode == 1
    assert folder.stderr == ("searchkit index: --shards and --replicas apply to a cluster index (an http(s):// URL), "
                             f"not the folder {tmp_path / 'folder'}\n")
    assert not (tmp_path / "folder").exists()


def test_reindex_a_url_into_itself_rebuilds_it_behind_its_name(
    articles: Path, opensearch_url: str, cluster_urls: list[str]
) -> None:
    from opensearchpy import OpenSearch

    url = new_url(opensearch_url, cluster_urls)
    assert cli("index", str(articles), "--index", url).returncode == 0
    name = url.rsplit("/", 1)[1]
    client = OpenSearch([opensearch_url])
    [first] = client.indices.get_alias(name=name)
    before = cli("search", "*", "--index", url, "--json", "--limit", "100")
    done = cli("reindex", url, url, "--json", "--replicas", "0")
    assert done.returncode == 0, done.stderr
    data = orjson.loads(done.stdout)
    assert (data["added"], data["replaced"], data["unchanged"], data["rejected"]) == (N_ARTICLES, 0, 0, [])
    assert data["source"] == data["target"] == url
    [second] = client.indices.get_alias(name=name)
    assert second != first and not client.indices.exists(index=first)
    client.close()
    after = cli("search", "*", "--index", url, "--json", "--limit", "100")
    assert [h["id"] for h in orjson.loads(after.stdout)["hits"]] == [h["id"] for h in orjson.loads(before.stdout)["hits"]]
    text = cli("reindex", url, url, "--quiet")
    assert text.returncode == 0 and text.stdout.startswith(f"rebuilt {url} (a new index behind the same name)\n")
