"""\"Did you mean\" on an OpenSearch index, under the embedded index's rule.

The rule is :mod:`searchkit.engine.suggest`'s, step for step, with its own helpers; only the
lookups go to the cluster, on the indexed terms of ``all_terms`` (every text field):

* the respellings of each word: the terms of its one-edit variants, plus the index terms
  close to its term that OpenSearch's term suggester finds (same first letter, within
  :func:`~searchkit.engine.suggest.close_limit` edits, checked again with searchkit's own
  edit distance);
* how many articles hold each of them: one ``filters`` aggregation of ``term`` queries;
* how many articles hold a whole respelled query's terms together: ``count`` requests for the
  partial choices of the beam, one ``_msearch`` per word;
* how a chosen term is written: the first three articles (by id) that hold it in each field.

The suggested query is then searched in the query's mode and suggested when it finds at least
twice as many articles (and at least :data:`~searchkit.engine.suggest.SUGGEST_BELOW`). What
can differ from a folder: the term suggester looks at up to :data:`SUGGESTER_SIZE` close terms
per word, and the spelling shown is read from the first articles by id, not by indexing order.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..analysis import normalize
from ..engine.fuzzy import edit_distance
from ..engine.segment import FIELDS
from ..engine.suggest import (
    BEAM,
    SUGGEST_BELOW,
    better_enough,
    close_limit,
    closest_form,
    keep_respellings,
    one_edit_terms,
    respell,
    respellable_words,
    written_forms,
)
from ..errors import QueryTooComplexError
from ..query import QueryMode
from .mapping import ALL_FIELD, TERM_FIELDS

if TYPE_CHECKING:
    from .index import OpenSearchIndex

__all__ = ["SUGGESTER_SIZE", "suggest"]

SUGGESTER_SIZE = 100  # close index terms asked of the term suggester per word


def _close_terms(index: OpenSearchIndex, term: str) -> dict[str, int]:
    """Index terms that share ``term``'s first letter and lie within :func:`close_limit` edits."""
    limit = close_limit(term)
    body = {"size": 0, "suggest": {"close": {"text": term, "term": {
        "field": ALL_FIELD, "suggest_mode": "always", "max_edits": limit, "prefix_length": 1,
        "min_word_length": 1, "min_doc_freq": 1, "max_term_freq": 2**31 - 1, "accuracy": 0.0001,
        "size": SUGGESTER_SIZE, "shard_size": SUGGESTER_SIZE, "max_inspections": 10,
    }}}}
    answer = index._call("looking up close terms", index._client.search, body=body)
    found = {}
    for entry in answer["suggest"]["close"]:
        for option in entry["options"]:
            candidate = str(option["text"])
            distance = edit_distance(term, candidate, limit)
            if candidate != term and distance <= limit:
                found[candidate] = distance
    return found


def _articles(index: OpenSearchIndex, terms: list[str]) -> dict[str, int]:
    """How many articles hold each of ``terms`` in any text field."""
    body = {"size": 0, "aggs": {"terms": {"filters": {"filters": {
        str(n): {"term": {ALL_FIELD: term}} for n, term in enumerate(terms)}}}}}
    answer = index._call("counting articles per term", index._client.search, body=body)
    buckets = answer["aggregations"]["terms"]["buckets"]
    return {term: int(buckets[str(n)]["doc_count"]) for n, term in enumerate(terms)}


def _together(index: OpenSearchIndex, choices: list[list[str]]) -> list[int]:
    """For each list of terms, how many articles hold all of them."""
    lines: list[dict[str, Any]] = []
    for terms in choices:
        lines.append({})
        lines.append({"size": 0, "track_total_hits": True,
                      "query": {"bool": {"filter": [{"term": {ALL_FIELD: term}} for term in terms]}}})
    answer = index._call("counting respelled queries", index._client.msearch, body=lines)
    return [int(response["hits"]["total"]["value"]) for response in answer["responses"]]


def _surface(index: OpenSearchIndex, term: str, typed: str) -> str:
    """How ``term`` is written in the first articles holding it, closest to what was typed."""
    lines: list[dict[str, Any]] = []
    for name in FIELDS:
        lines.append({})
        lines.append({"size": 3, "query": {"term": {TERM_FIELDS[name]: term}}, "sort": [{"id": "asc"}],
                      "_source": [name]})
    answer = index._call("reading how a word is written", index._client.msearch, body=lines)
    forms: Counter[str] = Counter()
    for name, response in zip(FIELDS, answer["responses"]):
        for hit in response["hits"]["hits"]:
            text = hit["_source"].get(name) or ""
            forms.update(written_forms("\n".join(text) if isinstance(text, list) else text, term))
    return closest_form(forms, term, typed)


def suggest(index: OpenSearchIndex, query: str, total: int, *, mode: QueryMode,
            deadline: float | None = None) -> str | None:
    """The respelled query to suggest for ``query`` (which found ``total`` articles), or None.

    ``deadline`` (a :func:`time.perf_counter` value) is checked between requests; past it
    there is no suggestion rather than a late one.
    """

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    if total >= SUGGEST_BELOW or late():
        return None
    words = respellable_words(query)
    choices: list[list[tuple[str, int]]] = []
    for word in words:
        candidates = dict.fromkeys(one_edit_terms(normalize(word.typed), word.term), 1)
        for candidate, distance in _close_terms(index, word.term).items():
            candidates.setdefault(candidate, distance)
        counts = _articles(index, [word.term, *candidates])
        own = counts[word.term]
        kept = keep_respellings(own, [(term, distance, counts[term]) for term, distance in candidates.items()])
        choices.append([(word.term, own), *kept])
        if late():
            return None
    if not any(len(options) > 1 for options in choices):
        return None
    beam: list[list[tuple[str, int]]] = [[]]
    for options in choices:  # the embedded index's beam, with counts from the cluster
        grown = [[*chosen, option] for chosen in beam for option in options]
        together = _together(index, [[term for term, _ in chosen] for chosen in grown])
        ranked = sorted(zip(together, range(len(grown))),
                        key=lambda pair: (-pair[0], -sum(frequency for _, frequency in grown[pair[1]])))
        beam = [grown[at] for _, at in ranked[:BEAM]]
        if late():
            return None
    changes = [(word, _surface(index, term, word.typed))
               for word, options, (term, _) in zip(words, choices, beam[0]) if term != options[0][0]]
    if not changes:
        return None
    replaced = respell(query, changes)
    remaining = None if deadline is None else deadline - time.perf_counter()
    if remaining is not None and remaining <= 0:
        return None
    try:
        better = index.search(replaced, mode=mode, facets=False, snippets=False, limit=1, suggest_spelling=False,
                              time_limit=remaining).total
    except QueryTooComplexError:
        return None
    return replaced if better_enough(better, total) else None
