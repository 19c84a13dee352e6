"""``Index.check()`` / ``searchkit check`` on the news data (searchkit/engine/check.py): the
story file of the latest generation (``MAIN_<n>.skstory``, searchkit/engine/storyfile.py)
and the near-duplicate fingerprint columns of each segment, damaged on purpose in real
indexes; a healthy index reports nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import orjson
import pytest
from test_cli import cli
from wire_fixtures import WIRE

from searchkit import Index
from searchkit.engine.segfile import SegmentFileReader, SegmentFileWriter

HINT = "delete it: searches then cluster the articles in memory and the next write stores them again"


def wire_index(folder: Path) -> Path:
    """An index of the wire copies with a deletion and a replacement (generation 3), closed;
    its story file."""
    with Index.create(folder) as index:
        index.add_many(WIRE)
        index.delete(["leopard-cubs"])
        index.add(WIRE[0].model_copy(update={"headline": "Dam failure: the cause still unknown"}))
    [story] = folder.glob("*.skstory")
    assert story.name == "MAIN_3.skstory"
    return story


def problems(folder: Path) -> list[str]:
    with Index.open(folder) as index:
        report = index.check()
    assert report.ok is not report.problems
    return report.problems


def test_a_healthy_index_reports_nothing(tmp_path: Path) -> None:
    wire_index(tmp_path / "wire")
    with Index.open(tmp_path / "wire") as index:
        report = index.check()
        assert index.search("dam", collapse="duplicates").total == 2  # stories and fingerprints in use
    assert (report.ok, report.articles, report.segments, report.problems, report.notes) == (True, 8, 2, [], [])


def test_a_truncated_story_file(tmp_path: Path) -> None:
    story = wire_index(tmp_path / "wire")
    data = story.read_bytes()
    story.write_bytes(data[:len(data) // 2])
    assert problems(tmp_path / "wire") == [
        f"MAIN_3.skstory: it is damaged ({story}: the segment footer is damaged); {HINT}"]


def test_a_story_file_with_a_damaged_header(tmp_path: Path) -> None:
    story = wire_index(tmp_path / "wire")
    data = bytearray(story.read_bytes())
    data[0] ^= 0xFF
    story.write_bytes(bytes(data))
    assert problems(tmp_path / "wire") == [f"MAIN_3.skstory: it is damaged ({story} is not a searchkit segment file); {HINT}"]


def test_a_story_file_with_an_edited_id(tmp_path: Path) -> None:
    story = wire_index(tmp_path / "wire")
    data = story.read_bytes()
    assert data.count(b"budget-column") == 1
    story.write_bytes(data.replace(b"budget-column", b"budget-colunm"))
    assert problems(tmp_path / "wire") == [
        "MAIN_3.skstory: it does not match generation 3: 1 article ids not in the index (first 'budget-colunm'); "
        f"no story for 1 articles of the index (first 'budget-column'); {HINT}"]


def test_a_story_file_of_another_generation(tmp_path: Path) -> None:
    folder = tmp_path / "wire"
    with Index.create(folder) as index:
        index.add_many(WIRE[:5])
        kept = tmp_path / "MAIN_1.skstory"
        shutil.copy(folder / "MAIN_1.skstory", kept)
        index.add_many(WIRE[5:])
    os.replace(kept, folder / "MAIN_2.skstory")  # generation 1's stories under generation 2's name
    assert problems(folder) == [
        f"MAIN_2.skstory: it does not match generation 2: no story for 4 articles of the index (first "
        f"{sorted(a.id for a in WIRE[5:])[0]!r}); {HINT}"]


def test_a_story_file_whose_columns_disagree(tmp_path: Path) -> None:
    story = wire_index(tmp_path / "wire")
    rewrite(story, {"story": lambda story: story[:-1]})
    assert problems(tmp_path / "wire") == [f"MAIN_3.skstory: its columns do not cover its 8 articles (they hold 7, 8); {HINT}"]


def rewrite(path: Path, change: dict[str, object]) -> None:
    """Write ``path`` again with some arrays changed (a function of the old array) or left out (None)."""
    old = SegmentFileReader(path)
    temporary = path.with_name("rewritten")
    writer = SegmentFileWriter(temporary)
    for name in old.names():
        if name not in change:
            writer.add(name, old.array(name))
        elif change[name] is not None:
            writer.add(name, change[name](np.array(old.array(name))))  # type: ignore[operator]
    writer.finish(old.meta)
    old.close()
    os.replace(temporary, path)


@pytest.mark.parametrize(("change", "message"), [
    ({"fingerprint": lambda slots: slots[:-128]},
     "its fingerprint column holds 1024 uint16 values, not 9 x 128 = 1152 uint16"),
    ({"shingles": lambda counts: counts.astype(np.uint16)}, "its shingles column holds 9 uint16 values, not 9 uint32"),
    ({"shingles": None}, "has a fingerprint column without its shingles column"),
])
def test_fingerprint_columns_of_the_wrong_shape(tmp_path: Path, change: dict[str, object], message: str) -> None:
    folder = tmp_path / "wire"
    with Index.create(folder) as index:
        index.add_many(WIRE)
    [segment] = folder.glob("*.skseg")
    rewrite(segment, change)
    assert problems(folder) == [
        f"{segment.name}: {message}: near-duplicates (Index.duplicates, collapse='duplicates') cannot use it; "
        "export the articles (searchkit export) and index them into a new index"]


def test_searchkit_check_reports_a_damaged_story_file(tmp_path: Path) -> None:
    story = wire_index(tmp_path / "wire")
    story.write_bytes(story.read_bytes()[:100])
    run = cli("check", "--index", str(tmp_path / "wire"), "--json")
    assert run.returncode == 1
    report = orjson.loads(run.stdout)
    assert (report["ok"], report["problems"]) == (
        False, [f"MAIN_3.skstory: it is damaged ({story}: the segment footer is damaged); {HINT}"])
    healthy = tmp_path / "healthy"
    wire_index(healthy)
    run = cli("check", "--index", str(healthy))
    assert (run.returncode, run.stdout) == (0, f"{healthy}: ok (8 articles in 2 segments checked)\n")
