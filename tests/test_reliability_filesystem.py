"""Writes the file system refuses: a full disk and a read-only index, on real small file systems.

Each test mounts a tmpfs of a few MB of its own (as root; CI runs as root, so it never skips
there). A full disk gives :class:`IndexFullError` and a read-only folder
:class:`IndexReadOnlyError` (both :class:`IndexWriteError`, an ``OSError``; the read-only one
also a ``PermissionError``), naming the index and what to do; the ``searchkit`` command prints
it as one line and exits 1. Each time the index keeps its last commit exactly, ``check`` finds
nothing wrong and no file of the failed write is left behind; once space is freed (or the
file system is writable again) the same write succeeds.
"""

from __future__ import annotations

import errno
import os
import random
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchkit import (
    Article,
    Index,
    IndexFullError,
    IndexReadOnlyError,
    IndexWriteError,
    SearchkitError,
    check,
)

WORDS = [f"w{n:04d}" for n in range(5000)]


def article(n: int, words: int = 40) -> Article:
    rng = random.Random(n)  # random words compress badly, so the segment files are big
    return Article(id=f"a{n:04d}", headline=f"Harbour notice {n}", body=" ".join(rng.choices(WORDS, k=words)))


BASE = [article(n) for n in range(20)]
BIG = [article(n, words=800) for n in range(100, 400)]  # about 1.7 MB of text


def mount_tmpfs(where: Path, size: str) -> None:
    reason = ""
    if os.geteuid() != 0:
        reason = "mounting a small tmpfs to fill or make read-only needs root"
    else:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = f"cannot mount a tmpfs here: {done.stderr.strip()}"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "mnt"
    mount.mkdir()
    mount_tmpfs(mount, "4m")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system with one file, then give back ``leave`` bytes."""
    filler = folder / "filler"
    with open(filler, "wb") as file:
        try:
            while True:
                file.write(b"\0" * 65536)
                file.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def index_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.name != "MAIN_WRITELOCK")


def ids(path: Path) -> list[str]:
    return sorted(a.id for a in Index.open(path).articles())


def room_for(folder: Path, endings: tuple[str, ...]) -> int:
    """Bytes to leave free so that the files of BIG's commit ending in ``endings`` fit and
    the next one written does not (the segment, then the stories, then the table of
    contents): measured by adding BIG to a throwaway index on the same file system."""
    probe = folder / "probe"
    Index.create(probe).add_many(BASE)
    before = set(os.listdir(probe))
    Index.open(probe).add_many(BIG)
    page = resource.getpagesize()
    sizes = [(probe / name).stat().st_size for name in os.listdir(probe) if name not in before and name.endswith(endings)]
    shutil.rmtree(probe)
    return sum(-(-size // page) * page for size in sizes) + page  # their pages and one more (what writing takes)


@pytest.mark.parametrize("stage", ["writing a segment file", "writing the stories", "writing the table of contents"])
def test_a_full_disk_raises_index_full_and_keeps_the_last_commit(small_fs: Path, stage: str) -> None:
    leave = {"writing a segment file": 0, "writing the stories": room_for(small_fs, (".skseg",)),
             "writing the table of contents": room_for(small_fs, (".skseg", ".skstory"))}[stage]
    path = small_fs / "news"
    index = Index.create(path)
    index.add_many(BASE)
    before = index_files(path)
    filler = fill(small_fs, leave)

    with pytest.raises(IndexFullError) as caught:
        index.add_many(BIG)
    error = caught.value
    assert isinstance(error, IndexWriteError) and isinstance(error, OSError) and isinstance(error, SearchkitError)
    assert (error.errno, error.path) == (errno.ENOSPC, path)
    message = str(error)
    assert message.startswith(f"cannot write to index {path} while {stage} (No space left on device")
    assert "the index keeps its last commit" in message
    assert "free space on that device" in message

    assert index_files(path) == before  # nothing of the failed write is left
    assert ids(path) == [a.id for a in BASE] and len(index) == 20
    report = check(path)
    assert (report.ok, report.articles, report.problems, report.notes) == (True, 20, [], [])

    filler.unlink()
    assert index.add_many(BIG).added == 300
    assert ids(path) == sorted(a.id for a in BASE + BIG)


def test_a_full_disk_while_a_thread_writes_a_segment_for_workers_keeps_the_last_commit(small_fs: Path) -> None:
    # With workers, a thread writes each segment file while the writer goes on; its error is
    # raised by the writer, and the write's files are removed once that thread is done.
    path = small_fs / "news"
    index = Index.create(path, workers=2, flush_tokens=40_000)
    index.add_many(BASE)
    before = index_files(path)
    filler = fill(small_fs, 0)
    with pytest.raises(IndexFullError) as caught:
        index.add_many(BIG)
    assert str(caught.value).startswith(f"cannot write to index {path} while writing a segment file (No space")
    assert index_files(path) == before
    assert ids(path) == [a.id for a in BASE] and check(path).ok
    index.close()
    filler.unlink()
    with Index.open(path) as again:  # (one segment: the 4 MB hold no more)
        assert again.add_many(BIG).added == 300
    assert ids(path) == sorted(a.id for a in BASE + BIG) and check(path).ok


def test_a_full_disk_on_the_command_line_is_one_line_and_exit_1(small_fs: Path, tmp_path: Path) -> None:
    path = small_fs / "news"
    Index.create(path).add_many(BASE)
    batch = tmp_path / "big.jsonl"
    batch.write_bytes(b"".join(a.to_json() + b"\n" for a in BIG))
    fill(small_fs, 0)
    done = subprocess.run([sys.executable, "-m", "searchkit", "index", str(batch), "--index", str(path), "--quiet"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"searchkit index: cannot write to index {path} while ")
    assert "No space left on device" in done.stderr
    assert ids(path) == [a.id for a in BASE]


def remount(mount: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount)], check=True)


def test_a_read_only_index_raises_index_read_only_and_still_searches(small_fs: Path, tmp_path: Path) -> None:
    path = small_fs / "news"
    index = Index.create(path, refresh_interval=0)
    index.add_many(BASE)
    before = index_files(path)
    remount(small_fs, "ro")
    try:
        with pytest.raises(OSError) as probe:
            (small_fs / "probe").write_bytes(b"")
        assert probe.value.errno == errno.EROFS  # the file system really refuses writes

        for write in (lambda: index.add_many(BIG[:5]), lambda: index.delete(["a0001"]), index.optimize):
            with pytest.raises(IndexReadOnlyError) as caught:
                write()
            error = caught.value
            assert isinstance(error, PermissionError) and isinstance(error, IndexWriteError)
            assert (error.errno, error.path) == (errno.EROFS, path)
            assert str(error).startswith(f"cannot write to index {path} while taking the write lock (Read-only file system")
            assert "make the folder writable" in str(error) and "searching it still works" in str(error)
        with pytest.raises(IndexReadOnlyError, match="while creating the index"):
            Index.create(small_fs / "other")

        # Reading is untouched.
        assert [hit.id for hit in Index.open(path).search("harbour", sort="oldest", limit=3).hits] == [
            "a0000", "a0001", "a0002",
        ]
        assert check(path).ok

        batch = tmp_path / "more.jsonl"
        batch.write_bytes(b"".join(a.to_json() + b"\n" for a in BIG[:5]))
        done = subprocess.run([sys.executable, "-m", "searchkit", "index", str(batch), "--index", str(path), "--quiet"],
                              capture_output=True, text=True, timeout=120, check=False)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(
            f"searchkit index: cannot write to index {path} while taking the write lock (Read-only file system"
        ), done.stderr
    finally:
        remount(small_fs, "rw")
    assert index_files(path) == before and ids(path) == [a.id for a in BASE]
    assert index.add_many(BIG[:5]).added == 5
