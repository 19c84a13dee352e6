"""Indexes of either backend for the conformance tests: the embedded folder or a live cluster.

:func:`backend_factory` gives a function that makes a new index of one backend holding
the given articles; OpenSearch indexes get 3 shards and 1 replica, so the shards really
spread over the 3 nodes, and are dropped when the factory's fixture ends.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

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


Fault = Callable[[str, str], "int | None"]  # (method, path) -> a status to answer instead, or None to forward


@contextlib.contextmanager
def faulty_proxy(upstream: str, fault: Fault) -> Iterator[str]:
    """A loopback HTTP proxy in front of the real cluster at ``upstream``: each request is
    forwarded, unless ``fault(method, path)`` gives a status to answer instead (with an
    OpenSearch-shaped error body), as a failing or busy cluster would. Yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = fault(self.command, self.path)
            if status is not None:
                error = b'{"error":{"root_cause":[{"type":"injected","reason":"injected by the test"}]},"status":%d}'
                self._answer(status, error % status)
                return
            parts = urlsplit(upstream)
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            self._answer(answer.status, answer.read())
            connection.close()

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815 (the handler's API)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
