"""``Index.batch()``: several writes, one commit on a clean exit, nothing on an exception;
nested, cross-thread and late use refused with BatchError; other writers wait their turn."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from news_fixtures import NEWS, found, make_index
from searchkit import AddReport, Batch, BatchError, Index, Rejection

FIRST, REST = NEWS[:4], NEWS[4:]


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return make_index(tmp_path / "news", FIRST)


def files(index: Index) -> list[str]:
    return sorted(os.listdir(index.path))


def test_a_clean_exit_commits_everything_once(index: Index) -> None:
    generation = index.stats().generation
    changed = FIRST[1].model_copy(update={"body": "The evacuation order was lifted on Tuesday."})
    with index.batch() as batch:
        assert isinstance(batch, Batch)
        first = batch.add(REST[0])
        assert first == AddReport(added=1, seconds=first.seconds)
        again = batch.add(REST[0])  # added earlier in this batch: replaced in the buffer
        assert again == AddReport(replaced=1, seconds=again.seconds)
        report = batch.add_many([*REST[1:4], changed, FIRST[2], {"id": "no-body"}])
        assert (report.added, report.replaced, report.unchanged) == (3, 1, 1)
        assert report.rejected == [
            Rejection(location="record 6", reason="an article needs a headline or a body; both are empty")
        ]
        assert batch.delete(["river-rises", REST[1].id, "never-there"]) == 2
        assert batch.delete("budget-draft") == 1
        # Nothing is visible, to this index or another, before the block ends.
        assert index.stats().generation == generation
        assert found(index, "") == found(Index.open(index.path, refresh_interval=0), "")
        assert len(index) == 4
    assert index.stats().generation == generation + 1
    assert sorted(found(index, "")) == sorted(
        ["flood-evacuation", "flood-insurance", REST[0].id, REST[2].id, REST[3].id]
    )
    article = index.get("flood-evacuation")
    assert article is not None and article.body == changed.body


def test_an_exception_leaves_the_index_as_it_was(index: Index) -> None:
    before = (index.stats().generation, found(index, ""), files(index))
    with pytest.raises(KeyError, match="boom"), index.batch() as batch:
        batch.add_many(REST)  # enough to fill the buffer; nothing flushed is kept either
        batch.delete(["river-rises"])
        raise KeyError("boom")
    assert (index.stats().generation, found(index, ""), files(index)) == before
    index.add(REST[0])  # and the lock is free again
    assert len(index) == 5


def test_an_exception_after_segments_were_flushed_leaves_no_file(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", flush_bytes=1, refresh_interval=0)
    index.add_many(FIRST)
    before = (index.stats().generation, files(index))
    with pytest.raises(RuntimeError), index.batch() as batch:
        batch.add_many(REST)  # one segment file per article
        assert len([name for name in files(index) if name.endswith(".skseg")]) > 1
        raise RuntimeError("stop")
    assert (index.stats().generation, files(index)) == before
    assert len(index) == 4


def test_nested_use_in_the_same_thread_is_refused(index: Index) -> None:
    message = (f"a batch is open on the index {index.path} in this thread: write through the batch "
               "(batch.add, batch.add_many, batch.delete) or end its with block first")
    with index.batch() as batch:
        batch.add(REST[0])
        for write in (lambda: index.batch().__enter__(), lambda: index.add(REST[1]),
                      lambda: index.add_many(REST), lambda: index.delete(["river-rises"]), index.optimize):
            with pytest.raises(BatchError) as caught:
                write()
            assert str(caught.value) == message
            assert isinstance(caught.value, RuntimeError)
    assert len(index) == 5  # the outer batch still committed


def test_a_batch_is_used_once_inside_its_block(index: Index) -> None:
    batch = index.batch()
    with pytest.raises(BatchError, match=r"^this batch on the index .* has not started: use it in a with block$"):
        batch.add(REST[0])
    with batch:
        batch.add(REST[0])
    with pytest.raises(BatchError, match=r"^this batch on the index .* has ended$"):
        batch.delete(["river-rises"])
    with pytest.raises(BatchError, match=r"was already used; start a new one with index.batch\(\)$"):
        with batch:
            pass
    assert len(index) == 5


def test_another_thread_cannot_use_the_batch_but_waits_for_it(index: Index) -> None:
    errors: list[BaseException] = []
    other_done = threading.Event()

    def use_the_batch(batch: Batch) -> None:
        try:
            batch.add(REST[1])
        except BaseException as exc:
            errors.append(exc)

    def write_alone() -> None:
        index.add(REST[2])
        other_done.set()

    with index.batch() as batch:
        batch.add(REST[0])
        thread = threading.Thread(target=use_the_batch, args=(batch,))
        thread.start()
        thread.join()
        writer = threading.Thread(target=write_alone)
        writer.start()
        assert not other_done.wait(0.3)  # the other thread's write waits for the batch
    writer.join()
    assert other_done.is_set()
    assert [str(e) for e in errors] == [
        f"this batch on the index {index.path} belongs to another thread; "
        "each thread needs its own (they take turns at the write lock)"
    ]
    assert sorted(found(index, "")) == sorted([a.id for a in FIRST] + [REST[0].id, REST[2].id])


def test_a_closed_index_cannot_start_a_batch(index: Index) -> None:
    index.close()
    with pytest.raises(Exception, match="is closed"):
        with index.batch():
            pass
