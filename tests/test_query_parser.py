"""The query language, parsed and run end to end on the hand-written news index."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from news_fixtures import found, ids, make_index

from searchkit import Index, QueryError, QuerySyntaxError, QueryTooComplexError, parse_query
from searchkit.query import (
    AUTO_ALL_MAX_WORDS,
    MAX_CLAUSES,
    MAX_DEPTH,
    And,
    DateRange,
    Fuzzy,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    SourceIs,
    Term,
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("news") / "index")


# ---------------------------------------------------------------------------------------
# The tree


@pytest.mark.parametrize(
    ("text", "mode", "tree"),
    [
        ("flood", "auto", Term("flood")),
        ("flood mayor", "auto", And((Term("flood"), Term("mayor")))),
        ("flood mayor", "any", Or((Term("flood"), Term("mayor")))),
        ("flood OR mayor", "all", Or((Term("flood"), Term("mayor")))),
        ("flood -mayor", "auto", And((Term("flood"), Not(Term("mayor"))))),
        ("flood NOT mayor", "auto", And((Term("flood"), Not(Term("mayor"))))),
        ('headline:"river bank"', "auto", Phrase("river bank", "headline")),
        ("title:(flood OR fire)", "auto", Or((Term("flood", "headline"), Term("fire", "headline")))),
        ("evacuat*", "auto", Prefix("evacuat")),
        ("ukrane~", "auto", Fuzzy("ukrane", -1)),
        ("body:ukrane~2", "auto", Fuzzy("ukrane", 2, "body")),
        ('source:"Harbor Daily"', "auto", SourceIs("Harbor Daily")),
        ("source:Reuters", "auto", SourceIs("Reuters")),
        ("date:2024-02", "auto", DateRange(date(2024, 2, 1), date(2024, 2, 29))),
        ("date:2023", "auto", DateRange(date(2023, 1, 1), date(2023, 12, 31))),
        ("date:[2024-01 TO 2024-03-15]", "auto", DateRange(date(2024, 1, 1), date(2024, 3, 15))),
        ("date:{2024-01-01 TO 2024-01-31}", "auto", DateRange(date(2024, 1, 2), date(2024, 1, 30))),
        ("date:[* TO 2024]", "auto", DateRange(None, date(2024, 12, 31))),
        ("*", "auto", MatchAll()),
        ("", "auto", MatchAll()),
        ("FLOOD AND FIRE", "auto", And((Term("FLOOD"), Term("and"), Term("FIRE")))),
    ],
)
def test_parse_tree(text: str, mode: str, tree: object) -> None:
    parsed = parse_query(text, mode=mode)  # type: ignore[arg-type]
    assert (parsed.query, parsed.errors) == (tree, [])


def test_plus_and_optional_words_in_any_mode() -> None:
    assert parse_query("+flood mayor", mode="any").query == And(
        (Term("flood"), Or((Term("mayor"),), minimum=0))
    )


CONTENT_WORDS = ("flood", "river", "town", "mill", "weir", "quay")


def test_auto_mode_is_all_up_to_the_word_limit_not_counting_stop_words() -> None:
    words = " of the ".join(CONTENT_WORDS[:AUTO_ALL_MAX_WORDS]).split()
    assert parse_query(" ".join(words)).query == And(tuple(Term(w) for w in words))
    more = CONTENT_WORDS[: AUTO_ALL_MAX_WORDS + 1]
    assert parse_query(" ".join(more)).query == Or(tuple(Term(w) for w in more))


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown query mode 'some'"):
        parse_query("flood", mode="some")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Strict and lenient


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ('flood "river', 6, "missing closing quote"),
        ("flood)", 5, "unexpected ')'"),
        ("(flood", 6, "missing ')'"),
        ("title:(flood", 12, "missing ')'"),
        ("flood AND", 6, "AND needs something on both sides"),
        ("AND flood", 0, "AND needs something on both sides"),
        ("flood OR", 6, "OR needs something after it"),
        ("flood NOT", 6, "NOT needs something after it"),
        (
            "url:harbordaily",
            0,
            "unknown field 'url': searched 'harbordaily' as plain words in every field; "
            "fields are headline (or title), body (or text), background, source, date",
        ),
        (
            "flood id:river-rises",
            6,
            "unknown field 'id': searched 'river-rises' as plain words in every field; "
            "fields are headline (or title), body (or text), background, source, date",
        ),
        ("date:2024-13", 5, "bad date '2024-13': month must be in 1..12"),
        ("flood date:2024-02-30", 11, "bad date '2024-02-30': day is out of range for month"),
        ("date:", 5, "date: needs a value such as 2024-04 or [2024-01-01 TO 2024-03-31]"),
        ("date:[2024 TO", 5, "a date range looks like [2024-01-01 TO 2024-03-31]"),
        ("headline:", 0, "headline: needs a value"),
        ("source:", 0, "source: needs a value"),
    ],
)
def test_strict_mode_raises_at_the_position(index: Index, text: str, position: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        index.search(text, strict=True)
    error = caught.value
    assert (error.position, error.reason, error.query) == (position, reason, text)
    assert str(error) == f"{reason} at position {position}\n  {text}\n  {' ' * position}^"
    assert isinstance(error, QueryError) and isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "total", "warnings"),
    [
        ('"', 0, 1),
        ('"""', 0, 1),
        ("(((", 0, 3),
        (")))", 0, 3),
        (")(", 0, 2),
        ("flood AND OR NOT", 3, 2),
        ("((flood) OR", 3, 2),
        ("headline:(flood", 2, 1),
        ("title:", 0, 1),
        ("date:", 0, 1),
        ("date:99999", 0, 1),
        ("date:[2024 TO", 0, 1),
        ("source:", 0, 1),
        ('"unterminated', 0, 1),
        ("a:b:c", 0, 1),
        ("flood url:x id:y", 0, 2),
        ("\x00", 0, 0),
        ("🙂 ~ * ~~~~", 0, 0),
        ("-", 0, 0),
        ("\\", 0, 0),
    ],
)
def test_lenient_mode_never_raises_and_reports_what_it_skipped(
    index: Index, text: str, total: int, warnings: int
) -> None:
    results = index.search(text)
    assert (results.total, len(results.warnings)) == (total, warnings)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab*~:()"+- \\[]{}ANDORTdate2024-0 éx'), max_size=30))
def test_lenient_mode_runs_any_string(index: Index, text: str) -> None:
    try:
        results = index.search(text)
    except QueryTooComplexError:
        return  # a bound, refused in both modes (e.g. "a~9")
    assert 0 <= results.total <= len(index)


def test_too_many_clauses(index: Index) -> None:
    words = " ".join(f"w{n}" for n in range(MAX_CLAUSES))
    assert index.search(words).total == 0
    with pytest.raises(QueryTooComplexError, match=f"more than {MAX_CLAUSES} clauses"):
        index.search(words + " extra")


def test_too_deep(index: Index) -> None:
    deep = "(" * MAX_DEPTH + "flood" + ")" * MAX_DEPTH
    assert index.search(deep).total == 3
    with pytest.raises(QueryTooComplexError, match=f"nests deeper than {MAX_DEPTH} levels"):
        index.search("(" + deep + ")")


@pytest.mark.parametrize("strict", [False, True])
def test_fuzzy_distance_above_two_is_refused_in_both_modes(index: Index, strict: bool) -> None:
    with pytest.raises(QueryTooComplexError, match="fuzzy distance 3 at position 6 is above the limit of 2"):
        index.search("flood leopord~3", strict=strict)


# ---------------------------------------------------------------------------------------
# End to end


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"river bank"', ["river-footpath"]),
        ('"bank river"', ["bank-museum"]),
        ("river bank", ["bank-museum", "river-footpath", "river-rises"]),
        ('"river banks"', ["river-footpath"]),  # banks and bank are one stem
        ('"river burst its banks"', ["river-rises"]),
        ('"river burst banks"', []),  # the stop word "its" still takes a position
        ('"river burst the banks"', ["river-rises"]),  # any stop word fills it
        ('"mill on Monday"', ["river-rises"]),
    ],
)
def test_phrases_match_adjacent_words_in_order(index: Index, query: str, expected: list[str]) -> None:
    assert found(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flood", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("headline:flood", ["flood-evacuation", "flood-insurance"]),
        ("title:flood", ["flood-evacuation", "flood-insurance"]),
        ("body:flood", ["river-rises"]),
        ("background:flood", ["flood-insurance"]),
        ("headline:(river OR bank)", ["bank-museum", "river-footpath", "river-rises"]),
        ('body:"river bank"', []),
        ("flood -headline:flood", ["river-rises"]),
    ],
)
def test_field_scopes(index: Index, query: str, expected: list[str]) -> None:
    assert found(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flood AND mayor", ["flood-evacuation"]),
        (
            "flood OR budget",
            ["budget-draft", "budget-vote", "river-rises", "flood-evacuation", "flood-insurance"],
        ),
        ("flood NOT mayor", ["river-rises", "flood-insurance"]),
        ("flood -mayor", ["river-rises", "flood-insurance"]),
        ("-flood -budget -river -bank", ["fare-protest", "leopard-cubs", "library-quiz"]),
        ("(flood OR budget) AND mayor", ["budget-draft", "flood-evacuation"]),
        ("+flood +mayor", ["flood-evacuation"]),
        ("flood*", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("commut*", ["fare-protest"]),
        ("leopord~", ["leopard-cubs"]),
        ("lepard~1", ["leopard-cubs"]),
        ("lepxrd~1", []),
        ("lepxrd~2", ["leopard-cubs"]),
        ("zz*", []),
    ],
)
def test_operators_prefixes_and_fuzzy_words(index: Index, query: str, expected: list[str]) -> None:
    assert found(index, query) == expected


def test_plus_leaves_the_other_words_optional_in_auto_mode(index: Index) -> None:
    results = index.search("+flood mayor")
    assert ids(results) == ["flood-evacuation", "flood-insurance", "river-rises"]


def test_plus_leaves_the_other_words_optional_in_any_mode(index: Index) -> None:
    # flood-evacuation matches mayor too; the others only flood, flood-insurance in its headline.
    assert ids(index.search("+flood mayor", mode="any")) == [
        "flood-evacuation",
        "flood-insurance",
        "river-rises",
    ]


def test_prefix_longer_than_the_stem(index: Index) -> None:
    assert found(index, "evacuat*") == ["flood-evacuation"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date:2024-03", ["river-rises", "flood-evacuation"]),
        ("date:2023", ["bank-museum"]),
        ("date:2024-03-05", ["flood-evacuation"]),
        ("date:[2024-01-20 TO 2024-02-20]", ["budget-vote", "fare-protest", "river-footpath"]),
        ("date:{2024-01-30 TO 2024-03-04]", ["fare-protest", "river-footpath", "river-rises"]),
        ("date:[* TO 2024-01-15]", ["bank-museum", "budget-draft"]),
        ("date:[2024-04 TO *]", ["flood-insurance"]),
        ("flood date:2024-04", ["flood-insurance"]),
        ('source:"Harbor Daily"', ["river-footpath", "river-rises", "flood-evacuation"]),
        ('source:"HARBOR daily"', ["river-footpath", "river-rises", "flood-evacuation"]),
        ("source:harbor", []),
        ('flood source:"valley gazette"', ["flood-insurance"]),
        ('-source:"Valley Gazette" -source:"Harbor Daily"', ["budget-vote", "fare-protest", "leopard-cubs"]),
    ],
)
def test_date_and_source_clauses(index: Index, query: str, expected: list[str]) -> None:
    assert found(index, query) == expected


@pytest.mark.parametrize(
    ("query", "mode", "total"),
    [
        ("flood budget", "all", 0),
        ("flood budget", "any", 5),
        ("flood budget", "auto", 0),
        ("the flood", "all", 3),
        ("flood OR budget", "all", 5),
        ("flood budget leopard footpath museum quiz", "all", 0),
        ("flood budget leopard footpath museum quiz", "any", 9),
    ],
)
def test_modes(index: Index, query: str, mode: str, total: int) -> None:
    assert index.search(query, mode=mode).total == total  # type: ignore[arg-type]


# Words that each occur in a different set of articles, with how many.
DISJOINT_WORDS = (("flood", 3), ("budget", 2), ("leopard", 1), ("footpath", 1), ("museum", 1), ("quiz", 1))


def test_auto_mode_is_any_past_the_word_limit(index: Index) -> None:
    short = DISJOINT_WORDS[:AUTO_ALL_MAX_WORDS]
    long = DISJOINT_WORDS[: AUTO_ALL_MAX_WORDS + 1]
    assert index.search(" ".join(word for word, _ in short)).total == 0
    assert index.search(" the ".join(word for word, _ in short)).total == 0  # stop words do not count
    assert index.search(" ".join(word for word, _ in long)).total == sum(count for _, count in long)


def test_an_all_capitals_query_reads_operators_as_words(index: Index) -> None:
    assert found(index, "flood NOT mayor") == ["river-rises", "flood-insurance"]
    assert found(index, "FLOOD NOT MAYOR") == ["flood-evacuation"]  # "not" is a stop word
    assert found(index, "flooding OR budget") != []
    assert found(index, "FLOODING OR BUDGET") == []


@pytest.mark.parametrize(
    "query", ["url:harbordaily", "harbordaily", "id:river-rises", "attribution:union", "meta:x"]
)
def test_fields_that_are_not_searchable_cannot_be_read(index: Index, query: str) -> None:
    # river-rises has url https://harbordaily.example/...; neither its id nor its url is indexed.
    assert index.search(query).total == 0


@pytest.mark.parametrize(
    ("query", "plain", "expected"),
    [
        ("topic:leopard", "leopard", ["leopard-cubs"]),
        ("url:flood mayor", "flood mayor", ["flood-evacuation"]),
        ("category:river OR tag:budget", "river OR budget",
         ["bank-museum", "budget-draft", "budget-vote", "river-footpath", "river-rises"]),
        ("topic:flood*", "flood*", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("about:leopadr~", "leopadr~", ["leopard-cubs"]),
    ],
)
def test_an_unknown_field_is_dropped_and_its_value_searched_as_plain_words(
    index: Index, query: str, plain: str, expected: list[str]
) -> None:
    assert found(index, query) == found(index, plain) == expected
    warning = index.search(query).warnings[0]
    name, _, value = query.split()[0].partition(":")
    assert warning.startswith(
        f"unknown field {name!r}: searched {value!r} as plain words in every field; "
        "fields are headline (or title), body (or text), background, source, date at position 0"
    )


def test_empty_and_star_queries_match_everything(index: Index) -> None:
    assert [index.search(q).total for q in ("", "*", "   ")] == [10, 10, 10]


def test_not_a_string(index: Index) -> None:
    with pytest.raises(QueryError, match=r"query=42 \(int\) is not accepted; query must be a string"):
        index.search(42)  # type: ignore[arg-type]


def test_queries_on_an_empty_index(tmp_path: Path) -> None:
    # Every kind of clause runs on an index with no segments at all.
    empty = Index.create(tmp_path / "empty", refresh_interval=0)
    results = empty.search('date:2024 source:"x" flood')
    assert (results.total, results.hits, results.suggestion) == (0, [], None)
