"""\"Did you mean\": a respelling of the query's words that finds many more articles.

When a search finds fewer than :data:`SUGGEST_BELOW` articles, each plain word of the query
gets respellings: the index terms of the words one edit from it (for words of up to
:data:`_MAX_RESPELLED_LETTERS` letters; an edit is an inserted, deleted or changed letter,
or two adjacent letters swapped: ``desertoin`` -> ``desertion``, ``corea`` -> ``korea``),
and the index terms that share its term's first letter and lie
within one edit of that term (two for terms of seven letters or more). A respelling must be
in more than twice as many articles as the word itself; of those, only the closest are kept
(one edit beats two), at most the :data:`_PER_WORD` most frequent.

The respelled queries are then compared whole: the one whose words (all of them) occur
together in the most articles wins, so ``north corea missile`` becomes ``north korea
missile`` rather than ``north core missile`` when "core" is the more frequent word alone;
ties go to the more frequent respellings. Each chosen term is written as the word appears
in an article that holds it, closest to what was typed. The respelled query is suggested
when it finds at least twice as many articles as the query (and at least
:data:`SUGGEST_BELOW`), run in the same mode. Suggesting counts against the search's
``time_limit``: when it runs out, the results come without a suggestion.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis import analyze_query_word, iter_tokens, normalize
from ..errors import QueryTooComplexError
from ..query import QueryMode, _lex, parse_query
from .execute import Ranking
from .fuzzy import edit_distance
from .segment import FIELDS
from .snapshot import Snapshot

__all__ = ["SUGGEST_BELOW", "suggest"]

SUGGEST_BELOW = 3
_MAX_WORDS = 8
_PER_WORD = 5  # respellings kept per word, the most frequent
_BEAM = 32  # partial respelled queries kept while combining words
_MAX_RESPELLED_LETTERS = 24  # longer words get no one-edit respellings (54 per letter to stem)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class _Option:
    term: str
    frequency: int  # live articles holding the term in any field
    docs: Array  # those articles, as index-wide numbers


def _documents(snapshot: Snapshot, term: str) -> Array:
    """The live articles holding ``term`` in any field, numbered across segments."""
    parts = []
    base = 0
    for loaded in snapshot.segments:
        reader = loaded.reader
        number = reader.term_id(term)
        if number >= 0:
            docs = np.unique(np.concatenate([reader.postings(name, number)[0] for name in FIELDS]))
            if loaded.live is not None:
                docs = docs[loaded.live[docs]]
            parts.append(docs.astype(np.int64) + base)
        base += reader.doc_count
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _one_edit(word: str) -> set[str]:
    """Every string one insertion, deletion, change or adjacent swap of a-z away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {left + right[1:] for left, right in splits if right}
    found |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    found |= {left + letter + right[1:] for left, right in splits if right for letter in _LETTERS}
    found |= {left + letter + right for left, right in splits for letter in _LETTERS}
    found.discard(word)
    return found


def _candidate_terms(snapshot: Snapshot, word: str, term: str) -> dict[str, int]:
    """Index terms one edit from the typed ``word``, and those close to its ``term`` (same
    first letter), each with its distance in edits."""
    found: set[str] = set()
    for variant in _one_edit(word) if len(word) <= _MAX_RESPELLED_LETTERS else ():
        terms = analyze_query_word(variant)
        if len(terms) == 1 and terms[0] != term:
            found.add(terms[0])
    vocabularies = [loaded.reader.terms.as_list() for loaded in snapshot.segments]  # decoded once per segment
    present = {t: 1 for t in found if any(_holds(vocabulary, t) for vocabulary in vocabularies)}
    limit = 2 if len(term) >= 7 else 1
    for loaded in snapshot.segments:
        reader = loaded.reader
        for number in reader.close_terms(term, limit):
            candidate = reader.terms[number]
            if candidate != term and candidate not in present:
                present[candidate] = edit_distance(term, candidate, limit)
    return present


def _at_most(snapshot: Snapshot, term: str) -> int:
    """An upper bound of the articles holding ``term``: its per-field frequencies summed."""
    total = 0
    for loaded in snapshot.segments:
        number = loaded.reader.term_id(term)
        if number >= 0:
            total += sum(loaded.reader.doc_frequencies(number))
    return total


def _holds(vocabulary: list[str], term: str) -> bool:
    at = bisect.bisect_left(vocabulary, term)
    return at < len(vocabulary) and vocabulary[at] == term


def _options(snapshot: Snapshot, word: str, term: str) -> list[_Option]:
    """The word's own term, then its respellings that are in more than twice as many articles."""
    own = _Option(term, 0, _documents(snapshot, term))
    own = _Option(term, int(own.docs.size), own.docs)
    better = []
    for candidate, distance in _candidate_terms(snapshot, word, term).items():
        if _at_most(snapshot, candidate) <= max(2 * own.frequency, own.frequency + 1):
            continue  # cannot pass: skip gathering its articles
        docs = _documents(snapshot, candidate)
        if docs.size > max(2 * own.frequency, own.frequency + 1):
            better.append((distance, _Option(candidate, int(docs.size), docs)))
    closest = min((distance for distance, _ in better), default=0)
    kept = sorted((o for d, o in better if d == closest), key=lambda option: (-option.frequency, option.term))
    return [own, *kept[:_PER_WORD]]


def _best_combination(choices: list[list[_Option]]) -> list[_Option]:
    """One option per word: the most articles holding all chosen terms, then the most frequent terms.

    A beam over the words (the :data:`_BEAM` best partial choices by articles in common)
    keeps this fast for eight words of six options each.
    """
    beam: list[tuple[list[_Option], Array | None]] = [([], None)]
    for options in choices:
        grown: list[tuple[list[_Option], Array | None]] = []
        for chosen, common in beam:
            for option in options:
                docs = option.docs if common is None else np.intersect1d(common, option.docs, assume_unique=True)
                grown.append(([*chosen, option], docs))
        grown.sort(key=lambda item: _rank(item[0], item[1]))
        beam = grown[:_BEAM]
    return beam[0][0]


def _rank(chosen: list[_Option], common: Array | None) -> tuple[int, int]:
    together = 0 if common is None else int(common.size)
    return -together, -sum(option.frequency for option in chosen)


def _surface(snapshot: Snapshot, term: str, typed: str) -> str:
    """How ``term`` is written in an article that holds it, closest to what was typed."""
    forms: Counter[str] = Counter()
    for loaded in snapshot.segments:
        number = loaded.reader.term_id(term)
        if number < 0:
            continue
        for name in FIELDS:
            docs, _ = loaded.reader.postings(name, number)
            for doc in docs[:3].tolist():
                stored = loaded.reader.stored(doc)
                text = stored.get(name) or ""
                if isinstance(text, list):
                    text = "\n".join(text)
                for token in iter_tokens(text):
                    if term in token.terms:
                        forms[normalize(text[token.start:token.end])] += 1
        if forms:
            break
    if not forms:
        return term
    return min(forms, key=lambda form: (edit_distance(normalize(typed), form, 99), -forms[form]))


def suggest(snapshot: Snapshot, query: str, total: int, *, mode: QueryMode, ranking: Ranking,
            deadline: float | None = None) -> str | None:
    """The respelled query to suggest, or None (see the module docstring).

    ``deadline`` (a :func:`time.perf_counter` value: the search's time limit) is checked as
    the work goes; past it there is no suggestion rather than a late one.
    """

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    if total >= SUGGEST_BELOW or not snapshot.doc_count or late():
        return None
    tokens = [t for t in _lex(query) if t.kind == "word"]
    if not tokens or len(tokens) > _MAX_WORDS:
        return None
    words = []  # (token, word as typed without its sign, its options)
    for token in tokens:
        word = token.text.lstrip("+-")
        if ":" in word or word in ("AND", "OR", "NOT") or word.endswith(("*", "~")):
            continue
        terms = analyze_query_word(word)
        if len(terms) != 1 or not terms[0][:1].isalpha():
            continue
        words.append((token, word, _options(snapshot, normalize(word), terms[0])))
        if late():
            return None
    if not any(len(options) > 1 for _, _, options in words):
        return None
    chosen = _best_combination([options for _, _, options in words])
    replaced = query
    changed = False
    for (token, word, options), option in reversed(list(zip(words, chosen))):
        if option is options[0]:
            continue
        start = token.at + (len(token.text) - len(word))
        replaced = replaced[:start] + _surface(snapshot, option.term, word) + replaced[start + len(word):]
        changed = True
    if not changed:
        return None
    from .search import SearchRequest, run_search

    remaining = None if deadline is None else deadline - time.perf_counter()
    if remaining is not None and remaining <= 0:
        return None
    request = SearchRequest(query=parse_query(replaced, mode=mode).query, facets=False, snippets=False, limit=1,
                            time_limit=remaining)
    try:
        better = run_search(snapshot, request, ranking).total
    except QueryTooComplexError:
        return None
    if better >= max(2 * total, SUGGEST_BELOW):
        return replaced
    return None
