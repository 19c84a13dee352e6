"""The BBC News folder (2,225 plain-text articles, no outlet lines, no dates) read whole.

What the expectations come from: the files themselves. Two files are the same article
when their bytes are equal once every run of whitespace is folded to one space (the
PROVENANCE notes 98 byte-identical pairs); every other pair is two articles and must get
two ids. None of the files has an outlet line, so no article may get a ``source``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import shared_path

from searchkit import Index, read_articles
from searchkit.models import Article


@pytest.fixture(scope="module")
def folder() -> Path:
    return shared_path("data", "bbc-news")


@pytest.fixture(scope="module")
def read(folder: Path) -> tuple[list[Path], list[Article]]:
    files = sorted(folder.glob("*/*.txt"))
    reader = read_articles(folder)
    articles = list(reader)
    assert reader.errors == []
    assert [s.path.name for s in reader.skipped] == ["PROVENANCE.md", "README.TXT"]
    return files, articles


def test_every_article_file_is_read_and_nothing_else(read: tuple[list[Path], list[Article]]) -> None:
    files, articles = read
    assert len(files) == len(articles) == 2225


def test_different_articles_never_share_an_id(read: tuple[list[Path], list[Article]]) -> None:
    files, articles = read
    same_text = [re.sub(rb"\s+", b" ", path.read_bytes()).strip() for path in files]
    ids_of_text: dict[bytes, set[str]] = {}
    for text, article in zip(same_text, articles, strict=True):
        ids_of_text.setdefault(text, set()).add(article.id)
    assert all(len(ids) == 1 for ids in ids_of_text.values()), "the same article read twice gets one id"
    assert len({article.id for article in articles}) == len(ids_of_text) == 2125


def test_no_article_gets_an_outlet(read: tuple[list[Path], list[Article]]) -> None:
    _, articles = read
    assert [(a.headline, a.source) for a in articles if a.source is not None] == []


def test_two_stories_with_one_headline_are_both_indexed(folder: Path, tmp_path: Path) -> None:
    pair = [folder / "business" / "260.txt", folder / "business" / "354.txt"]
    first, second = read_articles(pair)
    assert first.headline == second.headline and first.body != second.body
    index = Index.create(tmp_path / "index")
    report = index.add_many(read_articles(pair))
    assert (report.added, report.replaced, len(index)) == (2, 0, 2)
    assert [index.get(a.id) for a in (first, second)] == [first, second]
