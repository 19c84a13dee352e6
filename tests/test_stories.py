"""Stories (issue 13 item 2): articles about one news story grouped as they are added,
across outlets and days, kept apart months later, undated ones by content; consistent after
deletes, replacements and reopening; Index.story/stories, collapse="story", the story
facet, `searchkit stories`; B-cubed F1 on the AllSides roundups."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import orjson
import pytest

from searchkit import Article, ArticleNotFoundError, Index, QueryError, Story
from searchkit.cli import main

from conftest import shared_path


def article(id: str, headline: str, body: str, source: str | None, day: str | None) -> Article:
    return Article(id=id, headline=headline, body=body, source=source,
                   date=dt.date.fromisoformat(day) if day else None)


DAM_1 = article("dam-1", "Olm dam breach floods valley villages",
                "The Olm dam gave way overnight and water flooded three valley villages. Rescue crews "
                "evacuated 7,400 residents as the reservoir emptied.", "Harbor Daily", "2024-03-04")
DAM_2 = article("dam-2", "Thousands evacuated after Olm valley dam gives way",
                "Residents of the Olm valley fled rising water after the dam breach. Engineers had warned "
                "of cracks in the reservoir wall for years.", "The Lantern Post", "2024-03-05")
DAM_3 = article("dam-3", "Olm dam inquiry: cracks in reservoir wall were reported",
                "An inquiry into the Olm dam breach heard that engineers reported cracks in the reservoir "
                "wall before the valley flooded.", "River Courier", "2024-03-07")
BUDGET_1 = article("budget-1", "Parliament passes austerity budget after all-night session",
                   "Lawmakers approved the austerity budget by four votes. The finance minister promised "
                   "pension cuts would be reversed within two years.", "Harbor Daily", "2024-03-05")
BUDGET_2 = article("budget-2", "Austerity budget approved by four votes, pension cuts stay",
                   "The finance minister's austerity budget passed parliament narrowly, keeping the pension "
                   "cuts that unions opposed.", "The Lantern Post", "2024-03-06")
# The same subject six months later: another story.
DAM_LATER = article("dam-later", "Olm dam breach anniversary: valley villages still flooded",
                    "Six months after the Olm dam breach, water still covers parts of three valley villages "
                    "and the reservoir wall has not been rebuilt.", "Harbor Daily", "2024-09-10")
# Undated: grouped by what they say.
LEOPARD_1 = article("leopard-1", "Snow leopard escapes from Kestrel city zoo",
                    "A snow leopard escaped from the Kestrel city zoo enclosure on Sunday; keepers searched the "
                    "park with tranquilliser darts.", "Metro Wire", None)
LEOPARD_2 = article("leopard-2", "Kestrel zoo snow leopard found asleep in park",
                    "Keepers found the escaped snow leopard asleep in a Kestrel park tree and carried it back "
                    "to the zoo enclosure after a tranquilliser dart.", None, None)
ALONE = article("alone", "Chess prodigy wins national title at twelve",
                "A twelve-year-old won the national chess championship in the final round.", "Metro Wire",
                "2024-03-05")

NEWS = [DAM_1, BUDGET_1, DAM_2, LEOPARD_1, BUDGET_2, DAM_3, ALONE, LEOPARD_2, DAM_LATER]
GROUPS = [["dam-1", "dam-2", "dam-3"], ["budget-1", "budget-2"], ["leopard-1", "leopard-2"], ["alone"], ["dam-later"]]


def groups(index: Index, ids: list[str]) -> list[list[str]]:
    """The stories of ``ids`` as lists of member ids, in the order of their first member."""
    found: dict[str, list[str]] = {}
    for article_id in ids:
        story = index.story(article_id)
        assert article_id in story.article_ids
        found.setdefault(story.id, list(story.article_ids))
    return list(found.values())


@pytest.fixture
def index(tmp_path: Path) -> Index:
    index = Index.create(tmp_path / "news")
    index.add_many(NEWS)
    return index


ALL_IDS = ["dam-1", "dam-2", "dam-3", "budget-1", "budget-2", "leopard-1", "leopard-2", "alone", "dam-later"]


def test_articles_of_one_story_across_outlets_and_days_share_it(index: Index) -> None:
    assert groups(index, ALL_IDS) == GROUPS
    dam = index.story("dam-2")
    assert dam == Story(id=dam.id, article_ids=["dam-1", "dam-2", "dam-3"],
                        sources=["Harbor Daily", "The Lantern Post", "River Courier"],
                        first_date=dt.date(2024, 3, 4), last_date=dt.date(2024, 3, 7),
                        headline=dam.headline, size=3)
    assert dam.headline in (DAM_1.headline, DAM_2.headline, DAM_3.headline)
    assert index.story("dam-1") == index.story("dam-3") == dam


def test_the_same_subject_months_apart_is_another_story(index: Index) -> None:
    later = index.story("dam-later")
    assert (later.article_ids, later.first_date, later.last_date) == (["dam-later"], dt.date(2024, 9, 10),
                                                                       dt.date(2024, 9, 10))
    assert later.id != index.story("dam-1").id


def test_undated_articles_are_grouped_by_content(index: Index) -> None:
    leopard = index.story("leopard-2")
    assert (leopard.article_ids, leopard.sources, leopard.first_date, leopard.last_date, leopard.size) == (
        ["leopard-1", "leopard-2"], ["Metro Wire", None], None, None, 2)


def test_an_unknown_id_raises_article_not_found(index: Index) -> None:
    with pytest.raises(ArticleNotFoundError) as caught:
        index.story("nope")
    assert isinstance(caught.value, KeyError) and "nope" in str(caught.value)


def test_adds_continue_incrementally_after_reopening(tmp_path: Path) -> None:
    first = Index.create(tmp_path / "news")
    first.add_many(NEWS[:4])
    before = {article_id: first.story(article_id).id for article_id in ("dam-1", "dam-2", "budget-1", "leopard-1")}
    first.close()
    again = Index.open(tmp_path / "news")
    again.add_many(NEWS[4:7])
    again.add(LEOPARD_2)
    again.add(DAM_LATER)
    assert groups(again, ALL_IDS) == GROUPS
    assert {article_id: again.story(article_id).id for article_id in before} == before  # ids kept
    reopened = Index.open(tmp_path / "news")
    assert groups(reopened, ALL_IDS) == GROUPS


def test_one_commit_per_article_gives_the_same_stories(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "news")
    for item in NEWS:
        index.add(item)
    assert groups(index, ALL_IDS) == GROUPS
    assert sorted(p.name for p in index.path.glob("*.skstory")) == [f"MAIN_{len(NEWS)}.skstory"]


def test_deleting_an_article_takes_it_out_of_its_story(index: Index) -> None:
    index.delete(["dam-1"])
    dam = index.story("dam-2")
    assert (dam.article_ids, dam.sources, dam.first_date, dam.last_date, dam.size) == (
        ["dam-2", "dam-3"], ["The Lantern Post", "River Courier"], dt.date(2024, 3, 5), dt.date(2024, 3, 7), 2)
    assert dam.headline in (DAM_2.headline, DAM_3.headline)
    with pytest.raises(ArticleNotFoundError):
        index.story("dam-1")
    index.delete(["dam-2", "dam-3"])
    assert [s.article_ids for s in index.stories(limit=10)] == [
        ["budget-1", "budget-2"], ["leopard-1", "leopard-2"], ["dam-later"], ["alone"]]


def test_a_replaced_article_moves_to_the_story_of_its_new_text(index: Index) -> None:
    moved = DAM_3.model_copy(update={"headline": BUDGET_2.headline + " again", "body": BUDGET_1.body})
    assert index.add(moved).replaced == 1
    assert index.story("dam-3").article_ids == ["budget-1", "budget-2", "dam-3"]
    assert index.story("dam-1").article_ids == ["dam-1", "dam-2"]
    assert index.story("dam-1").last_date == dt.date(2024, 3, 5)
    assert Index.open(index.path).story("dam-3").article_ids == ["budget-1", "budget-2", "dam-3"]


def test_stories_by_size_then_recency_and_filters(index: Index) -> None:
    assert [s.article_ids for s in index.stories()] == [
        ["dam-1", "dam-2", "dam-3"], ["budget-1", "budget-2"], ["leopard-1", "leopard-2"], ["dam-later"], ["alone"]]
    assert [s.article_ids[0] for s in index.stories(limit=2)] == ["dam-1", "budget-1"]
    assert [s.article_ids[0] for s in index.stories("olm dam")] == ["dam-1", "dam-later"]
    assert [s.article_ids[0] for s in index.stories(since="2024-03-06")] == ["dam-1", "budget-1", "dam-later"]
    assert [s.article_ids[0] for s in index.stories(until="2024-03-04")] == ["dam-1"]
    assert [s.article_ids[0] for s in index.stories(sources=["river courier", "Metro Wire"])] == [
        "dam-1", "leopard-1", "alone"]
    assert index.stories("zebra") == []
    with pytest.raises(QueryError):
        index.stories(limit=0)


def test_each_hit_carries_its_story_id(index: Index) -> None:
    results = index.search("olm dam", limit=10)
    assert [(hit.id, hit.story_id) for hit in results.hits] == [
        (hit.id, index.story(hit.id).id) for hit in results.hits]
    assert all(hit.story_size is None for hit in results.hits)


def test_collapse_story_gives_one_hit_per_story_with_its_size_and_outlets(index: Index) -> None:
    plain = index.search("olm OR budget OR leopard", sort="newest")
    assert [hit.id for hit in plain.hits] == ["dam-later", "dam-3", "budget-2", "budget-1", "dam-2", "dam-1",
                                              "leopard-1", "leopard-2"]
    assert (plain.total, plain.facets.stories) == (8, 4)
    results = index.search("olm OR budget OR leopard", sort="newest", collapse="story")
    assert [(h.id, h.story_size, h.story_sources) for h in results.hits] == [
        ("dam-later", 1, ["Harbor Daily"]),
        ("dam-3", 3, ["Harbor Daily", "The Lantern Post", "River Courier"]),
        ("budget-2", 2, ["Harbor Daily", "The Lantern Post"]),
        ("leopard-1", 2, ["Metro Wire", None]),
    ]
    assert (results.total, results.total_articles, results.facets.stories) == (4, 8, 4)
    assert [h.story_id for h in results.hits] == [index.story(h.id).id for h in results.hits]


def test_story_facet_counts_the_stories_of_the_matches(index: Index) -> None:
    assert index.search("").facets.stories == 5
    assert index.search("valley").facets.stories == 2  # dam-1..3 and dam-later
    assert index.search("valley", since="2024-03-05", until="2024-03-31").facets.stories == 1
    assert index.search("chess").facets.stories == 1
    assert index.search("zebra").facets.stories == 0


def test_story_facet_looks_up_only_what_searches_match_and_agrees_with_the_full_columns(index: Index) -> None:
    # A search looks up the stories of its own matches and keeps them; a later search with
    # other matches looks up the rest; once collapse="story" has made every segment's
    # column, the facet reads from it. Each way counts the same.
    counts = [("chess", 1), ("valley", 2), ("olm OR budget OR leopard", 4), ("", 5), ("zebra", 0)]
    assert [(query, index.search(query).facets.stories) for query, _ in counts] == counts
    index.search("olm", collapse="story")
    assert [(query, index.search(query).facets.stories) for query, _ in counts] == counts
    index.add_many([article("dam-4", "Olm dam breach: the valley villages count the damage",
                            "The Olm dam breach flooded three valley villages; the reservoir wall gave way.",
                            "Metro Wire", "2024-03-08")])
    assert (index.search("valley").facets.stories, index.story("dam-4").id) == (2, index.story("dam-1").id)


def test_a_killed_writers_story_file_is_ignored_and_replaced(index: Index) -> None:
    # A writer killed after writing the next generation's stories, before its table of
    # contents: the file is there, the generation is not.
    committed = sorted(p.name for p in index.path.glob("*.skstory"))
    (index.path / "MAIN_2.skstory").write_bytes(b"half a file")
    reopened = Index.open(index.path)
    assert groups(reopened, ALL_IDS) == GROUPS
    reopened.add(article("budget-3", "Budget austerity pension cuts protest", "Unions protested the austerity "
                         "budget pension cuts outside parliament.", "River Courier", "2024-03-07"))
    assert reopened.story("budget-3").article_ids == ["budget-1", "budget-2", "budget-3"]
    assert committed == ["MAIN_1.skstory"]
    assert sorted(p.name for p in index.path.glob("*.skstory")) == ["MAIN_2.skstory"]
    assert reopened.check().ok


def test_an_index_without_story_files_clusters_its_articles(index: Index) -> None:
    for path in index.path.glob("*.skstory"):
        path.unlink()  # as an index written before stories existed
    reopened = Index.open(index.path)
    assert groups(reopened, ALL_IDS) == GROUPS
    reopened.delete(["alone"])  # the next write clusters them and writes the file
    assert sorted(p.name for p in index.path.glob("*.skstory")) == ["MAIN_2.skstory"]
    assert groups(Index.open(index.path), ALL_IDS[:-2] + ["dam-later"]) == [g for g in GROUPS if g != ["alone"]]


def test_cli_stories_json_is_the_library(capsys: pytest.CaptureFixture[str], index: Index) -> None:
    capsys.readouterr()
    code = main(["stories", "olm", "--index", str(index.path), "--json", "--limit", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert orjson.loads(out) == {"query": "olm", "stories": [s.model_dump(mode="json") for s in index.stories("olm")]}
    code = main(["stories", "--index", str(index.path), "--since", "2024-03-06", "--source", "Harbor Daily",
                 "--color", "never"])
    lines = capsys.readouterr().out.splitlines()
    dam, budget = index.story("dam-1"), index.story("budget-1")
    assert code == 0
    assert lines == [
        "3 stories",
        "",
        f"  1. {dam.headline}",
        f"     3 articles · 2024-03-04 to 2024-03-07 · {dam.id}",
        "     Harbor Daily, The Lantern Post, River Courier",
        "",
        f"  2. {budget.headline}",
        f"     2 articles · 2024-03-05 to 2024-03-06 · {budget.id}",
        "     Harbor Daily, The Lantern Post",
        "",
        f"  3. {DAM_LATER.headline}",
        f"     1 article · 2024-09-10 · {index.story('dam-later').id}",
        "     Harbor Daily",
    ]


def test_allsides_roundups_b_cubed_f1_is_at_least_0_80(tmp_path: Path) -> None:
    shared_path("data", "allsides-roundups", "roundups.jsonl")
    from benchmarks.news.roundups import load
    from benchmarks.news.stories import bcubed

    articles, stories = load(shared_path("data"))
    truth = {article_id: story.id for story in stories for article_id in story.article_ids}
    index = Index.create(tmp_path / "roundups")
    index.add_many(articles)
    clusters = {a.id: index.story(a.id).id for a in articles}
    precision, recall, f1 = bcubed(clusters, truth)
    assert len(clusters) == 1479
    assert f1 >= 0.80, (precision, recall, f1)


def test_http_api_serves_stories_as_the_library(index: Index) -> None:
    pytest.importorskip("fastapi")
    from test_server import Api, error

    api = Api(index)
    response = api.get("/api/stories", params={"q": "olm", "limit": "5"})
    assert response.status_code == 200
    assert response.json() == {"query": "olm", "stories": [s.model_dump(mode="json") for s in index.stories("olm")]}
    assert [s["article_ids"][0] for s in api.get("/api/stories", params={"sources": "Metro Wire"}).json()["stories"]] \
        == ["leopard-1", "alone"]
    story = api.get("/api/articles/dam-2/story")
    assert (story.status_code, story.json()) == (200, index.story("dam-2").model_dump(mode="json"))
    missing = api.get("/api/articles/no-such-id/story")
    assert error(missing) == {"type": "ArticleNotFound", "message": "no article with id 'no-such-id'", "status": 404}
