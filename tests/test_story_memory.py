"""The writer's story state kept compact (issue 16): the clusterer's arrays, its vectors and
headlines partly in temporary files (engine/storyrows.py), must give exactly what it gave
with everything in memory: the same story for every article, the same representatives,
the same members (vectors to the float) and the same story file."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import searchkit.engine.storyrows as storyrows
from searchkit.engine.segment import day_number
from searchkit.engine.stories import StoryClusterer, StoryState
from searchkit.engine.storyfile import _read, _write

from test_stories_indexing import roundups


def churned(folder: Path) -> StoryClusterer:
    """The roundups added in runs, with removals and re-additions between them."""
    articles = roundups()
    items = [(a.id, a.headline, a.body, day_number(a.date), a.source) for a in articles]
    rng = random.Random(16)
    clusterer = StoryClusterer(StoryState(), committed_df=lambda term: 0, committed_docs=0, spill_folder=folder)
    for start in range(0, len(items), 100):
        clusterer.add_many(items[start:start + 100])
        for victim in rng.sample(items[:start + 100], 5):
            clusterer.remove(victim[0])
        clusterer.representatives()
        again = list({item[0]: item for item in rng.sample(items[:start + 100], 5)}.values())
        for item in again:
            clusterer.remove(item[0])
        clusterer.add_many(again)
    return clusterer


def test_vectors_in_temporary_files_cluster_as_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = []
    for spill_at in (storyrows.SPILL_AT, 50):  # everything in memory; files from the 3rd article on
        monkeypatch.setattr(storyrows, "SPILL_AT", spill_at)
        clusterer = churned(tmp_path)
        state = clusterer.state
        members = {article_id: state.members[article_id] for article_id in state.members}
        path = tmp_path / f"stories-{spill_at}.skstory"
        _write(path, clusterer)
        found.append((members, clusterer.representatives(), clusterer.story_count(), dict(_read(path).members.items())))
        clusterer.close()
    assert found[1][:3] == found[0][:3]
    members, representatives, count, read = found[0]
    assert list(read) == list(members)
    assert [m.story for m in read.values()] == [m.story for m in members.values()]
    assert [m.terms for m in read.values()] == [m.terms for m in members.values()]
    assert [m.headline for m in read.values()] == [m.headline for m in members.values()]
    assert [m.weights for m in read.values()] == [tuple(np.float32(m.weights).tolist()) for m in members.values()]
    assert found[1][3] == read
    assert count == len(set(representatives)) == len({m.story for m in members.values()})


def test_story_file_written_in_small_chunks_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The story file is the same bytes whatever the rows gathered at a time (storyrows.CHUNK_ROWS),
    with vectors in memory and in files and dead rows between live ones; a chunk taken
    does not stop the clusterer from growing."""
    monkeypatch.setattr(storyrows, "SPILL_AT", 50)
    clusterer = churned(tmp_path)
    written = []
    for rows in (1 << 16, 4096, 7, 1):
        monkeypatch.setattr(storyrows, "CHUNK_ROWS", rows)
        path = tmp_path / f"stories-{rows}.skstory"
        _write(path, clusterer)
        written.append(path.read_bytes())
    assert len(written[0]) > 100_000
    assert written[1:] == [written[0]] * 3
    live = clusterer.columns().rows
    assert live.size < len(clusterer._vectors) and int(np.diff(live).max()) > 1  # dead rows skipped
    pending = clusterer.chunks(live)
    first = next(pending)
    assert first.lengths.size == 1
    article = roundups()[0]
    clusterer.remove(article.id)
    clusterer.add(article.id, article.headline, article.body, day=day_number(article.date), source=article.source)
    pending.close()
    clusterer.close()


@pytest.mark.parametrize("spill_at", [storyrows.SPILL_AT, 7])
def test_rows_appended_as_lists_are_the_rows_appended_as_arrays(tmp_path: Path, spill_at: int) -> None:
    # VectorRows.append takes lists (StoryClusterer.vectors's) through array.fromlist, other
    # sequences through extend: the same rows, in memory and in temporary files.
    randomly = random.Random(16)
    vectors = [([randomly.randrange(2**31) for _ in range(size)], [randomly.random() for _ in range(size)])
               for size in (3, 0, 5, 1, 12, 2, 4)]
    as_lists = storyrows.VectorRows(tmp_path, spill_at=spill_at)
    as_arrays = storyrows.VectorRows(tmp_path, spill_at=spill_at)
    for row, (terms, weights) in enumerate(vectors):
        assert as_lists.append(terms, weights, f"headline {row}", f"id-{row}") == row
        assert as_arrays.append(np.array(terms, dtype=np.int32), tuple(weights), f"headline {row}", f"id-{row}") == row
    for row, (terms, weights) in enumerate(vectors):
        assert as_lists.vector(row) == as_arrays.vector(row)
        assert list(as_lists.vector(row)[0]) == terms and list(as_lists.vector(row)[1]) == weights
        assert as_lists.headline(row) == f"headline {row}" and as_lists.article_id(row) == f"id-{row}"
    if spill_at < 12:  # the spilled rows' headline and id starts are in the files too
        assert len(as_lists._headline_start) == len(as_lists._id_start) == len(vectors) + 1 - as_lists._row_base
        assert 0 < as_lists._row_base < len(vectors)
        assert [chunk.ids for chunk in as_lists.chunks(np.array([0, 2, 6]), 2)] == [b"id-0id-2", b"id-6"]
        assert list(as_lists.headlines(np.array([0, 2, 6]), 2)) == [["headline 0", "headline 2"], ["headline 6"]]
        assert list(as_lists.ids(np.array([1, 6]))) == [["id-1", "id-6"]]
    as_lists.close()
    as_arrays.close()


def test_row_index_is_made_only_when_an_article_is_looked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that only adds new articles keeps no id -> row table; the first removal
    or look-up makes it from the rows (ids in memory and in the temporary files, not all
    ASCII) and finds each live article, and it is kept up to date from then on."""
    monkeypatch.setattr(storyrows, "SPILL_AT", 50)
    articles = roundups()[:300]
    items = [(f"{a.id}-é{n}", a.headline, a.body, day_number(a.date), a.source) for n, a in enumerate(articles)]
    clusterer = StoryClusterer(StoryState(), committed_df=lambda term: 0, committed_docs=0, spill_folder=tmp_path)
    numbers: list[int | None] = list(clusterer.add_many(items[:200]))
    assert clusterer._row_index is None and clusterer._vectors._entry_base > 0
    assert clusterer.remove(items[7][0]) and clusterer._row_index is not None
    assert not clusterer.remove(items[7][0])
    numbers[7] = None
    assert [clusterer.story_of(item[0]) for item in items[:200]] == numbers
    numbers += clusterer.add_many(items[200:])
    assert [clusterer.story_of(item[0]) for item in items] == numbers
    assert clusterer.ids(clusterer.columns().rows) == [item[0] for item in items if item[0] != items[7][0]]
    clusterer.close()
