"""The Index lifecycle: create and open, add, replace, delete, durability, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES
from news_fixtures import BY_ID, NEWS, ids, make_index

import searchkit
from searchkit import (
    AddReport,
    Article,
    Index,
    IndexExistsError,
    IndexNotFoundError,
    IndexVersionError,
    Progress,
    Rejection,
    read_articles,
)

NEWS_FOLDER = FIXTURES / "news"


# ---------------------------------------------------------------------------------------
# Creating and opening


def test_create_refuses_a_folder_that_holds_something(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an index")
    with pytest.raises(IndexExistsError, match="already exists; open it with Index.open") as caught:
        Index.create(tmp_path)
    assert caught.value.path == tmp_path
    assert isinstance(caught.value, FileExistsError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_create_accepts_an_empty_folder_and_open_finds_it_empty(tmp_path: Path) -> None:
    Index.create(tmp_path)
    index = Index.open(tmp_path)
    assert (len(index), index.search("*").total, index.get("anything")) == (0, 0, None)


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (lambda path: None, "create one with Index.create or `searchkit index`"),
        (Path.mkdir, "the folder exists but holds no searchkit index"),
    ],
    ids=["missing", "empty-folder"],
)
def test_open_without_an_index_names_the_path(
    tmp_path: Path, make: Callable[[Path], object], hint: str
) -> None:
    path = tmp_path / "news"
    make(path)
    with pytest.raises(IndexNotFoundError) as caught:
        Index.open(path)
    assert str(caught.value) == f"no searchkit index at {path}; {hint}"
    assert caught.value.path == path
    assert isinstance(caught.value, FileNotFoundError)


def test_open_refuses_another_schema_version_and_says_how_to_rebuild(tmp_path: Path) -> None:
    make_index(tmp_path / "news")
    meta_path = tmp_path / "news" / "searchkit.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta_path.write_bytes(orjson.dumps({**meta, "schema_version": 99}))
    with pytest.raises(IndexVersionError) as caught:
        Index.open(tmp_path / "news")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'news'} has schema version 99 (")
    assert "reads versions 2 and 3" in message
    assert message.endswith(REBUILD_HINT)


REBUILD_HINT = (
    "rebuild it: index the original article files into a new folder "
    "(`searchkit index FILES... --index NEW_FOLDER`); without them, export the articles with the "
    "searchkit version that wrote it (`searchkit export --output articles.jsonl`) and index that "
    "file into a new folder (exported articles keep their ids)"
)


def test_open_refuses_a_version_1_index_and_says_why_and_how_to_rebuild(tmp_path: Path) -> None:
    # Version 1 derived ids without a URL from the headline alone; version 2 adds the body.
    make_index(tmp_path / "news")
    meta_path = tmp_path / "news" / "searchkit.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta_path.write_bytes(orjson.dumps({**meta, "schema_version": 1, "created_by": "searchkit 0.9"}))
    with pytest.raises(IndexVersionError) as caught:
        Index.open(tmp_path / "news")
    assert str(caught.value) == (
        f"{tmp_path / 'news'} has schema version 1 (searchkit 0.9); this searchkit {searchkit.__version__} "
        "reads versions 2 and 3. Version 1 derived the id of an article without a URL from its headline alone, "
        f"so different articles with one headline replaced each other; {REBUILD_HINT}"
    )


def test_len_get_and_contains(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    assert len(index) == 10
    for article in NEWS:
        assert index.get(article.id) == article
        assert article.id in index
    assert index.get("no-such-id") is None
    assert "no-such-id" not in index
    assert 7 not in index  # not an id at all


def test_articles_lists_every_stored_article(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    assert sorted(index.articles(), key=lambda a: a.id) == sorted(NEWS, key=lambda a: a.id)


# ---------------------------------------------------------------------------------------
# Adding


def test_add_many_counts_added_replaced_and_unchanged(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news", NEWS[:6])
    changed = BY_ID["budget-vote"].model_copy(update={"body": "The vote was postponed to next week."})
    report = index.add_many([*NEWS[4:], changed, NEWS[0]])
    # budget-vote, fare-protest and river-rises are unchanged; budget-vote is then replaced in the same batch.
    assert (report.added, report.replaced, report.unchanged, report.rejected) == (4, 1, 3, [])
    assert len(index) == 10
    assert index.get("budget-vote") == changed


def test_adding_identical_articles_again_commits_nothing(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    before = index.stats()
    report = index.add_many(NEWS)
    assert (report.added, report.replaced, report.unchanged, report.changed) == (0, 0, 10, False)
    after = index.stats()
    assert (after.generation, after.segments, after.articles) == (before.generation, before.segments, 10)


def test_the_same_id_twice_in_one_batch_keeps_the_last(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", refresh_interval=0)
    first = Article(
        id="ferry", headline="Ferry delayed by fog", body="The morning ferry left two hours late."
    )
    second = Article(id="ferry", headline="Ferry cancelled by storm", body="No ferry sailed on Sunday.")
    report = index.add_many([first, second])
    assert (report.added, report.replaced, report.unchanged) == (1, 1, 0)
    assert (len(index), index.get("ferry")) == (1, second)
    assert ids(index.search("storm")) == ["ferry"]
    assert index.search("fog").total == 0


def test_records_with_a_bad_date_are_rejected_and_the_rest_indexed(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", refresh_interval=0)
    report = index.add_many(
        [
            {"id": "pier-1", "headline": "Pier repairs begin", "date": "2024-05-01"},
            {"id": "pier-2", "headline": "Pier reopens", "date": "next Tuesday"},
            {"id": "pier-3", "headline": "Pier wins award", "body": "Judges praised the new decking."},
            {"headline": "", "body": ""},
        ]
    )
    assert (report.added, report.replaced, report.unchanged) == (2, 0, 0)
    assert report.rejected == [
        Rejection(
            location="record 2",
            reason="'next Tuesday' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601",
            field="date",
        ),
        Rejection(location="record 4", reason="an article needs a headline or a body; both are empty"),
    ]
    assert sorted(a.id for a in index.articles()) == ["pier-1", "pier-3"]
    assert index.get("pier-1") == Article(id="pier-1", headline="Pier repairs begin", date=date(2024, 5, 1))


def test_records_with_a_value_of_the_wrong_type_are_rejected_and_the_rest_indexed(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", refresh_interval=0)
    report = index.add_many(
        [
            {"id": "pier-1", "headline": "Pier repairs begin", "date": 0},
            {"id": "pier-2", "headline": "Pier reopens", "source": {"a": 1}},
            {"id": 0, "headline": "Pier wins award"},
        ]
    )
    assert (report.added, report.replaced, report.unchanged) == (1, 0, 0)
    assert report.rejected == [
        Rejection(
            location="record 1",
            reason="must be a date written as a string, such as '2024-11-30' (numbers are not read as dates); "
            "found a number (0)",
            field="date",
        ),
        Rejection(location="record 2", reason="must be a string; found an object ({'a': 1})", field="source"),
    ]
    assert [a.id for a in index.articles()] == ["0"]
    single = index.add({"headline": "H", "date": 20240101})
    assert (single.added, [(r.location, r.field) for r in single.rejected]) == (0, [("record 1", "date")])
    assert single.rejected[0].reason.endswith("found a number (20240101)")


def test_reader_errors_are_reported_with_their_file_locations(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", refresh_interval=0)
    report = index.add_many(read_articles(NEWS_FOLDER))
    assert (report.added, report.replaced, report.unchanged) == (4, 0, 0)
    assert report.rejected == [
        Rejection(
            location=f"{NEWS_FOLDER / 'bad-date.txt'}:1",
            reason="'31/31/2024' is not a valid date: month must be in 1..12",
            field="date",
        ),
        Rejection(
            location=f"{NEWS_FOLDER / 'wire.jsonl'}:2",
            reason="'yesterday-ish' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601",
            field="date",
        ),
    ]
    assert index.search("ferry", sort="oldest").total == 4
    assert [hit.headline for hit in index.search("ferry", sort="oldest").hits] == [
        "Ferry crews walk out over night rotas",
        "Ferry strike ends with a deal on rotas",
        "Ferry fares frozen for a year",
        "Ferry timetable online",
    ]


def test_progress_ends_with_a_finished_report(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news", NEWS[:3])
    calls: list[Progress] = []
    report = index.add_many([*NEWS, {"id": "bad", "headline": "Pier", "date": "soon"}], progress=calls.append)
    last = calls[-1]
    assert (last.done, last.added, last.replaced, last.unchanged, last.rejected, last.finished) == (
        11,
        7,
        0,
        3,
        1,
        True,
    )
    assert last.elapsed >= 0
    assert [call.finished for call in calls].count(True) == 1
    assert (report.added, report.unchanged, len(report.rejected)) == (7, 3, 1)


def test_progress_counts_each_reader_error_once(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", refresh_interval=0)
    calls: list[Progress] = []
    report = index.add_many(read_articles(NEWS_FOLDER), progress=calls.append)
    assert len(report.rejected) == 2
    assert (calls[-1].rejected, calls[-1].finished) == (2, True)


def test_add_report_changed() -> None:
    assert (AddReport(added=1).changed, AddReport(replaced=2).changed, AddReport(unchanged=5).changed) == (
        True,
        True,
        False,
    )


# ---------------------------------------------------------------------------------------
# Replacing and deleting


def test_upsert_replaces_the_old_text_everywhere(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    old = BY_ID["leopard-cubs"]
    new = old.model_copy(update={"body": "Keepers named the cubs Ash and Birch after a public vote."})
    report = index.add(new)
    assert (report.added, report.replaced, report.unchanged, report.rejected) == (0, 1, 0, [])
    assert len(index) == 10
    assert index.get("leopard-cubs") == new
    assert ids(index.search("birch")) == ["leopard-cubs"]
    assert index.search("healthy").total == 0
    assert ids(index.search("leopard")) == ["leopard-cubs"]
    assert index.search("*").total == 10


def test_upsert_reports_replaced_then_unchanged(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    new = BY_ID["leopard-cubs"].model_copy(update={"headline": "Zoo names its snow leopard cubs"})
    first, second = index.add(new), index.add(new)
    assert (first.added, first.replaced, first.unchanged) == (0, 1, 0)
    assert (second.added, second.replaced, second.unchanged) == (0, 0, 1)


def test_repeated_upserts_never_leave_duplicates(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    for number in range(12):  # enough commits to trigger merges along the way
        index.add(BY_ID["fare-protest"].model_copy(update={"body": f"Protest number {number} at the depot."}))
    assert len(index) == 10
    assert ids(index.search("protest")) == ["fare-protest"]
    assert ids(index.search("depot number 11")) == ["fare-protest"]
    assert index.search("commuters gathered").total == 0
    assert index.search("*", limit=100).total == 10
    assert index.check().ok


def test_delete_counts_only_what_was_there(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news")
    assert index.delete(["river-rises", "no-such-id", "river-rises"]) == 1
    assert index.delete("bank-museum") == 1
    assert index.delete([]) == 0
    assert len(index) == 8
    assert index.get("river-rises") is None
    assert "bank-museum" not in index
    assert ids(index.search("river", sort="oldest")) == ["river-footpath"]
    assert index.search("novo-karsk").total == 1


def test_a_second_open_sees_each_commit(tmp_path: Path) -> None:
    writer = make_index(tmp_path / "news", NEWS[:5])
    reader = Index.open(tmp_path / "news", refresh_interval=0)
    assert len(reader) == 5
    writer.add_many(NEWS[5:])
    assert len(reader) == 10
    writer.delete(["budget-draft"])
    assert (len(reader), reader.get("budget-draft")) == (9, None)
    assert len(Index.open(tmp_path / "news")) == 9


def test_a_reader_with_a_refresh_interval_sees_the_commit_after_refresh(tmp_path: Path) -> None:
    writer = make_index(tmp_path / "news", NEWS[:5])
    reader = Index.open(tmp_path / "news", refresh_interval=3600)
    writer.add_many(NEWS[5:])
    assert len(reader) == 5
    reader.refresh()
    assert len(reader) == 10


# ---------------------------------------------------------------------------------------
# Searching while writing


def test_searches_while_another_thread_writes(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news", refresh_interval=0)
    batches = [
        [
            Article(
                id=f"b{batch}-{n}",
                headline=f"Harbour notice {batch}-{n}",
                body="The harbour office posted a notice.",
            )
            for n in range(15)
        ]
        for batch in range(12)
    ]
    done = threading.Event()
    errors: list[BaseException] = []
    seen: dict[str, list[int]] = {"a": [], "b": []}

    def search(name: str) -> None:
        try:
            while True:
                finished = done.is_set()
                seen[name].append(index.search("harbour notice", limit=5).total)
                if finished:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    def write() -> None:
        try:
            for batch in batches:
                index.add_many(batch)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=search, args=(name,)) for name in seen] + [
        threading.Thread(target=write)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for totals in seen.values():
        assert totals == sorted(totals)
        assert totals[-1] == 180
        assert set(totals) <= {15 * n for n in range(13)}
    assert len(index) == 180
