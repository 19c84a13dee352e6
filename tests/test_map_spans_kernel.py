"""The optional C kernels of a body's token map (searchkit/_speedups.c): ``map_raws`` (the raw
token holding each position, ``TokenMap.raw_numbers``), ``map_raw_spans`` (raw tokens' spans,
``TokenMap.spans``) and ``map_spans``, a hit's highlight spans in one call
(``TokenMap.position_spans``).

The promise: for any positions, the kernels give what the Python references give
(``_python_raw_numbers``, ``_python_spans``, and ``searchkit.snippets._spans_at`` over them
for any single terms' positions and phrase (first, last) pairs: the same tokens, sorted and
merged the same way); and where the map does not fit the text (a body shorter than the map
says) a kernel declines so the reference runs and says what is wrong. Checked on Hypothesis bodies full of
wide tokens (compounds, numbers with separators, tokens of no position) long enough to need
many marks, and on the real BBC articles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import require_kernel, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tokenmap import texts, write_segment

from searchkit import Index, read_articles
from searchkit.analysis import iter_tokens
from searchkit.engine import tokenmap
from searchkit.engine.tokenmap import EVERY, BodyPositions
from searchkit.snippets import _positioned_terms, _spans_at

kernel: Callable[..., Any] | None
try:
    from searchkit._speedups import map_spans as kernel
except ImportError:  # not built: every test skips (fails under CI)
    kernel = None


@pytest.fixture(autouse=True)
def _kernel_on(monkeypatch: pytest.MonkeyPatch) -> None:
    require_kernel(kernel is not None, "searchkit/_speedups.c")
    from searchkit._speedups import map_raw_spans, map_raws

    monkeypatch.setattr(tokenmap, "_native_map_spans", kernel)
    monkeypatch.setattr(tokenmap, "_native_map_raws", map_raws)
    monkeypatch.setattr(tokenmap, "_native_map_raw_spans", map_raw_spans)


class Reference:
    """A hit's body whose raw numbers and spans come from the Python references."""

    def __init__(self, body: Any) -> None:
        self.map, self.doc = body._map, body._doc

    def raw_numbers(self, positions: Any) -> list[int]:
        return self.map._python_raw_numbers(self.doc, positions)

    def spans(self, text: str, raws: Any) -> list[tuple[int, int]]:
        return self.map._python_spans(self.doc, text, raws)


def both_ways(body: Any, text: str, singles: list[int], firsts: list[int], lasts: list[int]) -> tuple[Any, Any]:
    """The kernel's spans and the reference's, after checking the two kernels of the steps
    against theirs."""
    positions = singles + firsts + lasts
    reference = Reference(body)
    raws = body.raw_numbers(positions)
    assert raws == reference.raw_numbers(positions)
    wanted = sorted(set(raws))
    assert body.spans(text, wanted) == reference.spans(text, wanted)
    return body.position_spans(text, singles, firsts, lasts), _spans_at(text, reference, singles, firsts, lasts)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts(min_words=1, max_words=400), min_size=1, max_size=3), st.data())
def test_the_kernel_finds_the_spans_the_reference_finds(tmp_path: Path, bodies: list[str], data: st.DataObject) -> None:
    reader = write_segment(tmp_path / "spans.skseg", bodies)
    owner = BodyPositions()
    for doc, text in enumerate(bodies):
        # Every position a term of the body stands at, as the index numbers them.
        positions = sorted({position for token in iter_tokens(text) for position, _ in _positioned_terms(text, token)})
        if not positions:
            continue
        body = owner.of(reader, doc)
        picked = st.lists(st.sampled_from(positions), max_size=12)
        singles = data.draw(picked)  # duplicates and any order, as several terms give
        firsts = data.draw(picked)
        lasts = [data.draw(st.sampled_from([p for p in positions if p >= first] or [first])) for first in firsts]
        quick, reference = both_ways(body, text, singles, firsts, lasts)
        assert quick == reference, (doc, singles, firsts, lasts)
    reader.close()


def test_runs_across_marks_wide_tokens_and_repeats(tmp_path: Path) -> None:
    text = " ".join(["state-of-the-art", "flood", "__", "7,400", "U.S.", "river"] * 40)
    reader = write_segment(tmp_path / "wide.skseg", [text])
    body = BodyPositions().of(reader, 0)
    assert body is not None and body.token_count == 240 > 4 * EVERY
    tokens = list(iter_tokens(text))
    last = tokens[-1].position
    singles = [last, 0, 1, 2, 3, last, 5, 130, 131, 129, 64, 64, 63]
    quick, reference = both_ways(body, text, singles, [0, 100, 6], [9, 140, 6])
    assert quick == reference
    assert quick[0] == (0, tokens[6].end)  # the phrase from 0 to 9 joined with the single terms it covers
    assert text[quick[-1][0]:quick[-1][1]] == "river"
    reader.close()


def test_no_positions_give_no_spans_and_a_map_longer_than_its_text_is_declined(tmp_path: Path) -> None:
    text = "The river flood reached the bank. " * 20
    reader = write_segment(tmp_path / "short.skseg", [text])
    body = BodyPositions().of(reader, 0)
    assert body is not None
    assert body.position_spans(text, [], [], []) == []
    assert body.position_spans(text, [3, 119], [], []) == _spans_at(text, body, [3, 119], [], [])
    assert body.position_spans(text[:60], [3, 119], [], []) is None  # token 119 is past the cut text
    with pytest.raises(IndexError):  # the steps' kernels decline too, and the reference says so
        _spans_at(text[:60], body, [3, 119], [], [])
    assert body.spans(text, [119, 3]) == body._map._python_spans(0, text, [119, 3])  # not ascending: the reference
    with pytest.raises(ValueError, match="firsts and lasts differ"):
        assert kernel is not None
        kernel(text, 0, EVERY, np.zeros(2, np.uint32), np.zeros(1, np.uint32), np.zeros(2, np.uint32),
               np.zeros(0, np.uint32), np.zeros(0, np.uint32), [], [1], [])
    # Arrays of another type: declined, as the segment's columns never are.
    assert kernel(text, 0, EVERY, np.zeros(2, np.int16), np.zeros(1, np.uint32), np.zeros(2, np.uint32),
                  np.zeros(0, np.uint32), np.zeros(0, np.uint32), [1], [], []) == -1
    reader.close()


def test_without_the_kernel_the_reference_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "The river flood reached the bank."
    reader = write_segment(tmp_path / "off.skseg", [text])
    body = BodyPositions().of(reader, 0)
    assert body is not None
    monkeypatch.setattr(tokenmap, "_native_map_spans", None)
    assert body.position_spans(text, [1], [], []) is None
    monkeypatch.setattr(tokenmap, "_native_map_raws", None)
    monkeypatch.setattr(tokenmap, "_native_map_raw_spans", None)
    assert body.spans(text, body.raw_numbers(iter([1, 2]))) == [(4, 9), (10, 15)]
    reader.close()


def test_real_articles_spans_match_for_every_term_of_the_query_mix(tmp_path: Path) -> None:
    articles = list(read_articles(shared_path("data", "bbc-news", "business")))[:400]
    with Index.create(tmp_path / "bbc", stories=False) as index:
        index.add_many(articles)
        [loaded] = index._current().segments
        reader = loaded.reader
        owner = BodyPositions()
        checked = 0
        for term in ("govern", "said", "year", "compani", "market", "price", "bank", "sale"):
            number = reader.term_id(term)
            if number < 0:
                continue
            docs, _ = reader.postings("body", number)
            for doc in docs.tolist()[:60]:
                text = reader.stored(doc)["body"]
                body = owner.of(reader, doc)
                singles = owner.positions(reader, doc, term) or []
                firsts, lasts = singles[:-1:2], singles[1::2]  # ranges from one to the next, as long phrases
                quick, reference = both_ways(body, text, singles, firsts, lasts)
                assert quick == reference, (term, doc)
                checked += 1
        assert checked > 300
