"""Reading plain Whoosh indexes as articles: searchkit.read_whoosh and `searchkit index --from-whoosh`.

Each test builds its Whoosh index with plain Whoosh (its own schema and codec), so the
reader is tried on what Whoosh users have: one index in Whoosh's usual field names
(title, content, url, published, publisher) and one in names searchkit does not know.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import orjson
import pytest
import whoosh.index
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from searchkit import ArticleError, Index, ReadError, read_whoosh
from test_cli import cli


@pytest.fixture
def blog_index(tmp_path: Path) -> Path:
    """Whoosh's usual names: the default field map reads them. Document 1 is deleted,
    document 3 has neither title nor content."""
    folder = tmp_path / "blog"
    folder.mkdir()
    schema = Schema(
        title=TEXT(stored=True), content=TEXT(stored=True), url=ID(stored=True, unique=True),
        published=DATETIME(stored=True), publisher=KEYWORD(stored=True), views=NUMERIC(stored=True),
    )
    ix = whoosh.index.create_in(str(folder), schema)
    with ix.writer() as writer:
        writer.add_document(title="Harbour wall repaired", content="The council finished the repair on Friday.",
                            url="https://example.org/harbour-wall", published=datetime(2024, 5, 3, 9, 30),
                            publisher="Harbor Daily", views=120)
        writer.add_document(title="Withdrawn story", content="This story was withdrawn.",
                            url="https://example.org/withdrawn", published=datetime(2024, 5, 4))
        writer.add_document(title="Ferry timetable changes", content="Two sailings move to the afternoon.",
                            url="https://example.org/ferry")
        writer.add_document(url="https://example.org/empty", views=3)
    with ix.writer() as writer:
        writer.delete_by_term("url", "https://example.org/withdrawn")
    return folder


@pytest.fixture
def archive_index(tmp_path: Path) -> Path:
    """Names searchkit does not know, a non-default index name, a field that is not stored."""
    folder = tmp_path / "archive"
    folder.mkdir()
    schema = Schema(ref=ID(stored=True, unique=True), heading=TEXT(stored=True), story=TEXT(stored=True),
                    section=STORED(), tags=KEYWORD(stored=False))
    ix = whoosh.index.create_in(str(folder), schema, indexname="articles")
    with ix.writer() as writer:
        writer.add_document(ref="a-1", heading="Museum opens new wing", story="The east wing reopened.",
                            section="culture", tags="museum wing")
        writer.add_document(ref="a-2", heading="Bridge closed for repairs", story="Traffic is diverted.",
                            section="transport", tags="bridge")
    return folder


def test_usual_whoosh_names_need_no_map(blog_index: Path) -> None:
    reader = read_whoosh(blog_index)
    articles = list(reader)
    assert [(a.headline, a.url, a.date, a.source) for a in articles] == [
        ("Harbour wall repaired", "https://example.org/harbour-wall", date(2024, 5, 3), "Harbor Daily"),
        ("Ferry timetable changes", "https://example.org/ferry", None, None),
    ]
    first = articles[0]
    assert first.body == "The council finished the repair on Friday."
    assert first.meta == {"published_at": "2024-05-03T09:30:00", "views": 120}
    assert reader.articles_read == 2 and reader.documents_read == 3  # the deleted one is not read
    [error] = reader.errors
    assert isinstance(error, ArticleError)
    assert error.location == f"{blog_index} document 3"
    assert "needs a headline or a body" in str(error)


def test_field_map_and_index_name(archive_index: Path) -> None:
    reader = read_whoosh(archive_index, indexname="articles",
                         field_map={"id": ["ref"], "headline": ["heading"], "body": ["story"]})
    articles = list(reader)
    assert [(a.id, a.headline, a.body, a.meta) for a in articles] == [
        ("a-1", "Museum opens new wing", "The east wing reopened.", {"section": "culture"}),
        ("a-2", "Bridge closed for repairs", "Traffic is diverted.", {"section": "transport"}),
    ]
    assert reader.errors == []


def test_field_map_values_may_be_single_names(tmp_path: Path) -> None:
    """The form of Whoosh's tutorial: key, title, content, published."""
    folder = tmp_path / "tutorial"
    folder.mkdir()
    schema = Schema(key=ID(stored=True, unique=True), title=TEXT(stored=True), content=TEXT(stored=True),
                    published=DATETIME(stored=True))
    ix = whoosh.index.create_in(str(folder), schema)
    with ix.writer() as writer:
        writer.add_document(key="k-7", title="Tram line extended", content="Four new stops open on Monday.",
                            published=datetime(2024, 6, 1))
    reader = read_whoosh(folder, field_map={"headline": "title", "body": "content", "date": "published", "id": "key"})
    assert [(a.id, a.headline, a.body, a.date) for a in reader] == [
        ("k-7", "Tram line extended", "Four new stops open on Monday.", date(2024, 6, 1))
    ]
    assert reader.errors == []


def test_without_the_map_the_unknown_names_are_errors(archive_index: Path) -> None:
    reader = read_whoosh(archive_index, indexname="articles")
    assert list(reader) == []
    assert [e.location for e in reader.errors] == [f"{archive_index} document 0", f"{archive_index} document 1"]


def test_a_wrong_index_name_names_the_ones_there(archive_index: Path, tmp_path: Path) -> None:
    with pytest.raises(ReadError) as wrong:
        read_whoosh(archive_index)
    assert str(wrong.value) == (
        f"{archive_index}: holds no Whoosh index named 'MAIN'; it holds Whoosh indexes named 'articles': "
        "give one of them as the index name (indexname=, or --whoosh-index in the CLI)"
    )
    with pytest.raises(ReadError, match="holds no Whoosh index named 'MAIN'; it holds no Whoosh index"):
        read_whoosh(tmp_path)
    with pytest.raises(ReadError, match="is not a folder"):
        read_whoosh(tmp_path / "missing")


def test_index_add_many_reports_the_bad_documents(blog_index: Path, tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news")
    report = index.add_many(read_whoosh(blog_index))
    assert (report.added, len(report.rejected)) == (2, 1)
    assert report.rejected[0].location == f"{blog_index} document 3"
    assert sorted(a.headline for a in index.articles()) == ["Ferry timetable changes", "Harbour wall repaired"]


def test_cli_index_from_whoosh(archive_index: Path, tmp_path: Path) -> None:
    target = tmp_path / "news"
    done = cli("index", "--from-whoosh", str(archive_index), "--whoosh-index", "articles",
               "--map", "id=ref", "--map", "headline=heading", "--map", "body=story",
               "--index", str(target), "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    data = orjson.loads(done.stdout)
    assert (data["added"], data["rejected"]) == (2, [])
    assert sorted(article.id for article in Index.open(target).articles()) == ["a-1", "a-2"]


def test_cli_from_whoosh_with_files_too_is_a_usage_error(archive_index: Path, tmp_path: Path) -> None:
    done = cli("index", "somefile.jsonl", "--from-whoosh", str(archive_index), "--index", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "argument --from-whoosh: not allowed with argument PATH" in done.stderr
    assert not (tmp_path / "x").exists()
