"""The Article model: id derivation, date forms, validation messages, JSON form."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from searchkit.errors import ArticleError
from searchkit.ingest import read_articles
from searchkit.models import Article

URL = "https://news.example/2024/11/30/ferry-line"


def sha16(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def test_given_id_is_kept() -> None:
    assert Article(id="  wire-0042 ", headline="H", url=URL).id == "wire-0042"
    assert Article(id=42, headline="H").id == "42"


def test_id_from_url_is_the_hash_of_the_canonical_url() -> None:
    assert Article(headline="H", url=URL).id == sha16(f"url\x1f{URL}")


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://NEWS.EXAMPLE/2024/11/30/ferry-line",
        "https://news.example/2024/11/30/ferry-line/",
        "https://news.example/2024/11/30/ferry-line?utm_source=rss&utm_medium=feed",
        "https://news.example/2024/11/30/ferry-line#comments",
        "https://news.example:443/2024/11/30/ferry-line",
        "https://news.example./2024/11/30/ferry-line?fbclid=abc",
        "  https://news.example/2024/11/30/ferry-line  ",
    ],
)
def test_url_variants_give_the_same_id(variant: str) -> None:
    assert Article(headline="other headline", url=variant).id == Article(headline="H", url=URL).id


@pytest.mark.parametrize(
    "other",
    [
        "http://news.example/2024/11/30/ferry-line",
        "https://news.example/2024/11/30/Ferry-Line",
        "https://news.example/2024/11/30/ferry-line?page=2",
    ],
)
def test_different_urls_give_different_ids(other: str) -> None:
    assert Article(headline="H", url=other).id != Article(headline="H", url=URL).id


def test_id_without_url_hashes_source_date_headline_and_body() -> None:
    article = Article(headline="  Ferry   line opens ", source="Coastal Courier", date="11/30/2024", body="B")
    assert article.id == sha16("doc2\x1fcoastal courier\x1f2024-11-30\x1fFerry line opens\x1fB")
    assert Article(headline="Ferry line opens", source="COASTAL COURIER", date="2024-11-30", body="B").id == article.id
    assert Article(headline="Ferry line opens", source="Coastal Courier", body="B").id != article.id
    assert Article(body="Only a body.").id == sha16("doc2\x1f\x1f\x1f\x1fOnly a body.")


def test_same_headline_with_a_different_body_gets_a_different_id() -> None:
    # Before schema version 2 the body did not count: these two replaced each other.
    first = Article(headline="Ferry line opens", body="The north harbour ferry began running on Tuesday.")
    second = Article(headline="Ferry line opens", body="The south harbour ferry began running on Friday.")
    late_change = Article(headline="Ferry line opens", body="The north harbour ferry began running on Tuesday!")
    assert len({first.id, second.id, late_change.id}) == 3


def test_a_change_past_the_first_500_characters_changes_the_id() -> None:
    start = "word " * 200
    assert Article(body=start + "end one").id != Article(body=start + "end two").id


def test_same_article_read_twice_gets_the_same_id(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "• 11/30/2024\n\nFerry line opens\n\nCoastal Courier\n\nFirst line\nof the body.\n\nMore.\n", "utf-8"
    )
    (tmp_path / "b.txt").write_bytes(  # BOM, CRLF, trailing spaces
        b"\xef\xbb\xbf\xe2\x80\xa2 11/30/2024\r\n\r\nFerry line opens \r\n\r\nCoastal Courier\r\n\r\n"
        b"First line  \r\nof the body. \r\n\r\nMore.  \r\n\r\n"
    )
    (tmp_path / "c.jsonl").write_text(  # the same article as JSON, with other whitespace in the body
        '{"headline": "Ferry line opens", "source": "Coastal Courier", "date": "2024-11-30",'
        ' "body": "First line \\r\\nof the body.\\r\\n\\r\\nMore.\\n"}\n',
        "utf-8",
    )
    first, second, third = read_articles(tmp_path)
    expected = sha16("doc2\x1fcoastal courier\x1f2024-11-30\x1fFerry line opens\x1fFirst line of the body. More.")
    assert first.id == second.id == third.id == expected
    assert first == second


@pytest.mark.parametrize(
    ("text", "day", "published_at"),
    [
        ("11/30/2024", dt.date(2024, 11, 30), None),
        ("2024-11-30", dt.date(2024, 11, 30), None),
        ("2024-11-30T10:15:00", dt.date(2024, 11, 30), "2024-11-30T10:15:00"),
        ("2024-11-30 10:15", dt.date(2024, 11, 30), "2024-11-30T10:15:00"),
        ("2024-11-30T10:15:00Z", dt.date(2024, 11, 30), "2024-11-30T10:15:00+00:00"),
        ("2024-11-30T23:30:00.5-05:00", dt.date(2024, 11, 30), "2024-11-30T23:30:00.500000-05:00"),
        ("2024-12-01T01:30:00+0900", dt.date(2024, 12, 1), "2024-12-01T01:30:00+09:00"),
        ("Sat, 30 Nov 2024 10:00:00 +0000", dt.date(2024, 11, 30), "2024-11-30T10:00:00+00:00"),
        ("30 November 2024", dt.date(2024, 11, 30), None),
        ("Nov 30, 2024", dt.date(2024, 11, 30), None),
    ],
)
def test_date_forms(text: str, day: dt.date, published_at: str | None) -> None:
    article = Article(headline="H", date=text)
    assert article.date == day
    assert article.meta == ({"published_at": published_at} if published_at else {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "yesterday",
            "field 'date': 'yesterday' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601",
        ),
        ("02/30/2024", "field 'date': '02/30/2024' is not a valid date: day is out of range for month"),
        ("2024-13-01", "field 'date': '2024-13-01' is not a valid date: month must be in 1..12"),
    ],
)
def test_unparseable_date_names_the_field(text: str, message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        Article.from_dict({"headline": "H", "date": text}, location="feed.jsonl:3")
    assert (caught.value.field, caught.value.location) == ("date", "feed.jsonl:3")
    assert str(caught.value) == f"feed.jsonl:3: {message}"


def test_blank_date_is_no_date() -> None:
    assert Article(headline="H", date="  ").date is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"headline": " ", "body": "\n"}, "an article needs a headline or a body; both are empty"),
        (
            {"headline": "H", "url": "news.example/a"},
            "field 'url': 'news.example/a' is not an absolute http(s) URL",
        ),
        (
            {"headline": "H", "url": "https://news.example:99999/a"},
            "field 'url': 'https://news.example:99999/a' is not an absolute http(s) URL",
        ),
        (
            {"headline": "H", "author": "X"},
            "field 'author': is not an Article field; put extra metadata under 'meta'",
        ),
        ({"headline": "H", "id": "x" * 513}, "field 'id': is 513 characters long; the limit is 512"),
        ({"headline": "H", "id": "a\tb"}, "field 'id': must not contain control characters"),
        (
            {"headline": "H", "meta": {"when": {1, 2}}},
            "field 'meta': must hold JSON values only: Type is not JSON serializable: set",
        ),
        (
            {"headline": "H", "date": "2024-11-30T10:00:00", "meta": [1]},
            "field 'meta': must be an object (a mapping); found an array ([1])",
        ),
    ],
)
def test_invalid_articles(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        Article(**fields)
    assert str(caught.value) == message


def test_text_is_normalised() -> None:
    article = Article(
        headline=" Ferry\n line\x07 opens ",
        body="\r\nFirst.\r\n\r\nSecond.\x00\r",
        background=["  one  ", "", " \t "],
        source="  ",
        attribution=" Agency\nreport ",
    )
    assert article.model_dump(exclude={"id"}) == {
        "headline": "Ferry line opens",
        "body": "First.\n\nSecond.",
        "background": ["one"],
        "source": None,
        "date": None,
        "url": None,
        "attribution": "Agency report",
        "meta": {},
    }


def test_to_json_omits_empty_fields_and_reads_back() -> None:
    article = Article(headline="H", date="2024-11-30T10:00:00Z", url=URL, meta={"tags": ["a"]})
    data = orjson.loads(article.to_json())
    assert data == {
        "id": sha16(f"url\x1f{URL}"),
        "headline": "H",
        "date": "2024-11-30",
        "url": URL,
        "meta": {"tags": ["a"], "published_at": "2024-11-30T10:00:00+00:00"},
    }
    assert Article.from_dict(data) == article


DATE_RULE = (
    "field 'date': must be a date written as a string, such as '2024-11-30' (numbers are not read as dates); found "
)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": 0}, DATE_RULE + "a number (0)"),
        ({"date": 20240101}, DATE_RULE + "a number (20240101)"),
        ({"source": {"a": 1}}, "field 'source': must be a string; found an object ({'a': 1})"),
        ({"headline": 5}, "field 'headline': must be a string; found a number (5)"),
        ({"body": b"bytes"}, "field 'body': must be a string; found a bytes (b'bytes')"),
        ({"url": ["https://a.example/"]}, "field 'url': must be a string; found an array (['https://a.example/'])"),
        ({"attribution": 1}, "field 'attribution': must be a string; found a number (1)"),
        ({"background": ("a", None)}, "field 'background': item 2 must be a string; found a NoneType (None)"),
        ({"meta": ["x"]}, "field 'meta': must be an object (a mapping); found an array (['x'])"),
        ({"id": 2.0}, "field 'id': must be a string or a whole number; found a number (2.0)"),
        ({"id": "x" * 80, "body": 1}, "field 'body': must be a string; found a number (1)"),
    ],
)
def test_from_dict_refuses_wrong_types_by_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        Article.from_dict({"headline": "H", "body": "B", **fields}, location="record 4")
    assert str(caught.value) == f"record 4: {message}"
    assert (caught.value.location, caught.value.field) == ("record 4", message.split("'")[1])


def test_none_means_absent() -> None:
    article = Article.from_dict(
        {"headline": "H", "body": None, "background": None, "source": None, "date": None, "url": None,
         "attribution": None, "meta": None, "id": None}
    )
    assert article == Article(headline="H")
