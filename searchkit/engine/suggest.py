"""\"Did you mean\": a respelling of the query's words that finds many more articles.

When a search finds fewer than :data:`SUGGEST_BELOW` articles, each plain word of the
query whose term is rare or absent is compared with the index's terms that share its
first letter and lie within one edit (two for words of seven letters or more). The most
frequent such term replaces it, written as the word actually appears in an article that
holds it. The respelled query is suggested when it finds at least twice as many articles
(and at least :data:`SUGGEST_BELOW`).
"""

from __future__ import annotations

from collections import Counter

from ..analysis import analyze_query_word, iter_tokens, normalize
from ..query import QueryMode, _lex, parse_query
from .execute import Ranking
from .fuzzy import edit_distance
from .segment import FIELDS
from .snapshot import Snapshot

__all__ = ["SUGGEST_BELOW", "suggest"]

SUGGEST_BELOW = 3
_MAX_WORDS = 8


def _document_frequency(snapshot: Snapshot, term: str) -> int:
    total = 0
    for loaded in snapshot.segments:
        number = loaded.reader.term_id(term)
        if number >= 0:
            total += max(loaded.reader.doc_frequencies(number))
    return total


def _candidates(snapshot: Snapshot, term: str) -> Counter[str]:
    limit = 2 if len(term) >= 7 else 1
    found: Counter[str] = Counter()
    for loaded in snapshot.segments:
        reader = loaded.reader
        for number in reader.close_terms(term, limit):
            candidate = reader.terms[number]
            if candidate != term:
                found[candidate] += max(reader.doc_frequencies(number))
    return found


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


def suggest(snapshot: Snapshot, query: str, total: int, *, mode: QueryMode, ranking: Ranking) -> str | None:
    if total >= SUGGEST_BELOW or not snapshot.doc_count:
        return None
    tokens = [t for t in _lex(query) if t.kind == "word"]
    if not tokens or len(tokens) > _MAX_WORDS:
        return None
    replaced = query
    changed = False
    for token in reversed(tokens):
        word = token.text.lstrip("+-")
        if ":" in word or word in ("AND", "OR", "NOT") or word.endswith(("*", "~")):
            continue
        terms = analyze_query_word(word)
        if len(terms) != 1 or not terms[0][:1].isalpha():
            continue
        term = terms[0]
        current = _document_frequency(snapshot, term)
        options = _candidates(snapshot, term)
        if not options:
            continue
        best, frequency = options.most_common(1)[0]
        if frequency <= max(2 * current, current + 1):
            continue
        start = token.at + (len(token.text) - len(word))
        replaced = replaced[:start] + _surface(snapshot, best, word) + replaced[start + len(word):]
        changed = True
    if not changed:
        return None
    from .search import SearchRequest, run_search

    request = SearchRequest(query=parse_query(replaced, mode=mode).query, facets=False, snippets=False, limit=1)
    better = run_search(snapshot, request, ranking).total
    if better >= max(2 * total, SUGGEST_BELOW):
        return replaced
    return None
