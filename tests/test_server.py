"""The HTTP API (searchkit.server) in-process through httpx, and once through a real
``searchkit serve`` process on loopback. Indexes are the hand-written news fixtures."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from news_fixtures import make_index
from searchkit import Index, __version__
from searchkit.server import ServerSettings, create_app
from searchkit.server.settings import TokenError, read_token
from test_cli import clean_env, console_script

TOKEN = "write-token-0123456789abcdef"
READ_TOKEN = "read-token-0123456789abcdef"
WRITE = {"Authorization": f"Bearer {TOKEN}"}


class Api:
    """The app in-process: each call is one request through httpx's ASGI transport."""

    def __init__(self, index: Index, settings: ServerSettings | None = None):
        self.app = create_app(index, settings or ServerSettings(token=TOKEN))

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url, **options)

        return asyncio.run(send())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return make_index(tmp_path / "news")


@pytest.fixture
def api(index: Index) -> Api:
    return Api(index)


def without_timing(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "took_ms": None}


def error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    data: dict[str, Any] = response.json()
    assert data["status"] == response.status_code
    assert "Traceback" not in response.text
    return data


# Reading


def test_search_is_exactly_the_library_results(api: Api, index: Index) -> None:
    response = api.get("/api/search", params={"q": "flood"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert [hit["id"] for hit in data["hits"]] == ["flood-insurance", "flood-evacuation", "river-rises"]
    assert data["total"] == 3
    assert data["facets"]["source"] == [{"value": "Harbor Daily", "count": 2}, {"value": "Valley Gazette", "count": 1}]
    assert without_timing(data) == without_timing(orjson.loads(index.search("flood", time_limit=5.0).to_json()))


def test_every_search_option_is_a_query_parameter(api: Api, index: Index) -> None:
    params: dict[str, Any] = {
        "q": "flood OR budget OR river", "sources": ["Harbor Daily", "Valley Gazette"], "since": "2024-01-01",
        "until": "2024-03-31", "sort": "oldest", "limit": 2, "date_interval": "month", "mode": "any",
        "snippets": "false", "source_facet_limit": 1, "suggest_spelling": "false", "time_limit": 3,
    }
    data = api.get("/api/search", params=params).json()
    expected = index.search(
        "flood OR budget OR river", sources=["Harbor Daily", "Valley Gazette"], since="2024-01-01",
        until="2024-03-31", sort="oldest", limit=2, date_interval="month", mode="any", snippets=False,
        source_facet_limit=1, suggest_spelling=False, time_limit=3,
    )
    assert [hit["id"] for hit in data["hits"]] == ["budget-draft", "river-footpath"]
    assert data["total"] == expected.total == 4
    assert data["facets"]["source"] == [{"value": "Harbor Daily", "count": 3}]
    # each facet ignores its own filter (the library's multi-select rule)
    assert [(b["value"], b["count"]) for b in data["facets"]["date"]] == [
        ("2023-11-01", 1), ("2023-12-01", 0), ("2024-01-01", 1), ("2024-02-01", 1), ("2024-03-01", 2), ("2024-04-01", 1),
    ]
    assert without_timing(data) == without_timing(orjson.loads(expected.to_json()))
    # the cursor walks on from there, exactly as the library's does
    rest = api.get("/api/search", params={**params, "cursor": data["next_cursor"]}).json()
    assert [hit["id"] for hit in rest["hits"]] == ["river-rises", "flood-evacuation"]


def test_the_facets_parameter_names_the_facets_to_count(api: Api, index: Index) -> None:
    # true/false as before, or names: the story count only when asked, the same counts as the library's.
    every = api.get("/api/search", params={"q": "flood"}).json()["facets"]
    assert every["stories"] is not None and every["source"]
    named = api.get("/api/search", params={"q": "flood", "facets": "source, date"}).json()
    expected = orjson.loads(index.search("flood", facets=("source", "date"), time_limit=5.0).to_json())
    assert named["facets"] == expected["facets"]
    assert "stories" not in named["facets"] and named["facets"]["source"] == every["source"]
    assert named["facets"]["date"] == every["date"]
    none = api.get("/api/search", params={"q": "flood", "facets": "false"}).json()["facets"]
    assert (none["source"], none["date"], "stories" in none) == ([], [], False)
    wrong = api.get("/api/search", params={"q": "flood", "facets": "source,authors"})
    assert wrong.status_code == 400 and "authors" in error(wrong)["message"]


def test_news_options_are_query_parameters(api: Api, index: Index) -> None:
    params = {"q": "flood OR river", "recency": "30d", "diversify": "source", "explain": "true", "limit": 3}
    data = api.get("/api/search", params=params).json()
    expected = index.search("flood OR river", recency="30d", diversify="source", explain=True, limit=3, time_limit=5.0)
    assert without_timing(data) == without_timing(orjson.loads(expected.to_json()))
    assert data["more_from"] == expected.more_from and all("explanation" in hit for hit in data["hits"])
    bad = api.get("/api/search", params={"q": "flood", "recency": "soon"})
    assert bad.status_code == 400 and "recency='soon' is not a half-life" in error(bad)["message"]


def test_get_an_article_and_404_for_an_unknown_id(api: Api, index: Index) -> None:
    response = api.get("/api/articles/bank-museum")
    assert response.status_code == 200
    assert response.json() == orjson.loads(index.get("bank-museum").to_json())  # type: ignore[union-attr]
    missing = api.get("/api/articles/no-such-id")
    assert missing.status_code == 404
    assert error(missing) == {"type": "ArticleNotFound", "message": "no article with id 'no-such-id'", "status": 404}


def test_stats_and_health_never_show_a_path_of_the_server(api: Api, index: Index) -> None:
    stats = api.get("/api/stats")
    assert stats.status_code == 200
    expected = index.stats().model_dump(mode="json")
    del expected["path"]
    assert stats.json() == expected
    assert str(index.path) not in stats.text
    assert api.get("/api/health").json() == {"status": "ok", "articles": 10, "version": __version__, "writes": True}


def test_openapi_and_docs_are_served(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    assert {"/api/search", "/api/articles", "/api/articles/{article_id}", "/api/stats", "/api/health"} <= set(spec["paths"])
    search_params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert search_params == {"q", "sources", "since", "until", "sort", "limit", "page", "cursor", "date_interval",
                             "mode", "strict", "snippets", "facets", "source_facet_limit", "snippet_chars",
                             "suggest_spelling", "time_limit", "feedback", "recency", "diversify", "explain",
                             "collapse", "facet_counts"}
    assert api.get("/docs").status_code == 200


# Errors


def test_a_bad_strict_query_is_400_with_its_position(api: Api) -> None:
    response = api.get("/api/search", params={"q": "flood AND (river", "strict": "true"})
    assert response.status_code == 400
    assert error(response) == {"type": "QuerySyntaxError", "message": "missing ')' at position 16", "status": 400,
                               "position": 16, "query": "flood AND (river"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "many"}, "limit: Input should be a valid integer, unable to parse string as an integer"),
        ({"sort": "best"}, "sort: Input should be 'relevance', 'newest' or 'oldest'"),
        ({"since": "yesterday"}, "since: Input should be a valid date or datetime, input is too short"),
        ({"limit": "101"}, "limit=101 is out of range; this server returns up to 100 hits a page (use next_cursor for more)"),
        ({"q": "x" * 2001}, "the query has 2001 characters; this server takes up to 2000"),
        ({"snippet_chars": "5"}, "snippet_chars=5 is out of range; snippet_chars must be an integer from 20 to 10000"),
    ],
)
def test_bad_parameters_are_400_naming_them(api: Api, params: dict[str, str], message: str) -> None:
    response = api.get("/api/search", params=params)
    assert response.status_code == 400
    assert error(response)["message"] == message


def test_a_long_url_is_414_and_an_unknown_path_404(api: Api) -> None:
    response = api.get("/api/search", params={"sources": ["s" * 50] * 200})
    assert response.status_code == 414 and error(response)["type"] == "URLTooLong"
    response = api.get("/api/nothing")
    assert response.status_code == 404
    assert error(response) == {"type": "NotFound", "message": "no such endpoint: GET /api/nothing; see /docs", "status": 404}


# Writing and tokens


def test_add_a_json_array_reports_each_rejection_by_position(api: Api, index: Index) -> None:
    body = [
        {"id": "ferry-strike", "headline": "Ferry crews strike", "body": "No boats ran on Friday.", "source": "Harbor Daily"},
        {"id": "no-text", "headline": "", "body": ""},
        "a string",
        {"id": "river-rises", "headline": "River Olm rises after a week of rain", "body": "Rewritten."},
    ]
    response = api.request("POST", "/api/articles", content=orjson.dumps(body), headers=WRITE)
    assert response.status_code == 200
    report = response.json()
    assert (report["added"], report["replaced"], report["unchanged"]) == (1, 1, 0)
    assert report["rejected"] == [
        {"location": "record 2", "reason": "an article needs a headline or a body; both are empty", "field": None},
        {"location": "record 3", "reason": "not an article: a JSON str, not an object", "field": None},
    ]
    assert [hit["id"] for hit in api.get("/api/search", params={"q": "ferry"}).json()["hits"]] == ["ferry-strike"]
    assert index.get("river-rises").body == "Rewritten."  # type: ignore[union-attr]


def test_add_json_lines_names_the_bad_lines(api: Api, index: Index) -> None:
    body = b'{"id": "a1", "headline": "Tram line opens"}\n\n{not json\n{"id": "a2", "body": "Buses on time.", "date": "2024-13-01"}\n'
    report = api.request("POST", "/api/articles", content=body, headers=WRITE).json()
    assert report["added"] == 1
    assert [(r["location"], r["field"]) for r in report["rejected"]] == [("line 3", None), ("line 4", "date")]
    assert report["rejected"][0]["reason"].startswith("not valid JSON: ")
    assert "a1" in index and "a2" not in index


def test_add_one_pretty_printed_article(api: Api, index: Index) -> None:
    body = orjson.dumps({"id": "pretty", "headline": "Tram line opens"}, option=orjson.OPT_INDENT_2)
    report = api.request("POST", "/api/articles", content=body, headers=WRITE).json()
    assert (report["added"], report["rejected"]) == (1, [])
    assert index.get("pretty").headline == "Tram line opens"  # type: ignore[union-attr]


def test_a_body_past_the_limit_is_413_and_adds_nothing(index: Index) -> None:
    api = Api(index, ServerSettings(token=TOKEN, max_body_bytes=1000))
    body = orjson.dumps([{"id": f"big-{n}", "headline": "Long story", "body": "word " * 50} for n in range(10)])
    response = api.request("POST", "/api/articles", content=body, headers=WRITE)
    assert response.status_code == 413
    assert error(response)["message"] == (
        f"the body is {len(body):,} bytes; this server takes up to 1,000 (send the articles in several requests)"
    )

    async def chunks() -> Any:  # no Content-Length: the limit holds while reading
        for start in range(0, len(body), 300):
            yield body[start : start + 300]

    response = api.request("POST", "/api/articles", content=chunks(), headers=WRITE)
    assert response.status_code == 413
    assert error(response)["message"] == "the body is over 1,000 bytes, the most this server takes (send the articles in several requests)"
    assert len(index) == 10


def test_delete_needs_the_token_and_404s_an_unknown_id(api: Api, index: Index) -> None:
    assert api.request("DELETE", "/api/articles/leopard-cubs").status_code == 401
    wrong = api.request("DELETE", "/api/articles/leopard-cubs", headers={"Authorization": "Bearer " + "x" * 28})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == 'Bearer realm="searchkit"'
    assert error(wrong)["message"] == "the bearer token is not the write token"
    assert "leopard-cubs" in index
    response = api.request("DELETE", "/api/articles/leopard-cubs", headers=WRITE)
    assert response.status_code == 200 and response.json() == {"deleted": 1, "id": "leopard-cubs"}
    assert "leopard-cubs" not in index
    again = api.request("DELETE", "/api/articles/leopard-cubs", headers=WRITE)
    assert again.status_code == 404 and error(again)["type"] == "ArticleNotFound"


def test_without_a_token_writes_are_off_and_say_how_to_turn_them_on(index: Index) -> None:
    api = Api(index, ServerSettings())
    for method, url in (("POST", "/api/articles"), ("DELETE", "/api/articles/leopard-cubs")):
        response = api.request(method, url, content=b"[]", headers=WRITE)
        assert response.status_code == 403
        assert error(response) == {
            "type": "WritesDisabled", "status": 403,
            "message": "writes are off on this server: start it with --token-file FILE (or $SEARCHKIT_TOKEN set) "
                       "and send 'Authorization: Bearer TOKEN'",
        }
    assert len(index) == 10


def test_a_read_token_guards_reads_but_not_health(index: Index) -> None:
    api = Api(index, ServerSettings(token=TOKEN, read_token=READ_TOKEN))
    for url in ("/api/search?q=flood", "/api/articles/bank-museum", "/api/stats"):
        assert api.get(url).status_code == 401
        assert api.get(url, headers={"Authorization": f"Bearer {READ_TOKEN}"}).status_code == 200
        assert api.get(url, headers=WRITE).status_code == 200
    assert api.get("/api/health").status_code == 200
    # the read token is not a write token
    denied = api.request("DELETE", "/api/articles/bank-museum", headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert denied.status_code == 401


def test_tokens_come_from_a_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "token").write_text(f"  {TOKEN}\n")
    assert read_token(tmp_path / "token") == TOKEN
    monkeypatch.setenv("SEARCHKIT_TOKEN", READ_TOKEN)
    assert read_token(None) == READ_TOKEN
    monkeypatch.delenv("SEARCHKIT_TOKEN")
    assert read_token(None) is None
    (tmp_path / "short").write_text("abc\n")
    with pytest.raises(TokenError, match=r"holds a token of 3 characters; use 16 or more"):
        read_token(tmp_path / "short")
    with pytest.raises(TokenError, match=r"cannot read the token file .*missing"):
        read_token(tmp_path / "missing")


def test_cors_is_off_unless_origins_are_named(index: Index) -> None:
    preflight = {"Origin": "https://news.example", "Access-Control-Request-Method": "GET"}
    closed = Api(index)
    assert "access-control-allow-origin" not in closed.get("/api/search", headers={"Origin": "https://news.example"}).headers
    assert closed.request("OPTIONS", "/api/search", headers=preflight).status_code == 405
    opened = Api(index, ServerSettings(cors_origins=("https://news.example",)))
    response = opened.request("OPTIONS", "/api/search", headers=preflight)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://news.example"
    other = opened.get("/api/search", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


class Failing:
    """An index whose reads fail with an error nobody planned for, naming a server path."""

    def __len__(self) -> int:
        return 0

    def get(self, article_id: str) -> None:
        raise RuntimeError("disk error reading /srv/private/news/segment-7.skseg")


def test_an_unexpected_error_is_a_bare_500_without_details() -> None:
    api = Api(Failing())  # type: ignore[arg-type]
    response = api.get("/api/articles/x")
    assert response.status_code == 500
    assert error(response) == {"type": "InternalError", "status": 500,
                               "message": "the server failed to answer; the error is in its log"}
    assert "/srv" not in response.text


# The write lock

HOLDER = r"""
import sys
from pathlib import Path
from searchkit.engine.store import IndexStore

with IndexStore.open(Path(sys.argv[1])).write_lock(5):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_busy_write_lock_is_503_with_retry_after_and_no_path(tmp_path: Path) -> None:
    make_index(tmp_path / "news")
    index = Index.open(tmp_path / "news", lock_timeout=0.2, refresh_interval=0)
    api = Api(index, ServerSettings(token=TOKEN, retry_after=3))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "news")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        body = orjson.dumps([{"id": "late", "headline": "Late news"}])
        for method, url in (("POST", "/api/articles"), ("DELETE", "/api/articles/bank-museum")):
            response = api.request(method, url, content=body, headers=WRITE)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "3"
            assert error(response) == {
                "type": "IndexLockedError", "status": 503,
                "message": "another writer holds the index's write lock; waited 0.2s. Retry after 3s",
            }
            assert str(tmp_path) not in response.text
        assert api.get("/api/search", params={"q": "museum"}).json()["total"] == 1  # reads go on
    finally:
        holder.communicate("release\n", timeout=30)
    response = api.request("POST", "/api/articles", content=orjson.dumps([{"id": "late", "headline": "Late news"}]),
                           headers=WRITE)
    assert response.status_code == 200 and response.json()["added"] == 1


# A real server process


def server_env() -> dict[str, str]:
    return {k: v for k, v in clean_env().items() if k not in ("SEARCHKIT_TOKEN", "SEARCHKIT_READ_TOKEN")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    make_index(tmp_path / "news")
    (tmp_path / "token").write_text(TOKEN + "\n")
    port = free_port()
    process = subprocess.Popen(
        [console_script(), "serve", "--index", str(tmp_path / "news"), "--port", str(port),
         "--token-file", str(tmp_path / "token"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server_env(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/api/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"searchkit serve did not start: {process.communicate()}") from None
                time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_searchkit_serve_end_to_end_on_loopback(server: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = server
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/api/health").json()["articles"] == 10
        page = client.get("/")
        assert page.status_code == 200 and '<script src="/static/app.js" defer></script>' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert client.get("/static/app.js").headers["content-type"] == "text/javascript; charset=utf-8"
        found = client.get("/api/search", params={"q": "budget", "sort": "oldest"}).json()
        assert [hit["id"] for hit in found["hits"]] == ["budget-draft", "budget-vote"]
        added = client.post("/api/articles", headers=WRITE,
                            content=b'{"id": "budget-recount", "headline": "Budget recount", "date": "2024-02-02"}\n')
        assert added.json()["added"] == 1
        found = client.get("/api/search", params={"q": "budget", "sort": "oldest"}).json()
        assert [hit["id"] for hit in found["hits"]] == ["budget-draft", "budget-vote", "budget-recount"]
        assert client.delete("/api/articles/budget-recount").status_code == 401
        assert client.delete("/api/articles/budget-recount", headers=WRITE).json() == {"deleted": 1, "id": "budget-recount"}
        assert client.get("/api/articles/budget-recount").status_code == 404
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0
    assert err.splitlines()[0] == (
        f"searchkit serve: {base}/ (index 10 articles; writes on (bearer token); reads open)"
    )
    assert "Traceback" not in err
    assert orjson.loads(out.splitlines()[0]) == {"url": f"{base}/", "articles": 10, "writes": True, "reads": "open"}


def test_serve_refuses_a_short_token_in_one_line(tmp_path: Path) -> None:
    make_index(tmp_path / "news")
    (tmp_path / "token").write_text("short\n")
    result = subprocess.run([console_script(), "serve", "--index", str(tmp_path / "news"), "--token-file",
                             str(tmp_path / "token")], capture_output=True, text=True, env=server_env(), timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        f"searchkit serve: the token file {tmp_path / 'token'} holds a token of 5 characters; use 16 or more, "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'\n"
    )



@pytest.mark.parametrize(("missing", "message"), [
    ("fastapi", "searchkit serve needs FastAPI and uvicorn; install them with: pip install 'searchkit[server]'"),
    ("uvicorn", "searchkit serve needs uvicorn; install it with: pip install 'searchkit[server]'"),
])
def test_serve_without_the_extra_says_which_to_install(tmp_path: Path, missing: str, message: str) -> None:
    make_index(tmp_path / "news")
    program = (f"import sys; sys.modules[{missing!r}] = None; from searchkit.cli import main; "
               f"sys.exit(main(['serve', '--index', {str(tmp_path / 'news')!r}]))")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=server_env(), timeout=60)
    assert (result.returncode, result.stderr) == (1, f"searchkit serve: {message}\n")
