"""The readers' story table (engine/storyfile.py's StoryTable), kept compact for big
indexes: read from the story file it keeps ids and headlines in the mapped file and finds
ids through sorted hashes. It must answer exactly as the table clustered in memory from
the same articles (the path of an index without a story file)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from searchkit import Index
from searchkit.engine.snapshot import Snapshot
from searchkit.engine.store import IndexStore
from searchkit.engine.storyfile import StoryTable, story_columns, story_file_name

from test_stories import NEWS


def test_the_table_read_from_its_file_answers_as_the_one_clustered_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "news"
    index = Index.create(path)
    index.add_many(NEWS)
    index.delete(["budget-2"])
    store = IndexStore.open(path)
    snapshot = Snapshot.load(store)
    read = StoryTable.load(path / story_file_name(snapshot.generation))
    clustered = StoryTable.cluster([(loaded.reader, loaded.segment) for loaded in snapshot.segments])
    live = sorted(article.id for article in NEWS if article.id != "budget-2")
    numbers = {article_id: read.story_of(article_id) for article_id in live}
    assert None not in numbers.values()
    assert [read.story_of(i) for i in ("budget-2", "nope", "")] == [None, None, None]
    # Clustering from scratch numbers stories in date order: the same groups, other numbers.
    twin = {numbers[i]: clustered.story_of(i) for i in live}
    assert [twin[numbers[i]] for i in live] == [clustered.story_of(i) for i in live]
    assert len(set(twin.values())) == len(twin) == read.numbers.size == clustered.numbers.size
    for number in read.numbers.tolist():
        assert replace(read.record(number), number=0) == replace(clustered.record(twin[number]), number=0)
    by_story = {number: sorted(i for i in live if numbers[i] == number) for number in set(numbers.values())}
    assert sorted(by_story.values()) == [["alone"], ["budget-1"], ["dam-1", "dam-2", "dam-3"], ["dam-later"],
                                         ["leopard-1", "leopard-2"]]
    assert read.record(numbers["dam-2"]).sources == ("Harbor Daily", "The Lantern Post", "River Courier")
    assert read.record(numbers["leopard-2"]).sources == ("Metro Wire", None)
    assert np.array_equal(read.stories_from({"metro wire"}), [numbers["leopard-1"], numbers["alone"]])
    # Per segment document, its story number (or -1), as the facets and collapse read it.
    columns = story_columns(snapshot, read)
    expected = [[numbers.get(i, -1) for i in loaded.reader.ids.decode_all()] for loaded in snapshot.segments]
    assert [column.tolist() for column in columns] == expected
    assert sum(column.size for column in columns) == len(NEWS)


def test_an_index_written_without_stories_searches_with_the_story_facet(tmp_path: Path) -> None:
    # Index.create(stories=False) writes an empty story table; each article then counts as
    # a story of its own.
    index = Index.create(tmp_path / "news", stories=False)
    index.add_many(NEWS)
    results = index.search("dam", limit=2)
    assert [results.total, results.facets.stories, [hit.story_id for hit in results.hits]] == [4, 4, [None, None]]


def test_a_whole_segments_rows_are_those_found_id_by_id(tmp_path: Path) -> None:
    # StoryTable.rows_of confirms a string table's runs of ids at consecutive rows by comparing
    # bytes; it must give row_of's rows, with runs broken by deletions, replacements and a new segment.
    from benchmarks.perf.corpus import scaled_corpus

    from searchkit import Article

    articles = [Article.model_validate(record) for record in scaled_corpus(1_200)]
    path = tmp_path / "news"
    with Index.create(path) as index:
        index.add_many(articles[:800])
        index.delete([a.id for a in articles[100:110]] + [articles[500].id])
        index.add_many(articles[800:] + [a.model_copy(update={"headline": "Replaced"}) for a in articles[300:305]])
    snapshot = Snapshot.load(IndexStore.open(path))
    table = StoryTable.load(path / story_file_name(snapshot.generation))
    assert len(snapshot.segments) >= 2
    for loaded in snapshot.segments:
        ids = loaded.reader.ids
        expected = [table.row_of(article_id) for article_id in ids]
        assert table.rows_of(ids).tolist() == expected  # a StringTable: runs compared as bytes
        assert table.rows_of(list(ids)).tolist() == expected  # a list: id by id
        assert sum(row >= 0 for row in expected) == sum(table.story_of(i) is not None for i in ids)
    empty = StoryTable.cluster([])
    assert empty.rows_of(["a", "b"]).tolist() == [-1, -1]
