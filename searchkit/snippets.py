"""Snippets: the best fragments of a hit's fields, with matched words as character offsets.

The stored text is re-tokenized with the same analyzer that indexed it, so a highlight
covers the original word as written ("Floods", "Núñez"), never a stem. A phrase query
highlights each occurrence of the whole phrase as one span and nothing else of it.

Per hit: the headline when it matches; the best body fragment (the sentence with the most
distinct matched terms, grown with its neighbours up to ``max_chars``, or a window around
the first match when the sentence alone is longer, cut at word boundaries); and each
background bullet that matches. When nothing matches (a filter-only query), the start of
the body stands in, without highlights.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .analysis import Token, iter_tokens
from .models import Snippet, SnippetField

__all__ = ["HighlightSpec", "make_snippets", "match_spans"]

_SENTENCE = re.compile(r"[^\s].*?(?:[.!?]+[\"”’')\]]*(?=\s)|\n|$)", re.DOTALL)
Span = tuple[int, int]


class HighlightSpec:
    """What to highlight: single terms (optionally per field) and phrases."""

    def __init__(self, terms: Iterable[str] = (), phrases: Iterable[Sequence[tuple[str, int]]] = ()):
        self.terms = frozenset(terms)
        self.phrases = [tuple(p) for p in phrases]

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)


def match_spans(text: str, spec: HighlightSpec) -> list[Span]:
    """Character spans of ``text`` that the query matched, sorted and merged."""
    if not spec or not text:
        return []
    tokens = list(iter_tokens(text))
    spans: list[Span] = [(t.start, t.end) for t in tokens if spec.terms.intersection(t.terms)]
    if spec.phrases:
        spans.extend(_phrase_spans(tokens, spec.phrases))
    return _merge(spans)


def _phrase_spans(tokens: list[Token], phrases: list[tuple[tuple[str, int], ...]]) -> list[Span]:
    at_position: dict[int, tuple[set[str], Token]] = {}
    for token in tokens:
        parts = token.terms[1:] if len(token.terms) > 1 else token.terms
        if len(token.terms) > 1:
            joined = token.terms[0]
            at_position.setdefault(token.position, (set(), token))[0].add(joined)
        for offset, term in enumerate(parts):
            at_position.setdefault(token.position + offset, (set(), token))[0].add(term)
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


def _word_end(text: str, at: int, ceiling: int) -> int:
    while at > 0 and at < ceiling and not text[at].isspace():
        at -= 1
    return at if at > 0 else ceiling


def _fragment(field: SnippetField, text: str, start: int, end: int, spans: list[Span], base: int = 0) -> Snippet:
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
    piece = text[start:end]
    stripped = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    inside = [(s - stripped, e - stripped) for s, e in inside]
    inside = [(max(s, 0), min(e, len(piece))) for s, e in inside if e > 0 and s < len(piece)]
    return Snippet(
        field=field,
        text=piece,
        highlights=inside,
        offset=base + start + stripped,
        truncated_start=start > 0,
        truncated_end=end < len(text),
    )


def _best_body_fragment(text: str, spans: list[Span], max_chars: int) -> Snippet:
    sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)] or [(0, len(text))]
    best, best_score = 0, (-1, 0)
    for number, (s_start, s_end) in enumerate(sentences):
        inside = [text[a:b].casefold() for a, b in spans if a >= s_start and b <= s_end]
        score = (len(set(inside)), len(inside))
        if score > best_score:
            best, best_score = number, score
    start, end = sentences[best]
    if end - start > max_chars:
        first_hit = next((a for a, b in spans if a >= start and b <= end), start)
        start = _word_start(text, max(start, first_hit - max_chars // 3), start)
        end = _word_end(text, min(start + max_chars, len(text)), len(text))
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


def make_snippets(
    headline: str,
    body: str,
    background: Sequence[str],
    spec: HighlightSpec,
    *,
    max_chars: int = 240,
) -> list[Snippet]:
    """The snippets of one hit (see the module docstring)."""
    snippets: list[Snippet] = []
    headline_spans = match_spans(headline, spec)
    if headline_spans:
        snippets.append(Snippet(field="headline", text=headline, highlights=headline_spans))
    body_spans = match_spans(body, spec)
    if body_spans:
        snippets.append(_best_body_fragment(body, body_spans, max_chars))
    joined = "\n".join(background)
    background_spans = match_spans(joined, spec)
    at = 0
    for bullet in background:
        end = at + len(bullet)
        mine = [(s, e) for s, e in background_spans if s >= at and e <= end]
        if mine:
            snippet = _best_body_fragment(bullet, [(s - at, e - at) for s, e in mine], max_chars)
            snippets.append(snippet.model_copy(update={"field": "background", "offset": snippet.offset + at}))
        at = end + 1
    if not snippets and body:
        cut = len(body) if len(body) <= max_chars else _word_end(body, max_chars, len(body))
        snippets.append(_fragment("body", body, 0, cut, []))
    return snippets
