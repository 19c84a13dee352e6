"""Crash safety: a writer killed with SIGKILL in the middle of a large add, for real.

Each case starts a child process that adds a 400-article batch to an index already holding
a committed base of 40, with small flushes (so segment files are written during the add and
merged at commit), and kills itself with SIGKILL at one point of the add: while analyzing
articles, while writing a segment file, before a finished segment is renamed into place,
while merging at commit, just before the table of contents is renamed into place, and just
after. Then, each time:

* the index opens with exactly the last committed articles (the exact ids);
* ``searchkit.check`` finds no problem, only notes of leftover files (or nothing), and the
  ``searchkit check`` command exits 0 naming them;
* the next writer is not blocked: the kernel dropped the dead process's ``flock``, so a
  writer with a lock timeout of 0.5 s gets the lock;
* re-running the same add completes it (exact final ids), and the orphans are gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from searchkit import Article, Index, IndexOptionError, check, read_articles

BASE = [
    Article(id=f"base-{n:02d}", headline=f"Harbour notice {n}", body="The harbour office posted a notice.")
    for n in range(40)
]
WORDS = ("ferry", "harbour", "council", "budget", "river", "flood", "market", "weather", "school", "bridge")

# The child: small flushes, one function wrapped to SIGKILL the process at the chosen call.
CHILD = r"""
import os, signal, sys
from pathlib import Path

from searchkit import Index, read_articles
from searchkit.engine import parallel, segfile, segment, store

path, point, batch = sys.argv[1], sys.argv[2], sys.argv[3]
calls = {}


def kill_at(owner, name, when):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls[name] = calls.get(name, 0) + 1
        if when():
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def count(owner, name):
    kill_at(owner, name, lambda: False)


if point == "analysis":  # the 10th article, before the first flush
    kill_at(segment.SegmentBuilder, "add", lambda: calls["add"] == 10)
elif point == "analysis-after-flushes":  # the 200th article, after several flushes
    kill_at(segment.SegmentBuilder, "add", lambda: calls["add"] == 200)
elif point == "segment-write":  # in the middle of the third segment file
    count(segfile.SegmentFileWriter, "finish")
    kill_at(segfile.SegmentFileWriter, "write", lambda: calls.get("finish", 0) == 2 and calls["write"] % 7 == 0)
elif point == "segment-finish":  # the third segment written in full under its temporary name
    kill_at(segfile.SegmentFileWriter, "finish", lambda: calls["finish"] == 3)
elif point == "merge":  # at commit, merging the flushed segments
    kill_at(parallel, "merge_segments", lambda: True)  # (merge_here's, as the writer's process merges)
elif point == "toc-before-rename":  # the new table of contents written, not yet renamed
    kill_at(store._DurableStorage, "rename_file", lambda: True)
elif point == "toc-after-rename":  # the new generation published, nothing cleaned up
    kill_at(store, "fsync_dir", lambda: True)
else:
    sys.exit(f"unknown kill point {point}")

# flush_tokens: about 30 articles a segment, so ~13 flushes, merged at commit
Index.open(path, lock_timeout=10, flush_tokens=2_000).add_many(read_articles(batch))
sys.exit("the add finished: the kill point was never reached")
"""

POINTS = [
    "analysis",
    "analysis-after-flushes",
    "segment-write",
    "segment-finish",
    "merge",
    "toc-before-rename",
    "toc-after-rename",
]


def batch_articles() -> list[Article]:
    """400 articles of about 60 words, each mentioning its own id."""
    return [
        Article(
            id=f"batch-{n:03d}",
            headline=f"Harbour report {n}",
            body=" ".join(WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(55)) + f" report{n}.",
            source=("Harbor Daily", "Valley Gazette")[n % 2],
        )
        for n in range(400)
    ]


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"".join(article.to_json() + b"\n" for article in batch_articles()))
    return path


def ids_in(path: Path) -> set[str]:
    return {article.id for article in Index.open(path).articles()}


def kill_child_at(point: str, index_path: Path, batch_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(index_path), point, str(batch_file)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize("point", POINTS)
def test_a_writer_killed_mid_add_leaves_the_last_commit(tmp_path: Path, batch_file: Path, point: str) -> None:
    index_path = tmp_path / "news"
    Index.create(index_path).add_many(BASE)
    base_ids = {article.id for article in BASE}
    batch_ids = {article.id for article in batch_articles()}

    kill_child_at(point, index_path, batch_file)

    committed = base_ids | batch_ids if point == "toc-after-rename" else base_ids
    assert ids_in(index_path) == committed
    report = check(index_path)
    assert (report.ok, report.articles, report.problems) == (True, len(committed), [])
    assert all(note.startswith(("leftover MAIN_", "leftover _MAIN_")) for note in report.notes), report.notes
    if point in ("segment-write", "segment-finish", "merge", "toc-before-rename"):
        assert report.notes  # the flushed segments of the dead add are left over

    again = Index.open(index_path, lock_timeout=0.5).add_many(read_articles(batch_file))
    if point == "toc-after-rename":
        assert (again.added, again.unchanged) == (0, 400)
    else:
        assert (again.added, again.unchanged) == (400, 0)
    assert ids_in(index_path) == base_ids | batch_ids
    final = check(index_path)
    assert (final.ok, final.articles, final.problems, final.notes) == (True, 440, [], [])
    assert sorted(p.name for p in index_path.iterdir() if ".toc" in p.name) == [
        f"_MAIN_{Index.open(index_path).stats().generation}.toc"
    ]


def test_a_reader_open_during_the_crash_keeps_answering(tmp_path: Path, batch_file: Path) -> None:
    index_path = tmp_path / "news"
    Index.create(index_path).add_many(BASE)
    reader = Index.open(index_path, refresh_interval=0)
    assert reader.search("harbour").total == 40
    kill_child_at("toc-before-rename", index_path, batch_file)
    assert reader.search("harbour").total == 40
    Index.open(index_path, lock_timeout=0.5).add_many(read_articles(batch_file))
    assert reader.search("harbour").total == 440
    assert {hit.id for hit in reader.search("report399").hits} == {"batch-399"}


def searchkit_check(index_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", "check", "--index", str(index_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize("point", ["segment-write", "segment-finish", "merge", "toc-before-rename"])
def test_check_after_a_killed_writer_exits_0_and_names_the_leftovers(
    tmp_path: Path, batch_file: Path, point: str
) -> None:
    index_path = tmp_path / "news"
    Index.create(index_path).add_many(BASE)
    [committed] = [p.name for p in index_path.glob("MAIN_*.skseg")]
    kill_child_at(point, index_path, batch_file)
    leftovers = sorted(p.name for p in index_path.iterdir() if p.name.startswith(("MAIN_", "_MAIN_"))
                       and p.name not in (committed, "_MAIN_1.toc", "MAIN_1.skstory", "MAIN_WRITELOCK"))
    assert leftovers and any(".skseg" in name for name in leftovers)
    if point == "segment-finish":
        assert any(name.endswith(".skseg.tmp") for name in leftovers)

    done = searchkit_check(index_path)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0] == f"{index_path}: ok (40 articles in 1 segment checked)"
    assert lines[1:] == [
        f"  note: leftover {name}: from an interrupted write, not part of generation 1; "
        "harmless, the next write to the index removes it"
        for name in leftovers
    ]

    # A real problem still fails the check, leftovers or not.
    (index_path / committed).unlink()
    done = searchkit_check(index_path)
    assert done.returncode == 1 and "PROBLEMS FOUND" in done.stdout and committed in done.stdout


# Long runs commit as they go (issue 10, item 11)

LONG_CHILD = r"""
import sys, time
from pathlib import Path
from searchkit import Article, Index

path, marker = sys.argv[1], Path(sys.argv[2])


def articles():
    for n in range(150):
        if n == 120:  # 120 read: commits after 50 and 100 are done; hang here until killed
            marker.write_text("120 read")
            time.sleep(600)
        yield Article(id=f"long-{n:03d}", headline=f"Ferry timetable {n}", body=f"The ferry runs at {n} past.")


Index.open(path).add_many(articles(), commit_every=50)
sys.exit("the add finished: it was never killed")
"""


def long_articles() -> list[Article]:
    return [
        Article(id=f"long-{n:03d}", headline=f"Ferry timetable {n}", body=f"The ferry runs at {n} past.")
        for n in range(150)
    ]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_killed_long_add_keeps_its_intermediate_commits(tmp_path: Path) -> None:
    index_path, marker = tmp_path / "news", tmp_path / "marker"
    Index.create(index_path)
    child = subprocess.Popen([sys.executable, "-c", LONG_CHILD, str(index_path), str(marker)],
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: marker.exists() or child.poll() is not None, "the child to read 120 articles")
        assert child.poll() is None, child.communicate()[1]
    finally:
        child.kill()
        child.communicate(timeout=30)  # also closes the pipes
    assert child.returncode == -signal.SIGKILL

    expected = [f"long-{n:03d}" for n in range(100)]
    assert sorted(article.id for article in Index.open(index_path).articles()) == expected
    report = check(index_path)
    assert (report.ok, report.articles, report.problems) == (True, 100, [])

    again = Index.open(index_path, lock_timeout=0.5).add_many(long_articles(), commit_every=50)
    assert (again.added, again.replaced, again.unchanged, again.rejected) == (50, 0, 100, [])
    assert sorted(article.id for article in Index.open(index_path).articles()) == [a.id for a in long_articles()]


def test_the_report_counts_each_article_once_across_commits(tmp_path: Path) -> None:
    base = long_articles()[:20]
    stream: list[Article | dict[str, object]] = [
        *long_articles()[10:40],  # 10 already there (unchanged), 20 new
        {"headline": ""},  # rejected
        long_articles()[35].model_copy(update={"body": "The ferry is cancelled."}),  # replaces one added above
        *long_articles()[:5],  # unchanged again
    ]
    reports = []
    for commit_every in (None, 1, 3, 7):
        index = Index.create(tmp_path / f"every-{commit_every}")
        index.add_many(base)
        report = index.add_many(stream, commit_every=commit_every)
        reports.append((report.added, report.replaced, report.unchanged, len(report.rejected)))
        assert len(index) == 40
        assert index.get("long-035") is not None and index.get("long-035").body == "The ferry is cancelled."
        assert index.check().ok
    assert reports == [(20, 1, 15, 1)] * 4


def test_commit_interval_commits_as_time_passes(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news")
    generations = []

    def articles() -> Iterator[Article]:
        for article in long_articles()[:4]:
            generations.append(Index.open(index.path).stats().generation)
            time.sleep(0.05)
            yield article

    report = index.add_many(articles(), commit_interval=0.01)
    assert report.added == 4
    # Each article that arrives after the interval first commits those before it: article
    # k+1 commits 1..k, so the generator (which looks just before it yields k+1) sees the
    # commit of 1..k-1; the end commits the rest.
    assert generations == [0, 0, 1, 2] and index.stats().generation == 4


@pytest.mark.parametrize("options", [{"commit_every": 0}, {"commit_every": 2.5}, {"commit_every": True},
                                     {"commit_interval": 0}, {"commit_interval": "60"}])
def test_wrong_commit_options_are_refused_before_any_work(tmp_path: Path, options: dict[str, Any]) -> None:
    index = Index.create(tmp_path / "news")
    with pytest.raises(IndexOptionError, match=next(iter(options))):
        index.add_many(long_articles()[:3], **options)
    assert len(index) == 0


def test_a_killed_searchkit_index_keeps_its_commits_and_the_rerun_says_so(tmp_path: Path) -> None:
    """The command commits every N articles: kill it while it waits on a FIFO it was given
    after the articles (opening a FIFO nobody writes blocks), then run it again."""
    index_path, batch, fifo = tmp_path / "news", tmp_path / "batch.jsonl", tmp_path / "never.txt"
    batch.write_bytes(b"".join(article.to_json() + b"\n" for article in long_articles()))
    os.mkfifo(fifo)
    Index.create(index_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "searchkit", "index", str(batch), str(fifo), "--commit-every", "50",
         "--index", str(index_path), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # Two commits (50, 100); the last 50 read wait for a commit that needs the FIFO.
        wait_for(lambda: Index.open(index_path).stats().generation == 2 or child.poll() is not None,
                 "the second intermediate commit")
        assert child.poll() is None, child.communicate()
    finally:
        child.kill()
        child.communicate(timeout=30)  # also closes the pipes
    assert sorted(article.id for article in Index.open(index_path).articles()) == [f"long-{n:03d}" for n in range(100)]
    assert check(index_path).ok

    done = subprocess.run(
        [sys.executable, "-m", "searchkit", "index", str(batch), "--index", str(index_path), "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(
        f"{index_path}: added 50, replaced 0, 100 already indexed (unchanged), rejected 0 in "
    ), done.stdout
    assert len(Index.open(index_path)) == 150
