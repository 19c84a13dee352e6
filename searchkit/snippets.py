"""Snippets: the best fragments of a hit's fields, with matched words as character offsets.

The stored text is re-tokenized with the same analyzer that indexed it, so a highlight
covers the original word as written ("Floods", "Núñez"), never a stem. A phrase query
highlights each occurrence of the whole phrase as one span and nothing else of it.

Per hit: the headline when it matches; the best body fragment (the sentence with the most
distinct matched terms, grown with its neighbours up to ``max_chars``, or a window around
the first match when the sentence alone is longer, cut at word boundaries); and the first
:data:`MAX_BACKGROUND_SNIPPETS` background bullets that match. When nothing matches (a
filter-only query), the start of the body stands in, without highlights.

Bounds, so that one huge article cannot hold a search: only the first :data:`SCAN_CHARS`
characters of a field are read (for the background, of its bullets taken in order, and at
most :data:`MAX_BACKGROUND_SCANNED` bullets); a field gives at most one fragment (the
background at most :data:`MAX_BACKGROUND_SNIPPETS`); a headline longer than
:data:`MAX_HEADLINE_SNIPPET_CHARS` is cut to a fragment around its first match. The
``check_time`` callback passed by the search is called between fields and every
:data:`_CHECK_EVERY` bullets, so snippet work counts against the search's ``time_limit``.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from . import textspans
from .analysis import TOKEN_PATTERN, Analyzed, Token, analyze, iter_tokens, stem_letters
from .models import Snippet, SnippetField

__all__ = ["BodyIndex", "HighlightSpec", "make_snippets", "match_spans"]

_SENTENCE = textspans.SENTENCE  # what a sentence is (:mod:`searchkit.textspans`)
Span = tuple[int, int]
_FOCUS_ABOVE_TOKENS = 400
SCAN_CHARS = 100_000  # snippets come from the first 100,000 characters of a field
MAX_BACKGROUND_SNIPPETS = 5  # matching bullets shown per hit, the first ones in order
MAX_BACKGROUND_SCANNED = 2_000  # bullets read per hit, whatever their length
MAX_HEADLINE_SNIPPET_CHARS = 1_000  # a longer headline's snippet is a fragment around its match
_CHECK_EVERY = 200  # bullets between two looks at the time limit
_WINDOW_TOKENS = 40


_CACHE_LIMIT = 500_000


class _TokenTerms(dict[str, tuple[str, ...]]):
    """Raw token -> every term it stands for (cached across queries)."""

    def __missing__(self, raw: str) -> tuple[str, ...]:
        if len(self) > _CACHE_LIMIT:
            self.clear()
        result = analyze(raw)
        terms = self[raw] = (result,) if isinstance(result, str) else (result[1], *result[0])
        return terms


class _ChunkTokens(dict[str, tuple[str, ...]]):
    """Whitespace-separated chunk of text -> its raw tokens (cached across queries).

    No token of :data:`TOKEN_PATTERN` spans whitespace, so a text's tokens are its chunks'
    tokens in order; splitting on whitespace and looking chunks up in this dict runs at C
    speed, about twice as fast as the regular expression over the whole text.
    """

    def __missing__(self, chunk: str) -> tuple[str, ...]:
        if len(self) > _CACHE_LIMIT:
            self.clear()
        tokens = self[chunk] = tuple(TOKEN_PATTERN.findall(chunk))
        return tokens


_TERMS_OF = _TokenTerms()
# Term -> the raw tokens analysed so far that stand for it (a compound under each of its
# terms, and with stop words under ""), and every raw token analysed so far: a text's raw
# tokens that stand for a query's terms are then a few set intersections at C speed.
_RAWS_OF: dict[str, set[str]] = {}
_ANALYSED: set[str] = set()
_CHUNK_TOKENS = _ChunkTokens()


def _raws(text: str) -> list[str]:
    """The raw tokens of ``text`` in order: its chunks' tokens, looked up at C speed.

    The strings come from the cache, with their hashes computed, so a set of them is cheap
    (cheaper than deduplicating the chunks first, whose hashes are new each time).
    """
    return list(itertools.chain.from_iterable(map(_CHUNK_TOKENS.__getitem__, text.split())))


def _hit_raws(distinct: set[str], wanted: frozenset[str]) -> set[str]:
    """The raw tokens among ``distinct`` that stand for at least one ``wanted`` term."""
    unknown = distinct.difference(_ANALYSED)
    if unknown:
        _analyse(list(unknown))
    hits: set[str] = set()
    for term in wanted:
        raws = _RAWS_OF.get(term)
        if raws:
            hits.update(raws.intersection(distinct))
    return hits


_PLAIN = re.compile("[A-Za-z]+")


def _analyse(raws: list[str]) -> None:
    """Put the analysis of ``raws`` in :data:`_RAWS_OF`: the words of ASCII letters only
    (most words of an article) stemmed in one call, as :func:`analyze` would one by one."""
    if len(_ANALYSED) + len(raws) > _CACHE_LIMIT:
        _ANALYSED.clear()
        _RAWS_OF.clear()
    plain = list(itertools.compress(raws, map(_PLAIN.fullmatch, raws)))
    found: list[tuple[str, Analyzed]] = list(zip(plain, stem_letters(list(map(str.lower, plain)))))
    if len(plain) < len(raws):
        found.extend((raw, analyze(raw)) for raw in set(raws).difference(plain))
    for raw, result in found:
        if isinstance(result, str):
            _RAWS_OF.setdefault(result, set()).add(raw)
        else:  # a compound: under "" (as stop words are) and under each of its terms
            for term in {"", result[1], *result[0]}:
                _RAWS_OF.setdefault(term, set()).add(raw)
    _ANALYSED.update(raws)


_JOINERS = frozenset("'’‐‑.,-")  # what joins two runs of word characters into one token


def _is_word(char: str) -> bool:
    """Whether ``char`` is a word character (``\\w``) to :data:`TOKEN_PATTERN`."""
    return char.isalnum() or char == "_"


def _whole_token(text: str, start: int, end: int) -> bool:
    """Whether :data:`TOKEN_PATTERN` cuts ``text[start:end]`` (a run of word characters
    at both ends) out as one token: no word character, nor a joiner next to one, goes on
    before it or after it."""
    if start and (_is_word(text[start - 1]) or (text[start - 1] in _JOINERS and start > 1 and _is_word(text[start - 2]))):
        return False
    return end >= len(text) or not (
        _is_word(text[end]) or (text[end] in _JOINERS and end + 1 < len(text) and _is_word(text[end + 1]))
    )


def _token_spans(text: str, raws: Iterable[str]) -> list[Span]:
    """The spans of the tokens of ``text`` equal to one of ``raws``, in order.

    Found with ``str.find`` and a look at the characters around each find, so the
    other tokens of the text are never walked in Python.
    """
    spans: list[Span] = []
    find = text.find
    for raw in raws:
        at = find(raw)
        while at >= 0:
            end = at + len(raw)
            if _whole_token(text, at, end):
                spans.append((at, end))
                at = find(raw, end)
            else:
                at = find(raw, at + 1)
    spans.sort()
    return spans


class HighlightSpec:
    """What to highlight: single terms (optionally per field) and phrases."""

    def __init__(self, terms: Iterable[str] = (), phrases: Iterable[Sequence[tuple[str, int]]] = ()):
        self.terms = frozenset(terms)
        self.phrases = [tuple(p) for p in phrases]
        self.wanted = self.terms.union(term for phrase in self.phrases for term, _ in phrase)

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)


def match_spans(text: str, spec: HighlightSpec) -> list[Span]:
    """Character spans of ``text`` that the query matched, sorted and merged."""
    if not spec or not text:
        return []
    raws = _raws(text)
    return _spans(text, spec, _hit_raws(set(raws), spec.wanted), raws)


def _spans(text: str, spec: HighlightSpec, hits: set[str], raws: list[str]) -> list[Span]:
    """:func:`match_spans` given the text's raw tokens in order (``raws``) and those
    standing for a wanted term (``hits``)."""
    if not hits:
        return []
    # Single terms need no positions: find the raw tokens that stand for them, then those
    # (of the hits, since the single terms are some of the wanted ones).
    spans = _token_spans(text, hits if not spec.phrases else _hit_raws(hits, spec.terms))
    if spec.phrases:
        present = {term for raw in hits for term in _TERMS_OF[raw]}
        phrases = [phrase for phrase in spec.phrases if all(term in present for term, _ in phrase)]
        if phrases:  # positions only where every term of a phrase occurs
            spans.extend(_phrase_spans(text, _hit_tokens(text, raws, hits), phrases))
    return _merge(spans)


class _Width(dict[str, int]):
    """Raw token -> how many positions it takes (its parts for a compound, else one)."""

    def __missing__(self, raw: str) -> int:
        if len(self) > _CACHE_LIMIT:
            self.clear()
        if raw.isascii() and not _SPLIT.search(raw):  # only dots, commas and hyphens split
            width = 1
        else:
            result = analyze(raw)
            width = 1 if isinstance(result, str) else len(result[0])
        self[raw] = width
        return width


_SPLIT = re.compile("[.,-]")


_WIDTH = _Width()


def _hit_tokens(text: str, raws: list[str], hits: set[str]) -> list[Token]:
    """The tokens of ``text`` (whose raw tokens are ``raws``) that are one of ``hits``, as
    :func:`iter_tokens` gives them, without walking the other tokens in Python: positions
    are the running sum of every raw token's width, and the hits' offsets come from
    :func:`_token_spans`."""
    positions = list(itertools.accumulate(map(_WIDTH.__getitem__, raws), initial=0))
    numbers = list(itertools.compress(itertools.count(), map(hits.__contains__, raws)))
    spans = _token_spans(text, hits)
    if len(spans) != len(numbers):  # never seen: the two ways of finding tokens disagree
        return [token for token in iter_tokens(text) if token.terms and text[token.start:token.end] in hits]
    return [Token(start, end, positions[number], _TERMS_OF[raws[number]]) for number, (start, end) in zip(numbers, spans)]


def _positioned_terms(text: str, token: Token) -> list[tuple[int, str]]:
    """The terms of one raw token at the positions the index gave them.

    A compound's parts take one position each, stop words included (``state-of-the-art``
    puts ``art`` three after ``state``), and its joined term shares the first position.
    """
    result = analyze(text[token.start : token.end])
    if isinstance(result, str):
        return [(token.position, result)] if result else []
    parts, joined = result
    found = [(token.position, joined)] if joined else []
    found.extend((token.position + offset, part) for offset, part in enumerate(parts) if part)
    return found


def _phrase_spans(text: str, tokens: list[Token], phrases: list[tuple[tuple[str, int], ...]]) -> list[Span]:
    at_position: dict[int, tuple[set[str], Token]] = {}
    for token in tokens:
        for position, term in _positioned_terms(text, token):
            at_position.setdefault(position, (set(), token))[0].add(term)
    spans = []
    for phrase in phrases:
        first_term = phrase[0][0]
        for position, (terms, token) in at_position.items():
            if first_term not in terms:
                continue
            last = token
            for term, offset in phrase[1:]:
                entry = at_position.get(position + offset)
                if entry is None or term not in entry[0]:
                    break
                last = entry[1]
            else:
                spans.append((token.start, last.end))
    return spans


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _word_start(text: str, at: int, floor: int) -> int:
    """Move ``at`` back (not below ``floor``) to the start of the word it falls in."""
    while at > floor and not text[at - 1].isspace():
        at -= 1
    return at


def _word_end(text: str, at: int, ceiling: int, floor: int = 0) -> int:
    """Move ``at`` back (not to ``floor`` or below) to the space before the word it cuts.

    When no space lies between ``floor`` and ``at`` (one long run such as a URL), the cut
    stays at ``at``, mid-word, rather than leaving nothing.
    """
    if at >= ceiling:
        return ceiling
    cut = at
    while cut > floor and not text[cut].isspace():
        cut -= 1
    return cut if cut > floor else at


def _fragment(field: SnippetField, text: str, start: int, end: int, spans: list[Span], base: int = 0) -> Snippet:
    """``text[start:end]`` stripped, with the parts of ``spans`` (sorted and merged, so their
    ends ascend too) inside it as highlights."""
    piece = text[start:end]
    stripped = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    lo, hi = start + stripped, start + stripped + len(piece)  # where the stripped piece lies in text
    inside: list[Span] = []
    # From the first span ending past lo (none when the piece is empty).
    for s, e in itertools.islice(spans, bisect.bisect_right(spans, lo, key=_END) if piece else len(spans), None):
        if s >= hi:
            break
        inside.append((max(s, lo) - lo, min(e, hi) - lo))
    return Snippet(
        field=field,
        text=piece,
        highlights=inside,
        offset=base + start + stripped,
        truncated_start=start > 0,
        truncated_end=end < len(text),
    )


_END = operator.itemgetter(1)


def _best_body_fragment(text: str, spans: list[Span], max_chars: int, lo: int = 0, hi: int | None = None) -> Snippet:
    """The best fragment of ``text[lo:hi]`` (see the module docstring)."""
    hi = len(text) if hi is None else hi
    sentences = textspans.sentence_spans(text, lo, hi) or [(lo, hi)]
    # Only sentences holding a span score above (0, 0), the score of the first sentence
    # when none does: a span is inside the last sentence that starts at or before it, or
    # none (sentences are apart).
    sentence_starts = [s_start for s_start, _ in sentences]
    inside: dict[int, list[str]] = {}
    for a, b in spans:
        number = bisect.bisect_right(sentence_starts, a) - 1
        if number >= 0 and b <= sentences[number][1]:
            inside.setdefault(number, []).append(text[a:b].casefold())
    best, best_score = 0, (0, 0)
    for number, words in inside.items():  # in order of sentence, as the spans are
        score = (len(set(words)), len(words))
        if score > best_score:
            best, best_score = number, score
    start, end = sentences[best]
    if end - start > max_chars:
        hit_start, hit_end = next(((a, b) for a, b in spans if a >= start and b <= end), (start, start))
        lead = max(start, hit_start - max_chars // 3)
        # Back to a word start, but never so far (a long URL) that the match falls out.
        start = _word_start(text, lead, max(start, lead - max_chars // 3))
        end = _word_end(text, min(start + max_chars, len(text)), len(text), max(start, hit_end))
        return _fragment("body", text, start, end, spans)
    low, high = best, best
    while True:
        grown = False
        if high + 1 < len(sentences) and sentences[high + 1][1] - start <= max_chars:
            high += 1
            end = sentences[high][1]
            grown = True
        if low > 0 and end - sentences[low - 1][0] <= max_chars and best_score[0] > 0 and high == len(sentences) - 1:
            low -= 1
            start = sentences[low][0]
            grown = True
        if not grown:
            break
    return _fragment("body", text, start, end, spans)


def _body_spans(text: str, spec: HighlightSpec, max_chars: int) -> tuple[int, int, list[Span]]:
    """The part of ``text`` worth highlighting and the spans the query matched in it.

    Tokenizing with offsets is the costly step of highlighting, so the text is first
    scanned with ``findall`` and the raw tokens standing for a query term are picked out
    of its distinct ones through a cached dict. In a long text only the region around the
    window of :data:`_WINDOW_TOKENS` tokens holding the most matching words (the earliest
    such window) is highlighted; a short one, or one where nothing matches, is whole.
    """
    raws = _raws(text)
    hits = _hit_raws(set(raws), spec.wanted)
    if not hits or len(raws) <= _FOCUS_ABOVE_TOKENS:
        return 0, len(text), _spans(text, spec, hits, raws)
    flagged = list(itertools.compress(itertools.count(), map(hits.__contains__, raws)))
    best_number = _best_window(flagged)
    # The flagged tokens in order are the hit raws' whole-token occurrences in order, so
    # the window's first token starts where the best_number-th occurrence does.
    return _region(text, _token_spans(text, hits)[best_number][0], spec, max_chars)


class BodyIndex(Protocol):
    """A hit's body as the index knows it (for :func:`make_snippets`'s ``body_index``): its
    raw tokens (the matches of :data:`~searchkit.analysis.TOKEN_PATTERN`), its terms'
    positions, and where a raw token lies, without tokenizing the whole body."""

    token_count: int  # how many raw tokens the body has

    def positions(self, term: str, field: SnippetField = "body") -> list[int] | None:
        """The positions of ``term`` in the hit's ``field`` (as the index numbers them), or
        None: none."""

    def raw_numbers(self, positions: Iterable[int]) -> list[int]:
        """The number of the raw token holding each of ``positions``."""

    def spans(self, text: str, raws: Sequence[int]) -> list[Span]:
        """The character spans of the raw tokens numbered ``raws`` (ascending) in ``text``."""

    def holds(self, field: SnippetField, terms: Iterable[str]) -> bool:
        """Whether the hit's ``field`` holds any of ``terms``."""

    def position_of(self, raw: int) -> int:
        """The first position of the raw token numbered ``raw``."""

    def wide_tokens(self, low: int, high: int) -> list[tuple[int, int]]:
        """The raw tokens numbered ``low`` to ``high`` (excluded) that take other than one
        position, and how many they take."""

    def position_spans(self, text: str, singles: list[int], firsts: list[int], lasts: list[int]) -> list[Span] | None:
        """:func:`_spans_at` in one step where there is a quick way (the C kernel), else None."""


class _Tokens(Protocol):
    """Raw tokens of a text: the one holding a position, and where they lie."""

    def raw_numbers(self, positions: Iterable[int]) -> list[int]: ...

    def spans(self, text: str, raws: Sequence[int]) -> list[Span]: ...

    def position_spans(self, text: str, singles: list[int], firsts: list[int], lasts: list[int]) -> list[Span] | None: ...


class _ShortText:
    """The raw tokens of a short text (a headline, a body's region), found here, with the
    position each starts at (counted from the first)."""

    def __init__(self, text: str, spans: list[Span] | None = None, widths: Iterable[int] | None = None):
        self._spans = textspans.token_spans(text, 0, len(text), -1) if spans is None else spans
        if widths is None:  # how many positions each token takes
            widths = [_WIDTH[text[a:b]] for a, b in self._spans]
        self.starts = list(itertools.accumulate(widths, initial=0))

    def raw_numbers(self, positions: Iterable[int]) -> list[int]:
        # The raw token holding a position: the last one starting at or before it (a token
        # of no position shares its start with the next, which is the one that holds it).
        starts = self.starts
        return [bisect.bisect_right(starts, position) - 1 for position in positions]

    def spans(self, text: str, raws: Sequence[int]) -> list[Span]:
        return [self._spans[raw] for raw in raws]

    def position_spans(self, text: str, singles: list[int], firsts: list[int], lasts: list[int]) -> None:
        return None  # the tokens are at hand: _spans_at is quick enough


def _indexed_spans_of(text: str, spec: HighlightSpec, index: BodyIndex, field: SnippetField) -> list[Span]:
    """:func:`match_spans` of a hit's short ``field`` (``text``) from the index's positions."""
    found = {term: positions for term in spec.wanted if (positions := index.positions(term, field)) is not None}
    return _indexed_spans(text, spec, _ShortText(text), found) if found else []


def _indexed_body_spans(text: str, spec: HighlightSpec, body: BodyIndex,
                        max_chars: int) -> tuple[int, int, list[Span]]:
    """:func:`_body_spans` from the index: the query's terms' positions in the body
    (postings) and where their raw tokens lie (the body's token map), so only the tokens
    shown are read; the same region and spans."""
    found = {term: positions for term in spec.wanted if (positions := body.positions(term)) is not None}
    if not found:
        return 0, len(text), []
    if body.token_count <= _FOCUS_ABOVE_TOKENS:
        return 0, len(text), _indexed_spans(text, spec, body, found)
    flagged = sorted(set(body.raw_numbers(itertools.chain.from_iterable(found.values()))))
    first = flagged[_best_window(flagged)]
    begin = body.spans(text, [first])[0][0]
    start, end = _region_bounds(text, begin, max_chars)
    region = text[start:end]
    # The region's tokens are the body's from some raw number on (their widths known from
    # the map), except that the first may be the cut end of a body token (the region starts
    # inside a token): its own width and terms then stand at the region's first positions,
    # and the body token's are left out. The region's positions are the body's less those
    # before its first token.
    cut = bool(start) and (_is_word(text[start - 1]) or (text[start - 1] in _JOINERS and start > 1
                                                          and _is_word(text[start - 2])))
    spans = textspans.token_spans(region, 0, len(region), -1)
    number = bisect.bisect_left(spans, (begin - start, 0))  # the window's first token, in the region
    base = first - number
    widths = [1] * len(spans)
    for raw, width in body.wide_tokens(base, base + len(spans)):
        widths[raw - base] = width
    if cut:
        widths[0] = _WIDTH[region[spans[0][0]:spans[0][1]]]
    tokens = _ShortText(region, spans, widths)
    shift = body.position_of(first) - tokens.starts[number]
    low = tokens.starts[1] if cut else 0
    high = tokens.starts[-1]
    in_region: dict[str, set[int]] = {}
    for term, positions in found.items():
        inside = {position - shift for position in positions if low <= position - shift < high}
        if inside:
            in_region[term] = inside
    if cut:
        [(cut_start, cut_end)] = tokens.spans(region, [0])
        for position, term in _positioned_terms(region, Token(cut_start, cut_end, 0, ())):
            if term in spec.wanted:
                in_region.setdefault(term, set()).add(position)
    local = {term: sorted(inside) for term, inside in in_region.items()}
    spans = _indexed_spans(region, spec, tokens, local) if local else []
    return start, end, [(a + start, b + start) for a, b in spans]


def _indexed_spans(text: str, spec: HighlightSpec, tokens: _Tokens, found: dict[str, list[int]]) -> list[Span]:
    """:func:`match_spans` of ``text`` from the positions ``found`` of the wanted terms in
    it, and where its raw tokens lie (``tokens``)."""
    singles = [position for term in spec.terms if term in found for position in found[term]]
    firsts: list[int] = []
    lasts: list[int] = []
    for phrase in spec.phrases:
        if all(term in found for term, _ in phrase):
            starts = found[phrase[0][0]]
            for term, offset in phrase[1:]:
                present = set(found[term])
                starts = [start for start in starts if start + offset in present]
            firsts.extend(starts)
            lasts.extend(start + phrase[-1][1] for start in starts)
    if not singles and not firsts:
        return []
    quick = tokens.position_spans(text, singles, firsts, lasts)
    return _spans_at(text, tokens, singles, firsts, lasts) if quick is None else quick


def _spans_at(text: str, tokens: _Tokens, singles: list[int], firsts: list[int], lasts: list[int]) -> list[Span]:
    """The spans, sorted and merged, of the raw tokens holding the positions ``singles``,
    and from the raw token holding each of ``firsts`` to the end of the one holding the
    ``lasts`` beside it (a phrase's first and last positions)."""
    raws = tokens.raw_numbers(itertools.chain(singles, firsts, lasts))
    wanted = sorted(set(raws))
    span_of = dict(zip(wanted, tokens.spans(text, wanted)))
    count, pairs = len(singles), len(firsts)
    spans = [span_of[raw] for raw in raws[:count]]
    spans.extend((span_of[a][0], span_of[b][1]) for a, b in zip(raws[count:count + pairs], raws[count + pairs:]))
    return _merge(spans)


def _best_window(flagged: Sequence[int]) -> int:
    """Which of the ``flagged`` tokens' numbers (ascending) begins the earliest window of
    :data:`_WINDOW_TOKENS` tokens holding the most of them."""
    best_count, best_number = 0, 0
    for number, first in enumerate(flagged):
        count = bisect.bisect_left(flagged, first + _WINDOW_TOKENS, number) - number
        if count > best_count:
            best_count, best_number = count, number
    return best_number


def _region(text: str, begin: int, spec: HighlightSpec, max_chars: int) -> tuple[int, int, list[Span]]:
    """:func:`_body_spans` of a long text whose best window starts at character ``begin``."""
    start, end = _region_bounds(text, begin, max_chars)
    return start, end, [(a + start, b + start) for a, b in match_spans(text[start:end], spec)]


def _region_bounds(text: str, begin: int, max_chars: int) -> Span:
    """The region of a long text highlighted around its best window, which starts at ``begin``."""
    window = textspans.token_spans(text, begin, len(text), _WINDOW_TOKENS)
    start = max(0, window[0][0] - max_chars)
    end = min(len(text), window[-1][1] + max_chars)
    # Start and end on token boundaries so the region tokenizes as the whole text does.
    first_token = textspans.token_spans(text, start, len(text), 1)
    start = first_token[0][0] if first_token and first_token[0][0] <= window[0][0] else window[0][0]
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def make_snippets(
    headline: str,
    body: str,
    background: Sequence[str],
    spec: HighlightSpec,
    *,
    max_chars: int = 240,
    check_time: Callable[[], None] | None = None,
    body_index: BodyIndex | None = None,
) -> list[Snippet]:
    """The snippets of one hit (see the module docstring for what and how much).

    ``check_time`` is called now and then and may raise to stop (the search's time limit).
    ``body_index``: where the body's tokens and the query's terms lie, from the index
    (:class:`BodyIndex`); the body is then read only around what the snippet shows. The
    snippets are the same either way.
    """
    check = check_time or _no_check
    check()
    snippets: list[Snippet] = []
    headline = headline[:SCAN_CHARS]
    if body_index is None or len(headline) >= SCAN_CHARS:
        headline_spans = match_spans(headline, spec)
    else:
        headline_spans = _indexed_spans_of(headline, spec, body_index, "headline")
    if headline_spans and len(headline) <= MAX_HEADLINE_SNIPPET_CHARS:
        snippets.append(Snippet(field="headline", text=headline, highlights=headline_spans))
    elif headline_spans:
        fragment = _best_body_fragment(headline, headline_spans, max_chars)
        snippets.append(fragment.model_copy(update={"field": "headline"}))
    check()
    scanned = body[:SCAN_CHARS]
    body_spans: list[Span]
    if not spec or not scanned:
        lo, hi, body_spans = 0, len(scanned), []
    elif body_index is not None and len(body) <= SCAN_CHARS:
        lo, hi, body_spans = _indexed_body_spans(body, spec, body_index, max_chars)
    else:
        lo, hi, body_spans = _body_spans(scanned, spec, max_chars)
    if body_spans:
        snippets.append(_best_body_fragment(body, body_spans, max_chars, lo, hi))
    check()
    # Without a wanted term in the background's postings, no bullet matches: none is read.
    if spec and (body_index is None or body_index.holds("background", spec.wanted)):
        snippets.extend(_background_snippets(background, spec, max_chars, check))
    if not snippets and body:
        cut = len(body) if len(body) <= max_chars else _word_end(body, max_chars, len(body))
        snippets.append(_fragment("body", body, 0, cut, []))
    return snippets


def _no_check() -> None:
    return None


def _background_snippets(background: Sequence[str], spec: HighlightSpec, max_chars: int,
                         check: Callable[[], None]) -> list[Snippet]:
    """The first matching bullets, reading at most :data:`SCAN_CHARS` characters of at most
    :data:`MAX_BACKGROUND_SCANNED` bullets; offsets point into the bullets joined by newlines."""
    snippets: list[Snippet] = []
    at = 0
    for number, bullet in enumerate(background[:MAX_BACKGROUND_SCANNED]):
        if at >= SCAN_CHARS or len(snippets) >= MAX_BACKGROUND_SNIPPETS:
            break
        if number % _CHECK_EVERY == _CHECK_EVERY - 1:
            check()
        mine = match_spans(bullet[: SCAN_CHARS - at], spec)
        if mine:
            snippet = _best_body_fragment(bullet, mine, max_chars)
            snippets.append(snippet.model_copy(update={"field": "background", "offset": snippet.offset + at}))
        at += len(bullet) + 1
    return snippets
