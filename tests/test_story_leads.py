"""A worker's story term counts from the codes its analysis found (``ChunkAnalyser.analyse_leads``,
``ChunkCodes.encode_lead``) against :func:`searchkit.engine.stories.story_counts`, which encodes
each article's lead and headline again: the same counts for any text and any lead."""

from __future__ import annotations

from array import array

import pytest
from conftest import require_kernel, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_speedups import TEXTS, pure_python

from searchkit import Article, read_articles
from searchkit.engine import segment
from searchkit.engine.segment import ChunkAnalyser
from searchkit.engine.stories import LEAD_CHARS, StoryCounts, StoryOptions, counts_of_terms, story_counts


def tables() -> list[segment._TokenCodes]:
    """A table with the C kernel and one without (the Python version)."""
    with pure_python(False):
        native = segment._TokenCodes(segment._Vocabulary())
    require_kernel(native._native is not None, "searchkit/_speedups.c")
    with pure_python(True):
        plain = segment._TokenCodes(segment._Vocabulary())
    assert plain._native is None
    return [native, plain]


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(0, 60))
def test_the_lead_is_the_chunks_that_end_in_it_and_the_one_it_cuts(text: str, lead: int) -> None:
    answers = []
    for table in tables():
        tokens = array("i")
        count, within, cut = table.encode_lead(tokens, text, lead)
        assert count == len(text.split()) == len(tokens)
        assert text.split()[:within] + ([text[cut:lead]] if cut >= 0 else []) == text[:lead].split()
        answers.append((count, within, cut))
    assert answers[0] == answers[1]


def test_the_lead_cannot_be_negative() -> None:
    native = tables()[0]
    with pytest.raises(ValueError, match="negative"):
        native.encode_lead(array("i"), "a b", -1)


def same_counts(got: StoryCounts, want: StoryCounts) -> None:
    assert got.terms == want.terms
    for name in ("offsets", "ids", "counts"):
        assert getattr(got, name).tolist() == getattr(want, name).tolist(), name


def counts_both_ways(articles: list[Article], lead: int, *, pure: bool) -> None:
    with pure_python(pure):
        analyser = ChunkAnalyser()
    assert (analyser._codes._native is None) == pure
    built, leads = analyser.analyse_leads(articles, lead)
    got = counts_of_terms(leads, len(articles), StoryOptions(lead_chars=lead))
    want = story_counts(((item.headline, item.body) for item in articles), StoryOptions(lead_chars=lead))
    same_counts(got, want)
    assert built.terms == analyser.analyse(articles).terms  # the chunk's own analysis is as without leads


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(TEXTS, TEXTS), min_size=1, max_size=5), st.integers(0, 50), st.booleans())
def test_any_articles_give_the_counts_of_their_leads(fields: list[tuple[str, str]], lead: int, pure: bool) -> None:
    articles = [Article(id=f"l{n}", headline=f"headline {headline}", body=body or "body")
                for n, (headline, body) in enumerate(fields)]
    if not pure:
        tables()
    counts_both_ways(articles, lead, pure=pure)


def test_a_lead_cut_inside_a_word_counts_the_word_s_start() -> None:
    article = Article(id="w", headline="Rivers", body="floods floodwaters rise")
    # "floodwaters" is cut to "floodwa": its stem, not "floodwat", is counted
    counts_both_ways([article], len("floods floodwa"), pure=False)
    analyser = ChunkAnalyser()
    _, leads = analyser.analyse_leads([article], len("floods floodwa"))
    counts = counts_of_terms(leads, 1, StoryOptions(lead_chars=len("floods floodwa")))
    assert counts.terms == sorted(["flood", "floodwa", "river"])


@pytest.mark.slow
def test_the_bbc_articles_give_the_counts_of_their_leads() -> None:
    articles = list(read_articles(shared_path("data", "bbc-news")))
    for start in range(0, len(articles), 256):
        counts_both_ways(articles[start:start + 256], LEAD_CHARS, pure=False)
