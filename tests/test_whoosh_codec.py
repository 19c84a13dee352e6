"""Whoosh's own reader, searcher and writer on a searchkit index (searchkit.engine.codec).

Everything here goes through Whoosh's public API only: ``whoosh.index.open_dir``, its
searcher, query classes and parsers. The index holds the hand-written news corpus
(tests/news_fixtures.py) in three segments, with one article replaced and one deleted, so
every answer is worked out from that file. The tests at the end take indexes without
segments (new, or emptied by deletes): Whoosh's writer is refused there too, and the folder
is unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import whoosh.index
from whoosh import query
from whoosh.index import LockError
from whoosh.qparser import MultifieldParser, QueryParser
from whoosh.searching import Searcher
from whoosh.writing import AsyncWriter

from news_fixtures import NEWS, make_index
from searchkit import Article, Index
from searchkit.errors import ForeignWriterError

REPLACED = Article(
    id="budget-vote",
    headline="Budget passes after a late-night vote",
    body="Councillors approved the spending plan by 9 votes to 4. Jose Ferreira abstained.",
    source="The Lantern Post",
    date=datetime(2024, 1, 30).date(),
)


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    path = tmp_path / "news"
    index = make_index(path, NEWS[:6])  # segment 1
    index.add_many(NEWS[6:])  # segment 2
    index.add(REPLACED)  # segment 3; the first copy is deleted in segment 1
    index.delete(["leopard-cubs"])  # deleted in segment 2
    index.close()
    return path


@pytest.fixture
def searcher(index_path: Path) -> Iterator[Searcher]:
    ix = whoosh.index.open_dir(str(index_path), indexname="MAIN")
    with ix.searcher() as searcher:
        yield searcher


def found(searcher: Searcher, q: query.Query, **options: object) -> list[str]:
    return [hit["id"] for hit in searcher.search(q, limit=None, **options)]


def ordered(searcher: Searcher, q: query.Query) -> list[str]:
    """Matching ids in id order: a set, written as a list."""
    return sorted(found(searcher, q))


def test_whoosh_counts_the_live_documents(index_path: Path) -> None:
    ix = whoosh.index.open_dir(str(index_path), indexname="MAIN")
    index = Index.open(index_path)
    assert ix.doc_count() == len(index) == 9
    assert ix.doc_count_all() == 11  # the replaced and the deleted copy are still in their segments
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 3


def test_stored_fields_under_whoosh_names(searcher: Searcher) -> None:
    hit = searcher.search(query.Term("id", "flood-insurance"))[0]
    assert hit.fields() == {
        "id": "flood-insurance",
        "headline": "Insurers slow to pay for flooded homes",
        "body": "Families in Novokarsk say their claims have taken months. One adjuster visited 64 houses in a single week.",
        "background": "The same street flooded in 2022.",
        "source": "Valley Gazette",
        "date": datetime(2024, 4, 10),
    }
    assert searcher.search(query.Term("id", "river-rises"))[0]["url"] == "https://harbordaily.example/2024/03/04/river-olm-rises"


def test_terms_on_id_and_source(searcher: Searcher) -> None:
    assert found(searcher, query.Term("id", "bank-museum")) == ["bank-museum"]
    assert found(searcher, query.Term("id", "leopard-cubs")) == []  # deleted
    assert ordered(searcher, query.Term("source", "harbor daily")) == ["flood-evacuation", "river-footpath", "river-rises"]
    assert ordered(searcher, query.Term("source", "the lantern post")) == ["budget-vote"]


def test_query_parser_analyzes_like_searchkit(searcher: Searcher) -> None:
    body = QueryParser("body", searcher.schema)
    assert found(searcher, body.parse("floods")) == ["river-rises"]
    # The replaced article's old body held "budget"; only its new copy is live.
    assert found(searcher, body.parse("budget")) == []
    assert found(searcher, body.parse("spending")) == ["budget-vote"]
    both = MultifieldParser(["headline", "body"], searcher.schema)
    assert ordered(searcher, both.parse("river bank")) == ["bank-museum", "river-footpath", "river-rises"]
    assert ordered(searcher, both.parse("budget OR fares")) == ["budget-draft", "budget-vote", "fare-protest"]


def test_boolean_queries(searcher: Searcher) -> None:
    bus = query.Term("body", "bus")
    gazette = query.Term("source", "valley gazette")
    assert ordered(searcher, bus) == ["budget-draft", "fare-protest"]
    assert ordered(searcher, query.And([bus, query.Not(gazette)])) == ["fare-protest"]
    assert ordered(searcher, query.Or([query.Term("headline", "leopard"), query.Term("headline", "museum")])) == ["bank-museum"]
    assert ordered(searcher, query.And([gazette, query.Term("headline", "flood")])) == ["flood-insurance"]


def test_phrases_use_positions(searcher: Searcher) -> None:
    assert found(searcher, query.Phrase("headline", ["river", "bank"])) == ["river-footpath"]
    assert found(searcher, query.Phrase("body", ["bank", "river"])) == ["bank-museum"]
    assert found(searcher, QueryParser("body", searcher.schema).parse('"river bank"')) == []


def test_prefix_and_fuzzy_expand_over_the_terms(searcher: Searcher) -> None:
    assert ordered(searcher, query.Prefix("headline", "flood")) == ["flood-evacuation", "flood-insurance"]
    assert ordered(searcher, query.Prefix("id", "river-")) == ["river-footpath", "river-rises"]
    assert ordered(searcher, query.FuzzyTerm("headline", "budgat")) == ["budget-draft", "budget-vote"]
    assert ordered(searcher, query.FuzzyTerm("headline", "musem", maxdist=1)) == ["bank-museum"]


def test_date_ranges(searcher: Searcher) -> None:
    winter = query.DateRange("date", datetime(2024, 1, 1), datetime(2024, 2, 28))
    assert ordered(searcher, winter) == ["budget-draft", "budget-vote", "fare-protest", "river-footpath"]
    day = query.DateRange("date", datetime(2024, 2, 20), datetime(2024, 2, 20, 23, 59))
    assert ordered(searcher, day) == ["fare-protest", "river-footpath"]


def test_sorted_by_date(searcher: Searcher) -> None:
    oldest = found(searcher, query.Every(), sortedby="date")
    assert oldest[:8] == [
        "bank-museum", "budget-draft", "budget-vote", "fare-protest", "river-footpath",
        "river-rises", "flood-evacuation", "flood-insurance",
    ]
    assert oldest[8:] == ["library-quiz"]  # undated last, as in a plain Whoosh index
    # ... and first when reversed: Whoosh reverses its "no value" key along with the dates.
    assert found(searcher, query.Every(), sortedby="date", reverse=True)[0] == "library-quiz"
    newest = found(searcher, query.Term("source", "harbor daily"), sortedby="date", reverse=True)
    assert newest == ["flood-evacuation", "river-rises", "river-footpath"]


def test_grouped_by_source(searcher: Searcher) -> None:
    results = searcher.search(query.Every(), groupedby="source", limit=None)
    groups = {
        name: sorted(searcher.stored_fields(docnum)["id"] for docnum in docnums)
        for name, docnums in results.groups().items()
    }
    assert groups == {
        "harbor daily": ["flood-evacuation", "river-footpath", "river-rises"],
        "valley gazette": ["bank-museum", "budget-draft", "flood-insurance", "library-quiz"],
        "the lantern post": ["budget-vote"],
        None: ["fare-protest"],
    }


def test_highlights(searcher: Searcher) -> None:
    results = searcher.search(QueryParser("body", searcher.schema).parse("floods"))
    assert results[0].highlights("body") == 'furniture upstairs as <b class="match term0">floods</b> reached the market square'


def test_terms_and_statistics(searcher: Searcher) -> None:
    reader = searcher.reader()
    assert list(reader.expand_prefix("headline", "bu")) == [b"budget", b"build"]  # "building" is stemmed
    assert reader.doc_frequency("body", "bank") == 2
    assert reader.doc_frequency("headline", "nowhere") == 0
    assert ("id", "river-rises") in reader
    assert ("headline", "zzz") not in reader


def folder_state(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry of the folder: size, modification time and content."""
    state = {}
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        stat = entry.stat()
        content = Path(entry.path).read_bytes() if entry.is_file() else b"<dir>"
        state[entry.name] = (stat.st_size, stat.st_mtime_ns, content)
    return state


def test_whoosh_writer_is_refused_before_it_writes(index_path: Path) -> None:
    ix = whoosh.index.open_dir(str(index_path), indexname="MAIN")
    before = folder_state(index_path)
    with pytest.raises(ForeignWriterError) as refused:
        ix.writer()
    message = str(refused.value)
    assert "searchkit" in message and "nothing was written" in message
    assert "searchkit.Index.add" in message and "searchkit index" in message
    del refused
    assert folder_state(index_path) == before
    # Both sides still open the folder, and searchkit can still write it (the lock is free).
    assert whoosh.index.open_dir(str(index_path), indexname="MAIN").doc_count() == 9
    index = Index.open(index_path, lock_timeout=1.0)
    index.add(Article(id="after", headline="Written by searchkit after Whoosh was refused"))
    assert len(index) == 10
    assert whoosh.index.open_dir(str(index_path), indexname="MAIN").doc_count() == 10


def test_whoosh_optimize_is_refused_too(index_path: Path) -> None:
    ix = whoosh.index.open_dir(str(index_path), indexname="MAIN")
    before = folder_state(index_path)
    with pytest.raises(ForeignWriterError):
        ix.optimize()
    assert folder_state(index_path) == before


# An index without segments: new, or emptied. Its table of contents still lists a record for
# Whoosh's writer to ask (and be refused by), so the refusal holds in every state.

NO_SEGMENT_STATES = ["new", "emptied", "emptied-and-optimized", "emptied-in-a-batch"]


def index_without_segments(path: Path, state: str) -> Path:
    """An index at ``path`` in ``state``; every state holds no article and no segment."""
    if state == "new":
        Index.create(path).close()
        return path
    index = make_index(path, NEWS[:6])
    index.add_many(NEWS[6:])
    if state == "emptied-in-a-batch":
        with index.batch() as batch:
            batch.delete([article.id for article in NEWS])
    else:
        index.delete([article.id for article in NEWS[:6]])
        index.delete([article.id for article in NEWS[6:]])
        if state == "emptied-and-optimized":
            index.optimize()
    assert len(index) == 0
    index.close()
    return path


@pytest.mark.parametrize("state", NO_SEGMENT_STATES)
def test_whoosh_writer_is_refused_on_an_index_without_segments(tmp_path: Path, state: str) -> None:
    path = index_without_segments(tmp_path / "news", state)
    ix = whoosh.index.open_dir(str(path), indexname="MAIN")
    before = folder_state(path)
    with pytest.raises(ForeignWriterError) as refused:
        ix.writer()
    message = str(refused.value)
    assert "searchkit" in message and "nothing was written" in message
    assert "searchkit.Index.add" in message and "searchkit index" in message
    del refused
    with pytest.raises(ForeignWriterError):
        ix.optimize()
    with pytest.raises(ForeignWriterError):
        AsyncWriter(ix)
    with pytest.raises(ForeignWriterError):
        ix.writer(procs=2)  # Whoosh's multiprocessing writer starts as its plain one
    assert folder_state(path) == before
    # Both sides still open the folder and agree; searchkit can still write it (the lock is free).
    assert whoosh.index.open_dir(str(path), indexname="MAIN").doc_count() == len(Index.open(path)) == 0
    index = Index.open(path, lock_timeout=1.0)
    index.add(Article(id="after", headline="Written by searchkit after Whoosh was refused"))
    assert len(index) == 1
    ix = whoosh.index.open_dir(str(path), indexname="MAIN")
    assert ix.doc_count() == 1
    with ix.searcher() as searcher:
        assert found(searcher, QueryParser("headline", searcher.schema).parse("refused")) == ["after"]
    # Emptied again, it refuses Whoosh's writer again.
    index.delete(["after"])
    with pytest.raises(ForeignWriterError):
        whoosh.index.open_dir(str(path), indexname="MAIN").writer()
    assert Index.open(path).search("refused").total == 0


@pytest.mark.parametrize("state", NO_SEGMENT_STATES)
def test_whoosh_reads_an_index_without_segments(tmp_path: Path, state: str) -> None:
    path = index_without_segments(tmp_path / "news", state)
    ix = whoosh.index.open_dir(str(path), indexname="MAIN")
    assert ix.doc_count() == ix.doc_count_all() == 0
    assert not ix.is_empty()  # Whoosh counts the listed segments: the guard is one (see README)
    with ix.searcher() as searcher:
        parser = MultifieldParser(["headline", "body"], searcher.schema)
        assert found(searcher, parser.parse("river OR flood")) == []
        assert found(searcher, query.Every()) == []
        assert found(searcher, query.Every(), sortedby="date", reverse=True) == []
        assert searcher.search(query.Every(), groupedby="source", limit=None).groups() == {}
        assert found(searcher, query.Prefix("headline", "riv")) == []
        assert found(searcher, query.FuzzyTerm("headline", "rivar")) == []
        assert found(searcher, query.DateRange("date", datetime(2024, 1, 1), datetime(2024, 12, 31))) == []
        reader = searcher.reader()
        assert list(reader.all_stored_fields()) == []
        assert list(reader.lexicon("headline")) == []
        assert reader.doc_frequency("headline", "river") == 0
        assert ("id", "river-rises") not in reader


def test_whoosh_writer_stops_at_the_lock_while_searchkit_writes(tmp_path: Path) -> None:
    path = tmp_path / "news"
    index = Index.create(path)
    ix = whoosh.index.open_dir(str(path), indexname="MAIN")
    with index.batch() as batch:
        batch.add(NEWS[0])
        before = folder_state(path)
        with pytest.raises(LockError):
            ix.writer()
        assert folder_state(path) == before
    with ix.searcher() as searcher:
        assert found(searcher, query.Every()) == [NEWS[0].id]
    assert len(Index.open(path)) == 1
