"""\"Did you mean\" on an OpenSearch index, under the embedded index's rule.

The rule is :mod:`searchkit.engine.suggest`'s, step for step, with its own helpers; only the
lookups go to the cluster, on the indexed terms of ``all_terms`` (every text field):

* the respellings of each word: the terms of its one-edit variants, plus the index terms
  close to its term that OpenSearch's term suggester finds (same first letter, within
  :func:`~searchkit.engine.suggest.close_limit` edits, checked again with searchkit's own
  edit distance), and how many articles hold each (``filters`` aggregations of ``term``
  queries): one ``_msearch`` for all the words, and one more for the close terms;
* how many articles hold a whole respelled query's terms together: counts for the partial
  choices of the beam, one ``_msearch`` per word;
* how a chosen term is written: the first three articles (by id) that hold it in each
  field, one ``_msearch`` for all the changed words.

The suggested query is then searched in the query's mode and within its filters, and suggested
when it finds at least twice as many articles (and at least
:data:`~searchkit.engine.suggest.SUGGEST_BELOW`); a filtered query whose words find that many
articles without the filters gets none (one more count, only when the filters left too few). What
can differ from a folder: the term suggester looks at up to :data:`SUGGESTER_SIZE` close terms
per word, and the spelling shown is read from the first articles by id, not by indexing order.
"""

from __future__ import annotations

import time
from datetime import date
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..analysis import normalize
from ..engine.fuzzy import edit_distance
from ..engine.segment import FIELDS
from ..engine.suggest import (
    BEAM,
    SUGGEST_BELOW,
    Respellable,
    better_enough,
    close_limit,
    closest_form,
    keep_respellings,
    one_edit_terms,
    respell,
    respellable_words,
    written_forms,
)
from ..errors import ClusterError, QueryTooComplexError
from ..query import QueryMode
from .mapping import ALL_FIELD, TERM_FIELDS

if TYPE_CHECKING:
    from .index import OpenSearchIndex

__all__ = ["SUGGESTER_SIZE", "suggest"]

SUGGESTER_SIZE = 100  # close index terms asked of the term suggester per word


def _close_terms_request(term: str) -> dict[str, Any]:
    """The term suggester asked for index terms that share ``term``'s first letter and lie
    within :func:`close_limit` edits."""
    return {"close": {"text": term, "term": {
        "field": ALL_FIELD, "suggest_mode": "always", "max_edits": close_limit(term), "prefix_length": 1,
        "min_word_length": 1, "min_doc_freq": 1, "max_term_freq": 2**31 - 1, "accuracy": 0.0001,
        "size": SUGGESTER_SIZE, "shard_size": SUGGESTER_SIZE, "max_inspections": 10,
    }}}


def _close_terms(term: str, answer: dict[str, Any]) -> dict[str, int]:
    """The suggester's close terms in ``answer``, each with its distance (searchkit's)."""
    limit = close_limit(term)
    found = {}
    for entry in answer["suggest"]["close"]:
        for option in entry["options"]:
            candidate = str(option["text"])
            distance = edit_distance(term, candidate, limit)
            if candidate != term and distance <= limit:
                found[candidate] = distance
    return found


def _counting(terms: list[str]) -> dict[str, Any]:
    """An aggregation counting the articles that hold each of ``terms`` in any text field."""
    return {"terms": {"filters": {"filters": {str(n): {"term": {ALL_FIELD: term}} for n, term in enumerate(terms)}}}}


def _counts(terms: list[str], answer: dict[str, Any]) -> dict[str, int]:
    buckets = answer["aggregations"]["terms"]["buckets"]
    return {term: int(buckets[str(n)]["doc_count"]) for n, term in enumerate(terms)}


def _msearch(index: OpenSearchIndex, action: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``_msearch`` of ``bodies`` on the index; each answer (a failed one raises)."""
    lines: list[dict[str, Any]] = []
    for body in bodies:
        lines += [{}, body]
    answers: list[dict[str, Any]] = index._call(action, index._client.msearch, body=lines)["responses"]
    for answer in answers:
        if "error" in answer:
            raise ClusterError(f"{index.url}: the cluster failed while {action}: {str(answer['error'])[:300]}")
    return answers


def _options(index: OpenSearchIndex, words: list[Respellable]) -> list[list[tuple[str, int]]]:
    """Each word's own term and kept respellings, with their articles: two round trips for
    all the words (close terms and one-edit terms counted, then the close terms counted)."""
    variants = [[word.term, *sorted(one_edit_terms(normalize(word.typed), word.term))] for word in words]
    first = _msearch(index, "looking up respellings", [
        {"size": 0, "suggest": _close_terms_request(word.term), "aggs": _counting(terms)}
        for word, terms in zip(words, variants)])
    counts = [_counts(terms, answer) for terms, answer in zip(variants, first)]
    close = [_close_terms(word.term, answer) for word, answer in zip(words, first)]
    extra = [sorted(set(found) - set(known)) for found, known in zip(close, counts)]
    asked = [(known, terms) for known, terms in zip(counts, extra) if terms]
    if asked:
        second = _msearch(index, "counting close terms", [{"size": 0, "aggs": _counting(terms)} for _, terms in asked])
        for (known, terms), answer in zip(asked, second):
            known.update(_counts(terms, answer))
    choices = []
    for word, terms, known, found in zip(words, variants, counts, close):
        candidates = dict.fromkeys(terms[1:], 1)
        for candidate, distance in found.items():
            candidates.setdefault(candidate, distance)
        own = known[word.term]
        kept = keep_respellings(own, [(term, distance, known[term]) for term, distance in candidates.items()])
        choices.append([(word.term, own), *kept])
    return choices


def _together(index: OpenSearchIndex, choices: list[list[str]]) -> list[int]:
    """For each list of terms, how many articles hold all of them."""
    answers = _msearch(index, "counting respelled queries", [
        {"size": 0, "track_total_hits": True,
         "query": {"bool": {"filter": [{"term": {ALL_FIELD: term}} for term in terms]}}} for terms in choices])
    return [int(answer["hits"]["total"]["value"]) for answer in answers]


def _surfaces(index: OpenSearchIndex, chosen: list[tuple[str, str]]) -> list[str]:
    """How each ``(term, typed)`` term is written in the first articles (by id) that hold it
    in each field, closest to what was typed; one round trip for all of them."""
    answers = _msearch(index, "reading how words are written", [
        {"size": 3, "query": {"term": {TERM_FIELDS[name]: term}}, "sort": [{"id": "asc"}], "_source": [name]}
        for term, _ in chosen for name in FIELDS])
    spellings = []
    for at, (term, typed) in enumerate(chosen):
        forms: Counter[str] = Counter()
        for name, answer in zip(FIELDS, answers[at * len(FIELDS):(at + 1) * len(FIELDS)]):
            for hit in answer["hits"]["hits"]:
                text = hit["_source"].get(name) or ""
                forms.update(written_forms("\n".join(text) if isinstance(text, list) else text, term))
        spellings.append(closest_form(forms, term, typed))
    return spellings


def suggest(index: OpenSearchIndex, query: str, total: int, *, mode: QueryMode, deadline: float | None = None,
            filters: tuple[tuple[str, ...], date | None, date | None] = ((), None, None)) -> str | None:
    """The respelled query to suggest for ``query`` (which found ``total`` articles within
    ``filters``: sources, since, until), or None.

    ``deadline`` (a :func:`time.perf_counter` value) is checked between requests; past it
    there is no suggestion rather than a late one.
    """

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    sources, since, until = filters
    if total >= SUGGEST_BELOW or late():
        return None
    if (sources or since or until) and index.search(
            query, mode=mode, facets=False, snippets=False, limit=1, suggest_spelling=False,
            time_limit=None if deadline is None else max(deadline - time.perf_counter(), 0.001)).total >= SUGGEST_BELOW:
        return None  # the words are common: the filters left too few
    words = respellable_words(query)
    if not words:
        return None
    choices = _options(index, words)
    if late() or not any(len(options) > 1 for options in choices):
        return None
    beam: list[list[tuple[str, int]]] = [[]]
    for options in choices:  # the embedded index's beam, with counts from the cluster
        grown = [[*chosen, option] for chosen in beam for option in options]
        if len(grown[0]) == 1:  # one word: its articles are counted already
            together = [frequency for [(_, frequency)] in grown]
        else:
            together = _together(index, [[term for term, _ in chosen] for chosen in grown])
        ranked = sorted(zip(together, range(len(grown))),
                        key=lambda pair: (-pair[0], -sum(frequency for _, frequency in grown[pair[1]])))
        beam = [grown[at] for _, at in ranked[:BEAM]]
        if late():
            return None
    changed = [(word, term) for word, options, (term, _) in zip(words, choices, beam[0]) if term != options[0][0]]
    if not changed:
        return None
    spellings = _surfaces(index, [(term, word.typed) for word, term in changed])
    changes = [(word, spelling) for (word, _), spelling in zip(changed, spellings)]
    replaced = respell(query, changes)
    remaining = None if deadline is None else deadline - time.perf_counter()
    if remaining is not None and remaining <= 0:
        return None
    try:
        better = index.search(replaced, mode=mode, facets=False, snippets=False, limit=1, suggest_spelling=False,
                              time_limit=remaining, sources=list(sources), since=since, until=until).total
    except QueryTooComplexError:
        return None
    return replaced if better_enough(better, total) else None
