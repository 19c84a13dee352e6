"""Near-duplicates: fingerprints made at index time (searchkit/engine/fingerprint.py),
``Index.duplicates`` and ``search(collapse="duplicates")``, on the wire copies of
tests/wire_fixtures.py (two groups: four dam copies, two budget copies) and, for scale,
Reuters-21578's articles with identical bodies."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from conftest import shared_path
from opensearch_backends import BACKENDS, Factory, backend_factory
from test_cli import clean_env, cli
from test_server import Api
from wire_fixtures import WIRE

from searchkit import ArticleNotFoundError, Index, QueryError, SearchResults, read_articles
from searchkit.engine.fingerprint import term_hashes
from searchkit.engine.segfile import SegmentFileReader, SegmentFileWriter
from searchkit.protocol import SearchIndex

DAM = ["dam-dateline", "dam-gazette", "dam-trimmed", "dam-wire"]
GROUPS = {
    "dam-wire": ["dam-dateline", "dam-gazette", "dam-trimmed"],
    "dam-gazette": ["dam-dateline", "dam-wire", "dam-trimmed"],
    "dam-trimmed": ["dam-dateline", "dam-gazette", "dam-wire"],
    "dam-dateline": ["dam-gazette", "dam-wire", "dam-trimmed"],
    "dam-analysis": [],
    "budget-wire": ["budget-copy"],
    "budget-copy": ["budget-wire"],
    "budget-column": [],
    "leopard-cubs": [],
}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    with Index.create(tmp_path / "wire") as index:
        index.add_many(WIRE)
        yield index


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


def also(results: SearchResults) -> list[list[tuple[str, str | None, str | None]]]:
    return [[(d.id, d.source, d.date.isoformat() if d.date else None) for d in hit.duplicates or []]
            for hit in results.hits]


def segment_prints(index: Index) -> list[bytes]:
    """Each live article's fingerprint (slots and shingle count) as bytes, in id order."""
    snapshot = index._current()
    prints = {}
    for loaded in snapshot.segments:
        slots, counts = loaded.reader.fingerprints()
        for doc, article_id in enumerate(loaded.reader.ids.as_list()):
            if loaded.is_live(doc):
                prints[article_id] = slots[doc].tobytes() + int(counts[doc]).to_bytes(4, "little")
    return [prints[key] for key in sorted(prints)]


# Index.duplicates

def test_each_article_knows_its_copies_and_other_newsrooms_are_not_copies(index: Index) -> None:
    assert {article.id: index.duplicates(article.id) for article in WIRE} == GROUPS


def test_an_unknown_id_is_a_clear_key_error(index: Index) -> None:
    with pytest.raises(ArticleNotFoundError) as raised:
        index.duplicates("no-such-id")
    assert isinstance(raised.value, KeyError)
    assert str(raised.value) == (f"no article with id 'no-such-id' in the index {index.path}; list the ids with "
                                 "`searchkit export` or check the id's spelling")


def test_fingerprints_are_the_same_in_another_process_with_another_hash_seed(index: Index, tmp_path: Path) -> None:
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[2]); from wire_fixtures import WIRE; "
        "from searchkit import Index; from test_duplicates import segment_prints; "
        "index = Index.create(sys.argv[1]); index.add_many(list(reversed(WIRE))); "
        "print(hashlib.sha256(b''.join(segment_prints(index))).hexdigest())"
    )
    digests = set()
    for seed, folder in (("1", "one"), ("2", "two")):
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / folder), str(Path(__file__).parent)],
                              capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        digests.add(done.stdout.strip())
    assert digests == {hashlib.sha256(b"".join(segment_prints(index))).hexdigest()}
    # The term hash is plain uint64 arithmetic on UTF-8 bytes: these values hold on every machine.
    assert term_hashes(["flood", "dam"]).tolist() == TERM_HASHES


TERM_HASHES = [715922586431273224, 12479106460217944399]  # term_hashes(["flood", "dam"]), once and for all


def test_fingerprints_survive_merges_and_reopening(tmp_path: Path) -> None:
    with Index.create(tmp_path / "pieces", merge_factor=20) as index:
        for article in WIRE:
            index.add(article)  # one segment per article
        assert len(index._current().segments) == len(WIRE)
        before = segment_prints(index)
        assert {a.id: index.duplicates(a.id) for a in WIRE} == GROUPS
        index.optimize()
        assert len(index._current().segments) == 1
        assert segment_prints(index) == before
    with Index.open(tmp_path / "pieces") as reopened:
        assert segment_prints(reopened) == before
        assert {a.id: reopened.duplicates(a.id) for a in WIRE} == GROUPS


def test_deleting_an_article_takes_it_out_of_its_group(index: Index) -> None:
    assert index.delete(["dam-wire", "budget-copy"]) == 2
    assert index.duplicates("dam-gazette") == ["dam-dateline", "dam-trimmed"]
    assert index.duplicates("budget-wire") == []
    results = index.search("", collapse="duplicates", limit=10)
    assert ids(results) == ["leopard-cubs", "budget-column", "budget-wire", "dam-analysis", "dam-trimmed"]
    assert also(results)[4] == [("dam-dateline", "The Lantern Post", "2024-05-02"),
                                ("dam-gazette", "Valley Gazette", "2024-05-02")]


def test_an_index_written_before_fingerprints_computes_them_and_a_merge_stores_them(index: Index) -> None:
    expected = segment_prints(index)
    [loaded] = index._current().segments
    path = loaded.reader.file.path
    old = SegmentFileReader(path)
    rewritten = path.with_name("old.skseg")
    writer = SegmentFileWriter(rewritten)
    for name in old.names():
        if name not in ("fingerprint", "shingles"):
            writer.add(name, old.array(name))
    writer.finish(old.meta)
    index.close()
    del old, loaded
    os.replace(rewritten, path)  # as an earlier searchkit wrote it: no fingerprint columns
    with Index.open(index.path) as reopened:
        [segment] = reopened._current().segments
        assert "fingerprint" not in segment.reader.file
        assert segment_prints(reopened) == expected  # computed from the stored articles
        assert {a.id: reopened.duplicates(a.id) for a in WIRE} == GROUPS
        reopened.add(WIRE[0].model_copy(update={"id": "dam-again"}))
        reopened.optimize()  # merges the old segment with the new one
        [merged] = reopened._current().segments
        assert "fingerprint" in merged.reader.file
        assert reopened.duplicates("dam-again") == ["dam-dateline", "dam-gazette", "dam-wire", "dam-trimmed"]
        reopened.delete(["dam-again"])
        assert segment_prints(reopened) == expected


# search(collapse="duplicates")

def test_collapse_gives_one_hit_per_group_with_the_others_listed(index: Index) -> None:
    plain = index.search("dam", mode="any", limit=10)
    assert ids(plain) == ["dam-trimmed", "dam-wire", "dam-dateline", "dam-analysis", "dam-gazette"]
    results = index.search("dam", mode="any", collapse="duplicates", limit=10)
    assert ids(results) == ["dam-trimmed", "dam-analysis"]
    assert [hit.score for hit in results.hits] == [plain.hits[0].score, plain.hits[3].score]
    assert (results.total, results.total_articles) == (2, 5)
    assert also(results) == [
        [("dam-dateline", "The Lantern Post", "2024-05-02"), ("dam-gazette", "Valley Gazette", "2024-05-02"),
         ("dam-wire", "Wire Service", "2024-05-02")],
        [],
    ]
    # Facets count each group once, under its first article; or every article when asked.
    assert [(v.value, v.count) for v in results.facets.source] == [("Harbor Daily", 1), ("Valley Gazette", 1)]
    assert [(v.value, v.count) for v in results.facets.date] == [("2024-05-03", 1), ("2024-05-04", 1)]
    articles = index.search("dam", mode="any", collapse="duplicates", facet_counts="articles", limit=10)
    assert ids(articles) == ids(results)
    assert articles.facets == plain.facets
    assert [(v.value, v.count) for v in articles.facets.source] == [
        ("Valley Gazette", 2), ("Harbor Daily", 1), ("The Lantern Post", 1), ("Wire Service", 1)]


def test_the_best_of_a_group_follows_the_sort_and_the_filters(index: Index) -> None:
    newest = index.search("", collapse="duplicates", sort="oldest", limit=10)
    assert ids(newest) == ["dam-dateline", "dam-analysis", "budget-wire", "budget-column", "leopard-cubs"]
    assert also(newest)[0][-1] == ("dam-trimmed", "Harbor Daily", "2024-05-03")
    gazette = index.search("dam", mode="any", sources=["Valley Gazette"], collapse="duplicates", limit=10)
    assert ids(gazette) == ["dam-analysis", "dam-gazette"]
    # The source facet ignores the source filter: every group, under its first article.
    assert [(v.value, v.count) for v in gazette.facets.source] == [("Harbor Daily", 1), ("Valley Gazette", 1)]
    early = index.search("dam", mode="any", until="2024-05-02", collapse="duplicates", limit=10)
    assert ids(early) == ["dam-wire"] and early.total_articles == 3


def test_collapsed_pages_and_cursors_walk_every_group_once(index: Index) -> None:
    every = ids(index.search("", collapse="duplicates", limit=10))
    assert every == ["leopard-cubs", "budget-column", "budget-wire", "dam-analysis", "dam-trimmed"]
    pages = [ids(index.search("", collapse="duplicates", limit=2, page=n)) for n in (1, 2, 3)]
    assert pages == [every[:2], every[2:4], every[4:]]
    walked, cursor = [], None
    while True:
        page = index.search("", collapse="duplicates", limit=2, cursor=cursor)
        walked.append(ids(page))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == pages
    first = index.search("", collapse="duplicates", limit=2)
    with pytest.raises(QueryError, match="the cursor belongs to another query"):
        index.search("", limit=2, cursor=first.next_cursor)


def test_without_collapse_results_are_exactly_as_before(index: Index) -> None:
    plain = orjson.loads(index.search("dam budget", mode="any").to_json())
    off = orjson.loads(index.search("dam budget", mode="any", collapse=None, facet_counts="articles").to_json())
    for data in (plain, off):
        del data["took_ms"]
        assert "total_articles" not in data and all("duplicates" not in hit for hit in data["hits"])
    assert plain == off


def test_collapse_and_facet_counts_are_checked(index: Index) -> None:
    with pytest.raises(QueryError, match="^unknown collapse 'duplicate'; use one of 'duplicates', 'story'$"):
        index.search("dam", collapse="duplicate")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="^unknown facet_counts 'stories'; use one of 'articles', 'groups'$"):
        index.search("dam", facet_counts="stories")  # type: ignore[arg-type]


def test_explain_names_the_collapse(index: Index) -> None:
    [top] = index.search("dam", mode="any", collapse="duplicates", explain=True, limit=1).hits
    assert top.explanation is not None and abs(top.explanation.value - top.score) <= 1e-6
    assert top.explanation.children[-1].description.startswith("collapse='duplicates': the first of its group")


# CLI, server, OpenSearch

def test_cli_collapse_json_and_for_people(index: Index) -> None:
    folder = str(index.path)
    done = cli("search", "dam", "--mode", "any", "--collapse", "duplicates", "--index", folder, "--json",
               env=clean_env())
    assert done.returncode == 0, done.stderr
    data = orjson.loads(done.stdout)
    assert [hit["id"] for hit in data["hits"]] == ["dam-trimmed", "dam-analysis"]
    assert (data["total"], data["total_articles"]) == (2, 5)
    assert [d["id"] for d in data["hits"][0]["duplicates"]] == ["dam-dateline", "dam-gazette", "dam-wire"]
    shown = cli("search", "dam", "--mode", "any", "--collapse", "duplicates", "--index", folder, env=clean_env())
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("1-2 of 2 results (5 articles) for 'dam'")
    assert ("     also ran in: The Lantern Post 2024-05-02 dam-dateline; Valley Gazette 2024-05-02 dam-gazette; "
            "Wire Service 2024-05-02 dam-wire\n") in shown.stdout


def test_server_takes_collapse_as_a_query_parameter(index: Index) -> None:
    api = Api(index)
    data = api.get("/api/search", params={"q": "dam", "mode": "any", "collapse": "duplicates"}).json()
    expected = orjson.loads(index.search("dam", mode="any", collapse="duplicates", time_limit=5.0).to_json())
    del data["took_ms"], expected["took_ms"]
    assert data == expected and data["total"] == 2
    bad = api.get("/api/search", params={"q": "dam", "collapse": "copies"})
    assert bad.status_code in (400, 422)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    for make in backend_factory(request, tmp_path_factory, request.param):
        factory: Factory = make
        yield factory(WIRE)


@pytest.mark.slow
def test_collapse_on_every_backend_works_or_is_refused_by_name(backend: SearchIndex) -> None:
    if isinstance(backend, Index):
        assert ids(backend.search("dam", mode="any", collapse="duplicates")) == ["dam-trimmed", "dam-analysis"]
        return
    with pytest.raises(QueryError) as raised:
        backend.search("dam", collapse="duplicates")
    assert str(raised.value) == "collapse='duplicates' is not available on OpenSearch indexes yet; search without it"


# Real data

@pytest.mark.slow
def test_reuters_articles_with_identical_bodies_are_found(tmp_path: Path) -> None:
    folder = shared_path("data", "reuters21578")
    articles = [a for a in read_articles(sorted(folder.glob("reut2-*.sgm"))) if a.body.strip()]
    by_body: dict[str, list[str]] = defaultdict(list)
    for article in articles:
        by_body[" ".join(article.body.split())].append(article.id)
    groups = [sorted(set(group)) for group in by_body.values() if len(set(group)) > 1]
    assert len(groups) >= 100
    with Index.create(tmp_path / "reuters") as index:
        index.add_many(articles)
        pairs = found = 0
        for group in groups:
            for article_id in group:
                copies = set(index.duplicates(article_id))
                pairs += len(group) - 1
                found += len(copies & set(group))
    assert found / pairs >= 0.99
