"""``Index.related`` and ``searchkit related``: other coverage of an article's story, and
the background to it (:mod:`searchkit.engine.related`).

The corpus is written for these tests. One story (the Karsten dam breach) is covered by
three outlets within two days (``dam-gazette``, the article asked about, ``dam-post`` the
same day and ``dam-daily`` the next), plus a second report from the Gazette's own desk the
next day (``dam-gazette-live``). Two older Karsten dam articles give background
(``dam-inspection`` 2023, ``dam-funding`` 2021); a leopard story shares nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from conftest import shared_path
from test_cli import cli, run, without_timing

from searchkit import Article, ArticleNotFoundError, Index, QueryError

DAM = (
    Article(id="dam-gazette", source="Valley Gazette", date=date(2024, 5, 10),
            headline="Karsten dam breach floods the Olm valley",
            body="The Karsten dam gave way before dawn and water flooded three villages in the Olm valley. "
                 "Engineers had warned about cracks in the concrete wall. Rescue crews evacuated residents."),
    Article(id="dam-post", source="The Lantern Post", date=date(2024, 5, 10),
            headline="Villages flooded as Karsten dam wall fails",
            body="Water poured through the failed wall of the Karsten dam, flooding villages along the Olm. "
                 "Rescue crews evacuated hundreds of residents; engineers blamed cracks in the concrete."),
    Article(id="dam-daily", source="Harbor Daily", date=date(2024, 5, 11),
            headline="After the Karsten dam breach, the Olm valley counts the damage",
            body="A day after the dam breach, residents of the flooded villages returned to the Olm valley. "
                 "Engineers inspected what remains of the concrete wall."),
    Article(id="dam-gazette-live", source="Valley Gazette", date=date(2024, 5, 11),
            headline="Karsten dam breach: villages flooded, residents evacuated",
            body="Our reporters in the Olm valley saw villages flooded after the Karsten dam breach. "
                 "Residents were evacuated by rescue crews; engineers point to cracks in the wall."),
    Article(id="dam-inspection", source="Harbor Daily", date=date(2023, 9, 1),
            headline="Inspectors find cracks in the Karsten dam",
            body="Engineers inspecting the Karsten dam found cracks in its concrete wall and asked for repairs "
                 "before the spring floods in the Olm valley."),
    Article(id="dam-funding", source="Valley Gazette", date=date(2021, 3, 2),
            headline="Council delays Karsten dam repairs",
            body="The council postponed the repair budget for the Karsten dam to next year."),
    Article(id="leopard-cubs", source="The Lantern Post", date=date(2024, 5, 10),
            headline="Zoo welcomes two leopard cubs",
            body="Keepers named the twin leopard cubs after a public vote."),
)


@pytest.fixture
def index(tmp_path: Path) -> Index:
    created = Index.create(tmp_path / "dam")
    created.add_many(DAM)
    return created


def ids(index: Index, article_id: str, **options: object) -> list[str]:
    return [hit.id for hit in index.related(article_id, **options).hits]  # type: ignore[arg-type]


def test_coverage_is_the_story_from_other_outlets_first(index: Index) -> None:
    results = index.related("dam-gazette")
    # Other outlets on the story, then the Gazette's own second report, then the older
    # Karsten dam articles; the leopard story shares nothing.
    assert [hit.id for hit in results.hits] == ["dam-post", "dam-daily", "dam-gazette-live",
                                                "dam-inspection", "dam-funding"]
    assert results.total == 5
    assert results.facets.source == [] and results.next_cursor is None
    # The article's own words that weigh most ("Karsten" and "dam" are in every dam story).
    assert results.query == "breach valley water floods Olm crews evacuated Rescue"


def test_coverage_factors_are_date_proximity_and_other_outlet(index: Index) -> None:
    def scores(article_id: str, mode: str) -> dict[str, float]:
        return {hit.id: hit.score for hit in index.related(article_id, mode=mode).hits}  # type: ignore[arg-type]

    one_day = 0.5 + 0.5 * 0.5 ** (1 / 2)  # two-day half-life, floor 0.5
    # Background scores are the text scores alone; coverage multiplies them.
    assert scores("dam-daily", "coverage")["dam-gazette"] == pytest.approx(
        scores("dam-daily", "background")["dam-gazette"] * one_day, rel=1e-5)
    assert scores("dam-gazette-live", "coverage")["dam-gazette"] == pytest.approx(
        scores("dam-gazette-live", "background")["dam-gazette"] * one_day * 0.5, rel=1e-5)  # same outlet
    assert scores("dam-gazette", "coverage")["dam-inspection"] == pytest.approx(
        scores("dam-gazette", "background")["dam-inspection"] * 0.5, rel=1e-5)  # 252 days apart


def test_background_is_earlier_articles_by_text(index: Index) -> None:
    assert ids(index, "dam-gazette", mode="background") == ["dam-inspection", "dam-funding"]
    # The day before counts as before: the story's first reports give context too.
    assert ids(index, "dam-daily", mode="background") == ["dam-gazette", "dam-inspection", "dam-post",
                                                          "dam-funding"]
    assert ids(index, "dam-funding", mode="background") == []


def test_snippets_highlight_the_shared_words(index: Index) -> None:
    hit = index.related("dam-gazette", limit=1).hits[0]
    assert hit.id == "dam-post"
    headline = next(s for s in hit.snippets if s.field == "headline")
    assert headline.render("text", ellipsis="") == "Villages flooded as Karsten dam wall fails"
    assert [headline.text[start:end] for start, end in headline.highlights] == ["Villages", "flooded", "Karsten",
                                                                                 "dam", "wall"]  # not "fails"


def test_filters_and_limit(index: Index) -> None:
    assert ids(index, "dam-gazette", sources=["harbor daily"]) == ["dam-daily", "dam-inspection"]
    assert ids(index, "dam-gazette", since="2024-01-01") == ["dam-post", "dam-daily", "dam-gazette-live"]
    assert ids(index, "dam-gazette", until=date(2023, 12, 31)) == ["dam-inspection", "dam-funding"]
    limited = index.related("dam-gazette", limit=2)
    assert [hit.id for hit in limited.hits] == ["dam-post", "dam-daily"]
    assert (limited.total, limited.limit) == (5, 2)


def test_the_article_itself_is_never_related(index: Index) -> None:
    for article in DAM:
        for mode in ("coverage", "background"):
            assert article.id not in ids(index, article.id, mode=mode, limit=100)


def test_deleted_and_replaced_articles(index: Index) -> None:
    index.delete(["dam-post"])
    index.add(DAM[4].model_copy(update={"headline": "Zoo keepers weigh the leopard cubs", "body": "Both cubs grew."}))
    assert ids(index, "dam-gazette") == ["dam-daily", "dam-gazette-live", "dam-funding"]


def test_near_duplicates_of_the_article_are_left_out(index: Index) -> None:
    # A wire service reprints the Gazette's report with another headline and a dateline:
    # the same text, not other coverage (searchkit.engine.fingerprint finds it).
    gazette = DAM[0]
    index.add(gazette.model_copy(update={"id": "dam-wire", "source": "Olm Wire", "headline": "Dam breach floods valley",
                                         "body": "OLMSDALE (Olm Wire) - " + gazette.body}))
    assert index.duplicates("dam-gazette") == ["dam-wire"]
    assert ids(index, "dam-gazette") == ["dam-post", "dam-daily", "dam-gazette-live", "dam-inspection",
                                         "dam-funding"]
    assert ids(index, "dam-post")[:2] == ["dam-gazette", "dam-wire"]  # for another article it is coverage


def test_undated_article_background_warns(index: Index) -> None:
    index.add(DAM[1].model_copy(update={"id": "dam-undated", "date": None}))
    results = index.related("dam-undated", mode="background")
    # Its copy dam-post is a near-duplicate: left out.
    assert [hit.id for hit in results.hits] == ["dam-gazette-live", "dam-gazette", "dam-daily", "dam-inspection",
                                                "dam-funding"]
    assert results.warnings == ["the article 'dam-undated' has no date, so nothing is known to come before it: "
                                "background ranks every article by its text alone"]


def test_unknown_id_and_wrong_arguments(index: Index) -> None:
    with pytest.raises(ArticleNotFoundError) as caught:
        index.related("no-such-id")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == (f"no article with id 'no-such-id' in the index {index.path}; "
                                 "list the ids with `searchkit export` or check the id's spelling")
    with pytest.raises(QueryError, match="mode must be one of 'coverage', 'background', not 'story'"):
        index.related("dam-gazette", mode="story")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="limit"):
        index.related("dam-gazette", limit=0)
    with pytest.raises(TypeError, match="article_id must be a string"):
        index.related(7)  # type: ignore[arg-type]


def test_cli_related_json_is_the_library_to_json(index: Index) -> None:
    done = cli("related", "dam-gazette", "--index", str(index.path), "--json", "--limit", "3",
               "--source", "Harbor Daily", "--source", "The Lantern Post")
    assert done.returncode == 0, done.stderr
    expected = orjson.loads(index.related("dam-gazette", limit=3, sources=["Harbor Daily", "The Lantern Post"]).to_json())
    assert without_timing(orjson.loads(done.stdout)) == without_timing(expected)
    assert [hit["id"] for hit in expected["hits"]] == ["dam-post", "dam-daily", "dam-inspection"]


def test_cli_related_for_people(capsys: pytest.CaptureFixture[str], index: Index) -> None:
    code, out, err = run(capsys, "related", "dam-gazette", "--index", str(index.path), "--mode", "background",
                         "--since", "2022-01-01", "--color", "never")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("1 of 1 result for 'breach valley water floods Olm crews evacuated Rescue'  (")
    assert lines[2:4] == ["  1. Inspectors find cracks in the Karsten dam",
                          "     Harbor Daily · 2023-09-01 · score " + lines[3].split("score ")[1]]
    code, out, err = run(capsys, "related", "no-such-id", "--index", str(index.path))
    assert (code, out) == (1, "")
    assert err.startswith("searchkit related: no article with id 'no-such-id'") and err.count("\n") == 1


def test_http_api_related_is_the_library_results(index: Index) -> None:
    pytest.importorskip("fastapi")
    from test_server import Api, error

    api = Api(index)
    response = api.get("/api/articles/dam-gazette/related", params={"mode": "background", "limit": 1})
    assert response.status_code == 200
    expected = orjson.loads(index.related("dam-gazette", mode="background", limit=1).to_json())
    assert without_timing(response.json()) == without_timing(expected)
    assert [hit["id"] for hit in expected["hits"]] == ["dam-inspection"]
    filtered = api.get("/api/articles/dam-gazette/related", params={"sources": ["Harbor Daily"], "since": "2024-01-01"})
    assert [hit["id"] for hit in filtered.json()["hits"]] == ["dam-daily"]
    missing = api.get("/api/articles/no-such-id/related")
    assert missing.status_code == 404
    assert error(missing) == {"type": "ArticleNotFound", "message": "no article with id 'no-such-id'", "status": 404}
    wrong = api.get("/api/articles/dam-gazette/related", params={"mode": "story"})
    assert wrong.status_code == 400


@pytest.mark.slow
def test_an_opensearch_index_refuses_related_by_name(opensearch_url: str) -> None:
    from opensearch_backends import new_opensearch_index

    cluster = new_opensearch_index(opensearch_url, DAM[:2], name="related")
    try:
        with pytest.raises(QueryError) as raised:
            cluster.related("dam-gazette")
        assert str(raised.value) == ("related() is not available on OpenSearch indexes yet (asked for 'dam-gazette', "
                                     "mode='coverage'); copy the index into a folder with `searchkit reindex` and ask "
                                     "it there")
    finally:
        cluster.drop()
        cluster.close()


@pytest.mark.slow
def test_coverage_recall_at_2_on_the_allsides_roundups(tmp_path: Path) -> None:
    """Issue 13's target: recall@2 >= 0.75 over every article of the 1,479 (0.84 measured)."""
    from benchmarks.news.related import measure, searchkit_related
    from benchmarks.news.roundups import load

    articles, stories = load(shared_path("data", "allsides-roundups").parent)
    with Index.create(tmp_path / "roundups") as index:
        index.add_many(articles)
        row = measure("related", searchkit_related(index), stories)
    assert row.recall_2 >= 0.75, row
