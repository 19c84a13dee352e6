"""Segments: building, reading and merging segment files; small flushes, optimize, check."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from news_fixtures import BY_ID, NEWS, make_index, story

from searchkit import Article, Index
from searchkit.engine import merge
from searchkit.engine import segment as segment_module
from searchkit.engine.merge import MergeInput, merge_segments
from searchkit.engine.segment import (
    FIELDS,
    MISSING_DAY,
    SegmentBuilder,
    SegmentReader,
    day_number,
    source_key,
    stable_order,
)
from searchkit.engine.store import IndexStore
from searchkit.engine.tokenmap import COLUMNS as TOKEN_MAP_COLUMNS
from searchkit.engine.writer import ArticleWriter, WriterOptions

# One article long enough that its positions and term frequency need 32 bits.
HUGE = story("huge", "tide " * 66_000 + "quay", headline="Tide tables for the year")


def build(path: Path, articles: list[Article]) -> SegmentReader:
    builder = SegmentBuilder()
    numbers = [builder.add(article) for article in articles]
    assert numbers == list(range(len(articles)))
    builder.write(path)
    return SegmentReader(path, name=path.stem)


def contents(reader: SegmentReader) -> dict[str, Any]:
    """Everything a segment answers, in plain Python values (terms without postings left out)."""
    postings: dict[tuple[str, str], list[tuple[int, int, list[int]]]] = {}
    for number, term in enumerate(reader.terms.as_list()):
        for field in FIELDS:
            docs, tf = reader.postings(field, number)
            positions, starts = reader.positions(field, number)
            if docs.size:
                postings[term, field] = [
                    (doc, count, positions[starts[i] : starts[i + 1]].tolist())
                    for i, (doc, count) in enumerate(zip(docs.tolist(), tf.tolist()))
                ]
    return {
        "doc_count": reader.doc_count,
        "ids": reader.ids.as_list(),
        "postings": postings,
        "lengths": {field: reader.lengths[field].tolist() for field in FIELDS},
        "day": reader.day.tolist(),
        "source": [source_key(reader.source_names[s]) if s >= 0 else None for s in reader.source.tolist()],
        "stored": [reader.stored_blob(doc) for doc in range(reader.doc_count)],
        "fingerprints": [column.tolist() for column in reader.fingerprints()],
        "token_map": {name: reader.file.array(name).tolist() for name in TOKEN_MAP_COLUMNS},
    }


@given(st.lists(st.integers(0, 2**32 - 1), max_size=300), st.sampled_from([1, 7, 2**16 - 1, 2**16, 2**20, 2**32]))
def test_stable_order_is_numpys_stable_argsort(values: list[int], bound: int) -> None:
    # Term numbers are sorted by two 16-bit radix passes when they fit in 32 bits; ties
    # keep their order (documents stay ascending within a term), as argsort's stable sort.
    for dtype in (np.int32, np.int64, np.uint32):
        keys = np.array([value % bound for value in values], dtype=np.int64)
        if dtype == np.int32:
            keys = keys[keys < 2**31]
        keys = keys.astype(dtype)
        assert stable_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


def test_a_built_segment_reads_back(tmp_path: Path) -> None:
    reader = build(tmp_path / "a.skseg", list(NEWS[:3]))
    assert (reader.doc_count, reader.ids.as_list()) == (
        3,
        ["river-rises", "flood-evacuation", "flood-insurance"],
    )
    assert [Article.model_validate(reader.stored(doc)) for doc in range(3)] == list(NEWS[:3])
    assert reader.source_names == ["Harbor Daily", "Valley Gazette"]  # "harbor daily" is the same source
    assert reader.source.tolist() == [0, 0, 1]
    assert reader.day.tolist() == [day_number(a.date) for a in NEWS[:3]]
    # "River Olm rises after a week of rain": river, olm, rise, week, rain.
    assert reader.lengths["headline"].tolist()[0] == 5
    flood = reader.term_id("flood")
    assert reader.term_id("floods") == -1
    body_docs, body_tf = reader.postings("body", flood)
    # "... Residents of Novo-Karsk carried furniture upstairs as floods ...": Novo-Karsk takes two positions.
    assert (body_docs.tolist(), body_tf.tolist(), reader.positions("body", flood)[0].tolist()) == (
        [0],
        [1],
        [19],
    )
    assert [d.tolist() for d in reader.postings("headline", flood)] == [[1, 2], [1, 1]]
    assert [d.tolist() for d in reader.postings("background", flood)] == [[2], [1]]
    novokarsk, novo, karsk = (reader.term_id(t) for t in ("novokarsk", "novo", "karsk"))
    assert reader.positions("body", novo)[0].tolist() == [13]
    assert reader.positions("body", karsk)[0].tolist() == [14]
    assert reader.postings("body", novokarsk)[0].tolist() == [0, 2]
    assert reader.positions("body", novokarsk)[0].tolist() == [13, 2]
    lo, hi = reader.term_range("flo")
    assert reader.terms.as_list()[lo:hi] == ["flood"]
    assert reader.doc_number("flood-insurance") == 2
    assert reader.doc_number("nope") == -1


def test_undated_and_unsourced_articles(tmp_path: Path) -> None:
    reader = build(tmp_path / "a.skseg", [BY_ID["fare-protest"], BY_ID["library-quiz"]])
    assert reader.source.tolist() == [-1, 0]
    assert reader.day.tolist() == [day_number(BY_ID["fare-protest"].date), MISSING_DAY]


@pytest.fixture(params=["default-chunks", "tiny-chunks"])
def chunking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Merge in one chunk, or in chunks of a few postings, stored bytes, fingerprints,
    offsets and token map values each."""
    if request.param == "tiny-chunks":
        monkeypatch.setattr(merge, "CHUNK_POSTINGS", 3)
        monkeypatch.setattr(merge, "_STORED_CHUNK_BYTES", 7)
        monkeypatch.setattr(merge, "_FINGERPRINT_ROWS", 2)
        monkeypatch.setattr(merge, "_OFFSET_ROWS", 2)
        monkeypatch.setattr("searchkit.engine.tokenmap._MERGE_ROWS", 2)
        monkeypatch.setattr("searchkit.engine.tokenmap._MERGE_PIECE", 3)


@pytest.mark.usefixtures("chunking")
@pytest.mark.parametrize(
    ("groups", "deleted"),
    [
        ([NEWS[:6], NEWS[6:]], [[], []]),
        ([NEWS[:6], NEWS[6:]], [[1, 4], [2]]),
        ([NEWS[:6]], [[0, 5]]),
        ([NEWS[:3], NEWS[3:5], NEWS[5:]], [[], [0, 1], [0]]),
        ([NEWS[:4], (HUGE,), NEWS[4:]], [[3], [], [1]]),
        ([NEWS[:4], (HUGE,), NEWS[4:]], [[], [0], []]),
    ],
    ids=[
        "no-deletions",
        "deletions-in-both",
        "expunge-one",
        "one-input-emptied",
        "wide-arrays",
        "wide-deleted",
    ],
)
def test_a_merge_answers_like_a_segment_of_the_live_articles(
    tmp_path: Path, groups: list[tuple[Article, ...]], deleted: list[list[int]]
) -> None:
    inputs = [
        MergeInput(build(tmp_path / f"in{n}.skseg", list(group)), gone)
        for n, (group, gone) in enumerate(zip(groups, deleted))
    ]
    assert merge_segments(inputs, tmp_path / "merged.skseg") == sum(
        len(g) - len(d) for g, d in zip(groups, deleted)
    )
    live = [
        article for group, gone in zip(groups, deleted) for n, article in enumerate(group) if n not in gone
    ]
    merged = SegmentReader(tmp_path / "merged.skseg", name="merged")
    assert contents(merged) == contents(build(tmp_path / "reference.skseg", live))
    assert merged.terms.as_list() == sorted(merged.terms.as_list())
    assert len({source_key(name) for name in merged.source_names}) == len(merged.source_names)


def test_wide_positions_survive_a_merge(tmp_path: Path) -> None:
    inputs = [
        MergeInput(build(tmp_path / "a.skseg", [NEWS[0]])),
        MergeInput(build(tmp_path / "b.skseg", [HUGE])),
    ]
    merge_segments(inputs, tmp_path / "merged.skseg")
    merged = SegmentReader(tmp_path / "merged.skseg", name="merged")
    quay = merged.term_id("quay")
    tide = merged.term_id("tide")
    assert (merged.postings("body", quay)[0].tolist(), merged.positions("body", quay)[0].tolist()) == (
        [1],
        [66_000],
    )
    assert merged.postings("body", tide)[1].tolist() == [66_000]


# ---------------------------------------------------------------------------------------
# Through the writer and the Index

QUERIES = [
    "flood",
    "river bank",
    '"river bank"',
    "budget OR fares",
    "*",
    "novokarsk",
    "leopord~",
    "jose mayor",
]


def answers(index: Index) -> list[Any]:
    """Ids, scores, facets and snippets of a set of queries."""
    found = []
    for query in QUERIES:
        results = index.search(query, mode="any", limit=100)
        found.append((results.total, [(h.id, h.score, h.snippets) for h in results.hits], results.facets))
    return found


def test_small_flushes_give_the_same_answers_as_one_segment(tmp_path: Path) -> None:
    store = IndexStore.create(tmp_path / "flushed")
    writer = ArticleWriter(store, options=WriterOptions(flush_tokens=50))  # about two articles a segment, too few to merge
    outcomes = [writer.add(article).value for article in NEWS]
    assert outcomes == ["added"] * 10
    writer.commit()
    writer.close()
    flushed = Index.open(tmp_path / "flushed")
    assert flushed.stats().segments >= 3
    assert answers(flushed) == answers(make_index(tmp_path / "single"))
    assert flushed.check().ok


def test_replacing_an_already_flushed_article_in_the_same_session(tmp_path: Path) -> None:
    store = IndexStore.create(tmp_path / "index")
    writer = ArticleWriter(store, options=WriterOptions(flush_tokens=25))
    for article in NEWS:
        writer.add(article)
    changed = BY_ID["river-rises"].model_copy(update={"body": "The river fell back overnight."})
    assert [writer.add(NEWS[1]).value, writer.add(changed).value] == ["unchanged", "replaced"]
    assert writer.delete(["budget-vote", "budget-vote", "nope"]) == 1
    writer.commit()
    writer.close()
    index = Index.open(tmp_path / "index")
    assert (len(index), index.get("river-rises"), index.get("budget-vote")) == (9, changed, None)
    assert sorted(h.id for h in index.search("river", limit=100).hits) == [
        "bank-museum",
        "river-footpath",
        "river-rises",
    ]
    assert index.search("novokarsk").total == 1
    assert index.check().ok


def test_optimize_merges_into_one_segment_with_the_same_answers(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    for article in NEWS:
        index.add(article)
    before = answers(index)
    assert index.stats().segments == 5  # six one-article segments were merged along the way
    index.optimize()
    assert index.stats().segments == 1
    assert answers(index) == before
    assert answers(Index.open(tmp_path / "index")) == before
    assert len(segment_files(tmp_path / "index")) == 1  # the merged inputs are removed
    assert index.check().ok


def test_optimize_after_deletions_keeps_the_answers(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index")
    index.delete(["budget-vote", "river-footpath"])
    before = answers(index)
    index.optimize()
    assert answers(index) == before


# ---------------------------------------------------------------------------------------
# Checking


def segment_files(path: Path) -> list[Path]:
    return sorted(path.glob("MAIN_*.skseg"))


def test_check_a_healthy_index(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", NEWS[:5])
    index.add_many(NEWS[5:])
    report = index.check()
    assert (report.ok, report.articles, report.segments, report.problems) == (True, 10, 2, [])
    assert report.path == str(tmp_path / "index")


def test_check_reports_a_truncated_segment_file(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index")
    [segment] = segment_files(tmp_path / "index")
    os.truncate(segment, segment.stat().st_size // 2)
    report = index.check()
    assert (report.ok, report.problems) == (
        False,
        [f"{segment.name}: {segment}: the segment footer is damaged"],
    )


def test_check_reports_a_damaged_stored_article(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index")
    [segment] = segment_files(tmp_path / "index")
    data = bytearray(segment.read_bytes())
    footer_length = int.from_bytes(data[-16:-8], "little")
    end = len(data) - 16 - footer_length  # the stored articles are the last array before the footer
    data[end - 12 : end] = bytes(12)
    segment.write_bytes(bytes(data))
    [problem] = index.check().problems
    assert problem.startswith(f"{segment.name}: stored article 9 is unreadable: ")


def test_check_notes_an_orphan_file_which_the_next_commit_removes(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", NEWS[:5])
    [segment] = segment_files(tmp_path / "index")
    shutil.copy(segment, tmp_path / "index" / "MAIN_orphan.skseg")
    report = index.check()
    assert (report.ok, report.articles, report.problems, report.notes) == (
        True,
        5,
        [],
        ["leftover MAIN_orphan.skseg: from an interrupted write, not part of generation 1; "
         "harmless, the next write to the index removes it"],
    )
    index.add_many(NEWS[5:])
    assert not (tmp_path / "index" / "MAIN_orphan.skseg").exists()
    assert index.check().ok


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 1 << 20])
def test_a_segment_written_by_term_ranges_is_the_same_file_as_one_written_whole(tmp_path: Path, chunk: int) -> None:
    # write_field inverts a field in ranges of terms of about `chunk` occurrences; one
    # article of 66,001 body terms (32-bit positions and frequencies) runs past any range.
    articles = [*NEWS, HUGE, *NEWS[:2]]
    whole = tmp_path / "whole.skseg"
    builder = SegmentBuilder()
    for item in articles:
        builder.add(item)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segment_module, "WRITE_CHUNK_OCCURRENCES", 1 << 40)
        builder.write(whole)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segment_module, "WRITE_CHUNK_OCCURRENCES", chunk)
        builder.write(tmp_path / "ranges.skseg")
    assert (tmp_path / "ranges.skseg").read_bytes() == whole.read_bytes()
    assert contents(SegmentReader(whole, name="whole"))["postings"]["tide", "body"] == [(len(NEWS), 66_000, list(range(66_000)))]
