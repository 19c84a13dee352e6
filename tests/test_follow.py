"""Keeping an index current: ``follow`` against a local HTTP server, ``index --watch`` on a folder."""

from __future__ import annotations

import http.server
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from test_cli import clean_env, console_script

from searchkit import Index
from searchkit.follow import follow

ITEM = """<item><title>{title}</title><link>https://valley.example/{slug}</link>
<pubDate>Mon, 0{day} Sep 2024 08:00:00 GMT</pubDate><description>{text}</description></item>"""
STORIES = [
    ("Reservoir level rises after rain", "reservoir", 2, "The reservoir rose by a metre overnight."),
    ("Footpath reopens by the weir", "footpath", 3, "Walkers can use the weir path again."),
    ("School roof mended in time", "school-roof", 4, "Builders finished the roof before term."),
]


def feed(count: int) -> bytes:
    items = "".join(ITEM.format(title=t, slug=s, day=d, text=x) for t, s, d, x in STORIES[:count])
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Herald</title>'
            f"<link>https://valley.example/</link>{items}</channel></rss>").encode()


class FeedServer(http.server.ThreadingHTTPServer):
    """Serves ``self.body`` at /feed.rss with an ETag, honouring If-None-Match; or ``self.status``."""

    body = b""
    status = 200
    version = 0
    requests: list[tuple[str | None, str | None]]


class FeedHandler(http.server.BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        server = self.server
        server.requests.append((self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")))
        if server.status != 200:
            self.send_error(server.status, "Service Unavailable")
            return
        etag = f'"v{server.version}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Mon, 02 Sep 2024 08:00:00 GMT")
        self.send_header("Content-Length", str(len(server.body)))
        self.end_headers()
        self.wfile.write(server.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FeedServer]:
    httpd = FeedServer(("127.0.0.1", 0), FeedHandler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def url_of(server: FeedServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/feed.rss"


def test_follow_adds_what_is_new_with_conditional_gets_and_backs_off(server: FeedServer, tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news")
    url = url_of(server)
    server.body, server.version = feed(2), 1
    rounds = follow(index, [url], every=0)

    def next_line() -> str:
        return str(next(rounds)).split("\n", 1)[1].strip()

    assert next_line() == f"{url}: added 2, 0 already indexed"
    assert next_line() == f"{url}: not modified"
    server.body, server.version = feed(3), 2
    assert next_line() == f"{url}: added 1, 2 already indexed"
    assert sorted(a.headline for a in index.articles()) == sorted(t for t, *_ in STORIES)
    server.status = 503
    assert next_line() == f"{url}: error: HTTP 503 Service Unavailable; retrying in 1 round(s)"
    assert next_line() == f"{url}: error: HTTP 503 Service Unavailable; retrying in 2 round(s)"
    assert next_line() == f"{url}: backing off after errors, next try in 1 round(s)"
    server.status = 200
    assert next_line() == f"{url}: not modified"
    assert server.requests == [
        (None, None), ('"v1"', "Mon, 02 Sep 2024 08:00:00 GMT"), ('"v1"', "Mon, 02 Sep 2024 08:00:00 GMT"),
        ('"v2"', "Mon, 02 Sep 2024 08:00:00 GMT"), ('"v2"', "Mon, 02 Sep 2024 08:00:00 GMT"),
        ('"v2"', "Mon, 02 Sep 2024 08:00:00 GMT"),
    ], "the backed-off round sends no request"
    assert len(index) == 3


def test_follow_reads_local_files_again_only_when_they_change(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news")
    path = tmp_path / "valley.rss"
    path.write_bytes(feed(1))
    rounds = follow(index, [str(path), str(tmp_path / "missing.rss")], every=0)
    first = next(rounds)
    assert [str(r) for r in first.sources] == [
        f"{path}: added 1, 0 already indexed",
        f"{tmp_path / 'missing.rss'}: error: cannot be read: No such file or directory; retrying in 1 round(s)",
    ]
    assert str(next(rounds).sources[0]) == f"{path}: not modified"
    path.write_bytes(feed(2))
    assert str(next(rounds).sources[0]) == f"{path}: added 1, 1 already indexed"


def wait_for(process: subprocess.Popen[str], wanted: str, seen: list[str], timeout: float = 60) -> None:
    """Collect the process's stdout lines into ``seen`` until one contains ``wanted``.

    A thread reads the pipe, so a silent process fails the test after ``timeout`` instead
    of blocking it."""
    lines: queue.Queue[str] = getattr(process, "lines", None) or queue.Queue()
    if not hasattr(process, "lines"):
        process.lines = lines  # type: ignore[attr-defined]
        stdout = process.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in iter(stdout.readline, "")] and None,
                                  daemon=True)
        reader.start()
        process.reader = reader  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if process.poll() is not None and lines.empty():
                raise AssertionError(f"the process ended before printing {wanted!r}; it printed {seen}") from None
            continue
        seen.append(line)
        if wanted in line:
            return
    raise AssertionError(f"no {wanted!r} within {timeout}s; printed {seen}")


def end(process: subprocess.Popen[str]) -> None:
    """Kill the process if it still runs, let the reader thread finish, close the pipes."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=60)
    reader = getattr(process, "reader", None)
    if reader is not None:
        reader.join(timeout=10)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def rest(process: subprocess.Popen[str], seen: list[str]) -> tuple[str, str]:
    """Wait for the process to end; (its remaining stdout, its stderr)."""
    process.wait(timeout=60)
    assert process.stderr is not None
    err = process.stderr.read()
    lines: queue.Queue[str] = process.lines  # type: ignore[attr-defined]
    tail = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the reader thread drains the pipe up to its end
        try:
            tail.append(lines.get(timeout=0.5))
        except queue.Empty:
            break
    seen.extend(tail)
    return "".join(tail), err


@pytest.mark.slow
def test_follow_command_stops_cleanly_on_ctrl_c(server: FeedServer, tmp_path: Path) -> None:
    server.body, server.version = feed(2), 1
    process = subprocess.Popen(
        [console_script(), "follow", url_of(server), "--every", "0.3", "--index", str(tmp_path / "news"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )
    seen: list[str] = []
    try:
        wait_for(process, '"round":1', seen)
        server.body, server.version = feed(3), 2
        wait_for(process, '"added":1', seen)
        process.send_signal(signal.SIGINT)
        out, err = rest(process, seen)
    finally:
        end(process)
    assert process.returncode == 0, err
    assert err == ""
    rounds = [orjson.loads(line) for line in seen if line.strip()]
    assert rounds[0]["added"] == 2 and rounds[0]["sources"][0]["status"] == "added"
    assert sum(r["added"] for r in rounds) == 3
    index = Index.open(tmp_path / "news")
    assert len(index) == 3 and index.check().ok


@pytest.mark.slow
def test_index_watch_indexes_new_files_until_ctrl_c(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "first.txt").write_text("Allotments open\n\nThe new allotments opened on Friday.")
    process = subprocess.Popen(
        [console_script(), "index", str(folder), "--watch", "--every", "0.2", "--index", str(tmp_path / "news"), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )
    seen: list[str] = []
    try:
        wait_for(process, "watching", seen)
        assert "added 1, replaced 0" in "".join(seen)
        (folder / ".second.tmp").write_text('{"id": "pier", "title": "Pier repaired", "text": "Open again."}\n')
        os.replace(folder / ".second.tmp", folder / "second.jsonl")  # appears whole
        (folder / "README.md").write_text("# not an article")
        wait_for(process, "added 1", seen)
        (folder / "second.jsonl").write_text('{"id": "pier", "title": "Pier repaired", "text": "Open after a month."}\n')
        wait_for(process, "replaced 1", seen)
        process.send_signal(signal.SIGINT)
        out, err = rest(process, seen)
    finally:
        end(process)
    assert process.returncode == 0, err
    assert out.endswith("stopped watching\n")
    rounds = [line for line in seen if line.startswith("round ")]
    assert len(rounds) == 2, seen
    index = Index.open(tmp_path / "news")
    assert sorted(a.headline for a in index.articles()) == ["Allotments open", "Pier repaired"]
    assert index.check().ok
