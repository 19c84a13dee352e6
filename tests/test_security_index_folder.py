"""Security: a hostile index folder never runs code, through any entry point.

Whoosh's table of contents (``_MAIN_<n>.toc``) is a header followed by two pickles. Each
case here writes a crafted table of contents as the newest generation of a real index:
pickles that would create a marker file when loaded (through ``open`` and through
``os.system``, in the segment list and in the schema), pickles naming globals searchkit
never writes (``collections.OrderedDict``, ``os.getcwd``), a segment whose name would
leave the folder, a guard segment (the record of an index without segments) that is
malformed or listed beside segments, a truncated file, an oversized file and garbage. Every entry point
(``Index.open``, ``searchkit.check``, ``stats`` and ``search`` on an index already open,
and the ``searchkit`` command's check, stats, search, show, export and index) answers
:class:`IndexCorruptError` (a one-line error, exit 1, on the command line) naming the file,
and the marker file is never created.
"""

from __future__ import annotations

import collections
import os
import pickle
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from searchkit import Article, Index, IndexCorruptError, check
from searchkit.engine.schema import whoosh_schema
from searchkit.engine.store import GuardSegment, SearchkitSegment
from searchkit.engine.toc import MAX_TOC_BYTES

ARTICLES = [
    Article(id=f"art-{n}", headline=f"Harbour notice {n}", body="The harbour office posted a notice.")
    for n in range(3)
]


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def toc_bytes(schema_pickle: bytes, generation: int, segments_pickle: bytes) -> bytes:
    """A table of contents in Whoosh's format, written by hand (see whoosh.index.TOC.write)."""
    header = varint(4) + varint(8) + varint(4) + struct.pack("!i", -12345) + struct.pack("!i", -111)
    header += varint(2) + varint(7) + varint(2)
    return header + varint(len(schema_pickle)) + schema_pickle + struct.pack("!ii", generation, 0) + segments_pickle


class CreatesFile:
    """Unpickling this calls ``open(path, "w")``: the file appears if the pickle is loaded."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


class RunsShell:
    """Unpickling this runs ``touch path`` through ``os.system``."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.path}",))


class CallsGetcwd:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.getcwd, ())


def escaping_segment() -> list[SearchkitSegment]:
    segment = SearchkitSegment("MAIN", 1)
    segment.segid = "../../outside"
    return [segment]


def escaping_guard() -> list[GuardSegment]:
    guard = GuardSegment("MAIN")
    guard.segid = "../../outside"
    return [guard]


def schema() -> bytes:
    return pickle.dumps(whoosh_schema(), 2)


# name -> (builds the file's bytes from (generation, marker), what the message says)
CASES: dict[str, tuple[Callable[[int, Path], bytes], str]] = {
    "open-in-segments": (lambda g, m: toc_bytes(schema(), g, pickle.dumps([CreatesFile(m)], -1)), "which searchkit never writes"),
    "system-in-segments": (lambda g, m: toc_bytes(schema(), g, pickle.dumps([RunsShell(m)], -1)), "refers to posix.system"),
    "open-in-schema": (lambda g, m: toc_bytes(pickle.dumps(CreatesFile(m), 2), g, pickle.dumps([], -1)), "which searchkit never writes"),
    "ordered-dict": (lambda g, m: toc_bytes(schema(), g, pickle.dumps([collections.OrderedDict()], -1)), "refers to collections.OrderedDict"),
    "getcwd": (lambda g, m: toc_bytes(schema(), g, pickle.dumps([CallsGetcwd()], -1)), "refers to posix.getcwd"),
    "escaping-segment-name": (lambda g, m: toc_bytes(schema(), g, pickle.dumps(escaping_segment(), -1)), "malformed name"),
    "escaping-guard-name": (lambda g, m: toc_bytes(schema(), g, pickle.dumps(escaping_guard(), -1)), "guard segment is malformed"),
    "guard-beside-a-segment": (
        lambda g, m: toc_bytes(schema(), g, pickle.dumps([SearchkitSegment("MAIN", 1), GuardSegment("MAIN")], -1)),
        "segment 1 is a GuardSegment, not a searchkit segment",
    ),
    "truncated": (lambda g, m: toc_bytes(schema(), g, pickle.dumps([CreatesFile(m)], -1))[:60], "truncated"),
    "garbage": (lambda g, m: bytes(range(256)) * 8, "not a table of contents searchkit can read"),
}


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    path = tmp_path / "news"
    Index.create(path).add_many(ARTICLES)
    return path


def generation_of(path: Path) -> int:
    return max(int(p.name[len("_MAIN_") : -len(".toc")]) for p in path.glob("_MAIN_*.toc"))


def plant(path: Path, case: str, marker: Path) -> Path:
    """Write the crafted table of contents as the index's newest generation."""
    generation = generation_of(path) + 1
    toc = path / f"_MAIN_{generation}.toc"
    if case == "oversized":
        shutil.copyfile(path / f"_MAIN_{generation - 1}.toc", toc)
        os.truncate(toc, MAX_TOC_BYTES + 1)  # sparse: costs no disk
    else:
        toc.write_bytes(CASES[case][0](generation, marker))
    return toc


ALL_CASES = [*CASES, "oversized"]


def expected_words(case: str) -> str:
    return "is at most" if case == "oversized" else CASES[case][1]


def test_the_hand_written_format_is_the_real_one(index_path: Path, tmp_path: Path) -> None:
    """Control: a table of contents built by toc_bytes from the real segments opens, so
    the cases below fail only for what they carry."""
    segments = Index.open(index_path)._store.read_segments()[1]
    generation = generation_of(index_path) + 1
    (index_path / f"_MAIN_{generation}.toc").write_bytes(toc_bytes(schema(), generation, pickle.dumps(segments, -1)))
    index = Index.open(index_path)
    assert (index.stats().generation, [hit.id for hit in index.search("harbour", sort="oldest").hits]) == (
        generation, ["art-0", "art-1", "art-2"],
    )


@pytest.mark.parametrize("case", ALL_CASES)
def test_opening_and_checking_a_hostile_folder_runs_nothing(index_path: Path, tmp_path: Path, case: str) -> None:
    marker = tmp_path / "marker"
    toc = plant(index_path, case, marker)
    with pytest.raises(IndexCorruptError) as caught:
        Index.open(index_path)
    assert str(toc) in str(caught.value) and expected_words(case) in str(caught.value)
    report = check(index_path)
    assert (report.ok, report.articles) == (False, 0)
    assert len(report.problems) == 1 and str(toc) in report.problems[0], report.problems
    assert not marker.exists()


@pytest.mark.parametrize("case", ["open-in-segments", "system-in-segments", "open-in-schema", "truncated"])
def test_an_open_index_refuses_a_hostile_new_generation(index_path: Path, tmp_path: Path, case: str) -> None:
    index = Index.open(index_path, refresh_interval=0)
    assert index.search("harbour").total == 3
    marker = tmp_path / "marker"
    toc = plant(index_path, case, marker)
    with pytest.raises(IndexCorruptError, match=str(toc)):
        index.stats()
    with pytest.raises(IndexCorruptError, match=str(toc)):
        index.search("harbour")
    assert not marker.exists()


def searchkit(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", *argv], capture_output=True, text=True, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if k != "SEARCHKIT_INDEX"},
    )


@pytest.mark.parametrize("case", ["system-in-segments", "open-in-schema", "oversized"])
def test_every_command_refuses_a_hostile_folder(index_path: Path, tmp_path: Path, case: str) -> None:
    marker = tmp_path / "marker"
    toc = plant(index_path, case, marker)
    articles = tmp_path / "more.jsonl"
    articles.write_bytes(Article(id="more", headline="More", body="More text.").to_json() + b"\n")
    commands = [["stats"], ["search", "harbour"], ["show", "art-0"], ["export"], ["index", str(articles)]]
    for command in commands:
        done = searchkit(*command, "--index", str(index_path))
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"searchkit {command[0]}: {toc}"), done.stderr
        assert expected_words(case) in done.stderr
    done = searchkit("check", "--index", str(index_path))
    assert done.returncode == 1 and str(toc) in done.stdout and "PROBLEMS FOUND" in done.stdout, done.stdout
    assert not marker.exists()


def test_whoosh_still_reads_the_table_of_contents_searchkit_writes(index_path: Path) -> None:
    """searchkit writes the table of contents itself, byte for byte in Whoosh's format."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    toc = TOC.read(FileStorage(str(index_path)), "MAIN")
    assert toc.generation == generation_of(index_path) == 1
    assert [segment.document_count() for segment in toc.segments] == [3]
    assert toc.schema.names() == whoosh_schema().names()
