"""Several writers on one index: processes and threads wait for the lock, nothing is lost.

Writers take an exclusive ``flock`` on the index's lock file, waiting up to ``lock_timeout``
with backoff. These tests run real processes (``subprocess``, so each has its own
interpreter and its own lock) and threads, and check that every article a call reported as
added is in the index afterwards, that a writer past its timeout gets an
:class:`IndexLockedError` naming the index and the holder, and that a holder killed with
SIGKILL never leaves the lock behind.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from searchkit import Article, Index, IndexLockedError, check

# A writer process: says it is ready, waits for the start file, then adds its batches one
# call at a time and prints, per call, the ids it gave and the counts the call reported.
WRITER = r"""
import sys, time
from pathlib import Path

import orjson
from searchkit import Article, Index

path, name, batches, size, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
index = Index.open(path, lock_timeout=60)
print("ready", flush=True)
while not start.exists():
    time.sleep(0.001)
for batch in range(batches):
    articles = [
        Article(id=f"{name}-{batch}-{n}", headline=f"Harbour notice {name} {batch} {n}",
                body=f"The harbour office of {name} posted notice {batch} {n}. " * 20)
        for n in range(size)
    ]
    report = index.add_many(articles)
    line = {"ids": [a.id for a in articles], "added": report.added, "rejected": len(report.rejected)}
    print(orjson.dumps(line).decode(), flush=True)
"""

# A process that holds the write lock until its standard input closes or says "release".
HOLDER = r"""
import sys
from pathlib import Path
from searchkit.engine.store import IndexStore

with IndexStore.open(Path(sys.argv[1])).write_lock(5):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def article(article_id: str) -> Article:
    return Article(id=article_id, headline=f"Notice {article_id}", body="The harbour office posted a notice.")


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    Index.create(tmp_path / "news")
    return tmp_path / "news"


@pytest.fixture
def holder(index_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A child process holding the index's write lock."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(index_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "locked\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def test_writer_processes_adding_at_once_all_succeed_and_nothing_is_lost(tmp_path: Path, index_path: Path) -> None:
    start = tmp_path / "start"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(index_path), name, "6", "25", str(start)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("w1", "w2", "w3")
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    start.touch()
    reported: set[str] = set()
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        calls = [orjson.loads(line) for line in out.splitlines()]
        assert len(calls) == 6
        for call in calls:
            assert (call["added"], call["rejected"]) == (25, 0)
            reported.update(call["ids"])
    assert len(reported) == 3 * 6 * 25
    index = Index.open(index_path)
    assert {a.id for a in index.articles()} == reported
    assert len(index) == 450
    assert index.search("harbour", limit=1).total == 450
    assert check(index_path).ok


def test_threads_with_their_own_index_objects_share_the_lock(index_path: Path) -> None:
    # Two Index objects on one folder in one process: their flocks exclude each other too.
    indexes = [Index.open(index_path, lock_timeout=60), Index.open(index_path, lock_timeout=60)]
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            for batch in range(10):
                report = indexes[number % 2].add_many(article(f"t{number}-{batch}-{n}") for n in range(5))
                assert report.added == 5
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert {a.id for a in Index.open(index_path).articles()} == {
        f"t{number}-{batch}-{n}" for number in range(4) for batch in range(10) for n in range(5)
    }


def test_past_the_timeout_the_error_names_the_index_and_the_holder(
    index_path: Path, holder: subprocess.Popen[str]
) -> None:
    index = Index.open(index_path, lock_timeout=0.2)
    with pytest.raises(IndexLockedError) as caught:
        index.add(article("late"))
    error = caught.value
    assert error.path == index_path and error.timeout == 0.2
    assert error.holder is not None
    assert re.fullmatch(
        rf"pid {holder.pid} on {re.escape(socket.gethostname())} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d", error.holder
    )
    assert str(error) == (
        f"index {index_path} is locked by {error.holder}; waited 0.2s for the write lock. "
        "Retry later or raise lock_timeout"
    )
    assert isinstance(error, TimeoutError)
    assert "late" not in index
    for call in (lambda: index.delete(["x"]), index.optimize):
        with pytest.raises(IndexLockedError):
            call()


def test_a_writer_waits_for_the_holder_then_succeeds(index_path: Path, holder: subprocess.Popen[str]) -> None:
    index = Index.open(index_path, lock_timeout=60, refresh_interval=0)
    finished = threading.Event()
    thread = threading.Thread(target=lambda: (index.add(article("patient")), finished.set()))
    thread.start()
    assert not finished.wait(0.3)  # the holder still has the lock: the writer waits
    assert "patient" not in index
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write("release\n")
    holder.stdin.flush()
    assert holder.stdout.readline() == "released\n"
    thread.join(timeout=60)
    assert finished.is_set() and "patient" in index


def test_a_holder_killed_with_sigkill_leaves_no_lock(index_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(IndexLockedError):
        Index.open(index_path, lock_timeout=0.05).add(article("first"))
    os.kill(holder.pid, signal.SIGKILL)
    assert holder.wait(timeout=30) == -signal.SIGKILL
    # The lock file still names the dead holder; the kernel dropped its flock all the same.
    assert f"pid {holder.pid} on " in (index_path / "MAIN_WRITELOCK").read_text()
    index = Index.open(index_path, lock_timeout=0.5, refresh_interval=0)
    assert index.add(article("after")).added == 1
    assert (index_path / "MAIN_WRITELOCK").read_text() == ""  # a released lock names nobody
    assert [a.id for a in index.articles()] == ["after"]


def test_another_thread_of_this_process_holding_the_index_is_named(index_path: Path) -> None:
    index = Index.open(index_path, lock_timeout=0.1, refresh_interval=0)
    inside, release = threading.Event(), threading.Event()

    def slow_articles() -> Iterator[Article]:
        yield article("slow")
        inside.set()
        release.wait(30)

    thread = threading.Thread(target=lambda: index.add_many(slow_articles()))
    thread.start()
    assert inside.wait(30)
    try:
        with pytest.raises(IndexLockedError, match="locked by another thread of this process"):
            index.add(article("same-object"))
        other = Index.open(index_path, lock_timeout=0.1)
        with pytest.raises(IndexLockedError, match=rf"locked by pid {os.getpid()} on "):
            other.add(article("other-object"))
    finally:
        release.set()
        thread.join(timeout=30)
    started = time.monotonic()
    assert index.add(article("later")).added == 1
    assert time.monotonic() - started < 30
    assert sorted(a.id for a in index.articles()) == ["later", "slow"]
