"""A worker's articles without pydantic (searchkit/engine/plainarticle.py): the same stored
JSON as the model's, and a worker process that never imports pydantic."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from conftest import shared_path

from searchkit import Article, read_articles
from searchkit.engine.plainarticle import PlainArticle

ARTICLES = [
    Article(id="a", headline="Only a headline"),
    Article(id="b", body="Only a body, caf\u00e9 \u201cquoted\u201d \U0001f30a"),
    Article(id="c", headline="H", body="B", background=["one", "two"], source="Harbor Daily",
            date=dt.date(2024, 2, 29), url="https://news.example/c", attribution="By A. Writer"),
    Article(id="d", headline="H", date=dt.date(1, 1, 1), source="S"),
    Article(id="e", headline="H", meta={"when": dt.date(2024, 1, 2), "n": 3, "nested": {"x": [1, "y"]}}),
    Article(id="f", headline="H", background=[], url=None, meta={}),
]


@pytest.mark.parametrize("article", ARTICLES, ids=[a.id for a in ARTICLES])
def test_to_json_is_the_models(article: Article) -> None:
    plain = PlainArticle(dict(article.__dict__))
    assert plain.to_json() == article.to_json()
    assert (plain.id, plain.headline, plain.body, plain.background, plain.source, plain.date) == (
        article.id, article.headline, article.body, article.background, article.source, article.date)


def test_the_bbc_corpus_and_the_roundups_store_the_same_bytes() -> None:
    from benchmarks.news.roundups import load

    articles = list(read_articles(shared_path("data", "bbc-news"))) + load(shared_path("data"))[0]
    assert len(articles) == 2225 + 1479
    assert [PlainArticle(a.__dict__).to_json() for a in articles] == [a.to_json() for a in articles]


def test_a_worker_imports_no_pydantic() -> None:
    code = ("import sys; from searchkit.engine.parallel import serve; "
            "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'searchkit.models'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
