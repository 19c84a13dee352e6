"""The per-index stories switch (``Index.create(stories=False)``, ``searchkit index
--no-stories``): kept in the index, no clustering in its writes, and the calls that need
stories refuse with a QueryError that says why."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from searchkit import Index, IndexOptionError, QueryError
from searchkit.cli import main
from searchkit.engine.storyfile import StoryTable, story_file_name
from searchkit.engine.store import IndexStore

from test_cli import run
from test_stories import NEWS


def test_an_index_without_stories_keeps_the_setting_and_refuses_story_calls(tmp_path: Path) -> None:
    path = tmp_path / "news"
    with Index.create(path, stories=False) as index:
        index.add_many(NEWS[:5])
        assert index.stories_enabled is False
    assert orjson.loads((path / "searchkit.json").read_bytes())["stories"] is False
    with Index.open(path) as index:  # a later writer reads the setting from the index
        assert index.stories_enabled is False
        index.add_many(NEWS[5:])
        generation = IndexStore.open(path).latest_generation()
        assert StoryTable.load(path / story_file_name(generation)).numbers.size == 0
        results = index.search("dam", limit=3)
        assert [results.total, results.facets.stories, [hit.story_id for hit in results.hits]] == [4, 4, [None] * 3]
        for call, what in ((lambda: index.story("dam-1"), "Index.story"),
                           (lambda: index.stories(), "Index.stories"),
                           (lambda: index.search("dam", collapse="story"), 'search(collapse="story")')):
            with pytest.raises(QueryError) as caught:
                call()
            assert str(caught.value) == (f"{what} needs stories, and the index {path} was created with stories=False "
                                         "(`searchkit index --no-stories`): rebuild it with stories on to group articles")


def test_an_index_with_stories_clusters_as_before(tmp_path: Path) -> None:
    with Index.create(tmp_path / "news") as index:
        index.add_many(NEWS)
        assert index.stories_enabled is True
        assert index.story("dam-1").article_ids == ["dam-1", "dam-2", "dam-3"]


def test_an_index_made_before_the_switch_has_stories(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path).close()
    meta = orjson.loads((path / "searchkit.json").read_bytes())
    del meta["stories"]
    (path / "searchkit.json").write_bytes(orjson.dumps(meta))
    with Index.open(path) as index:
        index.add_many(NEWS)
        assert index.stories_enabled is True
        assert index.story("dam-2").article_ids == ["dam-1", "dam-2", "dam-3"]


def test_open_or_create_refuses_the_other_setting_and_create_a_non_bool(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path, stories=False).close()
    Index.open_or_create(path, stories=False).close()
    with pytest.raises(IndexOptionError, match=r"was created with stories=False; the setting is the index's"):
        Index.open_or_create(path, stories=True)
    with pytest.raises(IndexOptionError, match=r"stories must be True or False, not 'no'"):
        Index.create(tmp_path / "other", stories="no")  # type: ignore[arg-type]
    assert not (tmp_path / "other").exists()


def test_cli_index_no_stories(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes(b"".join(orjson.dumps(a.model_dump(mode="json")) + b"\n" for a in NEWS))
    path = tmp_path / "news"
    code, out, err = run(capsys, "index", str(articles), "--index", str(path), "--no-stories", "--quiet", "--json")
    assert (code, orjson.loads(out)["added"], err) == (0, len(NEWS), "")
    with Index.open(path) as index:
        assert index.stories_enabled is False
    code, out, err = run(capsys, "stories", "--index", str(path), "--json")
    assert (code, out) == (1, "")
    assert err == (f"searchkit stories: Index.stories needs stories, and the index {path} was created with "
                   "stories=False (`searchkit index --no-stories`): rebuild it with stories on to group articles\n")
    # Adding to it again without the flag keeps it as it is; with stories on, another folder
    code, _, err = run(capsys, "index", str(articles), "--index", str(path), "--quiet")
    assert (code, err) == (0, "")
    code, _, _ = run(capsys, "index", str(articles), "--index", str(tmp_path / "with"), "--quiet")
    code, _, err = run(capsys, "index", str(articles), "--index", str(tmp_path / "with"), "--no-stories", "--quiet")
    assert code == 1 and "was created with stories=True; the setting is the index's" in err
    code, _, err = run(capsys, "index", str(articles), "--index", "http://127.0.0.1:9/news", "--no-stories", "--quiet")
    assert (code, err) == (1, "searchkit index: --no-stories applies to a folder index, not the cluster index "
                              "http://127.0.0.1:9/news\n")
