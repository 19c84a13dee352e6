"""Searching: ranking, analysis, filters, sorting, paging, spelling suggestions, JSON."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from news_fixtures import NEWS, found, ids, make_index, story

from searchkit import Article, Index, QueryArgumentTypeError, QueryError, SearchkitError


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("news") / "index")


# ---------------------------------------------------------------------------------------
# Ranking, on small indexes built for one argument each

# Four bodies of four terms each ("a", "the", "on", "this", "again" are stop words).
GALE_AND_HARBOURS = (
    story("gale", "A gale closed the road on Friday."),
    story("harbour-1", "A harbour closed the road on Friday."),
    story("harbour-2", "The harbour reopened on Saturday morning."),
    story("harbour-3", "Harbour fees rise again this spring."),
)


def test_bm25_score_worked_by_hand(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", GALE_AND_HARBOURS)
    # N = 4. Every body is 4 terms long, so no length normalization: tf~ = 1 and the
    # score is the idf: ln(1 + (N - df + 0.5) / (df + 0.5)).
    [gale] = index.search("gale").hits
    assert gale.score == round(math.log(1 + 3.5 / 1.5), 6) == 1.203973
    harbour = index.search("harbour")
    assert [(hit.id, hit.score) for hit in harbour.hits] == [
        ("harbour-1", 0.356675),  # ln(1 + 1.5 / 3.5); equal scores are ordered by id
        ("harbour-2", 0.356675),
        ("harbour-3", 0.356675),
    ]


def test_a_rare_word_outranks_a_common_one(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", GALE_AND_HARBOURS)
    assert ids(index.search("gale harbour", mode="any")) == ["gale", "harbour-1", "harbour-2", "harbour-3"]


def test_a_word_in_the_headline_outranks_the_same_word_in_the_body(tmp_path: Path) -> None:
    index = make_index(
        tmp_path / "index",
        [
            # Bodies of equal length (seven terms); the crane is in one headline or one body.
            story(
                "body-crane",
                "Nobody was hurt when the steel crane fell onto the quay.",
                headline="Accident at the harbour",
            ),
            story(
                "headline-crane",
                "Nobody was hurt when the steel arm fell onto the quay.",
                headline="Crane collapses at the harbour",
            ),
            story(
                "no-crane",
                "Nobody was hurt when the steel gate fell onto the quay.",
                headline="Gate fails at the harbour",
            ),
        ],
    )
    assert ids(index.search("crane")) == ["headline-crane", "body-crane"]


def test_more_occurrences_rank_higher(tmp_path: Path) -> None:
    index = make_index(
        tmp_path / "index",
        [
            # Six terms each.
            story("storm-once", "The storm brought heavy rain and gusting winds."),
            story("storm-three-times", "The storm brought another storm and then a third storm."),
            story("storm-twice", "The storm brought heavy rain and then a second storm."),
        ],
    )
    assert ids(index.search("storm")) == ["storm-three-times", "storm-twice", "storm-once"]


def test_a_shorter_body_ranks_higher_for_the_same_count(tmp_path: Path) -> None:
    index = make_index(
        tmp_path / "index",
        [
            story(
                "long",
                "The council said the ferry timetable will change in spring after a long review of routes.",
            ),
            story("short", "The ferry timetable changes."),
        ],
    )
    assert ids(index.search("ferry")) == ["short", "long"]


def test_a_field_is_normalized_by_its_average_over_the_articles_that_have_it(tmp_path: Path) -> None:
    # Every body and the one background hold three terms ("Weekend news" headlines do not
    # match). N = 4, df(crane) = 2: idf = ln(1 + 2.5 / 2.5) = ln 2. The average background
    # length is over the ONE article that has a background: 3 / 1 = 3, so its length is
    # average, the norm 1 - b + b * 3 / 3 = 1, tf~ = 1 and the score is idf * 1 * (k1 + 1) /
    # (k1 + 1) = ln 2, exactly as for the body match. Averaging over all four articles
    # (3 / 4) gave norm 0.5 + 0.5 * 3 / 0.75 = 2.5, tf~ = 0.4, score ln 2 * 0.4 * 2.6 / 2.0
    # = 0.360437: a background match scored about half as much as the same body match.
    index = make_index(
        tmp_path / "index",
        [
            story("background-crane", "Ships sail north.", background=["Crane repairs continue"]),
            story("body-crane", "Crane lifts cargo."),
            story("gulls", "Gulls circle harbour."),
            story("tides", "Tides turn slowly."),
        ],
    )
    assert [(hit.id, hit.score) for hit in index.search("crane").hits] == [
        ("background-crane", round(math.log(2), 6)),  # equal scores: ordered by id
        ("body-crane", 0.693147),
    ]
    # Add a background of two bullets, 3 + 3 = 6 terms: the background average becomes
    # (3 + 6) / 2 = 4.5 over the two articles that have one (body average stays 3).
    # N = 5, df = 3: idf = ln(1 + 2.5 / 3.5). tf~ = 1 / norm, score = idf * tf~ * 2.6 / (1.6 + tf~):
    #   body-crane        norm 1                          tf~ 1    score idf
    #   background-crane  norm 0.5 + 0.5 * 3 / 4.5 = 5/6  tf~ 6/5  score idf * 3.12 / 2.8
    #   long-background   norm 0.5 + 0.5 * 6 / 4.5 = 7/6  tf~ 6/7  score idf * (15.6 / 7) / (17.2 / 7)
    index.add(story("long-background", "Vans queue nightly.", background=["Dock workers strike", "Crane drivers join"]))
    idf = math.log(1 + 2.5 / 3.5)
    assert [(hit.id, hit.score) for hit in index.search("crane").hits] == [
        ("background-crane", round(idf * 3.12 / 2.8, 6)),
        ("body-crane", round(idf, 6)),
        ("long-background", round(idf * 15.6 / 17.2, 6)),
    ]


def test_matching_more_words_ranks_higher_in_any_mode(index: Index) -> None:
    results = index.search("flood mayor evacuation", mode="any")
    assert ids(results)[:1] == ["flood-evacuation"]
    assert sorted(ids(results)) == ["budget-draft", "flood-evacuation", "flood-insurance", "river-rises"]


def test_equal_scores_rank_newer_first_then_by_id(index: Index) -> None:
    # "*" scores nothing: every article ties, so the date decides, then the id.
    assert ids(index.search("*", limit=100)) == NEWEST


def test_replaced_copies_do_not_change_scores(tmp_path: Path) -> None:
    harbours = [story(f"h{n}", f"Harbour notice number {n} posted.") for n in range(10)]
    index = make_index(tmp_path / "index", harbours)
    index.add_many([story(f"h{n}", f"Harbour notice number {n} updated.") for n in range(3)])
    fresh = make_index(
        tmp_path / "fresh", [story(f"h{n}", f"Harbour notice number {n} updated.") for n in range(3)]
    )
    fresh.add_many(harbours[3:])
    query = "harbour updated"
    assert [(h.id, h.score) for h in index.search(query, mode="any").hits] == [
        (h.id, h.score) for h in fresh.search(query, mode="any").hits
    ]


def test_scores_stay_positive_after_replacements(tmp_path: Path) -> None:
    index = make_index(
        tmp_path / "index", [story(f"h{n}", f"Harbour notice number {n} posted.") for n in range(10)]
    )
    index.add_many([story(f"h{n}", f"Harbour notice number {n} updated.") for n in range(3)])
    assert min(hit.score for hit in index.search("harbour", limit=100).hits) > 0


# ---------------------------------------------------------------------------------------
# Analysis, end to end


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose", ["budget-vote", "flood-evacuation"]),
        ("José", ["budget-vote", "flood-evacuation"]),
        ("JOSÉ ferreira", ["budget-vote", "flood-evacuation"]),
        ("mayor", ["budget-draft", "flood-evacuation"]),  # budget-draft only says "the mayor's office"
        ("mayor's", ["budget-draft", "flood-evacuation"]),
        ("master", ["bank-museum"]),
        ("novo-karsk", ["river-rises", "flood-insurance"]),
        ("Novo-Karsk", ["river-rises", "flood-insurance"]),
        ("novokarsk", ["river-rises", "flood-insurance"]),
        ('"novo karsk"', ["river-rises"]),
        ("7,400", ["flood-evacuation"]),
        ("7400", ["flood-evacuation"]),
        ("2022", ["flood-insurance"]),
        ("64", ["flood-insurance"]),
        ("300", ["fare-protest"]),
        ("flood", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("floods", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("flooding", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("flooded", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("late-night", ["budget-vote"]),
        ("night", ["budget-vote", "fare-protest", "library-quiz"]),
    ],
)
def test_analysis(index: Index, query: str, expected: list[str]) -> None:
    assert found(index, query) == expected


# ---------------------------------------------------------------------------------------
# Filters


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"sources": ["harbor DAILY"]}, ["river-footpath", "river-rises", "flood-evacuation"]),
        ({"sources": "The Lantern Post"}, ["budget-vote", "leopard-cubs"]),
        (
            {"sources": ["the lantern post", "Harbor Daily"]},
            ["budget-vote", "river-footpath", "river-rises", "flood-evacuation", "leopard-cubs"],
        ),
        ({"sources": ["Nobody's Paper"]}, []),
        ({"since": date(2024, 3, 1)}, ["river-rises", "flood-evacuation", "flood-insurance"]),
        ({"until": date(2024, 1, 30)}, ["bank-museum", "budget-draft", "budget-vote"]),
        ({"since": date(2024, 2, 20), "until": date(2024, 2, 20)}, ["fare-protest", "river-footpath"]),
        (
            {"since": date(2024, 2, 1), "sources": ["Harbor Daily"]},
            ["river-footpath", "river-rises", "flood-evacuation"],
        ),
        ({"until": date(2024, 3, 4), "sources": ["Harbor Daily"]}, ["river-footpath", "river-rises"]),
    ],
)
def test_filters(index: Index, options: dict[str, object], expected: list[str]) -> None:
    assert found(index, "*", **options) == expected


def test_filters_narrow_a_query(index: Index) -> None:
    assert found(index, "flood", sources=["Valley Gazette"]) == ["flood-insurance"]
    assert found(index, "river", since=date(2024, 1, 1)) == ["river-footpath", "river-rises"]


def test_since_after_until_is_refused(index: Index) -> None:
    with pytest.raises(QueryError, match=r"since \(2024-03-02\) is after until \(2024-03-01\)"):
        index.search("*", since=date(2024, 3, 2), until=date(2024, 3, 1))


# ---------------------------------------------------------------------------------------
# Sorting and paging

NEWEST = [
    "flood-insurance", "flood-evacuation", "river-rises", "fare-protest", "river-footpath",
    "budget-vote", "budget-draft", "bank-museum", "leopard-cubs", "library-quiz",
]  # fmt: skip
OLDEST = [
    "bank-museum", "budget-draft", "budget-vote", "fare-protest", "river-footpath",
    "river-rises", "flood-evacuation", "flood-insurance", "leopard-cubs", "library-quiz",
]  # fmt: skip


def test_sort_orders(index: Index) -> None:
    # fare-protest and river-footpath share a day: the id decides; undated articles come last.
    assert ids(index.search("*", sort="newest", limit=100)) == NEWEST
    assert ids(index.search("*", sort="oldest", limit=100)) == OLDEST
    # On one day the score decides: river-footpath matches two of the words, fare-protest one.
    assert ids(index.search("river OR bank OR fares", sort="newest")) == [
        "river-rises", "river-footpath", "fare-protest", "budget-draft", "bank-museum",
    ]  # fmt: skip


def test_unknown_sort_and_interval_are_refused(index: Index) -> None:
    with pytest.raises(QueryError, match="unknown sort 'date'"):
        index.search("*", sort="date")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="unknown date_interval 'hour'"):
        index.search("*", date_interval="hour")  # type: ignore[arg-type]


def paper(number: int) -> Article:
    """Article ``number`` of a larger corpus with many ties in score and in date."""
    return Article(
        id=f"n{number:02d}",
        headline="Port notes",
        body=" ".join(["ferry"] * (number % 3 + 1) + ["quay"] * (3 - number % 3)),
        date=None if number % 7 == 0 else date(2024, 1, 1) + timedelta(days=number % 5),
        source=("Harbor Daily", "Valley Gazette")[number % 2],
    )


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = make_index(tmp_path_factory.mktemp("many") / "index", [paper(n) for n in range(57)])
    index.add_many([paper(n) for n in range(57, 71)])  # a second segment
    return index


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 4, 10, 70, 71])
def test_pages_cover_the_full_order_without_gaps_or_overlaps(many: Index, sort: str, limit: int) -> None:
    everything = ids(many.search("ferry quay", sort=sort, limit=1000))  # type: ignore[arg-type]
    assert len(everything) == len(set(everything)) == 71
    pages: list[list[str]] = []
    while page := ids(many.search("ferry quay", sort=sort, limit=limit, page=len(pages) + 1)):  # type: ignore[arg-type]
        pages.append(page)
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= limit
    assert [i for page in pages for i in page] == everything


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 4, 10, 71])
def test_cursor_pages_equal_numbered_pages(many: Index, sort: str, limit: int) -> None:
    numbered = ids(many.search("ferry quay", sort=sort, limit=1000))  # type: ignore[arg-type]
    walked: list[str] = []
    cursor: str | None = None
    for _ in range(80):
        results = many.search("ferry quay", sort=sort, limit=limit, cursor=cursor)  # type: ignore[arg-type]
        walked.extend(ids(results))
        cursor = results.next_cursor
        if cursor is None:
            break
    assert walked == numbered


def test_the_order_of_ties(many: Index) -> None:
    relevance = many.search("ferry", limit=1000)
    # Three scores (ferry once, twice or three times); within one score, newer first, undated last, then id.
    first = [hit for hit in relevance.hits if hit.score == relevance.hits[0].score]
    # Those are the numbers n with n % 3 == 2, dated 2024-01-01 + n % 5 days, undated when n % 7 == 0.
    assert [hit.id for hit in first] == [
        "n29", "n44", "n59",  # January 5
        "n08", "n23", "n38", "n53", "n68",  # January 4
        "n02", "n17", "n32", "n47", "n62",  # January 3
        "n11", "n26", "n41",  # January 2
        "n05", "n20", "n50", "n65",  # January 1
        "n14", "n35", "n56",  # undated
    ]  # fmt: skip


def test_a_bad_cursor_is_refused(index: Index) -> None:
    newest = index.search("*", sort="newest", limit=2).next_cursor
    assert newest is not None
    for other in (
        dict(query="*", sort="oldest"),
        dict(query="river", sort="newest"),
        dict(query="*", sort="newest", sources=["Harbour Gazette"]),
    ):
        with pytest.raises(QueryError, match="belongs to another query, filter or sort"):
            index.search(other.pop("query"), cursor=newest, **other)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="either page or cursor"):
        index.search("*", sort="newest", cursor=newest, page=2)
    for cursor in ("not a cursor!", "", "W10", "WyJuZXdlc3QiXQ"):
        with pytest.raises(QueryError, match="invalid cursor"):
            index.search("*", sort="newest", cursor=cursor)


def test_the_last_page_has_no_cursor(index: Index) -> None:
    assert index.search("*", limit=10).next_cursor is None
    assert index.search("*", limit=9).next_cursor is not None


@pytest.mark.parametrize(("limit", "page"), [(0, 1), (1001, 1), (-5, 1), (10, 0)])
def test_bad_limit_or_page_is_refused(index: Index, limit: int, page: int) -> None:
    with pytest.raises(QueryError, match="must be"):
        index.search("*", limit=limit, page=page)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (dict(mode="xyz"), QueryError, "unknown mode 'xyz'; use one of 'auto', 'all', 'any'"),
        (dict(limit=1.5), QueryArgumentTypeError, "limit=1.5 (float) is not accepted; limit must be an integer from 1 to 1000"),
        (dict(limit=True), QueryArgumentTypeError, "limit=True (bool) is not accepted; limit must be an integer from 1 to 1000"),
        (dict(page="2"), QueryArgumentTypeError, "page='2' (str) is not accepted; page must be an integer of 1 or more"),
        (dict(since="yesterday"), QueryError, "since='yesterday' is not a date; since must be a date, a datetime, an ISO 8601 date string such as '2014-01-01', or None"),
        (dict(until=20240101), QueryArgumentTypeError, "until=20240101 (int) is not accepted; until must be a date, a datetime, an ISO 8601 date string such as '2014-01-01', or None"),
        (dict(sources=[1]), QueryArgumentTypeError, "sources=[1] (list) is not accepted; sources must be a source name or a list of source names (strings)"),
        (dict(sources=7), QueryArgumentTypeError, "sources=7 (int) is not accepted; sources must be a source name or a list of source names (strings)"),
        (dict(sort=None), QueryArgumentTypeError, "sort=None (NoneType) is not accepted; sort must be one of 'relevance', 'newest', 'oldest'"),
        (dict(cursor=5), QueryArgumentTypeError, "cursor=5 (int) is not accepted; cursor must be None or the next_cursor string of a previous page"),
        (dict(date_interval=["month"]), QueryArgumentTypeError, "date_interval=['month'] (list) is not accepted; date_interval must be one of 'auto', 'day', 'week', 'month', 'year'"),
        (dict(strict="yes"), QueryArgumentTypeError, "strict='yes' (str) is not accepted; strict must be True or False"),
        (dict(snippets=1), QueryArgumentTypeError, "snippets=1 (int) is not accepted; snippets must be True or False"),
        (dict(facets=None), QueryArgumentTypeError, "facets=None (NoneType) is not accepted; facets must be True (every facet), False (none), or a list of facet names from 'source', 'date', 'stories'"),
        (dict(feedback=0), QueryArgumentTypeError, "feedback=0 (int) is not accepted; feedback must be True or False"),
        (dict(suggest_spelling="no"), QueryArgumentTypeError, "suggest_spelling='no' (str) is not accepted; suggest_spelling must be True or False"),
        (dict(snippet_chars=10), QueryError, "snippet_chars=10 is out of range; snippet_chars must be an integer from 20 to 10000"),
        (dict(snippet_chars=10**9), QueryError, "snippet_chars=1000000000 is out of range; snippet_chars must be an integer from 20 to 10000"),
        (dict(snippet_chars=240.0), QueryArgumentTypeError, "snippet_chars=240.0 (float) is not accepted; snippet_chars must be an integer from 20 to 10000"),
        (dict(source_facet_limit=-1), QueryError, "source_facet_limit=-1 is out of range; source_facet_limit must be an integer of 0 or more"),
        (dict(time_limit=0), QueryError, "time_limit=0 is out of range; time_limit must be a number of seconds above 0, or None for no limit"),
        (dict(time_limit="1"), QueryArgumentTypeError, "time_limit='1' (str) is not accepted; time_limit must be a number of seconds above 0, or None for no limit"),
        (dict(time_limit=float("nan")), QueryError, "time_limit=nan is out of range; time_limit must be a number of seconds above 0, or None for no limit"),
    ],
)
def test_every_search_argument_is_checked(index: Index, options: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        index.search("river", **options)  # type: ignore[arg-type]
    assert str(raised.value) == message
    assert isinstance(raised.value, SearchkitError)
    assert isinstance(raised.value, TypeError if error is QueryArgumentTypeError else ValueError)


def test_a_query_that_is_not_a_string_is_refused(index: Index) -> None:
    with pytest.raises(QueryArgumentTypeError, match=r"query=b'river' \(bytes\) is not accepted; query must be a string"):
        index.search(b"river")  # type: ignore[arg-type]


def test_dates_may_be_iso_strings_or_datetimes(index: Index) -> None:
    expected = ["river-footpath", "river-rises"]
    assert found(index, "river", since=date(2024, 1, 1)) == expected
    assert found(index, "river", since="2024-01-01") == expected
    assert found(index, "river", since=datetime(2024, 1, 1, 23, 59)) == expected
    assert found(index, "river", since="2024-01-01T09:30:00+02:00", until="2024-03-04") == expected
    assert found(index, "river", until="2024-02-20") == ["bank-museum", "river-footpath"]


def test_limit_up_to_a_thousand(many: Index) -> None:
    assert len(many.search("*", limit=1000).hits) == 71


# ---------------------------------------------------------------------------------------
# Did you mean


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("flodding", "flooding"),  # finds nothing; "flood" is in 3 articles
        ("flod", "floods"),  # written as an article writes it, closest to what was typed
        ("flodding OR budget", "flooding OR budget"),
        ("flooding", None),  # correct
        ("leopard", None),  # correct, though it finds only one article
        ("budgit", None),  # "budget" would find only 2, below the threshold of 3
    ],
)
def test_did_you_mean(index: Index, query: str, suggestion: str | None) -> None:
    assert index.search(query).suggestion == suggestion


def test_no_suggestion_when_asked_not_to(index: Index) -> None:
    assert index.search("flodding", suggest_spelling=False).suggestion is None


# ---------------------------------------------------------------------------------------
# JSON


def test_to_json_shape(index: Index) -> None:
    results = index.search("evacuation", date_interval="month")
    data = orjson.loads(results.to_json())
    [hit] = data["hits"]
    assert isinstance(hit.pop("score"), float)
    assert isinstance(data.pop("took_ms"), float)
    assert hit == {
        "id": "flood-evacuation",
        "headline": "Flooding forces 7,400 people from their homes",
        "source": "harbor daily",
        "date": "2024-03-05",
        "url": "https://harbordaily.example/2024/03/05/flood-evacuation",
        "snippets": [
            {
                "field": "body",
                "text": NEWS[1].body,
                "highlights": [[32, 42]],
                "offset": 0,
                "truncated_start": False,
                "truncated_end": False,
            }
        ],
        "story_id": index.story("flood-evacuation").id,
    }
    assert data == {
        "query": "evacuation",
        "total": 1,
        "hits": [hit],
        "facets": {
            "source": [{"value": "Harbor Daily", "count": 1}],
            "date": [{"value": "2024-03-01", "count": 1}],
            "date_interval": "month",
            "missing_source": 0,
            "missing_date": 0,
            "stories": 1,
        },
        "suggestion": None,
        "page": 1,
        "limit": 10,
        "next_cursor": None,
        "warnings": [],
    }
    assert NEWS[1].body[32:42] == "evacuation"


def test_to_json_of_a_suggestion_and_warnings(index: Index) -> None:
    data = orjson.loads(index.search("flodding url:x", mode="any").to_json(indent=True))
    assert (data["total"], data["hits"], data["suggestion"]) == (0, [], "flooding url:x")
    unknown = (
        "unknown field 'url': searched 'x' as plain words in every field; "
        "fields are headline (or title), body (or text), background, source, date"
    )
    assert data["warnings"] == [f"{unknown} at position 9\n  flodding url:x\n           ^"]
