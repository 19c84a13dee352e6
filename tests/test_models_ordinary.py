"""Article.from_dict's direct path for ordinary records (models._ordinary_article): the
same Article as pydantic's full validation, and unusual records left to that validation."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import pytest
from conftest import shared_path

from searchkit.errors import ArticleError
from searchkit.models import Article, _ordinary_article


def same(record: dict[str, Any]) -> None:
    fast, full = Article.from_dict(record), Article.model_validate(dict(record))
    assert fast == full
    assert list(fast.__dict__.items()) == list(full.__dict__.items())
    assert fast.model_fields_set == full.model_fields_set
    assert fast.to_json() == full.to_json()
    assert pickle.loads(pickle.dumps(fast)) == full


@pytest.mark.slow
def test_the_real_corpus_takes_the_direct_path_to_the_same_articles() -> None:
    from benchmarks.perf.corpus import real_corpus

    records = real_corpus(shared_path("data"))
    assert len(records) == 24_362
    for record in records:
        assert _ordinary_article(dict(record)) is not None
        same(record)


ORDINARY: list[dict[str, Any]] = [
    {"id": " a-1 ", "headline": "  Fares\trise \n again ", "body": "Line one\r\nline\x07 two\r  ", "source": " Harbor\nDaily "},
    {"id": "a-2", "body": "Only a body", "date": "2024-01-02", "url": " https://news.example/a ", "attribution": "  "},
    {"id": "a-3", "headline": "H", "background": ["  one ", "", "two\x01"], "date": dt.date(2024, 1, 2), "source": None},
    {"id": "a-4", "headline": "H", "date": "   ", "url": "   "},
    {"id": "a-5", "headline": "H", "date": "02/01/2024"},
]
UNUSUAL: list[dict[str, Any]] = [
    {"headline": "No id, derived"},
    {"id": 42, "headline": "A number as id"},
    {"id": "a-6", "headline": "H", "meta": {"tags": ["x"]}},
    {"id": "a-7", "headline": "H", "date": "2024-01-02T10:30:00Z"},
    {"id": "a-8", "headline": "H", "date": dt.datetime(2024, 1, 2, 10, 30)},
    {"id": "a-9", "headline": "H", "background": "one paragraph"},
    {"id": "a-10", "headline": "H", "background": ("a", "b")},
]
BAD: list[dict[str, Any]] = [
    {"id": "a\x01b", "headline": "H"},
    {"id": "x" * 513, "headline": "H"},
    {"id": "  ", "headline": "H"},
    {"id": "a-11", "headline": " ", "body": "\x00"},
    {"id": "a-12", "headline": "H", "url": "ftp://news.example/a"},
    {"id": "a-13", "headline": "H", "date": "yesterday-ish"},
    {"id": "a-14", "headline": "H", "date": 0},
    {"id": "a-15", "headline": 5},
    {"id": "a-16", "headline": "H", "background": ["a", 3]},
    {"id": "a-17", "headline": "H", "colour": "red"},
    {"id": True, "headline": "H"},
]


@pytest.mark.parametrize("record", ORDINARY)
def test_ordinary_records_are_made_directly_and_the_same(record: dict[str, Any]) -> None:
    assert _ordinary_article(dict(record)) is not None
    same(record)


@pytest.mark.parametrize("record", UNUSUAL)
def test_unusual_records_are_validated_the_full_way(record: dict[str, Any]) -> None:
    assert _ordinary_article(dict(record)) is None
    same(record)


@pytest.mark.parametrize("record", BAD)
def test_bad_records_give_the_full_validations_error(record: dict[str, Any]) -> None:
    assert _ordinary_article(dict(record)) is None
    with pytest.raises(ArticleError) as fast:
        Article.from_dict(record, location="feed.jsonl:3")
    with pytest.raises(ArticleError) as full:
        Article(**record)  # pydantic's validation, always
    assert (fast.value.field, fast.value.reason) == (full.value.field, full.value.reason)
    assert fast.value.location == "feed.jsonl:3"


def test_control_characters_go_as_the_regular_expression_removes_them() -> None:
    from searchkit.models import _CONTROL, _without_control

    texts = [chr(c) for c in range(0x200)] + [f"a{chr(c)}b\n\tc" for c in range(0x200)]
    texts += ["", "plain ASCII text, no control", "caf\u00e9\x07", "\x9f\x80 \x7f\x00", "line\nnext\ttab", "\ud7ff\x1f"]
    for text in texts:
        assert _without_control(text) == _CONTROL.sub("", text), repr(text)
    assert _without_control("a\x00b\x1fc\x7fd\x0be\n\tf") == "abcde\n\tf"


def test_text_is_cleaned_as_the_regular_expressions_clean_it() -> None:
    # _clean_text and _one_line keep ASCII text without control characters (and, for a
    # line, without a run of whitespace) as it is: the same as the regular expressions.
    from searchkit.models import _CONTROL, _SPACES, _clean_text, _one_line

    texts = [chr(c) for c in range(0x200)] + [f" a{chr(c)}b\n\tc " for c in range(0x200)]
    texts += [f"a{chr(c)}{chr(d)}b" for c in range(0x80) for d in (0x20, 0x0d, 0x0a, 0x85, 0xa0)]
    texts += ["", "  ", "plain ASCII text", " lead and trail ", "a  b", "a\r\nb\rc\n", "caf\u00e9 \u2003 x", "a\x1c b"]
    for text in texts:
        assert _clean_text(text) == _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip(), repr(text)
        assert _one_line(text) == _SPACES.sub(" ", _CONTROL.sub("", text)).strip(), repr(text)
    assert (_clean_text(" a\r\nb\x07 "), _one_line(" a \t\n b\x07 ")) == ("a\nb", "a b")
