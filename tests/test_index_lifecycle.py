"""An Index's lifecycle: ``close()`` and the ``with`` block release the index's memory maps
and file descriptors at once, and a closed index refuses to be used.

The counts come from the process itself (``/proc/self/fd``, ``/proc/self/maps``), with the
garbage collector switched off so nothing is released behind the test's back.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from news_fixtures import NEWS, ids, make_index
from searchkit import Index, IndexClosedError, SearchkitError

pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="counts descriptors through /proc (Linux)")


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def mapped_files(folder: Path) -> list[str]:
    """The files under ``folder`` this process has mapped."""
    prefix = str(folder)
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        return sorted({line.split(maxsplit=5)[5].strip() for line in maps
                       if len(line.split(maxsplit=5)) == 6 and line.split(maxsplit=5)[5].startswith(prefix)})


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    """Three indexes, the second with two segments (two commits) and a deletion."""
    paths = [tmp_path / name for name in ("one", "two", "three")]
    with make_index(paths[0], NEWS[:4]):
        pass
    with make_index(paths[1], NEWS[:5]) as index:
        index.add_many(NEWS[5:])
        index.delete(["river-rises"])
    with make_index(paths[2], NEWS):
        pass
    return paths


def test_closing_unmaps_every_segment_at_once(folders: list[Path], no_gc: None) -> None:
    index = Index.open(folders[1])
    assert index.search("council").total > 0
    assert len(mapped_files(folders[1])) == 3  # two segments and the story file
    index.close()
    assert mapped_files(folders[1]) == []
    assert index.closed


@pytest.mark.slow
def test_2000_indexes_opened_searched_and_closed_leak_nothing(folders: list[Path], no_gc: None) -> None:
    expected = {}
    for path in folders:
        with Index.open(path) as index:
            expected[path] = ids(index.search("council OR river", limit=20))
    descriptors = open_descriptors()
    for number in range(2000):
        path = folders[number % 3]
        with Index.open(path) as index:
            assert ids(index.search("council OR river", limit=20)) == expected[path]
            assert len(index) > 0
            if number % 100 == 0:
                assert index.get("flood-insurance") is not None
                assert sum(1 for _ in index.articles()) == len(index)
        if number % 100 == 0:
            assert mapped_files(path) == [], f"after index {number}"
    assert open_descriptors() == descriptors
    assert mapped_files(folders[0].parent) == []


def test_writing_leaves_nothing_mapped_after_close(tmp_path: Path, no_gc: None) -> None:
    descriptors = open_descriptors()
    path = tmp_path / "written"
    for number in range(50):
        with Index.open_or_create(path, refresh_interval=0) as index:
            index.add(NEWS[number % len(NEWS)].model_copy(update={"id": f"story-{number}"}))
            if number % 10 == 9:
                index.delete([f"story-{number - 5}"])
        assert mapped_files(path) == [], f"after write {number}"
    assert open_descriptors() == descriptors
    with Index.open(path) as index:
        assert len(index) == 45


def test_a_closed_index_refuses_every_use(folders: list[Path]) -> None:
    index = Index.open(folders[0])
    index.close()
    index.close()  # twice is fine
    uses = {
        "search": lambda: index.search("council"),
        "len": lambda: len(index),
        "get": lambda: index.get("harbor-dredging"),
        "contains": lambda: "harbor-dredging" in index,
        "articles": lambda: list(index.articles()),
        "stats": lambda: index.stats(),
        "check": lambda: index.check(),
        "refresh": lambda: index.refresh(),
        "add": lambda: index.add(NEWS[0]),
        "add_many": lambda: index.add_many(NEWS),
        "delete": lambda: index.delete(["harbor-dredging"]),
        "optimize": lambda: index.optimize(),
        "with": lambda: index.__enter__(),
    }
    for name, use in uses.items():
        with pytest.raises(IndexClosedError) as caught:
            use()
        assert str(caught.value) == (
            f"the index {folders[0]} is closed; open it again with Index.open({str(folders[0])!r})"
        ), name
        assert isinstance(caught.value, SearchkitError) and isinstance(caught.value, ValueError)
    with Index.open(folders[0]) as again:  # the folder itself is untouched
        assert len(again) == 4


def test_an_iteration_still_running_when_the_index_closes_gets_the_clear_error(folders: list[Path], no_gc: None) -> None:
    index = Index.open(folders[2])
    articles = index.articles()
    assert next(articles).id == NEWS[0].id
    index.close()
    assert mapped_files(folders[2]) == []
    with pytest.raises(IndexClosedError, match="is closed"):
        next(articles)


def test_leaving_a_with_block_by_an_exception_closes_the_index(folders: list[Path], no_gc: None) -> None:
    with pytest.raises(KeyError), Index.open(folders[1]) as index:
        index.search("council")
        raise KeyError("boom")
    assert index.closed and mapped_files(folders[1]) == []
    assert sys.getrefcount(index) >= 2
