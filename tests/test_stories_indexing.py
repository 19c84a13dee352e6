"""Stories at indexing time (issue 13 item 2, issue 16): the clusters do not depend on where
the articles were analysed. An article's story term counts are made by the worker process
that analyses it (``workers=2``) or by the writer (``workers=1``), and the clustering is
applied in runs of articles; the story of every article must be exactly the one the
per-article clusterer gives, with deletes and replacements in between."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import shared_path

from searchkit import Article, Index
from searchkit.engine.segment import ChunkAnalyser, day_number
from searchkit.engine.stories import (HEADLINE_WEIGHT, LEAD_CHARS, StoryClusterer, StoryState, article_counts,
                                      counts_of_terms, story_counts)

# sha256 of "<article id> <story id>\n" over the 1,479 AllSides roundup articles in file order,
# indexed by one add_many into a new index, from the per-article clusterer as it was before
# stories were counted in the workers (StoryClusterer.add per article, commit 095e34a).
ROUNDUPS_STORIES = "bf507700f3d20babbe454e253e46de7e2165e7a0a8e7ad8a18a9a37cb5a0b1bb"


def roundups() -> list[Article]:
    shared_path("data", "allsides-roundups", "roundups.jsonl")
    from benchmarks.news.roundups import load

    return load(shared_path("data"))[0]


def story_ids(index: Index, ids: list[str]) -> list[str]:
    return [index.story(article_id).id for article_id in ids]


def digest(ids: list[str], stories: list[str]) -> str:
    return hashlib.sha256("".join(f"{a} {s}\n" for a, s in zip(ids, stories)).encode()).hexdigest()


def test_roundups_get_the_same_stories_with_workers_as_in_one_process(tmp_path: Path) -> None:
    articles = roundups()
    ids = [a.id for a in articles]
    found = {}
    for workers in (1, 2):
        with Index.create(tmp_path / f"w{workers}", workers=workers) as index:
            index.add_many(articles)
            found[workers] = story_ids(index, ids)
    assert found[2] == found[1]
    assert len(set(found[1])) == 604
    assert digest(ids, found[1]) == ROUNDUPS_STORIES


def test_deletes_and_replacements_between_adds_cluster_as_one_article_at_a_time(tmp_path: Path) -> None:
    articles = roundups()
    # Replacements: 30 earlier ids given the text of other articles, some while their first
    # copy is still with the workers (a chunk is 256 articles).
    changed = [a.model_copy(update={"headline": b.headline, "body": b.body})
               for a, b in zip(articles[650:680], articles[1200:1230])]
    gone = [articles[n].id for n in (3, 400, 690, 699)]
    first, rest = articles[:700], articles[700:]

    # The reference: the clusterer fed one article at a time, in the writer's order.
    clusterer = StoryClusterer(StoryState(), committed_df=lambda term: 0, committed_docs=0)
    for article in [*first, None, *changed, *rest]:
        if article is None:
            for article_id in gone:
                clusterer.remove(article_id)
            continue
        clusterer.remove(article.id)
        clusterer.add(article.id, article.headline, article.body, day=day_number(article.date), source=article.source)
    live = [article_id for article_id in clusterer.state.members]
    expected = [f"s{clusterer.state.members[article_id].story}" for article_id in live]
    assert len(live) == 1_479 - 4

    for workers in (1, 2):
        with Index.create(tmp_path / f"w{workers}", workers=workers) as index:
            with index.batch() as batch:
                batch.add_many(first)
                batch.delete(gone)
                batch.add_many(changed)
                batch.add_many(rest)
            assert story_ids(index, live) == expected, f"workers={workers}"


def test_a_workers_story_counts_are_the_writers(tmp_path: Path) -> None:
    # A worker counts from the codes its analysis of the chunk found, in its table of token
    # codes (kept across chunks, so the second chunk's texts are partly known already); the
    # writer encodes each lead and headline through the chunk cache.
    articles = roundups()[:600]
    analyser = ChunkAnalyser()
    for chunk in (articles[:300], articles[300:]):
        _, leads = analyser.analyse_leads(chunk, LEAD_CHARS)  # as parallel.analyse counts them
        pairs = [(a.headline, a.body) for a in chunk]
        worker, writer = counts_of_terms(leads, len(chunk)), story_counts(pairs)
        assert worker.terms == writer.terms
        for got in (worker, writer):
            assert got.articles == len(chunk)
        # (the codes, numbers in each one's own table of token codes, may differ)
        assert [part.tolist() for part in worker[1:4]] == [part.tolist() for part in writer[1:4]]
        first = [(worker.terms[t], n) for t, n in zip(worker.ids[:worker.offsets[1]].tolist(),
                                                      worker.counts[:worker.offsets[1]].tolist())]
        assert dict(first) == article_counts(chunk[0].headline, chunk[0].body[:LEAD_CHARS], HEADLINE_WEIGHT)
        assert [t for t, _ in first] == sorted(dict(first), reverse=True)


def test_a_term_counted_in_more_articles_than_the_index_has_left(tmp_path: Path) -> None:
    # The committed document frequencies still count deleted articles (their postings stay
    # until the segment is rewritten), so a term's can pass the number of live articles.
    dam = [Article(id=f"dam-{n}", headline="Olm dam breach floods valley", body=f"The Olm dam gave way, report {n}.")
           for n in range(6)]
    with Index.create(tmp_path / "news", workers=1, max_deleted_ratio=1.0) as index:
        index.add_many(dam)
        assert index.delete([f"dam-{n}" for n in range(5)]) == 5
        index.add_many([Article(id="again", headline="Olm dam breach floods valley villages",
                                body="The Olm dam gave way again.")])
        # As the per-article clusterer has it: the shared terms are common here, so apart.
        assert (index.story("again").article_ids, index.story("dam-5").article_ids) == (["again"], ["dam-5"])


def test_the_story_file_is_the_same_whichever_chunks_the_articles_came_in(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # workers=None sends the first AUTO_FROM articles as one run, then chunks of 256: the
    # clusterer numbers its terms in another order than one process does, and the file's
    # term table (sorted) must not show it.
    from searchkit.engine import writer

    articles = roundups()
    monkeypatch.setattr(writer, "AUTO_FROM", 300)
    files = {}
    for workers in (None, 1):
        path = tmp_path / f"w{workers}"
        with Index.create(path, workers=workers) as index:
            index.add_many(articles)
        [story] = path.glob("*.skstory")
        files[workers] = story.read_bytes()
    assert files[None] == files[1]
