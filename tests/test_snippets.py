"""Snippets: which fragments a hit shows, highlight offsets, and rendering."""

from __future__ import annotations

import bisect
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from news_fixtures import NEWS, make_index, story

from searchkit import ArgumentError, Article, Hit, Index, QueryTooComplexError, Snippet
from searchkit.engine.search import MAX_HIT_HEADLINE_CHARS
from searchkit.analysis import Token, analyze_query_word, field_terms, iter_tokens, phrase_terms
from searchkit.snippets import (
    MAX_BACKGROUND_SCANNED,
    MAX_BACKGROUND_SNIPPETS,
    _SENTENCE,
    HighlightSpec,
    make_snippets,
    match_spans,
)

FILLER = " ".join(
    f"Paragraph {n} describes the harbour at length and mentions nothing else." for n in range(12)
)
URL_BODY = (
    "Read the report at https://news.example/"
    + "/".join(f"part{n}" for n in range(60))
    + "/flood-report today."
)
EXTRA = (
    story("phrase", "The river bank path has been closed since the river rose in spring. A bank loan pays for the work.",
          headline="Work starts on the river bank"),
    story("markup", 'The council said "no" to <script>alert(1)</script> & moved on; floods remain.',
          headline="Council <b>notes</b>"),
    story("long", f"{FILLER} Then the flood came overnight. {FILLER}", headline="Long report"),
    story("compound", "Buses park here.", headline="A state-of-the-art depot opens"),
    story("typo", "They walked by the river.Bank staff waved.", headline="Typo corner"),
    story("url", URL_BODY, headline="Links"),
)  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("news") / "index", [*NEWS, *EXTRA])


def hit(index: Index, query: str, article_id: str) -> Hit:
    [found] = [h for h in index.search(query, limit=100).hits if h.id == article_id]
    return found


def marked(snippet: Snippet) -> tuple[str, list[str]]:
    """The field and the highlighted substrings of a snippet."""
    return snippet.field, [snippet.text[start:end] for start, end in snippet.highlights]


@pytest.mark.parametrize(
    ("query", "article_id", "expected"),
    [
        ("flood", "flood-evacuation", [("headline", ["Flooding"])]),
        ("flood", "river-rises", [("body", ["floods"])]),
        ("flooding", "flood-insurance", [("headline", ["flooded"]), ("background", ["flooded"])]),
        ("jose", "flood-evacuation", [("body", ["José"])]),
        ("josé", "budget-vote", [("body", ["Jose"])]),
        ("mayor", "budget-draft", [("body", ["mayor's"])]),
        ("7400", "flood-evacuation", [("headline", ["7,400"])]),
        ("novokarsk", "river-rises", [("body", ["Novo-Karsk"])]),
        ('"novo karsk"', "river-rises", [("body", ["Novo-Karsk"])]),
        ("river", "phrase", [("headline", ["river"]), ("body", ["river", "river"])]),
        ('"river bank"', "phrase", [("headline", ["river bank"]), ("body", ["river bank"])]),
        ('"river bank"', "river-footpath", [("headline", ["river bank"])]),
        ("bank river", "bank-museum", [("headline", ["bank"]), ("body", ["bank", "river"])]),
        ('"state of the art"', "compound", [("headline", ["state-of-the-art"])]),
        ('"river bank"', "typo", [("body", ["river.Bank"])]),
        ("flood", "url", [("body", ["flood-report"])]),
    ],
)
def test_highlights_cover_the_original_words(
    index: Index, query: str, article_id: str, expected: list[object]
) -> None:
    assert [marked(snippet) for snippet in hit(index, query, article_id).snippets] == expected


def test_whole_short_fields_are_shown_as_they_are(index: Index) -> None:
    snippets = hit(index, '"river bank"', "phrase").snippets
    assert snippets == [
        Snippet(field="headline", text="Work starts on the river bank", highlights=[(19, 29)]),
        Snippet(
            field="body",
            text="The river bank path has been closed since the river rose in spring. A bank loan pays for the work.",
            highlights=[(4, 14)],  # not the later "river" nor "bank" alone
        ),
    ]


def test_background_snippet_offset_points_into_the_joined_bullets(tmp_path: Path) -> None:
    article = story(
        "bullets",
        "A ferry crossed.",
        background=["The pier opened in 1990.", "A storm closed the pier in 2019."],
    )
    index = make_index(tmp_path / "index", [article])
    [snippet] = index.search("storm").hits[0].snippets
    assert (snippet.field, snippet.text, snippet.highlights, snippet.offset) == (
        "background", "A storm closed the pier in 2019.", [(2, 7)], 25,
    )  # fmt: skip
    assert "\n".join(article.background)[25:57] == snippet.text


def test_a_long_body_shows_a_window_around_the_match(index: Index) -> None:
    [snippet] = hit(index, "flood", "long").snippets
    body = next(a for a in EXTRA if a.id == "long").body
    assert snippet.text.startswith("Then the flood came overnight.")
    assert len(snippet.text) <= 240
    assert (snippet.truncated_start, snippet.truncated_end) == (True, True)
    assert body[snippet.offset : snippet.offset + len(snippet.text)] == snippet.text
    assert marked(snippet) == ("body", ["flood"])


def test_a_match_deep_inside_a_long_url_keeps_its_window(index: Index) -> None:
    [snippet] = hit(index, "flood", "url").snippets
    assert 0 < len(snippet.text) <= 240
    assert snippet.text.endswith("/flood-report today.")
    assert URL_BODY[snippet.offset : snippet.offset + len(snippet.text)] == snippet.text


def test_a_filter_only_query_shows_the_start_of_the_body(index: Index) -> None:
    [found] = index.search("date:2024-03-05").hits
    assert found.snippets == [Snippet(field="body", text=NEWS[1].body, highlights=[])]


def test_snippets_can_be_turned_off(index: Index) -> None:
    assert [h.snippets for h in index.search("flood", snippets=False).hits] == [[]] * 6


# ---------------------------------------------------------------------------------------
# Rendering


def test_render_html_escapes_the_article_and_marks_the_matches(index: Index) -> None:
    [headline, body] = hit(index, "council notes flood", "markup").snippets
    assert headline.render("html") == "<mark>Council</mark> &lt;b&gt;<mark>notes</mark>&lt;/b&gt;"
    assert body.render("html") == (
        "The <mark>council</mark> said &quot;no&quot; to &lt;script&gt;alert(1)&lt;/script&gt; "
        "&amp; moved on; <mark>floods</mark> remain."
    )


def test_render_ansi_and_text(index: Index) -> None:
    [snippet] = hit(index, "flood", "river-rises").snippets
    assert snippet.render("text") == snippet.text == NEWS[0].body
    assert snippet.render("ansi") == NEWS[0].body.replace("floods", "\x1b[1;33mfloods\x1b[0m")


def test_render_marks_truncation() -> None:
    snippet = Snippet(
        field="body", text="the flood came", highlights=[(4, 9)], truncated_start=True, truncated_end=True
    )
    assert snippet.render("html") == "…the <mark>flood</mark> came…"
    assert snippet.render("text", ellipsis="...") == "...the flood came..."


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(ArgumentError, match="unknown render format 'pdf'"):
        Snippet(field="body", text="x").render("pdf")  # type: ignore[arg-type]


def test_article_text_is_never_changed_by_highlighting(index: Index) -> None:
    for result in index.search("flood OR river OR bank OR mayor", limit=100).hits:
        article = index.get(result.id)
        assert article is not None
        for snippet in result.snippets:
            field: str | list[str] = getattr(article, snippet.field)
            text = "\n".join(field) if isinstance(field, list) else field
            assert text[snippet.offset : snippet.offset + len(snippet.text)] == snippet.text
            assert all(0 <= start < end <= len(snippet.text) for start, end in snippet.highlights)


def test_article_with_only_a_headline(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", [Article(id="brief", headline="Ferry back in service")])
    assert [marked(s) for s in index.search("ferry").hits[0].snippets] == [("headline", ["Ferry"])]
    assert index.search("*").hits[0].snippets == []


# ---------------------------------------------------------------------------------------
# Bounds: one huge article cannot hold a search or bloat a page (issue 10, item 3)

BULLETS = [f"Bullet {n}: the harbour wall was repaired in section {n}." for n in range(3000)]


def test_a_hit_shows_at_most_five_matching_bullets_the_first_ones(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", [story("bullets", "A ferry crossed.", background=BULLETS)])
    [found] = index.search("harbour").hits
    assert [(s.field, s.text, s.highlights, s.offset) for s in found.snippets] == [
        ("background", BULLETS[n], [(len(f"Bullet {n}: the "), len(f"Bullet {n}: the harbour"))],
         sum(len(b) + 1 for b in BULLETS[:n]))
        for n in range(MAX_BACKGROUND_SNIPPETS)
    ]  # fmt: skip
    assert MAX_BACKGROUND_SNIPPETS == 5


def test_bullets_after_the_scanned_ones_are_not_read(tmp_path: Path) -> None:
    # The one match sits after MAX_BACKGROUND_SCANNED short bullets: not read, so no snippet
    # from it (the body's opening stands in); the article still matches and ranks.
    quiet = ["Calm."] * MAX_BACKGROUND_SCANNED
    index = make_index(tmp_path / "index", [story("late", "A ferry crossed.", background=[*quiet, "The harbour flooded."])])
    [found] = index.search("harbour").hits
    assert [(s.field, s.text, s.highlights) for s in found.snippets] == [("body", "A ferry crossed.", [])]


def test_a_hit_carries_a_bounded_headline_and_get_returns_it_whole(tmp_path: Path) -> None:
    headline = "Harbour " + "x" * 20_000
    index = make_index(tmp_path / "index", [story("long-headline", "A harbour story.", headline=headline)])
    [found] = index.search("harbour").hits
    assert len(found.headline) == MAX_HIT_HEADLINE_CHARS == 1000
    assert found.headline == headline[:999] + "…"
    # The headline's snippet is a fragment of snippet_chars (240) around its match, cut mid-run.
    assert [(s.field, s.text, s.highlights, s.truncated_start, s.truncated_end) for s in found.snippets] == [
        ("headline", headline[:240], [(0, 7)], False, True),
        ("body", "A harbour story.", [(2, 9)], False, False),
    ]
    stored = index.get("long-headline")
    assert stored is not None and stored.headline == headline


def test_snippet_work_checks_the_time_limit() -> None:
    spec = HighlightSpec(["harbour"])
    calls = []

    def count() -> None:
        calls.append(1)

    make_snippets("Quiet", "Nothing.", ["Calm."] * 1000, spec, check_time=count)
    assert len(calls) == 3 + 1000 // 200  # before each field, then every 200 bullets

    def stop() -> None:
        if len(calls) >= 2:
            raise QueryTooComplexError("past the time limit")
        calls.append(1)

    calls.clear()
    with pytest.raises(QueryTooComplexError, match="past the time limit"):
        make_snippets("Quiet", "Nothing.", ["Calm."] * 1000, spec, check_time=stop)


def test_a_tiny_time_limit_stops_a_search_of_a_large_article(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", [story("bullets", "A harbour.", background=BULLETS * 20)])
    with pytest.raises(QueryTooComplexError, match="ran longer than its time limit of 1e-09 s"):
        index.search("harbour", time_limit=1e-9)
    assert len(index.search("harbour", time_limit=10).hits[0].snippets) == 1 + MAX_BACKGROUND_SNIPPETS


# Highlighting finds a term's tokens with str.find and a look at the characters around each
# find, not by walking every token: it must agree with the tokenizer on any text, including
# joiners next to word characters (flood-plain, end.Next, 7,400), underscores, accents and
# other scripts, and a term that occurs inside longer words.
_PIECES = st.sampled_from(
    ["flood", "Flood", "FLOODS", "floods", "flooding", "ﬂood", "flood_", "_flood", "xflood", "flood2", "2flood",
     "Núñez", "nunez", "état", "東京", "7,400", "1.5", "U.S.", "us"]
)
_GLUE = st.sampled_from([" ", "  ", "\n", "-", "'", "’", ".", ",", "..", ".-", "-.", ", ", ". ", "'s ", "‐", "‑", "(", ")", "_", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PIECES, _GLUE), min_size=1, max_size=25),
       st.sampled_from(["flood", "nunez", "us", "7400", "état", "etat", "东京", "東京"]))
def test_highlights_are_exactly_the_tokens_that_stand_for_the_term(parts: list[tuple[str, str]], term: str) -> None:
    text = "".join(piece + glue for piece, glue in parts)
    [wanted] = analyze_query_word(term) or [term]
    expected = [(token.start, token.end) for token in iter_tokens(text) if wanted in token.terms]
    assert match_spans(text, HighlightSpec([wanted])) == expected


def test_a_long_body_window_is_found_by_token_count_with_compounds_before_it(tmp_path: Path) -> None:
    # A long body (over 400 tokens) is highlighted only around its densest window of 40
    # tokens; whole-token finds stand in for walking the tokens, so with chunks of several
    # tokens (end.Next, state-of-the-art) before the window it must still start where the
    # tokenizer says. Figures as the walking implementation gave them.
    lead = " ".join(["a quiet end.Next morning", "state-of-the-art flood gauge", "harbour"] * 60)
    body = f"{lead} flood flood warnings: the flood, floods and more flooding {FILLER}"
    index = make_index(tmp_path / "index", [story("dense", body, headline="Dense")])
    [found] = index.search("flood", limit=1).hits
    [snippet] = found.snippets
    assert snippet.field == "body"
    assert snippet.text == "uge harbour" + " a quiet end.Next morning state-of-the-art flood gauge harbour" * 3 + (
        " a quiet end.Next morning state-of-the-art"
    )
    assert snippet.highlights == [(54, 59), (116, 121), (178, 183)]
    assert snippet.offset == 3274


# Words a process has not analysed yet take another way (stemmed many at once); phrases
# find their tokens' positions from each token's width. Both must agree with the tokenizer.
_NEW_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)
_FILLERS = st.sampled_from(["the", "The", "of", "state-of-the-art", "end.Next", "U.S.", "7,400", "O'Brien's", "Núñez", "⒈",
                            "flood_gate", "flood-warning", "flood", "Floods", "warning", "warned", "WARNINGS"])
_SEPARATORS = st.sampled_from([" ", "  ", "\n", ", ", ". ", " (", ") ", "-", "—"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(_NEW_WORDS, _FILLERS), _SEPARATORS), min_size=1, max_size=40), st.data())
def test_highlights_of_words_never_seen_before_are_the_tokens_of_their_term(
    parts: list[tuple[str, str]], data: st.DataObject
) -> None:
    text = "".join(word + separator for word, separator in parts)
    word = data.draw(st.sampled_from([word for word, _ in parts]))
    wanted = set(analyze_query_word(word)) or {"flood"}
    expected = [(token.start, token.end) for token in iter_tokens(text) if not wanted.isdisjoint(token.terms)]
    assert match_spans(text, HighlightSpec(wanted)) == expected


def _phrase_spans_by_positions(text: str, phrase: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """Where the index would find ``phrase`` in ``text`` (from field_terms' positions), as
    the spans from its first token to its last one."""
    terms, positions, _ = field_terms(text)
    at = {(term, position) for term, position in zip(terms, positions)}
    tokens = list(iter_tokens(text))
    starts = [token.position for token in tokens]

    def token_at(position: int) -> Token:
        return tokens[bisect.bisect_right(starts, position) - 1]

    found = [p for p in sorted(set(positions)) if all((term, p + offset) in at for term, offset in phrase)]
    return [(token_at(p).start, token_at(p + phrase[-1][1]).end) for p in found]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(_NEW_WORDS, _FILLERS), _SEPARATORS), min_size=1, max_size=40),
       st.sampled_from(["flood warning", "state of the art flood", "next flood", "floods warned", "art end"]))
def test_phrase_highlights_are_where_the_index_finds_the_phrase(parts: list[tuple[str, str]], phrase_text: str) -> None:
    text = "".join(word + separator for word, separator in parts)
    phrase = phrase_terms(phrase_text)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(_phrase_spans_by_positions(text, phrase)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    assert match_spans(text, HighlightSpec(phrases=[phrase])) == merged


def test_phrase_highlights_after_compounds() -> None:
    # state-of-the-art takes four positions and end.Next two: the phrase after them is
    # found where the index has it, and only there.
    text = "A state-of-the-art end.Next flood warning; no flood here; a flood-warning system."
    assert match_spans(text, HighlightSpec(phrases=[phrase_terms("flood warning")])) == [(28, 41), (60, 73)]
    assert match_spans(text, HighlightSpec(phrases=[phrase_terms("art end")])) == [(2, 27)]
    # "⒈" is "1." once accents and compatibility forms are folded: two positions, the
    # second empty, with no dot or hyphen in the raw token itself.
    assert match_spans("Item ⒈ flood warning", HighlightSpec(phrases=[phrase_terms("1 flood")])) == []
    assert match_spans("Item ⒈ flood warning", HighlightSpec(phrases=[phrase_terms("flood warning")])) == [(7, 20)]


_LAZY_SENTENCE = re.compile(r"[^\s].*?(?:[.!?]+[\"”’')\]]*(?=\s)|\n|$)", re.DOTALL)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=["a", "b", " ", "\n", "\t", "\u00a0", ".", "!", "?", '"', "”", "’", "'", ")", "]"], max_size=30),
       st.integers(0, 30), st.integers(0, 30))
@example("He said “Hi.” Then he left!) And? Yes.\nNext...", 0, 60)
@example("a.] b", 0, 30)
@example("a?!.’ b. c", 2, 9)
@example(". x..y ?", 0, 30)
@example("end.\n", 0, 30)
def test_sentences_split_as_the_lazy_pattern_does(text: str, low: int, high: int) -> None:
    lo = min(low, len(text))
    hi = max(lo, min(high, len(text)))
    assert [m.span() for m in _SENTENCE.finditer(text, lo, hi)] == [m.span() for m in _LAZY_SENTENCE.finditer(text, lo, hi)]
