"""Search-time news options: freshness (``recency``), outlet diversity (``diversify``) and
explained scores (``explain``). Each is off by default and then changes nothing."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
from conftest import shared_path
from news_fixtures import make_index, story

from searchkit import Explanation, Index, QueryArgumentTypeError, QueryError, Recency, SearchResults
from searchkit.engine.rerank import diversify_order

ORIGIN = date(2024, 3, 31)

# Bodies of three terms each, so every body has the same length norm; "flood" 3, 2, 1 times.
AGES = (
    story("old", "flood flood flood", date=ORIGIN - timedelta(days=90)),
    story("mid", "flood flood calm", date=ORIGIN - timedelta(days=30)),
    story("new", "flood calm calm", date=ORIGIN),
    story("undated", "flood flood flood"),
    story("ahead", "flood flood calm", date=ORIGIN + timedelta(days=15)),
    story("other", "calm calm calm", date=ORIGIN),
)


@pytest.fixture(scope="module")
def ages(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("ages") / "index", AGES)


def scored(results: SearchResults) -> list[tuple[str, float]]:
    return [(hit.id, hit.score) for hit in results.hits]


def without_timing(results: SearchResults) -> dict[str, object]:
    data: dict[str, object] = orjson.loads(results.to_json())
    del data["took_ms"]
    return data


# ---------------------------------------------------------------------------------------
# Freshness


def test_plain_order_of_the_ages_fixture(ages: Index) -> None:
    # idf = ln(1 + 2.5 / 5.5) for df 5 of N 6; tf~ = tf (equal lengths); saturation tf * 2.6 / (1.6 + tf).
    idf = math.log(1 + 1.5 / 5.5)
    sat = {n: n * 2.6 / (1.6 + n) for n in (1, 2, 3)}
    assert scored(ages.search("flood")) == [
        ("old", round(idf * sat[3], 6)), ("undated", round(idf * sat[3], 6)),  # ties: dated first
        ("ahead", round(idf * sat[2], 6)), ("mid", round(idf * sat[2], 6)), ("new", round(idf * sat[1], 6)),
    ]


@pytest.mark.parametrize(("shape", "factors", "expected"), [
    # ages: old 90 d, mid 30 d, new 0, ahead 15 d (after the origin counts too); undated 0.5
    ("exp", {"old": 0.5 ** 3, "mid": 0.5, "new": 1.0, "ahead": 0.5 ** 0.5, "undated": 0.5},
     ["ahead", "new", "undated", "mid", "old"]),
    ("gauss", {"old": 0.5 ** 9, "mid": 0.5, "new": 1.0, "ahead": 0.5 ** 0.25, "undated": 0.5},
     ["ahead", "new", "undated", "mid", "old"]),
    ("linear", {"old": 0.0, "mid": 0.5, "new": 1.0, "ahead": 0.75, "undated": 0.5},
     ["ahead", "new", "undated", "mid", "old"]),
])
def test_recency_multiplies_the_score_by_the_decay(ages: Index, shape: str, factors: dict[str, float],
                                                   expected: list[str]) -> None:
    idf = math.log(1 + 1.5 / 5.5)
    plain = {"old": idf * 3 * 2.6 / 4.6, "undated": idf * 3 * 2.6 / 4.6, "mid": idf * 2 * 2.6 / 3.6,
             "ahead": idf * 2 * 2.6 / 3.6, "new": idf * 2.6 / 2.6}
    recency = Recency(half_life_days=30, origin=ORIGIN, shape=shape)  # type: ignore[arg-type]
    results = ages.search("flood", recency=recency)
    assert [hit.id for hit in results.hits] == expected
    for hit in results.hits:
        assert hit.score == pytest.approx(plain[hit.id] * factors[hit.id], abs=1e-6)
    assert results.total == 5 and [(v.value, v.count) for v in results.facets.source] == []


def test_recency_offset_and_undated_factor(ages: Index) -> None:
    recency = Recency(half_life_days=30, origin=ORIGIN, offset_days=30, undated=0.1)
    idf = math.log(1 + 1.5 / 5.5)
    # within the 30-day offset: no decay (mid, new, ahead); old is 60 d past it: 0.25.
    assert scored(ages.search("flood", recency=recency)) == [
        ("ahead", round(idf * 2 * 2.6 / 3.6, 6)), ("mid", round(idf * 2 * 2.6 / 3.6, 6)), ("new", round(idf, 6)),
        ("old", round(idf * 3 * 2.6 / 4.6 * 0.25, 6)), ("undated", round(idf * 3 * 2.6 / 4.6 * 0.1, 6)),
    ]


def test_a_half_life_string_decays_from_today(ages: Index) -> None:
    plain = dict(scored(ages.search("flood")))
    results = ages.search("flood", recency="2w")
    today = date.today()
    for hit in results.hits:
        factor = 0.5 if hit.date is None else 0.5 ** (abs((today - hit.date).days) / 14)
        assert hit.score == pytest.approx(plain[hit.id] * factor, abs=1e-6)
    assert Recency.parse("30d") == Recency(half_life_days=30.0)
    assert Recency.parse("1y").half_life_days == 365.25


def test_recency_pages_by_cursor_and_refuses_a_plain_cursor(ages: Index) -> None:
    first = ages.search("flood", recency=Recency(half_life_days=30, origin=ORIGIN), limit=2)
    assert first.next_cursor is not None
    rest = ages.search("flood", recency=Recency(half_life_days=30, origin=ORIGIN), limit=10, cursor=first.next_cursor)
    assert [h.id for h in first.hits + rest.hits] == ["ahead", "new", "undated", "mid", "old"]
    with pytest.raises(QueryError, match="cursor belongs to another"):
        ages.search("flood", limit=2, cursor=first.next_cursor)


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"recency": "30"}, QueryError, "recency='30' is not a half-life; write a number and d, w or y"),
    ({"recency": "-3d"}, QueryError, "is not a half-life"),
    ({"recency": 30}, QueryArgumentTypeError, "recency=30 \\(int\\) is not accepted"),
    ({"recency": "30d", "sort": "newest"}, QueryError, "already in date order"),
    ({"diversify": "topic"}, QueryError, "unknown diversify 'topic'; use one of 'source'"),
    ({"diversify": "source", "sort": "oldest"}, QueryError, "cannot be used with sort='oldest'"),
    ({"diversify": "source", "cursor": "abc"}, QueryError, "pages by number: pass page=N, not a cursor"),
    ({"explain": 1}, QueryArgumentTypeError, "explain=1 \\(int\\) is not accepted; explain must be True or False"),
    ({"explain": True, "feedback": True}, QueryError, "cannot explain feedback=True"),
])
def test_bad_news_options_are_refused(ages: Index, options: dict[str, object], error: type[Exception],
                                      message: str) -> None:
    with pytest.raises(error, match=message):
        ages.search("flood", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("settings", [
    {"half_life_days": 0}, {"half_life_days": 30, "undated": 2}, {"half_life_days": 30, "shape": "cubic"},
    {"half_life_days": 30, "offset_days": -1}, {"half_life_days": float("nan")},
])
def test_bad_recency_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(QueryError, match="Recency\\("):
        Recency(**settings)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Outlet diversity

# Equal lengths; "flood" 3 times from Alpha, 2 from Beta, once from Gamma.
OUTLETS = (
    story("a1", "flood flood flood", source="Alpha"),
    story("a2", "flood flood flood", source="Alpha"),
    story("a3", "flood flood flood", source="Alpha"),
    story("b1", "flood flood calm", source="Beta"),
    story("b2", "flood flood calm", source="Beta"),
    story("c1", "flood calm calm", source="Gamma"),
    story("z1", "calm calm calm", source="Gamma"),
)


@pytest.fixture(scope="module")
def outlets(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("outlets") / "index", OUTLETS)


def test_diversify_lets_outlets_take_turns(outlets: Index) -> None:
    assert [h.id for h in outlets.search("flood").hits] == ["a1", "a2", "a3", "b1", "b2", "c1"]
    # scores 1.696 (tf 3), 1.444 (tf 2), 1.0 (tf 1) times idf; each earlier hit of an
    # outlet halves its next one: a1; b1 1.444 > c1 1.0 > a2 0.848; c1; a2 0.848 > b2 0.722; b2; a3.
    first = outlets.search("flood", diversify="source", limit=3)
    assert [h.id for h in first.hits] == ["a1", "b1", "c1"]
    assert first.more_from == {"Alpha": 2, "Beta": 1, "Gamma": 0}
    second = outlets.search("flood", diversify="source", limit=3, page=2)
    assert [h.id for h in second.hits] == ["a2", "b2", "a3"]
    assert second.more_from == {"Alpha": 0, "Beta": 0}
    assert first.next_cursor is None and first.total == second.total == 6
    assert [h.score for h in first.hits] == [h.score for h in outlets.search("flood").hits if h.id in ("a1", "b1", "c1")]


def test_diversify_an_empty_query_takes_outlets_in_turn_newest_first(tmp_path: Path) -> None:
    from news_fixtures import NEWS
    index = make_index(tmp_path / "index", NEWS)
    assert [h.id for h in index.search("", diversify="source").hits] == [
        "flood-insurance", "flood-evacuation", "fare-protest", "budget-vote", "river-rises", "budget-draft",
        "leopard-cubs", "river-footpath", "bank-museum", "library-quiz",
    ]
    assert [h.id for h in index.search("", recency="10d").hits] == [h.id for h in index.search("").hits]


def test_diversify_order_by_hand() -> None:
    assert diversify_order([4.0, 3.9, 3.0, 1.0], [0, 0, 1, 2]) == [0, 2, 1, 3]
    assert diversify_order([0.0, 0.0, 0.0, 0.0], [0, 0, 1, 1]) == [0, 2, 1, 3]  # zero scores: round robin
    assert diversify_order([], []) == []


def test_news_options_off_change_nothing(outlets: Index, ages: Index) -> None:
    for index, query in ((outlets, "flood"), (ages, "flood OR calm"), (ages, "")):
        plain = index.search(query)
        same = index.search(query, recency=None, diversify=None, explain=False)
        assert without_timing(plain) == without_timing(same)
        data = orjson.loads(plain.to_json())
        assert "more_from" not in data and all("explanation" not in hit for hit in data["hits"])
        assert "more_from" not in plain.model_dump() and "explanation" not in plain.hits[0].model_dump()


# ---------------------------------------------------------------------------------------
# Explanations


def test_explanation_of_a_tiny_case_by_hand(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", (
        story("x", "Rain", headline="Flood warning"),
        story("y", "Sun", headline="Calm day"),
    ))
    [hit] = index.search("flood", explain=True).hits
    idf, sat = math.log(2.0), 3 * 2.6 / 4.6
    assert hit.explanation == Explanation(value=idf * sat, description="flood: BM25F = idf × saturated frequency", children=[
        Explanation(value=idf, description="idf = ln(1 + (N - df + 0.5) / (df + 0.5)) with N = 2 live articles, "
                                           "df = 1 holding it"),
        Explanation(value=sat, description="saturated frequency = tf~ × (k1 + 1) / (k1 + tf~), k1 = 1.6", children=[
            Explanation(value=3.0, description="tf~ = sum over fields of weight × frequency / length norm", children=[
                Explanation(value=3.0, description="headline: flood = weight × frequency / length norm", children=[
                    Explanation(value=3.0, description="weight of headline"),
                    Explanation(value=1.0, description="frequency of flood in headline"),
                    Explanation(value=1.0, description="length norm = 1 - b + b × length / average, b = 0.5, "
                                                       "length = 2, average = 2"),
                ]),
            ]),
        ]),
    ])
    assert hit.score == round(idf * sat, 6)


def test_explanation_with_recency_and_diversify(outlets: Index, ages: Index) -> None:
    [top] = ages.search("flood", recency=Recency(half_life_days=30, origin=ORIGIN), explain=True, limit=1).hits
    assert top.explanation is not None and top.id == "ahead"
    assert top.explanation.description == "score = relevance × recency"
    assert [c.value for c in top.explanation.children[1:]] == [pytest.approx(0.5 ** 0.5)]
    assert top.explanation.children[1].description == (
        "recency: exp decay, half-life 30 d from 2024-03-31; dated 2024-04-15, 15 d old")
    hits = outlets.search("flood", diversify="source", explain=True, limit=3).hits
    assert [h.explanation.children[-1].description for h in hits if h.explanation] == [
        "diversify='source': rank 1, not moved (outlets take turns; the score is unchanged)",
        "diversify='source': rank 2, moved from rank 4 by relevance alone (outlets take turns; the score is unchanged)",
        "diversify='source': rank 3, moved from rank 6 by relevance alone (outlets take turns; the score is unchanged)",
    ]


def _nodes(node: Explanation) -> list[Explanation]:
    return [node] + [n for child in node.children for n in _nodes(child)]


QUERIES = (
    "flood", "floods river", "river OR bank", '"river bank"', '"bank river"', "flood*", "evacuat*", "bud*",
    "flod~", "budgit~2", "river -bank", "river NOT bank", "headline:flood", "body:river OR headline:budget",
    "(flood OR budget) AND mayor", "budget mayor fares", '"river bank" OR fares', 'source:"Harbor Daily" river',
    "date:2024-03 flood", "NOT flood", "", "the", "river the bank", "leopard OR (museum AND bank)",
    "Novo-Karsk", "José", "7,400 flooding", "river OR (bank -museum)", "fare* OR budget*",
)


@pytest.mark.parametrize("options", [
    {}, {"mode": "any"}, {"recency": "60d"}, {"recency": Recency(half_life_days=10, shape="gauss", origin=date(2024, 3, 1))},
    {"diversify": "source"}, {"diversify": "source", "recency": "30d", "page": 2, "limit": 3},
])
def test_every_explanation_adds_up_to_its_score(tmp_path_factory: pytest.TempPathFactory,
                                                options: dict[str, object]) -> None:
    from news_fixtures import NEWS
    index = make_index(tmp_path_factory.mktemp("explain") / "index", NEWS)
    index.add(story("extra", "The river bank flooded again; the mayor spoke.", source="Valley Gazette"))
    checked = 0
    for query in QUERIES:
        plain = index.search(query, **options)  # type: ignore[arg-type]
        explained = index.search(query, explain=True, **options)  # type: ignore[arg-type]
        assert [(h.id, h.score) for h in explained.hits] == [(h.id, h.score) for h in plain.hits], query
        for hit in explained.hits:
            assert hit.explanation is not None
            assert abs(hit.explanation.value - hit.score) <= 1e-6, (query, hit.id)
            for node in _nodes(hit.explanation):  # every product and sum adds up too
                if node.description.startswith("score = relevance"):
                    assert node.value == pytest.approx(math.prod(c.value for c in node.children), abs=1e-9)
                elif node.description.startswith(("sum of", "tf~")):
                    assert node.value == pytest.approx(sum(c.value for c in node.children), abs=1e-9)
            checked += 1
    assert checked >= 15


WORDS = ("flood", "river", "bank", "budget", "mayor", "fares", "the", "leopard", "rain", "homes", "vote", "zoo")


def _random_query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        word = rng.choice(WORDS)
        kind = rng.randint(0, 6)
        parts.append([word, f"{word[:3]}*", f"{word}~", f'"{word} {rng.choice(WORDS)}"', f"-{word}",
                      f"headline:{word}", f"({word} OR {rng.choice(WORDS)})"][kind])
    return rng.choice((" ", " OR ", " AND ")).join(parts)


def test_random_queries_explain_their_scores(tmp_path: Path) -> None:
    from news_fixtures import NEWS
    index = make_index(tmp_path / "index", NEWS)
    rng = random.Random(13)
    checked = 0
    for _ in range(300):
        query = _random_query(rng)
        options = rng.choice(({}, {"recency": "90d"}, {"diversify": "source"}, {"mode": "any"}))
        for hit in index.search(query, explain=True, limit=20, **options).hits:  # type: ignore[arg-type]
            assert hit.explanation is not None and abs(hit.explanation.value - hit.score) <= 1e-6, (query, hit.id)
            checked += 1
    assert checked > 500


@pytest.mark.slow
def test_explanations_add_up_on_the_allsides_roundups(tmp_path: Path) -> None:
    """Every hit of the 505 real story headlines (as typed, as prefixes, fuzzy, with recency
    and diversity) explains its score within 1e-6."""
    from benchmarks.news.roundups import build

    data = shared_path("data", "allsides-roundups").parent
    index, stories = build(tmp_path / "index", data)
    assert len(index) == 1479 and len(stories) == 505
    checked = 0
    for number, story in enumerate(stories):
        words = story.issue.split()
        query = [story.issue, " OR ".join(w + "*" for w in words[:3] if w.isalpha()),
                 " ".join(w + "~" for w in words[:2]), f'"{" ".join(words[:2])}" -{words[-1]}'][number % 4]
        options = [{}, {"recency": "30d"}, {"diversify": "source"}, {"mode": "any"}][number // 4 % 4]
        for hit in index.search(query, explain=True, **options).hits:  # type: ignore[arg-type]
            assert hit.explanation is not None and abs(hit.explanation.value - hit.score) <= 1e-6, (query, hit.id)
            checked += 1
    assert checked > 3000
