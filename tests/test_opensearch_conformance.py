"""The same behaviour on both backends: the embedded index and OpenSearch (a live 3-node cluster).

Every test here runs twice, once per backend, with the same hand-written articles
(tests/news_fixtures.py) and the same exact expectations as tests/test_search.py and
tests/test_facets.py: ids in order, counts, facet values, snippet offsets, report counts.
The OpenSearch runs need the session's cluster (see the ``opensearch_url`` fixture).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from news_fixtures import BY_ID, NEWS, story
from opensearch_backends import BACKENDS, Factory, backend_factory

from searchkit import Article, BatchError, Facets, QueryError, Recency, SearchResults
from searchkit.protocol import SearchIndex

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=BACKENDS)
def make(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Factory]:
    yield from backend_factory(request, tmp_path_factory, request.param)


@pytest.fixture(scope="module")
def index(make: Factory) -> SearchIndex:
    return make(NEWS)


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


def found(index: SearchIndex, query: str, **options: object) -> list[str]:
    """Every matching id, oldest first (undated last, ties by id)."""
    results = index.search(query, sort="oldest", limit=100, **options)  # type: ignore[arg-type]
    assert results.total == len(results.hits)
    return ids(results)


def sources(results: SearchResults) -> list[tuple[str | None, int]]:
    return [(value.value, value.count) for value in results.facets.source]


def histogram(results: SearchResults) -> list[tuple[str | None, int]]:
    return [(value.value, value.count) for value in results.facets.date]


def test_both_backends_implement_the_protocol(index: SearchIndex) -> None:
    assert isinstance(index, SearchIndex)


# ---------------------------------------------------------------------------------------
# Writing and reading


def test_add_report_counts_added_replaced_unchanged_rejected(make: Factory) -> None:
    index = make([])
    first = index.add_many([*NEWS[:3], {"id": "bad", "headline": "", "body": ""}])
    assert (first.added, first.replaced, first.unchanged) == (3, 0, 0)
    assert [(r.location, r.field) for r in first.rejected] == [("record 4", None)]
    assert "needs a headline or a body" in first.rejected[0].reason
    changed = NEWS[1].model_copy(update={"headline": "Flooding forces 7,500 people from their homes"})
    again = index.add_many([NEWS[0], changed, NEWS[3], NEWS[3]])
    # river-rises is unchanged; flood-evacuation replaced; budget-draft added, then replaced in the same call.
    assert (again.added, again.replaced, again.unchanged, again.rejected) == (1, 2, 1, [])
    assert len(index) == 4
    assert index.get("flood-evacuation") == changed
    assert index.search("7500").total == 1 and index.search("7400").total == 0


def test_get_contains_len_articles(index: SearchIndex) -> None:
    assert len(index) == 10
    assert "river-rises" in index and "no-such-id" not in index and 5 not in index
    assert index.get("flood-evacuation") == BY_ID["flood-evacuation"]
    assert index.get("no-such-id") is None
    assert sorted(a.id for a in index.articles()) == sorted(BY_ID)
    assert {a.id: a for a in index.articles()} == BY_ID


def test_every_field_round_trips(make: Factory) -> None:
    full = Article(
        id="full", headline="Harbour fees rise", body="The port raised its fees.\n\nShips pay more.",
        background=["Fees last rose in 2019.", "The port is run by the city."], source="Harbor Daily",
        date="2024-05-06T07:30:00+02:00", url="https://harbordaily.example/fees", attribution="Staff reporter",
        meta={"tags": ["port", "fees"], "words": 9, "nested": {"ok": True}},
    )
    index = make([full])
    assert index.get("full") == full and list(index.articles()) == [full]
    assert index.search("city").hits[0].snippets[0].field == "background"
    assert index.add(full).unchanged == 1


def test_delete(make: Factory) -> None:
    index = make(NEWS)
    assert index.delete(["river-rises", "no-such-id", "leopard-cubs"]) == 2
    assert index.delete("river-rises") == 0
    assert len(index) == 8 and "river-rises" not in index
    assert found(index, "river") == ["bank-museum", "river-footpath"]
    assert sources(index.search("*")) == [("Valley Gazette", 4), ("Harbor Daily", 2), ("The Lantern Post", 1)]


def test_stats(index: SearchIndex) -> None:
    stats = index.stats()
    assert (stats.articles, stats.sources, stats.first_date, stats.last_date, stats.undated) == (
        10, 3, date(2023, 11, 28), date(2024, 4, 10), 2,
    )
    assert stats.size_bytes > 0 and stats.segments >= 1


# ---------------------------------------------------------------------------------------
# Batches: everything at the end of the block, nothing on an exception

FIRST, REST = NEWS[:4], NEWS[4:]


def test_a_batch_publishes_everything_at_its_end(make: Factory) -> None:
    index = make(FIRST)
    changed = FIRST[1].model_copy(update={"body": "The evacuation order was lifted on Tuesday."})
    with index.batch() as batch:
        first = batch.add(REST[0])
        assert (first.added, first.replaced, first.unchanged, first.rejected) == (1, 0, 0, [])
        again = batch.add(REST[0])  # added earlier in this batch: replaced in the batch
        assert (again.added, again.replaced, again.unchanged) == (0, 1, 0)
        report = batch.add_many([*REST[1:4], changed, FIRST[2], {"id": "no-body"}])
        assert (report.added, report.replaced, report.unchanged) == (3, 1, 1)
        assert [(r.location, r.reason) for r in report.rejected] == [
            ("record 6", "an article needs a headline or a body; both are empty")]
        assert batch.delete(["river-rises", REST[1].id, "never-there"]) == 2
        assert batch.delete(["budget-draft", "river-rises"]) == 1  # river-rises is already deleted
        deleted_then_added = batch.add(FIRST[0])
        assert (deleted_then_added.added, deleted_then_added.replaced) == (1, 0)
        # Nothing is visible before the block ends.
        assert len(index) == 4
        assert sorted(ids(index.search("", limit=20))) == sorted(a.id for a in FIRST)
        assert index.get("flood-evacuation") == FIRST[1] and REST[0].id not in index
    assert sorted(ids(index.search("", limit=20))) == sorted(
        ["river-rises", "flood-evacuation", "flood-insurance", REST[0].id, REST[2].id, REST[3].id])
    assert index.get("flood-evacuation") == changed and index.get("river-rises") == FIRST[0]
    assert len(index) == 6 and "budget-draft" not in index


def test_an_exception_in_a_batch_changes_nothing(make: Factory) -> None:
    index = make(FIRST)
    with pytest.raises(KeyError, match="boom"), index.batch() as batch:
        batch.add_many(REST)
        batch.delete(["river-rises"])
        raise KeyError("boom")
    assert sorted(ids(index.search("", limit=20))) == sorted(a.id for a in FIRST)
    assert {a.id: a for a in index.articles()} == {a.id: a for a in FIRST}
    assert index.add(REST[0]).added == 1 and len(index) == 5  # and writing works again


def test_a_batch_inside_a_batch_and_direct_writes_in_its_thread_are_refused(make: Factory) -> None:
    index = make(FIRST)
    with index.batch() as batch:
        batch.add(REST[0])
        for write in (lambda: index.batch().__enter__(), lambda: index.add(REST[1]),
                      lambda: index.add_many(REST), lambda: index.delete(["river-rises"])):
            with pytest.raises(BatchError, match=r"^a batch is open on the index .+ in this thread: write through "
                                                 r"the batch \(batch.add, batch.add_many, batch.delete\) or end its "
                                                 r"with block first$") as caught:
                write()
            assert isinstance(caught.value, RuntimeError)
    assert len(index) == 5  # the outer batch still ended well


def test_a_batch_is_used_once_inside_its_block_and_in_its_thread(make: Factory) -> None:
    index = make(FIRST)
    batch = index.batch()
    with pytest.raises(BatchError, match=r"^this batch on the index .+ has not started: use it in a with block$"):
        batch.add(REST[0])
    errors: list[BaseException] = []

    def use(batch: object) -> None:
        try:
            batch.add(REST[1])  # type: ignore[attr-defined]
        except BaseException as exc:
            errors.append(exc)

    with batch:
        batch.add(REST[0])
        thread = threading.Thread(target=use, args=(batch,))
        thread.start()
        thread.join()
    assert [type(e) for e in errors] == [BatchError]
    assert re.match(r"^this batch on the index .+ belongs to another thread; each thread needs its own", str(errors[0]))
    with pytest.raises(BatchError, match=r"^this batch on the index .+ has ended$"):
        batch.delete(["river-rises"])
    with pytest.raises(BatchError, match=r"was already used; start a new one with index.batch\(\)$"):
        with batch:
            pass
    assert sorted(ids(index.search("", limit=20))) == sorted([*(a.id for a in FIRST), REST[0].id])


# ---------------------------------------------------------------------------------------
# Did you mean (tests/test_suggest.py's corpus and cases)


@pytest.fixture(scope="module")
def misspelt(make: Factory) -> SearchIndex:
    from test_suggest import CORPUS

    return make([*CORPUS, Article(id="museum", headline="Harbour museum opens", body="The Harbour Museum opened.")])


@pytest.mark.parametrize(
    ("query", "total", "suggestion"),
    [
        ("desertoin", 0, "desertion"),  # a swap of "io": one edit
        ("desretion", 0, "desertion"),
        ("north corea missile", 0, "north korea missile"),  # 4 articles together, not core's 3
        ("nroth korea missile", 0, "north korea missile"),
        ("north korea missle", 0, "north korea missile"),
        ("+nroth -museum", 0, "+north -museum"),
        ("corea", 0, "core"),  # alone, the more frequent respelling wins: 8 articles to 4
        ("CORAE staff", 0, "core staff"),  # two edits from "core" (a short term): the typed word's one edit
        ("korea missile", 4, None),  # correct
        ("desertion", 3, None),
        ("harbour", 1, None),  # nothing close is in more articles
        ("headline:corea", 0, None),  # fields, prefixes and fuzzy words are not respelled
        ("corea*", 0, None),
        ("zzzzqx", 0, None),
    ],
)
def test_did_you_mean(misspelt: SearchIndex, query: str, total: int, suggestion: str | None) -> None:
    results = misspelt.search(query)
    assert (results.total, results.suggestion) == (total, suggestion)
    assert misspelt.search(query, suggest_spelling=False).suggestion is None
    if suggestion is not None:
        assert misspelt.search(suggestion).total >= max(2 * total, 3)


@pytest.fixture(scope="module")
def filtered_misspelt(make: Factory) -> SearchIndex:
    from test_suggest import FILTERED

    return make(FILTERED)


@pytest.mark.parametrize(("query", "filters", "total", "suggestion"), __import__("test_suggest").FILTERED_CASES)
def test_did_you_mean_within_filters(filtered_misspelt: SearchIndex, query: str, filters: dict[str, object],
                                     total: int, suggestion: str | None) -> None:
    results = filtered_misspelt.search(query, **filters)  # type: ignore[arg-type]
    assert (results.total, results.suggestion) == (total, suggestion)


# ---------------------------------------------------------------------------------------
# Freshness (tests/test_news_ranking.py's ages fixture): each score times the decay of its age.
# Scores themselves differ between backends (Lucene's BM25 leaves out the constant k1 + 1),
# so each hit's score is compared with its own plain score times the decay (scores are
# rounded to 6 decimals).


@pytest.fixture(scope="module")
def ages(make: Factory) -> SearchIndex:
    from test_news_ranking import AGES

    return make(AGES)


def decayed(index: SearchIndex, query: str, recency: Recency | str) -> list[tuple[str, float, float]]:
    """Each hit with recency: its id, its score, and its score without recency."""
    plain = {hit.id: hit.score for hit in index.search(query).hits}
    return [(hit.id, hit.score, plain[hit.id]) for hit in index.search(query, recency=recency).hits]


@pytest.mark.parametrize(("recency", "expected"), [
    # ages: old 90 d, mid 30 d, new 0, ahead 15 d (after the origin counts too); undated 0.5
    (dict(shape="exp"), [("ahead", 0.5 ** 0.5), ("new", 1.0), ("undated", 0.5), ("mid", 0.5), ("old", 0.5 ** 3)]),
    (dict(shape="gauss"), [("ahead", 0.5 ** 0.25), ("new", 1.0), ("undated", 0.5), ("mid", 0.5), ("old", 0.5 ** 9)]),
    (dict(shape="linear"), [("ahead", 0.75), ("new", 1.0), ("undated", 0.5), ("mid", 0.5), ("old", 0.0)]),
    # within the 30-day offset: no decay (ahead, mid, new); old is 60 d past it.
    (dict(offset_days=30, undated=0.1), [("ahead", 1.0), ("mid", 1.0), ("new", 1.0), ("old", 0.25), ("undated", 0.1)]),
    (dict(half_life_days=0.5, undated=1.0), [("undated", 1.0), ("new", 1.0), ("ahead", 0.5 ** 30), ("mid", 0.5 ** 60),
                                             ("old", 0.5 ** 180)]),
])
def test_recency_multiplies_each_score_by_the_decay(ages: SearchIndex, recency: dict[str, Any],
                                                    expected: list[tuple[str, float]]) -> None:
    from test_news_ranking import ORIGIN

    settings = {"half_life_days": 30, "origin": ORIGIN, **recency}
    found = decayed(ages, "flood", Recency(**settings))
    assert [hit for hit, _, _ in found] == [hit for hit, _ in expected]
    for (hit, score, plain), (_, factor) in zip(found, expected):
        assert score == pytest.approx(plain * factor, rel=1e-5, abs=2e-6), hit


def test_recency_from_today_pages_by_cursor_and_leaves_an_empty_query_alone(ages: SearchIndex) -> None:
    from test_news_ranking import ORIGIN

    today = date.today()
    dates = {hit.id: hit.date for hit in ages.search("flood").hits}
    for hit, score, plain in decayed(ages, "flood", "2w"):
        day = dates[hit]
        factor = 0.5 if day is None else 0.5 ** (abs((today - day).days) / 14)
        assert score == pytest.approx(plain * factor, rel=1e-5, abs=2e-6), hit
    recency = Recency(half_life_days=30, origin=ORIGIN)
    first = ages.search("flood", recency=recency, limit=2)
    assert first.next_cursor is not None
    rest = ages.search("flood", recency=recency, limit=10, cursor=first.next_cursor)
    assert ids(first) + ids(rest) == ["ahead", "new", "undated", "mid", "old"]
    with pytest.raises(QueryError, match="cursor belongs to another"):
        ages.search("flood", limit=2, cursor=first.next_cursor)
    assert ids(ages.search("", recency="10d")) == ids(ages.search(""))


# ---------------------------------------------------------------------------------------
# Ranking (cases whose order the two backends share)

GALE_AND_HARBOURS = (
    story("gale", "A gale closed the road on Friday."),
    story("harbour-1", "A harbour closed the road on Friday."),
    story("harbour-2", "The harbour reopened on Saturday morning."),
    story("harbour-3", "Harbour fees rise again this spring."),
)


def test_equal_scores_are_ordered_by_id_and_idf_is_index_wide(make: Factory) -> None:
    index = make(GALE_AND_HARBOURS)
    harbour = index.search("harbour")
    assert ids(harbour) == ["harbour-1", "harbour-2", "harbour-3"]
    assert len({hit.score for hit in harbour.hits}) == 1  # the same on every shard: statistics are index-wide
    assert ids(index.search("gale harbour", mode="any")) == ["gale", "harbour-1", "harbour-2", "harbour-3"]
    [gale] = index.search("gale").hits
    assert gale.score > harbour.hits[0].score > 0


def test_a_word_in_the_headline_outranks_the_same_word_in_the_body(make: Factory) -> None:
    index = make([
        story("body-crane", "Nobody was hurt when the steel crane fell onto the quay.", headline="Accident at the harbour"),
        story("headline-crane", "Nobody was hurt when the steel arm fell onto the quay.",
              headline="Crane collapses at the harbour"),
        story("no-crane", "Nobody was hurt when the steel gate fell onto the quay.", headline="Gate fails at the harbour"),
    ])
    assert ids(index.search("crane")) == ["headline-crane", "body-crane"]


def test_more_occurrences_rank_higher_and_shorter_bodies_too(make: Factory) -> None:
    index = make([
        story("storm-once", "The storm brought heavy rain and gusting winds."),
        story("storm-three-times", "The storm brought another storm and then a third storm."),
        story("storm-twice", "The storm brought heavy rain and then a second storm."),
        story("long", "The council said the ferry timetable will change in spring after a long review of routes."),
        story("short", "The ferry timetable changes."),
    ])
    assert ids(index.search("storm")) == ["storm-three-times", "storm-twice", "storm-once"]
    assert ids(index.search("ferry")) == ["short", "long"]


def test_matching_more_words_ranks_higher_in_any_mode(index: SearchIndex) -> None:
    results = index.search("flood mayor evacuation", mode="any")
    assert ids(results)[:1] == ["flood-evacuation"]
    assert sorted(ids(results)) == ["budget-draft", "flood-evacuation", "flood-insurance", "river-rises"]


# ---------------------------------------------------------------------------------------
# Analysis and the query language, end to end


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose", ["budget-vote", "flood-evacuation"]),
        ("José", ["budget-vote", "flood-evacuation"]),
        ("JOSÉ ferreira", ["budget-vote", "flood-evacuation"]),
        ("mayor", ["budget-draft", "flood-evacuation"]),
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
        # Phrases: word order and stop-word gaps count; "bank, river" is not "river bank".
        ('"river bank"', ["river-footpath"]),
        ('"bank river"', ["bank-museum"]),
        ('"the river bank"', ["river-footpath"]),
        ('"river burst its banks"', ["river-rises"]),
        ('"river burst banks"', []),
        # Operators, modes, fields, prefixes, fuzzy words, filters inside the query.
        ("river bank", ["bank-museum", "river-footpath", "river-rises"]),  # "banks" is bank too
        ("river OR bank", ["bank-museum", "river-footpath", "river-rises"]),
        ("river -mill", ["bank-museum"]),
        ("river NOT footpath", ["bank-museum", "river-rises"]),
        ("+flood river", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("flood AND (homes OR market)", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("headline:flood", ["flood-evacuation", "flood-insurance"]),
        ("title:(flood OR budget)", ["budget-draft", "budget-vote", "flood-evacuation", "flood-insurance"]),
        ('body:"river customs"', ["bank-museum"]),
        ("background:flooded", ["flood-insurance"]),
        ("evacuat*", ["flood-evacuation"]),
        ("leop*", ["leopard-cubs"]),
        ("fl*", ["river-rises", "flood-evacuation", "flood-insurance"]),
        ("leopadr~", ["leopard-cubs"]),
        ("museun~1", ["bank-museum"]),
        ("budegt~", ["budget-draft", "budget-vote"]),  # an adjacent swap is one edit
        ("budget source:\"the lantern post\"", ["budget-vote"]),
        ("river date:2024-03", ["river-rises"]),
        ("budget date:[2024-01-20 TO *]", ["budget-vote"]),
        ("the", []),
        ("zeppelin", []),
        ("*", ["bank-museum", "budget-draft", "budget-vote", "fare-protest", "river-footpath", "river-rises",
               "flood-evacuation", "flood-insurance", "leopard-cubs", "library-quiz"]),
        # Long: any mode. On 2024-02-20 the score decides: river (in a headline) beats rise.
        ("the river rises after rain in the week", ["bank-museum", "river-footpath", "fare-protest", "river-rises",
                                                   "flood-insurance"]),
    ],
)
def test_matches(index: SearchIndex, query: str, expected: list[str]) -> None:
    assert found(index, query) == expected


def test_lenient_parsing_warns_and_strict_parsing_refuses(index: SearchIndex) -> None:
    results = index.search('river "bank')
    assert ids(results) == ["river-footpath", "bank-museum", "river-rises"]
    assert results.warnings == ['missing closing quote at position 6\n  river "bank\n        ^']
    with pytest.raises(QueryError, match="missing closing quote at position 6"):
        index.search('river "bank', strict=True)


def test_notes_for_unknown_sources_and_stop_words_only(index: SearchIndex) -> None:
    assert index.search("the of").warnings == [
        "the query has only common words, which are not indexed, so it matches nothing (skipped: the, of); "
        "add a word that says what you are looking for"]
    assert index.search("river", sources=["harbour daly", "Harbor Daily"], facets=False).warnings == [
        'there is no source named "harbour daly" in this index, so the filter matches nothing; '
        'did you mean "Harbor Daily"?']


def test_snippets_and_their_offsets(index: SearchIndex) -> None:
    [hit] = index.search('"river bank"').hits
    [snippet] = hit.snippets
    assert (snippet.field, snippet.text, snippet.highlights) == (
        "headline", "Footpath along the river bank reopens", [(19, 29)])
    assert snippet.render("html") == "Footpath along the <mark>river bank</mark> reopens"
    evacuation = index.search("evacuat* José").hits[0]
    assert [(s.field, [s.text[a:b] for a, b in s.highlights]) for s in evacuation.snippets] == [
        ("body", ["José", "evacuation"])]
    insurance, rises = index.search("novo-karsk flooded").hits
    assert [(s.field, s.highlights) for s in insurance.snippets] == [
        ("headline", [(25, 32)]), ("body", [(12, 21)]), ("background", [(16, 23)])]
    assert [(s.field, [s.text[a:b] for a, b in s.highlights]) for s in rises.snippets] == [
        ("body", ["Novo-Karsk", "floods"])]


# ---------------------------------------------------------------------------------------
# Filters, sorting, paging and cursors


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"sources": ["harbor DAILY"]}, ["river-footpath", "river-rises", "flood-evacuation"]),
        ({"sources": "The Lantern Post"}, ["budget-vote", "leopard-cubs"]),
        ({"sources": ["the lantern post", "Harbor Daily"]},
         ["budget-vote", "river-footpath", "river-rises", "flood-evacuation", "leopard-cubs"]),
        ({"sources": ["Nobody's Paper"]}, []),
        ({"since": date(2024, 3, 1)}, ["river-rises", "flood-evacuation", "flood-insurance"]),
        ({"until": date(2024, 1, 30)}, ["bank-museum", "budget-draft", "budget-vote"]),
        ({"since": date(2024, 2, 20), "until": "2024-02-20"}, ["fare-protest", "river-footpath"]),
        ({"since": date(2024, 2, 1), "sources": ["Harbor Daily"]}, ["river-footpath", "river-rises", "flood-evacuation"]),
        ({"until": date(2024, 3, 4), "sources": ["Harbor Daily"]}, ["river-footpath", "river-rises"]),
    ],
)
def test_filters(index: SearchIndex, options: dict[str, object], expected: list[str]) -> None:
    assert found(index, "*", **options) == expected


NEWEST = [
    "flood-insurance", "flood-evacuation", "river-rises", "fare-protest", "river-footpath",
    "budget-vote", "budget-draft", "bank-museum", "leopard-cubs", "library-quiz",
]  # fmt: skip
OLDEST = [
    "bank-museum", "budget-draft", "budget-vote", "fare-protest", "river-footpath",
    "river-rises", "flood-evacuation", "flood-insurance", "leopard-cubs", "library-quiz",
]  # fmt: skip


def test_sort_orders(index: SearchIndex) -> None:
    assert ids(index.search("*", limit=100)) == NEWEST  # equal scores: newer first, undated last, then id
    assert ids(index.search("*", sort="newest", limit=100)) == NEWEST
    assert ids(index.search("*", sort="oldest", limit=100)) == OLDEST
    assert ids(index.search("river OR bank OR fares", sort="newest")) == [
        "river-rises", "river-footpath", "fare-protest", "budget-draft", "bank-museum"]


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
def many(make: Factory) -> SearchIndex:
    index = make([paper(n) for n in range(57)])
    index.add_many([paper(n) for n in range(57, 71)])
    return index


def test_the_order_of_ties(many: SearchIndex) -> None:
    relevance = many.search("ferry", limit=1000)
    first = [hit for hit in relevance.hits if math.isclose(hit.score, relevance.hits[0].score, rel_tol=1e-6)]
    assert [hit.id for hit in first] == [
        "n29", "n44", "n59", "n08", "n23", "n38", "n53", "n68", "n02", "n17", "n32", "n47", "n62",
        "n11", "n26", "n41", "n05", "n20", "n50", "n65", "n14", "n35", "n56",
    ]  # fmt: skip


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("limit", [4, 10, 71])
def test_pages_and_cursors_cover_the_full_order(many: SearchIndex, sort: str, limit: int) -> None:
    everything = ids(many.search("ferry quay", sort=sort, limit=1000))  # type: ignore[arg-type]
    assert len(everything) == len(set(everything)) == 71
    pages: list[str] = []
    page = 1
    while batch := ids(many.search("ferry quay", sort=sort, limit=limit, page=page, facets=False)):  # type: ignore[arg-type]
        pages.extend(batch)
        page += 1
    assert pages == everything
    walked: list[str] = []
    cursor: str | None = None
    for _ in range(80):
        results = many.search("ferry quay", sort=sort, limit=limit, cursor=cursor, facets=False)  # type: ignore[arg-type]
        walked.extend(ids(results))
        cursor = results.next_cursor
        if cursor is None:
            break
    assert walked == everything


def test_a_cursor_of_another_query_is_refused(index: SearchIndex) -> None:
    newest = index.search("*", sort="newest", limit=2).next_cursor
    assert newest is not None
    with pytest.raises(QueryError, match="belongs to another query, filter or sort"):
        index.search("*", sort="oldest", cursor=newest)
    with pytest.raises(QueryError, match="invalid cursor"):
        index.search("*", sort="newest", cursor="not a cursor!")
    assert index.search("*", limit=10).next_cursor is None
    assert index.search("*", limit=9).next_cursor is not None


# ---------------------------------------------------------------------------------------
# Facets

MONTHS = [("2023-11-01", 1), ("2023-12-01", 0), ("2024-01-01", 2), ("2024-02-01", 2), ("2024-03-01", 2),
          ("2024-04-01", 1)]


def test_facets_of_everything(index: SearchIndex) -> None:
    results = index.search("*", date_interval="month")
    assert sources(results) == [("Valley Gazette", 4), ("Harbor Daily", 3), ("The Lantern Post", 2)]
    assert histogram(results) == MONTHS
    assert (results.facets.date_interval, results.facets.missing_source, results.facets.missing_date) == ("month", 1, 2)
    assert histogram(index.search("*", date_interval="year")) == [("2023-01-01", 1), ("2024-01-01", 7)]


def test_auto_intervals(index: SearchIndex) -> None:
    weeks = index.search("*")
    assert weeks.facets.date_interval == "week"
    assert histogram(weeks)[:3] == [("2023-11-27", 1), ("2023-12-04", 0), ("2023-12-11", 0)]
    assert len(histogram(weeks)) == 20 and sum(count for _, count in histogram(weeks)) == 8
    days = index.search('source:"Harbor Daily"')
    assert days.facets.date_interval == "day"
    assert histogram(days) == [("2024-02-20", 1)] + [(f"2024-02-{d}", 0) for d in range(21, 30)] + [
        ("2024-03-01", 0), ("2024-03-02", 0), ("2024-03-03", 0), ("2024-03-04", 1), ("2024-03-05", 1)]
    assert histogram(index.search('source:"Harbor Daily"', date_interval="week")) == [
        ("2024-02-19", 1), ("2024-02-26", 0), ("2024-03-04", 2)]


def test_dates_before_1970(make: Factory) -> None:
    index = make([
        story("sun-1969", "An old note.", date=date(1969, 12, 28)),
        story("mon-1969", "An old note.", date=date(1969, 12, 29)),
        story("sun-1970", "An old note.", date=date(1970, 1, 4)),
        story("mon-1970", "An old note.", date=date(1970, 1, 5)),
    ])
    assert histogram(index.search("*", date_interval="week")) == [("1969-12-22", 1), ("1969-12-29", 2), ("1970-01-05", 1)]
    assert histogram(index.search("*", date_interval="month")) == [("1969-12-01", 2), ("1970-01-01", 2)]


def test_each_facet_ignores_its_own_filter(index: SearchIndex) -> None:
    results = index.search("*", sources=["Harbor Daily"], since=date(2024, 3, 1), until=date(2024, 4, 30),
                           date_interval="month")
    assert results.total == 2
    assert sources(results) == [("Harbor Daily", 2), ("Valley Gazette", 1)]
    assert histogram(results) == [("2024-02-01", 1), ("2024-03-01", 2)]
    assert (results.facets.missing_source, results.facets.missing_date) == (0, 0)
    narrowed = index.search("flood", sources=["valley gazette"], date_interval="month")
    assert (narrowed.total, sources(narrowed), histogram(narrowed)) == (
        1, [("Harbor Daily", 2), ("Valley Gazette", 1)], [("2024-04-01", 1)])
    until = index.search("*", until=date(2024, 1, 31), date_interval="month")
    assert sources(until) == [("Valley Gazette", 2), ("The Lantern Post", 1)]
    assert histogram(until) == MONTHS
    assert (until.facets.missing_source, until.facets.missing_date) == (0, 2)


@pytest.mark.parametrize(
    ("query", "expected_sources", "expected_dates"),
    [
        ('source:"Harbor Daily"', [("Harbor Daily", 3)], [("2024-02-01", 1), ("2024-03-01", 2)]),
        ("date:2024-03", [("Harbor Daily", 2)], [("2024-03-01", 2)]),
        ('date:2024-02 -source:"harbor daily"', [], [("2024-02-01", 1)]),
    ],
)
def test_clauses_in_the_query_narrow_both_facets(index: SearchIndex, query: str,
                                                 expected_sources: list[tuple[str, int]],
                                                 expected_dates: list[tuple[str, int]]) -> None:
    results = index.search(query, date_interval="month")
    assert (sources(results), histogram(results)) == (expected_sources, expected_dates)


def test_missing_source_and_date_are_counted_apart(index: SearchIndex) -> None:
    fares = index.search("fares")
    assert (sources(fares), fares.facets.missing_source) == ([("Valley Gazette", 1)], 1)
    undated = index.search("cubs OR quiz", date_interval="month")
    assert (histogram(undated), undated.facets.missing_date, undated.facets.date_interval) == ([], 2, "month")


def test_the_display_name_is_the_first_indexed_spelling(index: SearchIndex, make: Factory) -> None:
    evacuation = index.search("evacuation")
    assert (evacuation.hits[0].source, sources(evacuation)) == ("harbor daily", [("Harbor Daily", 1)])
    lower_first = make([story("a", "Ferry news.", source="harbor  DAILY"), story("b", "Ferry news.", source="Harbor Daily")])
    lower_first.add(story("c", "Ferry news.", source="HARBOR DAILY"))
    assert sources(lower_first.search("ferry")) == [("harbor DAILY", 3)]
    assert lower_first.search("ferry", sources=["harbor daily"]).total == 3


def test_source_facet_limit_and_ties(index: SearchIndex) -> None:
    assert sources(index.search("*", source_facet_limit=2)) == [("Valley Gazette", 4), ("Harbor Daily", 3)]
    assert len(index.search("*", source_facet_limit=None).facets.source) == 3
    assert sources(index.search("budget OR river")) == [("Harbor Daily", 2), ("Valley Gazette", 2), ("The Lantern Post", 1)]


def test_facets_off_and_no_match(index: SearchIndex) -> None:
    assert index.search("*", facets=False).facets == Facets()
    results = index.search("zeppelin")
    assert (results.total, results.facets.source, results.facets.date, results.facets.missing_source) == (0, [], [], 0)
