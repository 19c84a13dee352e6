"""RM3 pseudo-relevance feedback (``search(feedback=True)``) on a hand-made index."""

from __future__ import annotations

from pathlib import Path

from searchkit import Article, Index


def make(tmp_path: Path) -> Index:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add_many([
        Article(id="top", headline="Flood closes the ferry bridge", body="The flood closed the ferry bridge and the ferry quay."),
        Article(id="b-shares", headline="Report", body="Flood report: ferry bridge ferry quay."),
        Article(id="a-differs", headline="Report", body="Flood report: rain gauge rain forecast."),
        Article(id="other", headline="Budget", body="The council budget passed."),
    ])
    return index


def test_feedback_reorders_within_the_same_matches(tmp_path: Path) -> None:
    index = make(tmp_path)
    plain = index.search("flood", mode="any")
    expanded = index.search("flood", mode="any", feedback=True)
    # The two reports tie on "flood"; the id breaks the tie without feedback ...
    assert [hit.id for hit in plain.hits] == ["top", "a-differs", "b-shares"]
    # ... and the one sharing the top article's words (ferry, bridge, quay) wins with it.
    assert [hit.id for hit in expanded.hits] == ["top", "b-shares", "a-differs"]
    assert (expanded.total, expanded.facets) == (plain.total, plain.facets)


def test_feedback_on_a_filter_only_query_changes_nothing(tmp_path: Path) -> None:
    index = make(tmp_path)
    assert [h.id for h in index.search("*", feedback=True).hits] == [h.id for h in index.search("*").hits]
