"""Readers under writes: threads share one ``Index`` while another process commits.

Four threads search one shared ``Index`` (``refresh_interval=0.2``) with a mix of queries
while a child process commits 15 batches of 20 articles. Every search must succeed; the
total of a query that matches every article never goes down and is always a whole number
of batches (a commit is seen whole or not at all); every hit is a complete stored article
whose fields agree with its id; and the last commit is seen within the documented bound:
``refresh_interval`` plus a little slack for the search in flight.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from searchkit import Article, Index, SearchResults, check
from searchkit.engine import store

REFRESH = 0.2
SLACK = 1.0  # a search in flight and the thread's turn; generous for a loaded CI machine
BASE = 40
BATCHES, SIZE = 15, 20

# The writer: commits its batches, printing after each the monotonic clock (system-wide on
# Linux, so comparable with this process's) and the number of articles it has added.
WRITER = r"""
import sys, time
import orjson
from searchkit import Article, Index

path, batches, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
index = Index.open(path, lock_timeout=60)
for batch in range(batches):
    index.add_many(
        Article(id=f"b{batch:02d}-{n:02d}", headline=f"Harbour notice b{batch:02d}-{n:02d}",
                body=f"The harbour office posted notice b{batch:02d}-{n:02d} about the ferry.",
                source="Harbor Daily")
        for n in range(size)
    )
    print(orjson.dumps({"committed_at": time.monotonic(), "batch": batch}).decode(), flush=True)
    time.sleep(0.08)
"""

QUERIES = ["harbour", "*", "notice ferry", "harb*", "harbuor~1", '"harbour office"', "headline:notice OR ferry"]


def base_articles() -> list[Article]:
    return [
        Article(
            id=f"base-{n:02d}",
            headline=f"Harbour notice base-{n:02d}",
            body=f"The harbour office posted notice base-{n:02d} about the ferry.",
            source="Harbor Daily",
        )
        for n in range(BASE)
    ]


def check_hits(index: Index, results: SearchResults) -> None:
    """Every hit is a whole stored article whose fields agree with its id."""
    for hit in results.hits:
        assert hit.headline == f"Harbour notice {hit.id}"
        assert hit.source == "Harbor Daily"
        for snippet in hit.snippets:
            if snippet.field == "body":
                assert hit.id in snippet.text or snippet.truncated_start or snippet.truncated_end
        stored = index.get(hit.id)
        assert stored is not None
        assert stored.body == f"The harbour office posted notice {hit.id} about the ferry."


def test_threads_search_while_another_process_commits(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path).add_many(base_articles())
    index = Index.open(path, refresh_interval=REFRESH)
    final = BASE + BATCHES * SIZE
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[list[tuple[float, int]]] = [[] for _ in range(4)]
    searches = [0] * 4

    def search(number: int) -> None:
        try:
            turn = number
            while not stop.is_set():
                query = QUERIES[turn % len(QUERIES)]
                turn += 1
                results = index.search(query, limit=5)
                searches[number] += 1
                check_hits(index, results)
                if query in ("harbour", "*"):
                    seen[number].append((time.monotonic(), results.total))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=search, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(path), str(BATCHES), str(SIZE)],
        capture_output=True, text=True, timeout=120,
    )
    deadline = time.monotonic() + REFRESH + SLACK + 5
    while time.monotonic() < deadline and not all(s and s[-1][1] == final for s in seen) and not errors:
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    assert writer.returncode == 0, writer.stderr
    assert errors == []
    commits = [orjson.loads(line) for line in writer.stdout.splitlines()]
    assert [c["batch"] for c in commits] == list(range(BATCHES))
    for totals in seen:
        counts = [total for _, total in totals]
        assert counts == sorted(counts)  # never goes back
        assert set(counts) <= {BASE + SIZE * k for k in range(BATCHES + 1)}  # whole commits only
        assert counts[-1] == final
    assert len({total for totals in seen for _, total in totals}) > 2  # commits were seen as they came
    last_commit = commits[-1]["committed_at"]
    first_seen = min(at for totals in seen for at, total in totals if total == final)
    assert first_seen - last_commit <= REFRESH + SLACK
    assert sum(searches) > 50
    assert check(path).ok


def test_a_shared_index_with_refresh_interval_zero_sees_each_commit_at_once(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path).add_many(base_articles())
    index = Index.open(path, refresh_interval=0)
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "3", str(SIZE)], stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        for batch in range(3):
            line = orjson.loads(process.stdout.readline())
            assert line["batch"] == batch
            assert index.search("harbour").total >= BASE + SIZE * (batch + 1)
    assert process.returncode == 0
    assert index.search("harbour").total == BASE + 3 * SIZE


def miss_listings(monkeypatch: pytest.MonkeyPatch, misses: list[int]) -> None:
    """Make the next directory listings report these generations (then the truth)."""
    real = store.latest_generation

    def listing(folder: Path, index_name: str) -> int:
        return misses.pop() if misses else real(folder, index_name)

    monkeypatch.setattr(store, "latest_generation", listing)


def test_a_listing_that_misses_the_newest_table_of_contents_does_not_take_readers_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer renames _MAIN_<n+1>.toc into place, then removes _MAIN_<n>.toc. A directory
    # listing running meanwhile may return the old name and miss the new one (POSIX leaves
    # it unspecified). Simulated here: the old file is still there, the listing misses once.
    path = tmp_path / "news"
    writer = Index.create(path)
    writer.add_many(base_articles()[:20])
    old_toc = (path / "_MAIN_1.toc").read_bytes()
    writer.add_many(base_articles()[20:])
    index = Index.open(path, refresh_interval=0)
    assert index.search("harbour").total == BASE
    (path / "_MAIN_1.toc").write_bytes(old_toc)
    misses = [1]
    miss_listings(monkeypatch, misses)
    assert index.search("harbour").total == BASE
    assert misses == []


def test_an_index_rebuilt_in_place_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "news"
    writer = Index.create(path)
    for article in base_articles()[:5]:
        writer.add(article)
    index = Index.open(path, refresh_interval=0)
    assert (index.stats().generation, len(index)) == (5, 5)
    shutil.rmtree(path)
    Index.create(path).add(base_articles()[0])
    assert (index.stats().generation, len(index)) == (1, 1)


def test_opening_while_a_listing_misses_every_table_of_contents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same race just after the writer removed the old table of contents: one listing
    # sees neither. Opening (and checking) must look again, not call the index damaged.
    path = tmp_path / "news"
    Index.create(path).add_many(base_articles())
    misses = [-1]
    miss_listings(monkeypatch, misses)
    assert len(Index.open(path)) == BASE
    misses.append(-1)
    assert check(path).ok


def test_stats_while_files_come_and_go(tmp_path: Path) -> None:
    """stats() counts the folder's bytes while a writer renames temporary files in it: a file
    that vanishes between the listing and its size is not counted, never an error."""
    path = tmp_path / "news"
    Index.create(path).add_many(base_articles()[:5])
    index = Index.open(path, refresh_interval=0)
    stop = threading.Event()

    def churn() -> None:  # what a commit does to its temporary table of contents, as fast as it can
        number = 0
        while not stop.is_set():
            temp = path / f"_MAIN_9.toc.{number}"
            temp.write_bytes(b"x" * 100)
            temp.unlink()
            number += 1

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        sizes = [index.stats().size_bytes for _ in range(1000)]
    finally:
        stop.set()
        worker.join()
    assert min(sizes) > 0
