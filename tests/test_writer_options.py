"""Writer options on ``Index.create``/``open``: memory per flush, segment size and merge
policy, validated, with the former module constants as defaults."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from news_fixtures import NEWS, found
from searchkit import Article, Index, IndexOptionError, WriterOptions
from searchkit.engine import writer
from searchkit.engine.store import IndexStore


def segment_sizes(path: Path) -> list[tuple[int, int]]:
    """(documents, deleted) of each committed segment, in order."""
    return [(s.document_count(), s.deleted_count()) for s in IndexStore.open(path).read_segments()[1]]


def test_the_defaults_are_the_former_constants(tmp_path: Path) -> None:
    # flush_tokens was 3,000,000 until writing a segment's peak memory was measured (issue 16)
    index = Index.create(tmp_path / "news")
    assert index.writer_options == WriterOptions() == WriterOptions(
        flush_tokens=1_000_000, flush_bytes=32 << 20, merge_factor=6, max_deleted_ratio=0.3, max_merged_articles=None
    )


def test_flush_bytes_of_one_writes_a_segment_per_article(tmp_path: Path) -> None:
    path = tmp_path / "news"
    index = Index.create(path, flush_bytes=1, merge_factor=100, refresh_interval=0)
    index.add_many(NEWS)
    assert segment_sizes(path) == [(1, 0)] * 10
    plain = Index.create(tmp_path / "plain")
    plain.add_many(NEWS)
    assert segment_sizes(tmp_path / "plain") == [(10, 0)]
    for query in ("river", "council budget", "flood OR harbour", '"night ferry"'):
        assert found(index, query) == found(plain, query), query


def test_flush_tokens_bounds_the_terms_held_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path, flush_tokens=1, merge_factor=100).add_many(NEWS)
    assert segment_sizes(path) == [(1, 0)] * 10


def test_merge_factor(tmp_path: Path) -> None:
    # Segments under 4 MiB are one tier: each merge takes in the last one made.
    for factor, expected in ((6, [(6, 0), (1, 0), (1, 0)]), (2, [(8, 0)]), (3, [(7, 0), (1, 0)])):
        path = tmp_path / f"factor-{factor}"
        index = Index.create(path, merge_factor=factor)
        for article in NEWS[:8]:
            index.add(article)  # one commit, so one segment, each
        assert segment_sizes(path) == expected, factor


def test_segments_of_about_one_size_merge_whatever_their_article_counts(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 long, 10 middling and 60 short articles: 128-175 KB segments, all within the tier
    # [64 KiB, 3 x 64 KiB) with a 64 KiB floor; by article count (1, 10, 60) they never would.
    monkeypatch.setattr(writer, "MERGE_FLOOR_BYTES", 64 << 10)
    rng = random.Random(4)
    words = [f"w{n}" for n in range(3000)]
    index = Index.create(tmp_path / "news", merge_factor=3, refresh_interval=0)
    for count, length in ((1, 6000), (10, 600), (60, 100)):
        index.add_many([Article(id=f"{count}-{k}", headline="Report", body=" ".join(rng.choices(words, k=length)))
                        for k in range(count)])
        if count < 60:
            assert [loaded.reader.doc_count for loaded in index._current().segments][-1] == count  # not merged yet
    assert segment_sizes(tmp_path / "news") == [(71, 0)]


def test_max_merged_articles_leaves_big_segments_alone(tmp_path: Path) -> None:
    path = tmp_path / "news"
    index = Index.create(path, merge_factor=2, max_merged_articles=2, refresh_interval=0)
    for article in NEWS[:8]:
        index.add(article)
    assert segment_sizes(path) == [(2, 0)] * 4
    index.optimize()
    assert segment_sizes(path) == [(8, 0)]
    assert len(index) == 8


def test_max_deleted_ratio(tmp_path: Path) -> None:
    for ratio, expected in ((0.3, [(10, 2)]), (0.1, [(8, 0)])):
        path = tmp_path / f"ratio-{ratio}"
        index = Index.create(path, max_deleted_ratio=ratio, refresh_interval=0)
        index.add_many(NEWS)
        index.delete(["river-rises", "budget-vote"])
        assert segment_sizes(path) == expected, ratio
        assert len(index) == 8 and "river-rises" not in index


def test_open_takes_the_same_options(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path).close()
    index = Index.open(path, flush_bytes=1, merge_factor=50)
    assert index.writer_options == WriterOptions(flush_bytes=1, merge_factor=50)
    index.add_many(NEWS[:3])
    assert segment_sizes(path) == [(1, 0)] * 3


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("flush_tokens", 0, "flush_tokens must be a whole number, 1 or more, not 0"),
        ("flush_tokens", 2.5, "flush_tokens must be a whole number, 1 or more, not 2.5"),
        ("flush_bytes", -1, "flush_bytes must be a whole number, 1 or more, not -1"),
        ("flush_bytes", True, "flush_bytes must be a whole number, 1 or more, not True"),
        ("merge_factor", 1, "merge_factor must be a whole number, 2 or more, not 1"),
        ("merge_factor", "6", "merge_factor must be a whole number, 2 or more, not '6'"),
        ("max_deleted_ratio", 0, "max_deleted_ratio must be a number above 0 and at most 1, not 0"),
        ("max_deleted_ratio", 1.5, "max_deleted_ratio must be a number above 0 and at most 1, not 1.5"),
        ("max_merged_articles", 0, "max_merged_articles must be a whole number, 1 or more, not 0"),
    ],
)
def test_wrong_values_are_refused_before_anything_is_created(
    tmp_path: Path, option: str, value: Any, message: str
) -> None:
    with pytest.raises(IndexOptionError) as caught:
        Index.create(tmp_path / "news", **{option: value})
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)
    assert not (tmp_path / "news").exists()
    Index.create(tmp_path / "news").close()
    with pytest.raises(IndexOptionError, match=f"^{message}$"):
        Index.open(tmp_path / "news", **{option: value})
    with pytest.raises(IndexOptionError, match=f"^{message}$"):
        WriterOptions(**{option: value})


def test_ids_are_found_across_flushes_and_merges_of_one_write(tmp_path: Path) -> None:
    # A segment per article and a merge every two segments: the writer's id directory
    # (engine/idmap.py) is updated at each flush and merge, never rebuilt, and must still
    # find the live copy of each id (not a replaced one) and nothing for a deleted id.
    path = tmp_path / "news"
    index = Index.create(path, flush_bytes=1, merge_factor=2, workers=1, refresh_interval=0)
    first, second = NEWS[0], NEWS[1]
    edited = first.model_copy(update={"body": first.body + " Sandbags ran out by noon."})
    again = first.model_copy(update={"body": first.body + " Volunteers filled sandbags."})
    report = index.add_many([*NEWS, edited, second, again, edited])
    assert (report.added, report.replaced, report.unchanged) == (10, 3, 1)
    assert [len(index), found(index, "sandbags")] == [10, ["river-rises"]]
    assert segment_sizes(path) == [(10, 0)]  # merged at each flush (small segments: one tier), replaced copies dropped
    # A new writer reads the committed segments, deletions included.
    assert index.delete(["river-rises", "river-rises"]) == 1
    report = index.add_many([again, second, NEWS[2].model_copy(update={"headline": "Flood cover: sandbags"})])
    assert (report.added, report.replaced, report.unchanged) == (1, 1, 1)
    assert [len(index), found(index, "sandbags")] == [10, ["river-rises", "flood-insurance"]]


def test_ids_are_found_whatever_their_filter_bits_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The id directory's filter answers "not there" only for an id whose bit no entered
    # hash set; with 8 bits nearly every new id passes it and is searched, with the
    # default none of these should: the outcomes are the same either way.
    import searchkit.engine.idmap as idmap

    outcomes = []
    for bits in (8, idmap._FILTER_BITS):
        monkeypatch.setattr(idmap, "_FILTER_BITS", bits)
        path = tmp_path / f"news-{bits}"
        index = Index.create(path, flush_bytes=1, workers=1, refresh_interval=0)
        index.add_many(NEWS[:4])
        first = NEWS[0]
        report = index.add_many([first, first.model_copy(update={"body": first.body + " Sandbags."}), *NEWS[4:]])
        outcomes.append((report.added, report.replaced, report.unchanged, len(index), found(index, "sandbags")))
        index.close()
    assert outcomes[0] == outcomes[1] == (len(NEWS) - 4, 1, 1, len(NEWS), ["river-rises"])


def test_the_id_directory_keeps_12_bytes_an_article_through_flushes_and_merges(tmp_path: Path) -> None:
    # Each entry: 32 bits of the id's hash, a segment slot and a document number; a merge
    # renumbers the entries of its inputs in place and drops those of deleted documents.
    store = IndexStore.create(tmp_path / "news")
    articles = [NEWS[n % len(NEWS)].model_copy(update={"id": f"a-{n}"}) for n in range(60)]
    with store.write_lock(1.0):
        w = writer.ArticleWriter(store, options=WriterOptions(flush_bytes=1, merge_factor=3, workers=1))
        assert [w.add(article).value for article in articles] == ["added"] * 60
        assert w.delete(["a-3", "a-40"]) == 2
        assert w.add(articles[7].model_copy(update={"body": "Replaced."})).value == "replaced"
        w.flush()
        directory = w._id_index()
        assert len(w.segments) < 60  # merges happened
        assert len(directory) == 58  # a-3, a-40 and the replaced copy of a-7 left out or dropped
        assert directory._keys.nbytes + directory._slot.nbytes + directory._doc.nbytes == 12 * 58
        for n in range(60):
            located = directory.find(f"a-{n}")
            if n in (3, 40):
                assert located is None
            else:
                assert located is not None
                segment, docnum = located
                assert w._reader(segment).ids[docnum] == f"a-{n}"
                assert not segment.is_deleted(docnum)
        assert directory.find("a-7") is not None and directory.find("a-60") is None
        w.abort()
        w.close()
