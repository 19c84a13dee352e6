"""Facets: source counts and the date histogram, their filters, intervals and missing values."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from news_fixtures import make_index, story

from searchkit import Facets, Index, SearchResults


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("news") / "index")


def sources(results: SearchResults) -> list[tuple[str | None, int]]:
    return [(value.value, value.count) for value in results.facets.source]


def histogram(results: SearchResults) -> list[tuple[str | None, int]]:
    return [(value.value, value.count) for value in results.facets.date]


MONTHS = [
    ("2023-11-01", 1),
    ("2023-12-01", 0),
    ("2024-01-01", 2),
    ("2024-02-01", 2),
    ("2024-03-01", 2),
    ("2024-04-01", 1),
]


def test_facets_of_everything(index: Index) -> None:
    results = index.search("*", date_interval="month")
    # Sources by count; Harbor Daily counts its lower-case "harbor daily" article too.
    assert sources(results) == [("Valley Gazette", 4), ("Harbor Daily", 3), ("The Lantern Post", 2)]
    assert histogram(results) == MONTHS  # December 2023 is empty but inside the span
    facets = results.facets
    # fare-protest has no source; leopard-cubs and library-quiz have no date.
    assert (facets.date_interval, facets.missing_source, facets.missing_date) == ("month", 1, 2)


def test_year_interval(index: Index) -> None:
    assert histogram(index.search("*", date_interval="year")) == [("2023-01-01", 1), ("2024-01-01", 7)]


def test_auto_interval_over_134_days_is_weeks_starting_on_monday(index: Index) -> None:
    results = index.search("*")
    assert results.facets.date_interval == "week"
    assert histogram(results) == [
        ("2023-11-27", 1), ("2023-12-04", 0), ("2023-12-11", 0), ("2023-12-18", 0), ("2023-12-25", 0),
        ("2024-01-01", 0), ("2024-01-08", 0), ("2024-01-15", 1), ("2024-01-22", 0), ("2024-01-29", 1),
        ("2024-02-05", 0), ("2024-02-12", 0), ("2024-02-19", 2), ("2024-02-26", 0), ("2024-03-04", 2),
        ("2024-03-11", 0), ("2024-03-18", 0), ("2024-03-25", 0), ("2024-04-01", 0), ("2024-04-08", 1),
    ]  # fmt: skip


def test_week_buckets_of_one_source(index: Index) -> None:
    # Tuesday 20 February falls in the week of Monday the 19th; Monday 4 and Tuesday 5 March share one.
    results = index.search('source:"Harbor Daily"', date_interval="week")
    assert histogram(results) == [("2024-02-19", 1), ("2024-02-26", 0), ("2024-03-04", 2)]


def test_auto_interval_over_two_weeks_is_days(index: Index) -> None:
    results = index.search('source:"Harbor Daily"')
    assert results.facets.date_interval == "day"
    assert histogram(results) == [
        ("2024-02-20", 1), ("2024-02-21", 0), ("2024-02-22", 0), ("2024-02-23", 0), ("2024-02-24", 0),
        ("2024-02-25", 0), ("2024-02-26", 0), ("2024-02-27", 0), ("2024-02-28", 0), ("2024-02-29", 0),
        ("2024-03-01", 0), ("2024-03-02", 0), ("2024-03-03", 0), ("2024-03-04", 1), ("2024-03-05", 1),
    ]  # fmt: skip


def test_one_day(index: Index) -> None:
    results = index.search("evacuation")
    assert (results.facets.date_interval, histogram(results)) == ("day", [("2024-03-05", 1)])


@pytest.mark.parametrize(
    ("span", "interval", "buckets"),
    [
        (0, "day", 1),
        (62, "day", 63),
        (63, "week", 10),
        (420, "week", 61),
        (421, "month", 15),
        (1830, "month", 61),
        (1831, "year", 6),
    ],
)
def test_auto_interval_by_span(
    tmp_path_factory: pytest.TempPathFactory, span: int, interval: str, buckets: int
) -> None:
    start = date(2021, 1, 4)  # a Monday
    end = start + timedelta(days=span)
    path = tmp_path_factory.mktemp("span") / "index"
    index = make_index(path, [story("first", "A note.", date=start), story("last", "A note.", date=end)])
    results = index.search("*")
    assert (results.facets.date_interval, len(results.facets.date)) == (interval, buckets)
    assert (results.facets.date[0].count, results.facets.date[-1].count) == ((2, 2) if span == 0 else (1, 1))


def test_dates_before_1970(tmp_path: Path) -> None:
    index = make_index(
        tmp_path / "index",
        [
            story("sun-1969", "An old note.", date=date(1969, 12, 28)),
            story("mon-1969", "An old note.", date=date(1969, 12, 29)),
            story("sun-1970", "An old note.", date=date(1970, 1, 4)),
            story("mon-1970", "An old note.", date=date(1970, 1, 5)),
        ],
    )
    assert histogram(index.search("*", date_interval="week")) == [
        ("1969-12-22", 1),
        ("1969-12-29", 2),
        ("1970-01-05", 1),
    ]
    assert histogram(index.search("*", date_interval="month")) == [("1969-12-01", 2), ("1970-01-01", 2)]


# ---------------------------------------------------------------------------------------
# Which filters each facet sees


def test_each_facet_ignores_its_own_filter(index: Index) -> None:
    results = index.search(
        "*", sources=["Harbor Daily"], since=date(2024, 3, 1), until=date(2024, 4, 30), date_interval="month"
    )
    assert results.total == 2  # river-rises, flood-evacuation
    # Sources: dated March-April 2024, any source.
    assert sources(results) == [("Harbor Daily", 2), ("Valley Gazette", 1)]
    # Dates: Harbor Daily, any date.
    assert histogram(results) == [("2024-02-01", 1), ("2024-03-01", 2)]
    assert (results.facets.missing_source, results.facets.missing_date) == (0, 0)


def test_both_facets_respect_the_query(index: Index) -> None:
    results = index.search("flood", sources=["valley gazette"], date_interval="month")
    assert results.total == 1
    assert sources(results) == [("Harbor Daily", 2), ("Valley Gazette", 1)]
    assert histogram(results) == [("2024-04-01", 1)]


def test_a_date_filter_narrows_the_source_facet(index: Index) -> None:
    results = index.search("*", until=date(2024, 1, 31), date_interval="month")
    assert sources(results) == [("Valley Gazette", 2), ("The Lantern Post", 1)]
    assert histogram(results) == MONTHS
    assert (results.facets.missing_source, results.facets.missing_date) == (0, 2)


@pytest.mark.parametrize(
    ("query", "expected_sources", "expected_dates"),
    [
        ('source:"Harbor Daily"', [("Harbor Daily", 3)], [("2024-02-01", 1), ("2024-03-01", 2)]),
        ("date:2024-03", [("Harbor Daily", 2)], [("2024-03-01", 2)]),
        ('date:2024-02 -source:"harbor daily"', [], [("2024-02-01", 1)]),
    ],
)
def test_clauses_in_the_query_narrow_both_facets(
    index: Index, query: str, expected_sources: list[tuple[str, int]], expected_dates: list[tuple[str, int]]
) -> None:
    results = index.search(query, date_interval="month")
    assert (sources(results), histogram(results)) == (expected_sources, expected_dates)


def test_missing_source_and_date_are_counted_apart(index: Index) -> None:
    fares = index.search("fares")  # budget-draft (Valley Gazette) and fare-protest (no source)
    assert (sources(fares), fares.facets.missing_source) == ([("Valley Gazette", 1)], 1)
    undated = index.search("cubs OR quiz", date_interval="month")
    assert (histogram(undated), undated.facets.missing_date) == ([], 2)
    assert undated.facets.date_interval == "month"


def test_the_display_name_is_the_first_indexed_spelling(index: Index, tmp_path: Path) -> None:
    evacuation = index.search("evacuation")
    assert (evacuation.hits[0].source, sources(evacuation)) == ("harbor daily", [("Harbor Daily", 1)])
    lower_first = make_index(
        tmp_path / "index",
        [story("a", "Ferry news.", source="harbor  DAILY"), story("b", "Ferry news.", source="Harbor Daily")],
    )
    lower_first.add(story("c", "Ferry news.", source="HARBOR DAILY"))
    assert sources(lower_first.search("ferry")) == [("harbor DAILY", 3)]
    assert lower_first.search("ferry", sources=["harbor daily"]).total == 3


def test_source_facet_limit_and_ties(index: Index) -> None:
    assert sources(index.search("*", source_facet_limit=2)) == [("Valley Gazette", 4), ("Harbor Daily", 3)]
    assert len(index.search("*", source_facet_limit=None).facets.source) == 3
    # Equal counts are ordered by name, ignoring case.
    assert sources(index.search("budget OR river")) == [
        ("Harbor Daily", 2),
        ("Valley Gazette", 2),
        ("The Lantern Post", 1),
    ]


def test_facets_can_be_turned_off(index: Index) -> None:
    assert index.search("*", facets=False).facets == Facets()


def test_no_match_no_buckets(index: Index) -> None:
    results = index.search("zeppelin")
    assert (results.facets.source, results.facets.date, results.facets.missing_source) == ([], [], 0)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("day", [("1969-12-31", 1), ("1970-01-01", 0), ("1970-01-02", 0), ("1970-01-03", 0), ("1970-01-04", 1),
                 ("1970-01-05", 1)]),
        ("week", [("1969-12-29", 2), ("1970-01-05", 1)]),  # Monday 29 December 1969 to Sunday 4 January
        ("month", [("1969-12-01", 1), ("1970-01-01", 2)]),
        ("year", [("1969-01-01", 1), ("1970-01-01", 2)]),
    ],
)
def test_buckets_across_1970_and_before_it(tmp_path: Path, interval: str, expected: list[tuple[str, int]]) -> None:
    # Buckets are counted as numbers from 1970 (day 0); dates before it are negative numbers.
    dates = {"wed-1969": date(1969, 12, 31), "sun-1970": date(1970, 1, 4), "mon-1970": date(1970, 1, 5)}
    articles = [story(article_id, "The ferry timetable changes.", date=day) for article_id, day in dates.items()]
    index = make_index(tmp_path / "index", [*articles, story("undated", "The ferry timetable changes.")])
    results = index.search("ferry", date_interval=interval)  # type: ignore[arg-type]
    assert (histogram(results), results.facets.missing_date) == (expected, 1)


def test_histograms_stay_whole_when_their_empty_buckets_are_shared(tmp_path: Path) -> None:
    # Empty buckets are made once per snapshot and shared: a narrow histogram made first
    # leaves the wider one after it whole, in order, and neither changes the other.
    index = make_index(tmp_path / "index")
    narrow = index.search('source:"Harbor Daily"', date_interval="day")
    wide = index.search("*", date_interval="day")
    assert histogram(narrow) == [
        ("2024-02-20", 1), *((f"2024-02-{day}", 0) for day in range(21, 30)), ("2024-03-01", 0),
        ("2024-03-02", 0), ("2024-03-03", 0), ("2024-03-04", 1), ("2024-03-05", 1),
    ]
    assert histogram(index.search('source:"Harbor Daily"', date_interval="day")) == histogram(narrow)
    assert len(wide.facets.date) == (date(2024, 4, 10) - date(2023, 11, 28)).days + 1
    assert histogram(wide) == histogram(Index.open(tmp_path / "index").search("*", date_interval="day"))
    assert [value for value in histogram(wide) if value[1]] == [
        ("2023-11-28", 1), ("2024-01-15", 1), ("2024-01-30", 1), ("2024-02-20", 2), ("2024-03-04", 1),
        ("2024-03-05", 1), ("2024-04-10", 1),
    ]
