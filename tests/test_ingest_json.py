"""JSON and JSON Lines: aliases and their priority, meta, errors with locations, real data."""

from __future__ import annotations

import datetime as dt
import string
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.errors import ArticleError, ReadError, SearchkitError
from searchkit.ingest import ArticleReader, read_articles
from searchkit.ingest.json_format import DEFAULT_FIELD_MAP, resolve_field_map
from searchkit.models import Article


def read_json(
    tmp_path: Path, name: str, content: str | bytes, **options: Any
) -> tuple[list[Article], ArticleReader]:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    reader = read_articles(path, **options)
    return list(reader), reader


def one(tmp_path: Path, record: dict[str, Any], **options: Any) -> Article:
    articles, reader = read_json(tmp_path, "one.json", orjson.dumps(record), **options)
    assert reader.errors == []
    [article] = articles
    return article


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"title": "T", "text": "B"}, {"headline": "T", "body": "B"}),
        ({"title": "T", "content": "B"}, {"headline": "T", "body": "B"}),
        ({"title": "T", "maintext": "B"}, {"headline": "T", "body": "B"}),
        ({"title": "T", "article": "B"}, {"headline": "T", "body": "B"}),
        ({"title": "T", "content_original": "B"}, {"headline": "T", "body": "B"}),
        ({"headline": "T", "published": "2024-11-30"}, {"headline": "T", "date": dt.date(2024, 11, 30)}),
        ({"headline": "T", "date_publish": "2024-11-30"}, {"headline": "T", "date": dt.date(2024, 11, 30)}),
        (
            {"headline": "T", "pubDate": "Sat, 30 Nov 2024 10:00:00 +0000"},
            {
                "headline": "T",
                "date": dt.date(2024, 11, 30),
                "meta": {"published_at": "2024-11-30T10:00:00+00:00"},
            },
        ),
        (
            {"headline": "T", "publishedAt": "2024-11-30T23:30:00-05:00"},
            {
                "headline": "T",
                "date": dt.date(2024, 11, 30),
                "meta": {"published_at": "2024-11-30T23:30:00-05:00"},
            },
        ),
        ({"headline": "T", "outlet": "O"}, {"headline": "T", "source": "O"}),
        ({"headline": "T", "publisher": "O"}, {"headline": "T", "source": "O"}),
        ({"headline": "T", "site_name": "O"}, {"headline": "T", "source": "O"}),
        ({"headline": "T", "source_domain": "o.example"}, {"headline": "T", "source": "o.example"}),
        ({"headline": "T", "source": {"id": "o", "name": "Outlet"}}, {"headline": "T", "source": "Outlet"}),
        ({"headline": "T", "link": "https://o.example/a"}, {"headline": "T", "url": "https://o.example/a"}),
        ({"headline": "T", "bullets": ["a", "b"]}, {"headline": "T", "background": ["a", "b"]}),
        ({"headline": "T", "key_points": "one point"}, {"headline": "T", "background": ["one point"]}),
        ({"headline": "T", "ID": "abc123"}, {"headline": "T", "id": "abc123"}),
    ],
)
def test_aliases(tmp_path: Path, record: dict[str, Any], expected: dict[str, Any]) -> None:
    article = one(tmp_path, record)
    assert (
        article.model_dump(exclude_defaults=True, exclude={"id"} if "id" not in expected else set())
        == expected
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            {"title": "T", "content": "tokenized , copy", "content_original": "Real body."},
            {"body": "Real body."},
        ),
        (
            {"title": "T", "content": "tokenized , copy", "content_original": "  "},
            {"body": "tokenized , copy"},
        ),
        ({"title": "T", "text": "text", "maintext": "maintext"}, {"body": "maintext"}),
        ({"title": "T", "body": "body", "content_original": "original"}, {"body": "body"}),
        ({"title": "T", "headline": "H"}, {"headline": "H"}),
        ({"title": "T", "source_domain": "d.example", "source": "Label"}, {"source": "Label"}),
        ({"title": "T", "source_domain": "d.example", "site_name": "Site"}, {"source": "Site"}),
        ({"title": "T", "source_domain": "d.example", "source": None}, {"source": "d.example"}),
        ({"title": "T", "date": "", "published_at": "2020-01-02"}, {"date": dt.date(2020, 1, 2)}),
    ],
)
def test_alias_priority(tmp_path: Path, record: dict[str, Any], expected: dict[str, Any]) -> None:
    article = one(tmp_path, record)
    assert {key: getattr(article, key) for key in expected} == expected
    assert article.meta == {}, "aliases that lose are dropped, not kept in meta"


def test_unknown_keys_go_to_meta_as_given(tmp_path: Path) -> None:
    article = one(
        tmp_path,
        {
            "title": "T",
            "description": "A teaser.",
            "authors": ["A. Writer", "B. Writer"],
            "tags": {"region": "north", "score": 0.5},
            "bias": 2,
            "meta": {"language": "en", "bias": "right"},
        },
    )
    assert article.meta == {
        "description": "A teaser.",
        "authors": ["A. Writer", "B. Writer"],
        "tags": {"region": "north", "score": 0.5},
        "bias": "right",
        "language": "en",
    }
    assert article.body == ""


def test_field_map_overrides_one_field_and_keeps_the_others(tmp_path: Path) -> None:
    record = {"heading": "H", "title": "T", "text": "B", "summary": "S"}
    article = one(tmp_path, record, field_map={"headline": ("heading",), "body": ("summary", "text")})
    assert (article.headline, article.body, article.meta) == ("H", "S", {"title": "T"})
    assert DEFAULT_FIELD_MAP["headline"] == ("headline", "title")


@pytest.mark.parametrize(
    ("field_map", "message"),
    [
        ({"meta": ("extra",)}, "field_map names 'meta', which is not a mappable Article field"),
        ({"headline": "title"}, "field_map['headline'] must be a sequence of keys, not the string 'title'"),
        ({"headline": ("text",)}, "field_map maps key 'text' to both 'headline' and 'body'"),
    ],
)
def test_bad_field_map(field_map: dict[str, Any], message: str) -> None:
    with pytest.raises(
        ValueError, match="^" + message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
    ):
        resolve_field_map(field_map)
    with pytest.raises(ValueError):
        read_articles(Path(__file__), format="json", field_map=field_map)


JSONL = b"""{"title": "First", "text": "One."}
not json at all
[{"title": "In an array"}]
42
"just a string"
{"title": "", "text": "  ", "source": "Empty Times"}
{"title": "Bad date", "date": "31/31/2024"}
{"title": "Bad url", "url": "ftp://files.example/a"}
{"title": "Bad meta", "meta": [1, 2]}
{"title": "Null meta is no meta", "meta": null}
\t
{"title": "Last", "text": "Two.", "date": "2024-01-02"}
"""


def test_jsonl_reports_every_bad_line_and_reads_the_rest(tmp_path: Path) -> None:
    articles, reader = read_json(tmp_path, "feed.jsonl", JSONL)
    path = tmp_path / "feed.jsonl"
    assert [(a.headline, a.body) for a in articles] == [
        ("First", "One."),
        ("Null meta is no meta", ""),
        ("Last", "Two."),
    ]
    assert [str(error) for error in reader.errors] == [
        f"{path}:2: is not valid JSON: invalid literal, expected 'null' (column 1)",
        f"{path}:3: is a JSON array; JSON Lines holds one article object per line (use a .json file for an array)",
        f"{path}:4: is a JSON number, not an object; each article must be a JSON object",
        f"{path}:5: is a JSON string, not an object; each article must be a JSON object",
        f"{path}:6: an article needs a headline or a body; both are empty",
        f"{path}:7: field 'date': '31/31/2024' is not a valid date: month must be in 1..12",
        f"{path}:8: field 'url': 'ftp://files.example/a' is not an absolute http(s) URL",
        f"{path}:9: field 'meta': must be a JSON object; found a JSON array",
    ]
    assert all(type(error) is ArticleError for error in reader.errors)
    assert [error.location for error in reader.errors] == [f"{path}:{n}" for n in range(2, 10)]  # type: ignore[union-attr]
    assert (reader.files_read, reader.articles_read) == (1, 3)


def test_json_array_reports_records_by_number(tmp_path: Path) -> None:
    content = orjson.dumps(
        [{"title": "A"}, {"text": ""}, "oops", {"title": "D", "date": "tomorrow"}, {"title": "E"}]
    )
    articles, reader = read_json(tmp_path, "dump.json", content)
    path = tmp_path / "dump.json"
    assert [a.headline for a in articles] == ["A", "E"]
    assert [str(error) for error in reader.errors] == [
        f"{path} record 2: an article needs a headline or a body; both are empty",
        f"{path} record 3: is a JSON string, not an object; each article must be a JSON object",
        f"{path} record 4: field 'date': 'tomorrow' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601",
    ]


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (
            b'[\n  {"title": "A"},\n  {"title": "B",}\n]',
            "is not valid JSON: trailing comma is not allowed (column 16)",
            3,
        ),
        (b"", "is not valid JSON: Input is a zero-length, empty document (column 1)", 1),
        (b"42", "holds a JSON number; a .json file must hold an article object or an array of them", None),
        (
            b'"text"',
            "holds a JSON string; a .json file must hold an article object or an array of them",
            None,
        ),
    ],
)
def test_unreadable_json_document(tmp_path: Path, content: bytes, message: str, line: int | None) -> None:
    articles, reader = read_json(tmp_path, "bad.json", content)
    [error] = reader.errors
    assert articles == [] and type(error) is ReadError
    assert (error.reason, error.path, error.line) == (message, tmp_path / "bad.json", line)


def test_single_object_json_with_bom(tmp_path: Path) -> None:
    articles, reader = read_json(tmp_path, "one.json", b'\xef\xbb\xbf{"title": "T", "body": "B"}')
    assert [(a.headline, a.body) for a in articles] == [("T", "B")] and reader.warnings == []


def test_jsonl_with_crlf_bom_and_a_cp1252_line(tmp_path: Path) -> None:
    content = b'\xef\xbb\xbf{"title": "A"}\r\n{"title": "Price \xa35"}\r\n{"title": "\xe2\x80\x9cC\xe2\x80\x9d"}\r\n'
    articles, reader = read_json(tmp_path, "feed.ndjson", content)
    assert [a.headline for a in articles] == ["A", "Price £5", "“C”"]
    assert reader.warnings == [
        f"{tmp_path / 'feed.ndjson'}:2: not valid UTF-8; decoded as cp1252 (and any later such lines)"
    ]
    assert reader.errors == []


# ---------------------------------------------------------------------------------------
# Hypothesis: round trip, and no crash on any line

WORDS = st.text(alphabet=string.ascii_letters + string.digits + " .,'’–éü\u00a0\n\t", max_size=60)
JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | WORDS


def _article_or_none(**fields: Any) -> Article | None:
    try:
        return Article(**fields)
    except ArticleError:
        return None


ARTICLES = st.builds(
    _article_or_none,
    id=st.none() | st.text(alphabet=string.ascii_letters + string.digits + "-_:/", min_size=1, max_size=20),
    headline=WORDS,
    body=st.text(max_size=200),
    background=st.lists(WORDS, max_size=3),
    source=st.none() | WORDS,
    date=st.none() | st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    url=st.none() | st.from_regex(r"https://[a-z]{1,10}\.example/[a-z0-9/]{0,20}", fullmatch=True),
    attribution=st.none() | WORDS,
    meta=st.dictionaries(st.text(max_size=10), JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2), max_size=3),
).filter(lambda article: article is not None)


@settings(max_examples=150, deadline=None)
@given(article=ARTICLES)
def test_round_trip_through_the_json_readers(
    tmp_path_factory: pytest.TempPathFactory, article: Article
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    (folder / "one.json").write_bytes(article.to_json())
    (folder / "many.jsonl").write_bytes(article.to_json() + b"\n" + article.to_json() + b"\n")
    reader = read_articles(folder)
    assert list(reader) == [article, article, article]
    assert reader.errors == []


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "id",
        "ID",
        "title",
        "headline",
        "body",
        "text",
        "content",
        "date",
        "published",
        "url",
        "link",
        "source",
        "source_domain",
        "background",
        "bullets",
        "meta",
        "attribution",
        "x",
    ]
)
RECORDS = st.dictionaries(
    KEYS, JSON_VALUES | st.sampled_from(["2024-11-30", "11/30/2024", "https://a.example/b", ""]), max_size=6
)
LINES = (
    st.text(max_size=60)
    | st.sampled_from(
        ["[]", "{}", '{"title": 1e999}', '{"title": "x", "id": 123456789012345678901234567890}', "{" * 2000]
    )
    | RECORDS.map(lambda record: orjson.dumps(record).decode())
    | JSON_VALUES.map(lambda value: orjson.dumps(value).decode())
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(LINES, max_size=6))
def test_jsonl_reader_never_raises(tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.jsonl"
    path.write_text(
        "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines),
        "utf-8",
        errors="surrogatepass",
    )
    reader = read_articles(path)
    articles = list(reader)
    assert all(isinstance(error, SearchkitError) for error in reader.errors)
    assert len(articles) + len(reader.errors) <= len(lines)


# ---------------------------------------------------------------------------------------
# Real data: AllSides article-bias subset


def test_allsides_corpus() -> None:
    folder = shared_path("data", "allsides-article-bias", "jsons")
    reader = read_articles(folder)
    articles = list(reader)
    assert (len(articles), reader.errors, reader.warnings, reader.files_read) == (3094, [], [], 3094)
    assert Counter(article.date is None for article in articles) == {False: 2598, True: 496}
    assert min(a.date for a in articles if a.date) == dt.date(2012, 5, 31)
    by_id = {article.id: article for article in articles}
    assert len(by_id) == 3094
    raw = orjson.loads((folder / "01BNaWwS2avFtSOs.json").read_bytes())
    npr = by_id["01BNaWwS2avFtSOs"]
    assert npr.body == raw["content_original"].strip() != raw["content"].strip()
    assert (npr.headline, npr.source, npr.date, npr.url) == (
        raw["title"],
        "NPR Online News",
        dt.date(2019, 4, 15),
        raw["url"],
    )
    assert npr.meta == {key: raw[key] for key in ("topic", "bias", "authors", "source_url", "bias_text")}
    assert sorted(Counter(a.source for a in articles if a.date).most_common(3)) == [
        ("CNN (Web News)", 248),
        ("Fox Online News", 278),
        ("Washington Times", 257),
    ]


# A value of the wrong type is an error naming the field and the record; nothing is coerced.
DATE_RULE = (
    "field 'date': must be a date written as a string, such as '2024-11-30' (numbers are not read as dates); found "
)
SOURCE_RULE = (
    "field 'source': must be a string, or an object with a \"name\" string (as NewsAPI writes it); found "
)
WRONG_TYPES = [
    ({"date": 0}, DATE_RULE + "a number (0)"),
    ({"date": 20240101}, DATE_RULE + "a number (20240101)"),
    ({"published": 1.7e9}, DATE_RULE + "a number (1700000000.0)"),
    ({"date": True}, DATE_RULE + "a boolean (True)"),
    ({"date": ["2024-11-30"]}, DATE_RULE + "an array (['2024-11-30'])"),
    ({"source": {"a": 1}}, SOURCE_RULE + "{'a': 1}"),
    ({"source": {"id": "cnn", "name": 7}}, SOURCE_RULE + "{'id': 'cnn', 'name': 7}"),
    ({"source": 42}, "field 'source': must be a string; found a number (42)"),
    ({"outlet": ["Wire"]}, "field 'source': must be a string; found an array (['Wire'])"),
    ({"title": 12}, "field 'headline': must be a string; found a number (12)"),
    ({"text": {"p": "x"}}, "field 'body': must be a string; found an object ({'p': 'x'})"),
    ({"body": False}, "field 'body': must be a string; found a boolean (False)"),
    ({"url": 1}, "field 'url': must be a string; found a number (1)"),
    ({"attribution": ["AP"]}, "field 'attribution': must be a string; found an array (['AP'])"),
    ({"bullets": 3}, "field 'background': must be a list of strings; found a number (3)"),
    ({"background": ["ok", 2]}, "field 'background': item 2 must be a string; found a number (2)"),
    ({"background": {"a": "b"}}, "field 'background': must be a list of strings; found an object ({'a': 'b'})"),
    ({"meta": "x"}, "field 'meta': must be a JSON object; found a JSON string"),
    ({"id": 1.5}, "field 'id': must be a string or a whole number; found a number (1.5)"),
    ({"id": True}, "field 'id': must be a string or a whole number; found a boolean (True)"),
    ({"id": ["a"]}, "field 'id': must be a string or a whole number; found an array (['a'])"),
]


@pytest.mark.parametrize(("extra", "message"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_an_error_naming_field_and_record(
    tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    good = {"title": "Kept", "text": "Fine."}
    bad = {"title": "Headline", "text": "Body.", **extra}
    lines = b"".join(orjson.dumps(record) + b"\n" for record in (good, bad, good | {"title": "Also kept"}))
    articles, reader = read_json(tmp_path, "feed.jsonl", lines)
    assert [a.headline for a in articles] == ["Kept", "Also kept"]
    assert [str(error) for error in reader.errors] == [f"{tmp_path / 'feed.jsonl'}:2: {message}"]
    articles, reader = read_json(tmp_path, "dump.json", orjson.dumps([good, bad]))
    assert [a.headline for a in articles] == ["Kept"]
    assert [str(error) for error in reader.errors] == [f"{tmp_path / 'dump.json'} record 2: {message}"]
    assert all(type(error) is ArticleError for error in reader.errors)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"title": "T", "id": 0}, "0"),  # a numeric id is kept as written, 0 included
        ({"title": "T", "id": 20240101}, "20240101"),
        ({"title": "T", "source": {"id": None, "name": None}}, None),  # NewsAPI's "no source"
    ],
)
def test_accepted_non_string_values(tmp_path: Path, record: dict[str, Any], expected: str | None) -> None:
    [article], reader = read_json(tmp_path, "one.json", orjson.dumps(record))
    assert reader.errors == []
    assert (article.id if "id" in record else article.source) == expected
