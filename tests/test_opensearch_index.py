"""OpenSearchIndex on a live 3-node cluster: creating, opening, writing in bulk, and errors.

What the two backends share is in test_opensearch_conformance.py; these are the cluster's
own cases: URLs and connection settings, shards spread over the nodes, errors from the
cluster turned into searchkit's (with no credentials in any message or repr), and what the
cluster itself refuses.
"""

from __future__ import annotations

import http.server
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from news_fixtures import NEWS, make_index
from opensearch_backends import faulty_proxy, new_opensearch_index, temporary_index

from searchkit import Article, Index, IndexExistsError, IndexNotFoundError, IndexVersionError, QueryError
from searchkit.errors import ClusterAuthError, ClusterError, IndexURLError, SearchkitError
from searchkit.index import Progress
from searchkit.opensearch import OpenSearchIndex, parse_index_url
from searchkit.opensearch.index import BULK_CHUNK
from searchkit.protocol import open_index

pytestmark = pytest.mark.slow

SECRET = "hunter2-Sekr1t"


@pytest.fixture
def index(opensearch_url: str) -> Iterator[OpenSearchIndex]:
    yield from temporary_index(opensearch_url, NEWS, name="index")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------
# Creating and opening


def test_shards_spread_over_three_nodes_and_the_index_is_green(index: OpenSearchIndex, opensearch_url: str) -> None:
    from opensearchpy import OpenSearch

    client = OpenSearch([opensearch_url])
    name = index.url.rsplit("/", 1)[1]
    health = client.cluster.health(index=name, wait_for_status="green")
    assert (health["status"], health["number_of_nodes"], health["active_primary_shards"], health["active_shards"]) == (
        "green", 3, 3, 6)
    shards = client.cat.shards(index=name, params={"format": "json"})
    assert len({shard["node"] for shard in shards}) == 3
    [mapping] = [found["mappings"] for found in client.indices.get_mapping(index=name).values()]
    assert mapping["_meta"]["searchkit_mapping_version"] == 1
    client.close()


def test_open_finds_what_create_made(index: OpenSearchIndex) -> None:
    again = OpenSearchIndex.open(index.url)
    assert (len(again), repr(again)) == (10, f"OpenSearchIndex({index.url!r})")
    assert again.search("flood").total == 3
    report = again.check()
    assert (report.ok, report.articles, report.problems, report.path) == (True, 10, [], index.url)
    assert again.stats().path == index.url
    again.close()


def test_create_where_an_index_exists_and_open_where_none_is(index: OpenSearchIndex, opensearch_url: str) -> None:
    with pytest.raises(IndexExistsError, match=f"^{index.url} already exists"):
        OpenSearchIndex.create(index.url)
    missing = f"{opensearch_url}/sk-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(IndexNotFoundError) as raised:
        OpenSearchIndex.open(missing)
    assert str(raised.value) == f"no searchkit index at {missing}; create it with OpenSearchIndex.create"


def test_open_index_takes_a_url_or_a_folder(index: OpenSearchIndex, tmp_path: Path) -> None:
    on_cluster = open_index(index.url)
    assert isinstance(on_cluster, OpenSearchIndex) and len(on_cluster) == 10
    make_index(tmp_path / "news", NEWS[:2])
    in_folder = open_index(tmp_path / "news")
    assert isinstance(in_folder, Index) and len(in_folder) == 2
    with pytest.raises(IndexNotFoundError):
        open_index(str(tmp_path / "nothing"))


def test_an_index_dropped_under_an_open_handle(opensearch_url: str) -> None:
    index = new_opensearch_index(opensearch_url, NEWS[:2], name="dropped")
    index.drop()
    for call in (lambda: index.search("flood"), lambda: len(index), lambda: index.add(NEWS[3]), lambda: index.get("x")):
        with pytest.raises(IndexNotFoundError, match=f"^no searchkit index at {index.url}; create it"):
            call()
    index.close()


def test_an_index_searchkit_did_not_make_is_refused(opensearch_url: str) -> None:
    from opensearchpy import OpenSearch

    name = f"sk-foreign-{uuid.uuid4().hex[:8]}"
    client = OpenSearch([opensearch_url])
    client.indices.create(index=name, body={"mappings": {"_meta": {"searchkit_mapping_version": 99}}})
    try:
        with pytest.raises(IndexVersionError, match="was made by searchkit mapping version 99; this searchkit reads "
                                                    "version 1. Rebuild it"):
            OpenSearchIndex.open(f"{opensearch_url}/{name}")
    finally:
        client.indices.delete(index=name)
        client.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9201", "names no index"),
        ("http://127.0.0.1:9201/", "names no index"),
        ("http://127.0.0.1:9201/News", "'News' in 'http://127.0.0.1:9201/News' is not a valid OpenSearch index name"),
        ("http://127.0.0.1:9201/a/b", "is not a valid OpenSearch index name"),
        ("http://127.0.0.1:9201/news?x=1", "takes no query string"),
        ("ftp://127.0.0.1/news", "is not an OpenSearch index URL"),
        ("http://127.0.0.1:99999/news", "is not a valid URL"),
        (f"http://:{SECRET}@127.0.0.1:9201/news", "a password was given for http://127.0.0.1:9201/news without a user name"),
        (f"http://bob:{SECRET}@127.0.0.1:9201/_bad", "'_bad' in 'http://***@127.0.0.1:9201/_bad' is not a valid"),
    ],
)
def test_bad_urls_are_refused_without_showing_credentials(url: str, message: str) -> None:
    with pytest.raises(IndexURLError) as raised:
        OpenSearchIndex.open(url)
    assert message in str(raised.value)
    assert SECRET not in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_bad_shard_counts_are_refused(opensearch_url: str) -> None:
    with pytest.raises(IndexURLError, match=r"shards=0 must be a whole number of at least 1"):
        OpenSearchIndex.create(f"{opensearch_url}/sk-x", shards=0)
    with pytest.raises(IndexURLError, match=r"replicas=-1 must be a whole number of at least 0"):
        OpenSearchIndex.create(f"{opensearch_url}/sk-x", replicas=-1)


def test_credentials_from_the_url_or_environment_stay_out_of_reprs() -> None:
    target = parse_index_url(f"https://bob:{SECRET}@search.example:9200/news")
    assert (target.host, target.index, target.username, target.password) == ("https://search.example:9200", "news", "bob", SECRET)
    assert SECRET not in repr(target) and "bob" not in repr(target) and target.display == "https://search.example:9200/news"
    from_env = parse_index_url("http://127.0.0.1:9201/news", environ={
        "SEARCHKIT_OPENSEARCH_USER": "alice", "SEARCHKIT_OPENSEARCH_PASSWORD": SECRET,
        "SEARCHKIT_OPENSEARCH_API_KEY": "key-" + SECRET, "SEARCHKIT_OPENSEARCH_CA_FILE": "/etc/ca.pem"})
    assert (from_env.username, from_env.password, from_env.api_key, from_env.ca_file, from_env.verify_certs) == (
        "alice", SECRET, "key-" + SECRET, "/etc/ca.pem", True)
    assert SECRET not in repr(from_env)


# ---------------------------------------------------------------------------------------
# Errors from the cluster, each one searchkit error


def test_connection_refused(opensearch_url: str) -> None:
    url = f"http://bob:{SECRET}@127.0.0.1:{free_port()}/news"
    with pytest.raises(ClusterError) as raised:
        OpenSearchIndex.open(url, timeout=5)
    shown = url.replace(f"bob:{SECRET}@", "")
    assert str(raised.value) == (f"cannot connect to {shown} while opening the index: connection refused or host "
                                 "unreachable; is the cluster running and is the URL right?")
    assert isinstance(raised.value, ConnectionError) and raised.value.__cause__ is None


def test_a_cluster_that_does_not_answer_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with pytest.raises(ClusterError) as raised:
            OpenSearchIndex.open(f"http://127.0.0.1:{port}/news", timeout=0.3)
    assert str(raised.value).startswith(f"http://127.0.0.1:{port}/news: timed out after 0.3 s while opening the index;")


class _Refusing(http.server.BaseHTTPRequestHandler):
    """Answers every request as a cluster with the security plugin answers bad credentials."""

    def do_GET(self) -> None:  # noqa: N802 (the handler's API)
        body = b'{"error":{"root_cause":[{"type":"security_exception","reason":"unauthorized"}]},"status":401}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_refused_credentials() -> None:
    # The test cluster runs without the security plugin; a loopback server answers as it would.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with pytest.raises(ClusterAuthError) as raised:
            OpenSearchIndex.open(f"http://bob:{SECRET}@127.0.0.1:{port}/news")
    finally:
        server.shutdown()
        server.server_close()
    assert str(raised.value) == (
        f"http://127.0.0.1:{port}/news: the cluster refused the credentials (HTTP 401) while opening the index; check "
        "the user and password or API key (SEARCHKIT_OPENSEARCH_USER, SEARCHKIT_OPENSEARCH_PASSWORD, "
        "SEARCHKIT_OPENSEARCH_API_KEY)")
    assert isinstance(raised.value, ClusterError)


def test_busy_or_unavailable_replies_are_retried_after_a_wait(
    index: OpenSearchIndex, opensearch_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    name = index.url.rsplit("/", 1)[1]
    refused: list[str] = []

    def busy_twice(method: str, path: str) -> int | None:
        if "/_count" in path and len(refused) < 2:
            refused.append(path)
            return (429, 503)[len(refused) - 1]
        return None

    with faulty_proxy(opensearch_url, busy_twice) as proxy, caplog.at_level(logging.INFO, logger="searchkit"):
        through = OpenSearchIndex.open(f"{proxy}/{name}")
        started = time.perf_counter()
        assert len(through) == 10
        waited = time.perf_counter() - started
    assert len(refused) == 2 and waited >= 1.5  # 0.5 s before the first retry, 1 s before the second
    assert [r.getMessage() for r in caplog.records if r.name == "searchkit"] == [
        f"retrying POST /{name}/_count on {proxy}/{name} in 0.5 s (retry 1 of 3)",
        f"retrying POST /{name}/_count on {proxy}/{name} in 1.0 s (retry 2 of 3)",
    ]
    caplog.clear()
    with faulty_proxy(opensearch_url, lambda method, path: 503 if "/_count" in path else None) as proxy:
        through = OpenSearchIndex.open(f"{proxy}/{name}")
        with pytest.raises(ClusterError) as raised, caplog.at_level(logging.INFO, logger="searchkit"):
            len(through)
    assert str(raised.value) == (f"{proxy}/{name}: the cluster failed while counting articles (HTTP 503: injected: "
                                 "injected by the test)")
    assert len([r for r in caplog.records if r.name == "searchkit"]) == 3


def test_writes_are_durable_and_searchable_when_they_return(index: OpenSearchIndex, opensearch_url: str) -> None:
    from opensearchpy import OpenSearch

    client = OpenSearch([opensearch_url])
    [settings] = client.indices.get_settings(index=index.url.rsplit("/", 1)[1]).values()
    client.close()
    assert settings["settings"]["index"]["translog"]["durability"] == "request"
    index.add(Article(id="late-news", headline="Ferry strike ends", body="Sailings resume."))
    assert [hit.id for hit in index.search("ferry strike").hits] == ["late-news"]  # no refresh needed
    assert index.delete(["late-news"]) == 1 and index.search("ferry strike").total == 0


def test_without_opensearch_py_one_line_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['opensearchpy'] = None\n"
        "import searchkit.opensearch as o\n"
        "o.OpenSearchIndex.open('http://127.0.0.1:9201/news')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        'searchkit.errors.MissingExtraError: searchkit needs opensearch-py for OpenSearch indexes: '
        'pip install "searchkit[opensearch]"')


# ---------------------------------------------------------------------------------------
# Writing in bulk


def test_articles_the_cluster_cannot_take_are_reported_and_the_rest_land(index: OpenSearchIndex) -> None:
    long_id = "é" * 300  # 300 characters (searchkit allows 512) but 600 bytes (OpenSearch allows 512)
    huge_source = "Gazette " * 5000  # one keyword of 40,000 bytes: Lucene takes terms up to 32,766
    report = index.add_many([
        Article(id="ok-1", headline="Ferry timetable", body="The ferry runs hourly."),
        Article(id=long_id, headline="Ferry fares", body="The ferry costs more."),
        {"id": "ok-2", "headline": "Ferry pier", "body": "A new ferry pier.", "date": "2024-05-01"},
        Article(id="huge-source", headline="Ferry museum", body="The ferry museum opens.", source=huge_source),
    ])
    assert (report.added, report.replaced, report.unchanged) == (2, 0, 0)
    assert [(r.location, r.field) for r in report.rejected] == [("record 2", "id"), ("record 4", None)]
    assert report.rejected[0].reason == "is 600 bytes long in UTF-8; an OpenSearch index takes ids of up to 512 bytes"
    assert report.rejected[1].reason.startswith("the cluster refused article 'huge-source': illegal_argument_exception: ")
    assert "32766" in report.rejected[1].reason
    assert [hit.id for hit in index.search("ferry", sort="newest").hits] == ["ok-2", "ok-1"]
    assert long_id not in index and index.get(long_id) is None and "huge-source" not in index


def test_many_articles_in_several_bulk_requests(opensearch_url: str) -> None:
    articles = [Article(id=f"a{n:04d}", headline=f"Notice {n}", body=f"Harbour notice number {n}.",
                        date=date(2024, 1, 1 + n % 28), source=("Harbor Daily", "Valley Gazette")[n % 2])
                for n in range(1234)]
    seen: list[Progress] = []
    index = new_opensearch_index(opensearch_url, name="bulk")
    try:
        report = index.add_many(articles, progress=seen.append)
        assert (report.added, report.replaced, report.unchanged, report.rejected) == (1234, 0, 0, [])
        assert seen[-1].finished and seen[-1].done == 1234 and seen[-1].added == 1234
        assert len(index) == 1234
        assert [a.id for a in index.articles()] == [a.id for a in articles]
        again = index.add_many(articles[:600] + [articles[700].model_copy(update={"body": "Changed."})])
        assert (again.added, again.replaced, again.unchanged) == (0, 1, 600)
        results = index.search("harbour notice", limit=3)
        assert results.total == 1233
        # a0700 (Harbor Daily, an even number) no longer matches.
        assert [(v.value, v.count) for v in results.facets.source] == [("Valley Gazette", 617), ("Harbor Daily", 616)]
        assert index.delete([a.id for a in articles[:1000]]) == 1000
        assert len(index) == 234
    finally:
        index.drop()
        index.close()


def test_an_id_still_in_flight_waits_for_its_outcome(opensearch_url: str) -> None:
    # add_many sends a chunk while it reads and classifies the next; an id that comes again
    # while its first write is in flight is counted once that write's outcome is known.
    huge_source = "Gazette " * 5000  # a keyword the cluster refuses
    first = [Article(id="dup", headline="Ferry museum", body="The ferry museum opens.", source=huge_source)]
    first += [Article(id=f"b{n:04d}", headline=f"Ferry notice {n}", body=f"Ferry notice number {n}.")
              for n in range(1, BULK_CHUNK)]
    second = [Article(id="dup", headline="Ferry museum", body="The ferry museum opens."),  # the refused one: added
              first[1].model_copy(update={"body": "Changed."})]  # written earlier in this call: replaced
    second += [Article(id=f"c{n:04d}", headline=f"Ferry timetable {n}", body=f"Timetable {n}.")
               for n in range(BULK_CHUNK - 2)]
    third = [first[2]]  # the same article again, written earlier in this call: replaced, as in Index
    index = new_opensearch_index(opensearch_url, name="inflight")
    try:
        report = index.add_many(first + second + third)
        assert (report.added, report.replaced, report.unchanged) == (2 * BULK_CHUNK - 2, 2, 0)
        assert [r.location for r in report.rejected] == ["record 1"]
        assert len(index) == 2 * BULK_CHUNK - 2
        assert index.get("dup") == second[0] and index.get("b0001") == second[1]
    finally:
        index.drop()
        index.close()


def test_options_opensearch_does_not_have_are_refused_by_name(index: OpenSearchIndex) -> None:
    for option in (dict(feedback=True), dict(diversify="source"), dict(explain=True)):
        [(name, value)] = option.items()
        with pytest.raises(QueryError) as raised:
            index.search("flood", **option)  # type: ignore[arg-type]
        assert str(raised.value) == f"{name}={value!r} is not available on OpenSearch indexes yet; search without it"
    with pytest.raises(QueryError, match="^unknown diversify 'sources'; use one of 'source'$"):  # checked first, as embedded
        index.search("flood", diversify="sources")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match=r"^page=11 with limit=1000 reaches past result 10,000"):
        index.search("flood", page=11, limit=1000)
    assert isinstance(QueryError("x"), SearchkitError)
