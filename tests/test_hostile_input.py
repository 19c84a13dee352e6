"""Hostile input: queries, files and articles made to break things.

* Hypothesis (fixed seed: ``derandomize=True``) feeds arbitrary text and token soup to the
  query parser and to ``Index.search``, and hostile files (any text in any encoding, JSON
  whose every field has the wrong type or a nasty value) through the readers into an index
  and back out through search. Only searchkit's own errors may escape, and they say where.
  ``benchmarks/fuzz_long.py`` runs the same properties with many more examples.
* Pathological queries (thousands of terms, deep nesting, ``*``, a prefix over the whole
  vocabulary, huge edit distances, 100 KB strings) are refused with
  :class:`QueryTooComplexError` or complete; none is timed here (``time_limit`` bounds
  them; ``benchmarks/fuzz_long.py`` measures them).
* Articles: a 20 MB body, empty fields, control characters, invalid UTF-8.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import (
    Article,
    ArticleError,
    Index,
    QueryError,
    QuerySyntaxError,
    QueryTooComplexError,
    SearchkitError,
    parse_query,
    read_articles,
)
from searchkit.query import MAX_CLAUSES, MAX_DEPTH, QueryMode

CI = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODES: tuple[QueryMode, ...] = ("auto", "all", "any")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# ---------------------------------------------------------------------------------------
# Strategies (also used by benchmarks/fuzz_long.py)

QUERY_TOKENS = st.sampled_from(
    [
        "AND", "OR", "NOT", "(", ")", '"', "*", "~", "~1", "~2", "~9", "+", "-", ":", "\\", "[", "]", "{", "}",
        "TO", "headline:", "title:", "body:", "background:", "source:", "date:", "url:", "id:", "meta:",
        "2024", "2024-02-30", "2024-13", "0000", "date:[2024-01-01 TO *]", "date:{* TO 2024}", "flood", "harbour",
        "harb*", "flod~1", "*a", "a**", "~~", "\x00", "\x1b[31m", "\u0301", "ǅ", "İ", "ß", "ﬁ", "\ufeff", "\u202e",
        "\u00a0", "🙂", "<script>", "&amp;", "'", "’", "state-of-the-art", "U.S.", "e-mail", "   ", "\n", "\t",
    ]
)
QUERIES = (
    st.text(max_size=60)
    | st.lists(QUERY_TOKENS | st.text(max_size=4), max_size=16).map(" ".join)
    | st.lists(QUERY_TOKENS, max_size=12).map("".join)
)

NASTY_STRINGS = st.sampled_from(
    [
        "", " ", "\x00", "\x00\x01\x02", "\x1b[2J\x1b[31mred", "\r\n\r", "\u202eevil", "<script>alert(1)</script>",
        "x" * 600, "a\u0301" * 50, "\ud7ff\ue000\uffff", "🙂" * 30, "javascript:alert(1)", "file:///etc/passwd",
        "http://[::1", "https://a.example:99999/", "https://harbor.example/2024/02/30/x", "2024-02-30",
        "11/31/2024", "0000-00-00", "9999-12-31T23:59:59+14:00", "NaN", "1e999", "../../etc/passwd", "\\\\server\\x",
    ]
)
JSON_LEAVES = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30) | NASTY_STRINGS
)
JSON_VALUES = st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FIELDS = st.sampled_from(
    ["id", "headline", "title", "body", "content", "background", "bullets", "source", "outlet", "date",
     "published", "url", "link", "attribution", "meta"]
)
RECORDS = st.dictionaries(FIELDS, JSON_VALUES, max_size=7)
JSON_DOCUMENTS = st.lists(RECORDS, max_size=4) | RECORDS | JSON_VALUES
TEXT_LINES = st.lists(
    NASTY_STRINGS
    | st.text(max_size=40)
    | st.sampled_from(["• 11/30/2024", "• 2024-13-45", "Background:", "  • item", "Source: wire", "Harbor Daily"]),
    max_size=10,
).map("\n".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
TEXT_FILES = st.tuples(TEXT_LINES, ENCODINGS).map(lambda pair: pair[0].encode(pair[1], errors="replace")) | st.binary(
    max_size=200
)


# ---------------------------------------------------------------------------------------
# Properties (plain functions, so the long run can call them with its own settings)


def check_parse(text: str) -> None:
    """Lenient parsing raises nothing but QueryTooComplexError; strict errors say where."""
    for mode in MODES:
        try:
            parsed = parse_query(text, mode=mode)
        except QueryTooComplexError as exc:
            assert "position" in str(exc)
        else:
            assert all(0 <= error.position <= len(text) for error in parsed.errors)
        try:
            parse_query(text, mode=mode, strict=True)
        except QuerySyntaxError as exc:
            assert 0 <= exc.position <= len(text) and exc.query == text
            assert f"at position {exc.position}" in str(exc)
        except QueryTooComplexError as exc:
            assert "position" in str(exc)


def check_search(index: Index, text: str) -> None:
    """Any text runs as a query, or is refused with a QueryError; results are sane."""
    for mode in MODES:
        for strict in (False, True):
            try:
                results = index.search(text, mode=mode, strict=strict, limit=20, time_limit=5.0)
            except QueryError:
                continue
            assert 0 <= len(results.hits) <= results.total <= len(index)
            for hit in results.hits:
                for snippet in hit.snippets:
                    assert all(0 <= start < end <= len(snippet.text) for start, end in snippet.highlights)
                    snippet.render("html")


def check_files(folder: Path, text_files: list[bytes], json_documents: list[object]) -> None:
    """Hostile files read, index and search without any but searchkit's errors, which say where."""
    for number, content in enumerate(text_files):
        (folder / f"t{number}.txt").write_bytes(content)
    for number, document in enumerate(json_documents):
        try:
            data = orjson.dumps(document)
        except TypeError:  # integers beyond 64 bits: write them as text, as a feed would
            data = repr(document).encode()
        (folder / f"j{number}.json").write_bytes(data)
        (folder / f"l{number}.jsonl").write_bytes(data.replace(b"\n", b" ") + b"\n" + data[: len(data) // 2])
    reader = read_articles(folder)
    index = Index.create(folder / "index", refresh_interval=0)
    report = index.add_many(reader)
    names = {path.name for path in folder.iterdir()}
    for error in reader.errors:
        assert isinstance(error, SearchkitError)
        assert any(name in str(error) for name in names), str(error)
    for rejection in report.rejected:
        assert rejection.location is not None and any(name in rejection.location for name in names)
    assert report.added + report.replaced + report.unchanged == reader.articles_read
    for article in index.articles():
        assert not _CONTROL.search(article.headline + article.id + "".join(article.background))
        assert not _CONTROL.search(article.body.replace("\t", ""))
        check_search(index, article.headline[:200])


# ---------------------------------------------------------------------------------------
# The properties, in CI


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return small_index(tmp_path_factory.mktemp("hostile") / "index")


def small_index(path: Path) -> Index:
    """Some ordinary articles, and vocabularies for prefixes and fuzzy words to expand over."""
    index = Index.create(path, refresh_interval=0)
    words = ["flood", "harbour", "budget", "ferry", "council", "river", "bank", "state-of-the-art", "U.S."]
    index.add_many(
        Article(id=f"n{n}", headline=f"{words[n % 9]} news {n}", body=" ".join(words[(n + k) % 9] for k in range(30)),
                background=[f"{words[n % 5]} bullet"], source=("Harbor Daily", "Valley Gazette")[n % 2])
        for n in range(60)
    )
    # 3,000 words starting with "a": "a*" expands past MAX_EXPANSIONS (and is cut to it).
    index.add(Article(id="a-words", headline="Glossary", body=" ".join(f"a{n:04d}x" for n in range(3000))))
    # 60,000 words starting with "zq": "zq*" would expand past 50 x MAX_EXPANSIONS (refused).
    index.add(Article(id="zq-words", headline="Index", body=" ".join(f"zq{n:05d}" for n in range(60_000))))
    return index


@CI
@given(text=QUERIES)
def test_parse_query_raises_only_its_own_errors_with_positions(text: str) -> None:
    check_parse(text)


@CI
@given(text=QUERIES)
def test_search_on_any_text_raises_only_query_errors(index: Index, text: str) -> None:
    check_search(index, text)


@settings(CI, max_examples=60)
@given(text_files=st.lists(TEXT_FILES, max_size=3), json_documents=st.lists(JSON_DOCUMENTS, max_size=2))
def test_hostile_files_read_index_and_search(
    tmp_path_factory: pytest.TempPathFactory, text_files: list[bytes], json_documents: list[object]
) -> None:
    check_files(tmp_path_factory.mktemp("files"), text_files, json_documents)



@pytest.mark.parametrize("text", ["a OR OR", 'OR OR"a', "OR)OR)a", "(a OR OR)", "sOURCE:(OR OR"])
def test_dangling_operators_found_by_the_long_fuzz_run(index: Index, text: str) -> None:
    check_parse(text)
    check_search(index, text)

# ---------------------------------------------------------------------------------------
# Pathological queries: refused with QueryTooComplexError, or complete


def outcome(index: Index, query: str, **options: object) -> str:
    try:
        results = index.search(query, **options)  # type: ignore[arg-type]
    except QueryTooComplexError as exc:
        return f"refused: {exc}"
    return f"completed: {results.total}"


# (query, what it does): each is refused with QueryTooComplexError or completes.
PATHOLOGICAL = [
    pytest.param(" ".join(f"w{n}" for n in range(5000)), f"refused: the query has more than {MAX_CLAUSES} clauses",
                 id="5000 terms"),
    pytest.param(" OR ".join(["flood"] * MAX_CLAUSES), "completed: 60", id="1024 terms"),
    pytest.param("(" * 10_000 + "flood" + ")" * 10_000, f"refused: the query nests deeper than {MAX_DEPTH} levels",
                 id="10000 levels"),
    pytest.param("(" * MAX_DEPTH + "flood" + ")" * MAX_DEPTH, "completed: 60", id="32 levels"),
    pytest.param("-(" * 5_000 + "flood", f"refused: the query nests deeper than {MAX_DEPTH} levels", id="NOT nest"),
    pytest.param("NOT " * 5_000 + "flood", f"refused: the query has more than {MAX_CLAUSES} clauses", id="5000 NOTs"),
    pytest.param("*", "completed: 62", id="star"),
    pytest.param("* * * *", "completed: 62", id="stars"),
    pytest.param("a*", "completed: 61", id="prefix over 3000 terms"),  # and "art"
    pytest.param("zq*", "refused: the prefix 'zq'* matches more than 51200 terms", id="prefix over 60000 terms"),
    pytest.param("x~9", "refused: fuzzy distance 9 at position 0 is above the limit of 2", id="x~9"),
    pytest.param("flood~99999999999999999999", "refused: fuzzy distance", id="x~huge"),
    pytest.param("flod~1", "completed: 60", id="fuzzy"),
    pytest.param("harbour " * 12_500, "refused: the query has more than 1024 clauses", id="100 KB of words"),
    pytest.param("x" * 100_000, "completed: 0", id="100 KB word"),
    pytest.param("x" * 100_000 + "~2", "completed: 0", id="100 KB fuzzy word"),
    pytest.param("x" * 100_000 + "*", "completed: 0", id="100 KB prefix"),
    pytest.param('"' + "harbour " * 12_500 + '"', "completed: 0", id="100 KB phrase"),
    pytest.param("-".join(["flood"] * 33_000), "completed: 0", id="100 KB compound"),
    pytest.param("source:" + "x" * 100_000, "completed: 0", id="100 KB source"),
    pytest.param('"' * 100_000, "completed: 62", id="100 KB quotes"),
    pytest.param("()" * 50_000, "completed: 0", id="100 KB empty groups"),
    pytest.param(":" * 100_000, "completed: 0", id="100 KB colons"),
]


@pytest.mark.parametrize(("query", "expected"), PATHOLOGICAL)
def test_pathological_queries_are_refused_or_complete(index: Index, query: str, expected: str) -> None:
    assert outcome(index, query).startswith(expected)


def test_a_thousand_fuzzy_words_stop_at_the_time_limit_or_complete(index: Index) -> None:
    # Expanding each word scans the vocabulary under its first letter: the time limit
    # (here 0.5 s instead of the default 10 s) stops it rather than holding the worker.
    result = outcome(index, " ".join(f"a{n:04d}y~2" for n in range(1000)), time_limit=0.5)
    assert result.startswith(("completed: ", "refused: the query ran longer than its time limit of 0.5 s"))


def test_stray_closing_parentheses_between_words(index: Index) -> None:
    assert outcome(index, " ) ".join(["flood"] * 600)).startswith(("completed: ", "refused: "))


def test_a_fuzzy_distance_of_5000_digits(index: Index) -> None:
    assert outcome(index, "flood~" + "9" * 5000).startswith("refused: fuzzy distance")


def test_lenient_warnings_grow_linearly_with_the_query(index: Index) -> None:
    query = ")" * 5_000
    warnings = index.search(query).warnings
    assert sum(len(warning) for warning in warnings) <= 100 * len(query)


# ---------------------------------------------------------------------------------------
# Hostile articles


def test_a_twenty_megabyte_body_indexes_and_searches_with_short_snippets(tmp_path: Path) -> None:
    paragraph = "The harbour ferry council met about the river budget again today. " * 12
    body = "\n\n".join([paragraph.strip()] * (20_000_000 // len(paragraph) + 1)) + "\n\nLast word: zebracrossing."
    index = Index.create(tmp_path / "index", refresh_interval=0)
    assert index.add(Article(id="huge", headline="A very long report", body=body)).added == 1
    assert len(body) > 20_000_000
    for query in ("ferry", "zebracrossing", '"river budget"', "ferr*", "ferri~1"):
        results = index.search(query)
        assert [hit.id for hit in results.hits] == ["huge"]
        assert all(len(snippet.text) <= 240 for snippet in results.hits[0].snippets)
    stored = index.get("huge")
    assert stored is not None and stored.body == body


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"id": "a", "headline": "", "body": ""}, None, "an article needs a headline or a body; both are empty"),
        ({"id": "a", "headline": " \t ", "body": "\x00\x01\x7f\x9f"}, None,
         "an article needs a headline or a body; both are empty"),
        ({"id": "   ", "headline": "h"}, "id", "must not be empty"),
        ({"id": "a\x1bb", "headline": "h"}, "id", "must not contain control characters"),
        ({"id": "x" * 513, "headline": "h"}, "id", "is 513 characters long; the limit is 512"),
        ({"id": "a", "headline": "h", "url": "javascript:alert(1)"}, "url",
         "'javascript:alert(1)' is not an absolute http(s) URL"),
        ({"id": "a", "headline": "h", "date": "2024-02-30"}, "date", None),
        ({"id": "a", "headline": None}, None, "an article needs a headline or a body; both are empty"),  # None is absent
        ({"id": "a", "headline": 7}, "headline", "must be a string; found a number (7)"),
    ],
)
def test_empty_and_invalid_fields_are_rejected_naming_the_field(
    record: dict[str, object], field: str | None, reason: str | None
) -> None:
    with pytest.raises(ArticleError) as caught:
        Article.from_dict(record, location="record 7")
    assert (caught.value.field, caught.value.location) == (field, "record 7")
    if reason is not None:
        assert caught.value.reason == reason


def test_the_json_reader_rejects_bad_records_naming_line_and_field(tmp_path: Path) -> None:
    # In files a blank or null value counts as absent: a blank id is derived, a null headline missing.
    records = [
        {"id": "a", "title": "", "body": ""},
        {"id": "b", "title": None, "body": "\x00\x01"},
        {"id": "c\x1bd", "title": "h"},
        {"id": "e", "title": "h", "url": "javascript:alert(1)"},
        {"id": "f", "title": "h", "date": "2024-02-30"},
        {"id": "   ", "title": "Kept, with a derived id"},
    ]
    (tmp_path / "feed.jsonl").write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    index = Index.create(tmp_path / "index", refresh_interval=0)
    report = index.add_many(read_articles(tmp_path / "feed.jsonl"))
    feed = tmp_path / "feed.jsonl"
    assert [(r.location, r.field) for r in report.rejected] == [
        (f"{feed}:1", None), (f"{feed}:2", None), (f"{feed}:3", "id"), (f"{feed}:4", "url"), (f"{feed}:5", "date"),
    ]
    assert [a.headline for a in index.articles()] == ["Kept, with a derived id"]


def test_control_characters_are_stripped_from_every_field(tmp_path: Path) -> None:
    dirty = "\x00\x07\x1b[31mRed\x1b[0m alert\x7f\x85\x9b"
    article = Article(
        id="dirty", headline=dirty, body=f"{dirty}\r\nSecond\x0c line\tand tab.", background=[dirty, "\x00"],
        source=dirty, attribution=dirty,
    )
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add(article)
    stored = index.get("dirty")
    assert stored is not None
    assert stored.headline == stored.source == stored.attribution == "[31mRed[0m alert"
    assert stored.background == ["[31mRed[0m alert"]
    assert stored.body == "[31mRed[0m alert\nSecond line\tand tab."
    assert [hit.id for hit in index.search("alert").hits] == ["dirty"]
    assert not _CONTROL.search(index.search("alert").to_json())


def test_invalid_utf8_is_read_as_cp1252_with_a_warning_and_indexed(tmp_path: Path) -> None:
    # 0xE9 is é and 0xA3 is £ in cp1252; 0x81 and 0x9D are unassigned there and become U+FFFD.
    (tmp_path / "cafe.txt").write_bytes(b"Caf\xe9 prices rise\n\nA coffee now costs \xa33 \x81\x9d.\n")
    (tmp_path / "feed.json").write_bytes(b'{"id": "j", "title": "Na\xefve r\xe9sum\xe9", "body": "x"}')
    reader = read_articles(tmp_path)
    index = Index.create(tmp_path / "index", refresh_interval=0)
    assert index.add_many(reader).added == 2
    assert reader.warnings == [
        f"{tmp_path / 'cafe.txt'}:1: not valid UTF-8; decoded as cp1252",
        f"{tmp_path / 'feed.json'}:1: not valid UTF-8; decoded as cp1252",
    ]
    [cafe] = index.search("café").hits
    stored = index.get(cafe.id)
    assert stored is not None and stored.body == "A coffee now costs £3 \ufffd\ufffd."
    assert [hit.headline for hit in index.search("resume").hits] == ["Naïve résumé"]

