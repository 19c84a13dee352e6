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
:data:`SUGGEST_BELOW`), run in the same mode and within the same ``sources``, ``since`` and
``until``. A query whose words find :data:`SUGGEST_BELOW` articles or more in the whole index
gets no suggestion however few its filters leave: its words are spelled as articles spell
them. Suggesting counts against the search's ``time_limit``: when it runs out, the results
come without a suggestion.
"""

from __future__ import annotations

import bisect
import itertools
import time
import weakref
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from ..analysis import TOKEN_PATTERN, analyze, analyze_query_word, normalize, stem_letters
from ..errors import QueryTooComplexError
from ..query import QueryMode, _lex, parse_query
from .execute import Ranking
from .fuzzy import LetterIndex, edit_distance, letter_index, nearby_terms
from .segment import FIELDS, SegmentReader
from .snapshot import Snapshot

__all__ = ["BEAM", "SUGGEST_BELOW", "Filters", "Respellable", "better_enough", "close_limit", "closest_form", "keep_respellings",
           "one_edit_terms", "respell", "respellable_words", "suggest", "written_forms"]

SUGGEST_BELOW = 3
_MAX_WORDS = 8
_PER_WORD = 5  # respellings kept per word, the most frequent
BEAM = 32  # partial respelled queries kept while combining words
_MAX_RESPELLED_LETTERS = 24  # longer words get no one-edit respellings (54 per letter to stem)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Filters:
    """A search's filters, which a suggestion is checked within, and how many articles its
    query found without them."""

    unfiltered: int
    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None


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
        number = _term_number(reader, term)
        if number >= 0:
            held = np.zeros(reader.doc_count, dtype=bool)  # the fields' lists united by a mask, not a sort
            for name in FIELDS:
                held[reader.postings(name, number)[0]] = True
            if loaded.live is not None:
                held &= loaded.live
            parts.append(np.flatnonzero(held) + base)
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


def one_edit_terms(word: str, term: str) -> set[str]:
    """The terms (other than ``term``) of the strings one edit from the typed ``word``
    (normalized); none for words longer than :data:`_MAX_RESPELLED_LETTERS`."""
    found: set[str] = set()
    variants = list(_one_edit(word)) if len(word) <= _MAX_RESPELLED_LETTERS else []
    if word.isascii() and word.isalpha() and word.islower():  # the variants are a-z too: stemmed at once
        found.update(itertools.compress(stems := stem_letters(variants), map(term.__ne__, stems)))
        found.discard("")
        return found
    for variant in variants:
        terms = analyze_query_word(variant)
        if len(terms) == 1 and terms[0] != term:
            found.add(terms[0])
    return found


def close_limit(term: str) -> int:
    """How many edits an index term may be from ``term`` to be a respelling of it."""
    return 2 if len(term) >= 7 else 1


def _passes(frequency: int, own: int) -> bool:
    """A respelling must be in more than twice as many articles as the word itself."""
    return frequency > max(2 * own, own + 1)


def keep_respellings(own: int, candidates: list[tuple[str, int, int]]) -> list[tuple[str, int]]:
    """Of ``(term, distance, articles)`` candidates, those that pass (see the module
    docstring), only the closest, at most :data:`_PER_WORD`, most articles first."""
    better = [(distance, term, frequency) for term, distance, frequency in candidates if _passes(frequency, own)]
    closest = min((distance for distance, _, _ in better), default=0)
    kept = sorted((-frequency, term) for distance, term, frequency in better if distance == closest)
    return [(term, -negative) for negative, term in kept[:_PER_WORD]]


def _candidate_terms(snapshot: Snapshot, word: str, term: str, own: int) -> dict[str, int]:
    """Index terms one edit from the typed ``word``, and those close to its ``term`` (same
    first letter), each with its distance in edits; only those that may pass for a word in
    ``own`` articles (:func:`_at_most` above the bound), so a frequent word measures few."""
    found = list(one_edit_terms(word, term))
    hashes = np.fromiter(map(hash, found), dtype=np.int64, count=len(found))
    table = _hashes(snapshot)  # rules out most at once; the rest are looked up
    at = np.minimum(np.searchsorted(table, hashes), max(table.size - 1, 0))
    maybe = np.flatnonzero(table[at] == hashes).tolist() if table.size else []
    present = {found[i]: 1 for i in maybe if _passes(_at_most(snapshot, found[i]), own)}
    limit = close_limit(term)
    terms, letters = _letters(snapshot, term[0])
    nearby = nearby_terms(term, limit, letters)
    nearby = nearby[_letter_frequencies(snapshot, term[0])[nearby] > max(2 * own, own + 1)]  # as _passes
    for number in nearby.tolist():
        candidate = terms[number]
        if candidate != term and candidate not in present:
            distance = edit_distance(term, candidate, limit)
            if distance <= limit:
                present[candidate] = distance
    return present


def _at_most(snapshot: Snapshot, term: str) -> int:
    """An upper bound of the articles holding ``term``: its per-field frequencies summed."""
    total = 0
    for loaded in snapshot.segments:
        number = _term_number(loaded.reader, term)
        if number >= 0:
            total += _frequencies(loaded.reader)[number]
    return total


_FREQUENCIES: weakref.WeakKeyDictionary[SegmentReader, list[int]] = weakref.WeakKeyDictionary()


def _frequencies(reader: SegmentReader) -> list[int]:
    """Per term of the reader, its per-field document frequencies summed (made once per reader)."""
    found = _FREQUENCIES.get(reader)
    if found is None:
        summed = sum(reader.document_frequencies(name) for name in FIELDS)
        found = _FREQUENCIES[reader] = np.asarray(summed, dtype=np.int64).tolist()
    return found


def _letter_frequencies(snapshot: Snapshot, first: str) -> Array:
    """:func:`_at_most` of each of :func:`_letters`' terms, made once per snapshot and letter."""
    key = ("suggest letter frequencies", first)
    found: Array | None = snapshot.cache.get(key)
    if found is None:
        terms, _ = _letters(snapshot, first)
        where = {term: number for number, term in enumerate(terms)}
        found = np.zeros(len(terms), dtype=np.int64)
        for loaded in snapshot.segments:
            lo, hi = loaded.reader.term_range(first)
            numbers = [where[term] for term in loaded.reader.terms.as_list()[lo:hi]]
            found[numbers] += np.asarray(_frequencies(loaded.reader)[lo:hi], dtype=np.int64)
        snapshot.cache[key] = found
    return found


def _term_number(reader: SegmentReader, term: str) -> int:
    """``reader.term_id(term)`` through the decoded vocabulary that suggesting keeps anyway
    (a bisection at C speed instead of one decoded look-up per step)."""
    vocabulary = reader.terms.as_list()
    at = bisect.bisect_left(vocabulary, term)
    return at if at < len(vocabulary) and vocabulary[at] == term else -1


_HASHES: weakref.WeakKeyDictionary[SegmentReader, Array] = weakref.WeakKeyDictionary()


def _hashes(snapshot: Snapshot) -> Array:
    """The hashes of the terms of all the snapshot's segments, sorted, made once per snapshot
    (from each reader's, made once per reader): hundreds of respellings ruled out at once."""
    merged: Array | None = snapshot.cache.get("suggest hashes")
    if merged is None:
        parts = []
        for loaded in snapshot.segments:
            found = _HASHES.get(loaded.reader)
            if found is None:
                terms = loaded.reader.terms.as_list()
                hashes = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
                found = _HASHES[loaded.reader] = np.sort(hashes)
            parts.append(found)
        # (sorted runs merged by a stable sort; a term in several segments stays several times)
        merged = snapshot.cache["suggest hashes"] = np.sort(np.concatenate(parts), kind="stable") if parts else \
            np.zeros(0, np.int64)
    return merged


def _letters(snapshot: Snapshot, first: str) -> tuple[list[str], LetterIndex]:
    """The terms of all the snapshot's segments that start with ``first``, sorted, and their
    :class:`.fuzzy.LetterIndex`, made on first use per snapshot: a word's close terms are
    looked for among those only, each once (most terms are in every segment), and the first
    misspelt word after opening counts the letters of one letter's terms, not of the whole
    vocabulary."""
    key = ("suggest letters", first)
    found: tuple[list[str], LetterIndex] | None = snapshot.cache.get(key)
    if found is None:
        union: set[str] = set()
        for loaded in snapshot.segments:
            lo, hi = loaded.reader.term_range(first)
            union.update(loaded.reader.terms.as_list()[lo:hi])
        terms = sorted(union)
        encoded = [term.encode("utf-8") for term in terms]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(blob) for blob in encoded], out=offsets[1:])
        found = snapshot.cache[key] = (terms, letter_index(offsets, np.frombuffer(b"".join(encoded), dtype=np.uint8)))
    return found


def _options(snapshot: Snapshot, word: str, term: str) -> list[_Option]:
    """The word's own term, then its respellings that are in more than twice as many articles."""
    own = _Option(term, 0, _documents(snapshot, term))
    own = _Option(term, int(own.docs.size), own.docs)
    found: dict[str, Array] = {}
    candidates = []
    for candidate, distance in _candidate_terms(snapshot, word, term, own.frequency).items():
        found[candidate] = _documents(snapshot, candidate)
        candidates.append((candidate, distance, int(found[candidate].size)))
    kept = keep_respellings(own.frequency, candidates)
    return [own, *(_Option(candidate, frequency, found[candidate]) for candidate, frequency in kept)]


def _best_combination(choices: list[list[_Option]]) -> list[_Option]:
    """One option per word: the most articles holding all chosen terms, then the most frequent terms.

    A beam over the words (the :data:`BEAM` best partial choices by articles in common)
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
        beam = grown[:BEAM]
    return beam[0][0]


def _rank(chosen: list[_Option], common: Array | None) -> tuple[int, int]:
    together = 0 if common is None else int(common.size)
    return -together, -sum(option.frequency for option in chosen)


def _surface(snapshot: Snapshot, term: str, typed: str) -> str:
    """How ``term`` is written in an article that holds it, closest to what was typed."""
    forms: Counter[str] = Counter()
    for loaded in snapshot.segments:
        number = _term_number(loaded.reader, term)
        if number < 0:
            continue
        for name in FIELDS:
            docs, _ = loaded.reader.postings(name, number)
            for doc in docs[:3].tolist():
                text = loaded.reader.stored(doc).get(name) or ""
                forms.update(written_forms("\n".join(text) if isinstance(text, list) else text, term))
        if forms:
            break
    return closest_form(forms, term, typed)


def written_forms(text: str, term: str) -> Counter[str]:
    """The words of ``text`` (normalized) that have ``term`` among their terms, counted, in
    the order they first occur (each distinct raw token analysed once)."""
    forms: Counter[str] = Counter()
    for raw, count in Counter(TOKEN_PATTERN.findall(text)).items():
        result = analyze(raw)
        if (term == result) if isinstance(result, str) else (term == result[1] or term in result[0]):
            forms[normalize(raw)] += count
    return forms


def closest_form(forms: Counter[str], term: str, typed: str) -> str:
    """Of the ways ``term`` is written (:func:`written_forms`), the closest to ``typed``,
    then the most common; ``term`` itself when there are none."""
    if not forms:
        return term
    return min(forms, key=lambda form: (edit_distance(normalize(typed), form, 99), -forms[form]))


def suggest(snapshot: Snapshot, query: str, total: int, *, mode: QueryMode, ranking: Ranking,
            deadline: float | None = None, filters: Filters | None = None) -> str | None:
    """The respelled query to suggest for ``query``, which found ``total`` articles within
    ``filters`` and ``filters.unfiltered`` without them, or None (see the module docstring).

    ``deadline`` (a :func:`time.perf_counter` value: the search's time limit) is checked as
    the work goes; past it there is no suggestion rather than a late one.
    """

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    filters = filters or Filters(unfiltered=total)
    if max(total, filters.unfiltered) >= SUGGEST_BELOW or not snapshot.doc_count or late():
        return None
    words = []  # each respellable word, its options
    for word in respellable_words(query):
        words.append((word, _options(snapshot, normalize(word.typed), word.term)))
        if late():
            return None
    if not any(len(options) > 1 for _, options in words):
        return None
    chosen = _best_combination([options for _, options in words])
    changes = [(word, _surface(snapshot, option.term, word.typed))
               for (word, options), option in zip(words, chosen) if option is not options[0]]
    if not changes:
        return None
    replaced = respell(query, changes)
    from .search import SearchRequest, run_search

    remaining = None if deadline is None else deadline - time.perf_counter()
    if remaining is not None and remaining <= 0:
        return None
    request = SearchRequest(query=parse_query(replaced, mode=mode).query, facets=False, snippets=False, limit=1,
                            time_limit=remaining, sources=filters.sources, since=filters.since, until=filters.until)
    try:
        better = run_search(snapshot, request, ranking).total
    except QueryTooComplexError:
        return None
    return replaced if better_enough(better, total) else None


@dataclass(frozen=True)
class Respellable:
    """A plain word of a query that may be respelled: where it stands, as typed, its term."""

    at: int  # its first character in the query (after any + or - sign)
    typed: str
    term: str


def respellable_words(query: str) -> list[Respellable]:
    """The query's plain words (not fields, operators, prefixes or fuzzy words) of one
    alphabetic term each; none when the query has more than :data:`_MAX_WORDS` words."""
    tokens = [t for t in _lex(query) if t.kind == "word"]
    if len(tokens) > _MAX_WORDS:
        return []
    words = []
    for token in tokens:
        word = token.text.lstrip("+-")
        if ":" in word or word in ("AND", "OR", "NOT") or word.endswith(("*", "~")):
            continue
        terms = analyze_query_word(word)
        if len(terms) != 1 or not terms[0][:1].isalpha():
            continue
        words.append(Respellable(token.at + (len(token.text) - len(word)), word, terms[0]))
    return words


def respell(query: str, changes: list[tuple[Respellable, str]]) -> str:
    """``query`` with each changed word replaced by its new spelling."""
    for word, spelling in sorted(changes, key=lambda change: -change[0].at):
        query = query[:word.at] + spelling + query[word.at + len(word.typed):]
    return query


def better_enough(better: int, total: int) -> bool:
    """Whether a respelled query that finds ``better`` articles is worth suggesting for one
    that finds ``total``."""
    return better >= max(2 * total, SUGGEST_BELOW)
