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

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from searchkit import Article, Index, check, read_articles

BASE = [
    Article(id=f"base-{n:02d}", headline=f"Harbour notice {n}", body="The harbour office posted a notice.")
    for n in range(40)
]
WORDS = ("ferry", "harbour", "council", "budget", "river", "flood", "market", "weather", "school", "bridge")

# The child: small flushes, one function wrapped to SIGKILL the process at the chosen call.
CHILD = r"""
import os, signal, sys
from pathlib import Path

import searchkit.engine.writer as writer_module
from searchkit import Index, read_articles
from searchkit.engine import segfile, segment, store

path, point, batch = sys.argv[1], sys.argv[2], sys.argv[3]
writer_module.FLUSH_TOKENS = 2_000  # about 30 articles a segment: ~13 flushes, merged at commit
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
    kill_at(writer_module, "merge_segments", lambda: True)
elif point == "toc-before-rename":  # the new table of contents written, not yet renamed
    kill_at(store._DurableStorage, "rename_file", lambda: True)
elif point == "toc-after-rename":  # the new generation published, nothing cleaned up
    kill_at(store, "fsync_dir", lambda: True)
else:
    sys.exit(f"unknown kill point {point}")

Index.open(path, lock_timeout=10).add_many(read_articles(batch))
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
                       and p.name not in (committed, "_MAIN_1.toc", "MAIN_WRITELOCK"))
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
