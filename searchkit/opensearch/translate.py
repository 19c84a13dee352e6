"""searchkit's parsed query tree (:mod:`searchkit.query`) as OpenSearch query DSL.

Never ``query_string``: user text is parsed by searchkit (:func:`searchkit.query.parse_query`,
so lenient and strict parsing, the bounds, the warnings and the modes are the embedded
index's) and every word is analyzed by searchkit into index terms before it is sent; the
text fields' search analyzer only splits those terms on spaces (see
:mod:`searchkit.opensearch.mapping`).

The translation follows :class:`searchkit.engine.execute.Executor` node for node:

- a word is one term, scored once across headline, body and background with the
  headline weighted: a ``match`` on the field that holds them all, each repeated by its
  weight (:data:`~searchkit.opensearch.mapping.ALL_FIELD`); a word that analyzes into
  several terms (``7,400-strong``) is a phrase; a stop word stands for nothing;
- a phrase is ``match_phrase`` on the same field (stop words leave gaps);
- a prefix is ``prefix`` per field plus the stems of the prefix completed with common
  endings (as the embedded index does); a fuzzy word is ``fuzzy`` with the same first
  letter, the same automatic distance and an adjacent swap counting one edit;
- ``source:`` and ``date:`` are filters that score zero; ``*`` matches everything with
  score zero;
- AND/OR/NOT, required and optional clauses, and leaves that stand for nothing combine
  exactly as in the executor.

``recency`` (:func:`decayed`) wraps the query in a ``function_score`` whose decay function
is the one :class:`~searchkit.models.Recency` describes (Elasticsearch's ``exp``, ``gauss``
and ``linear`` decays with ``decay=0.5`` and the half-life as ``scale``), multiplied into
the score, with a fixed factor for undated articles.
"""

from __future__ import annotations

from typing import Any

from ..analysis import analyze_query_word, normalize, phrase_terms
from ..engine.execute import Ranking, _completed_stems
from ..engine.segment import source_key
from ..query import And, DateRange, Fuzzy, MatchAll, Not, Or, Phrase, Prefix, Query, SourceIs, Term
from ..models import Recency
from .mapping import ALL_FIELD, GAP, TERM_FIELDS

__all__ = ["MATCH_NONE", "Translation", "date_filter", "decayed", "translate"]

Dsl = dict[str, Any]
MATCH_NONE: Dsl = {"match_none": {}}
_ZERO_SCORE_ALL: Dsl = {"bool": {"filter": [{"match_all": {}}]}}
MAX_FUZZY_EXPANSIONS = 1024


class Translation:
    """Translates one query tree; collects what to highlight, as the executor does."""

    def __init__(self, ranking: Ranking):
        self.ranking = ranking
        self.highlight_terms: set[str] = set()
        self.highlight_phrases: list[tuple[tuple[str, int], ...]] = []
        self.prefixes: list[tuple[str, frozenset[str]]] = []  # (prefix, completed stems): highlighted per hit
        self.fuzzy: list[tuple[str, int]] = []  # (word, distance): highlighted per hit
        self._negated = 0

    def query(self, query: Query) -> Dsl:
        """The DSL for a whole query (one that stands for nothing matches nothing)."""
        return self.node(query) or MATCH_NONE

    # Leaves

    def _fields(self, field: str | None) -> list[tuple[str, float]]:
        return [(TERM_FIELDS[field] if field else ALL_FIELD, 1.0)]

    @staticmethod
    def _terms(terms: list[str], fields: list[tuple[str, float]]) -> Dsl:
        """One scored unit of one or more terms (the expansions of a prefix) in one field."""
        return {"match": {fields[0][0]: {"query": " ".join(terms), "operator": "or"}}}

    def _phrase(self, terms: list[tuple[str, int]], fields: list[tuple[str, float]]) -> Dsl | None:
        if not terms:
            return None
        if len(terms) == 1:
            if not self._negated:
                self.highlight_terms.add(terms[0][0])
            return self._terms([terms[0][0]], fields)
        if not self._negated:
            self.highlight_phrases.append(tuple(terms))
        words = [GAP] * (terms[-1][1] + 1)
        for term, at in terms:
            words[at] = term
        text = " ".join(words)
        should = [{"match_phrase": {name: {"query": text, "boost": weight}}} for name, weight in fields]
        return should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}

    def leaf(self, query: Term | Phrase | Prefix | Fuzzy) -> Dsl | None:
        fields = self._fields(query.field)
        if isinstance(query, Term):
            terms = analyze_query_word(query.word)
            if not terms:
                return None
            if len(terms) > 1:
                return self._phrase([(t, i) for i, t in enumerate(terms)], fields)
            if not self._negated:
                self.highlight_terms.add(terms[0])
            return self._terms(terms, fields)
        if isinstance(query, Phrase):
            return self._phrase(phrase_terms(query.words), fields)
        if isinstance(query, Prefix):
            prefix = normalize(query.prefix).strip("'’-")
            if not prefix:
                return MATCH_NONE
            stems = _completed_stems(prefix)
            if not self._negated:
                self.prefixes.append((prefix, frozenset(stems)))
            should: list[Dsl] = [{"prefix": {name: {"value": prefix, "boost": weight}}} for name, weight in fields]
            if stems:
                should.append(self._terms(sorted(stems), fields))
            return {"bool": {"should": should, "minimum_should_match": 1}}
        terms = analyze_query_word(query.word)
        if len(terms) != 1:
            if not terms:
                return MATCH_NONE
            if not self._negated:
                self.highlight_terms.update(terms)
            return self._terms(terms, fields)
        word = terms[0]
        distance = query.distance if query.distance >= 0 else (0 if len(word) <= 2 else 1 if len(word) <= 5 else 2)
        if not self._negated:
            self.fuzzy.append((word, distance))
        should = [
            {"fuzzy": {name: {"value": word, "fuzziness": distance, "prefix_length": 1, "transpositions": True,
                              "max_expansions": MAX_FUZZY_EXPANSIONS, "boost": weight}}}
            for name, weight in fields
        ]
        return should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}

    # Inner nodes

    def node(self, query: Query) -> Dsl | None:
        """The DSL of one node, or None when it stands for nothing (as the executor's None)."""
        if isinstance(query, (Term, Phrase, Prefix, Fuzzy)):
            return self.leaf(query)
        if isinstance(query, And):
            return self._and(query)
        if isinstance(query, Or):
            return self._or(query)
        if isinstance(query, Not):
            self._negated += 1
            try:
                inner = self.node(query.child)
            finally:
                self._negated -= 1
            if inner is None:
                return None
            return {"bool": {"filter": [{"match_all": {}}], "must_not": [inner]}}
        if isinstance(query, MatchAll):
            return _ZERO_SCORE_ALL
        if isinstance(query, SourceIs):
            return {"bool": {"filter": [{"term": {"source_key": source_key(query.name)}}]}}
        if isinstance(query, DateRange):
            return {"bool": {"filter": [date_filter(query.start, query.end)]}}
        raise TypeError(f"unknown query node {query!r}")

    def _and(self, query: And) -> Dsl:
        required: list[Dsl] = []
        excluded: list[Dsl] = []
        optional: list[Dsl] = []
        for child in query.children:
            if isinstance(child, Not):
                self._negated += 1
                try:
                    result = self.node(child.child)
                finally:
                    self._negated -= 1
                if result is not None:
                    excluded.append(result)
            elif isinstance(child, Or) and child.minimum == 0:
                result = self._or(child)
                if result is not None:
                    optional.append(result)
            else:
                result = self.node(child)
                if result is not None:
                    required.append(result)
        if not required and not (excluded or optional):
            return MATCH_NONE
        body: Dsl = {}
        if required:
            body["must"] = required
        else:
            body["filter"] = [{"match_all": {}}]
        if excluded:
            body["must_not"] = excluded
        if optional:
            body["should"] = optional
        return {"bool": body}

    def _or(self, query: Or) -> Dsl | None:
        results = [r for r in (self.node(child) for child in query.children) if r is not None]
        if not results:
            return None
        minimum = max(query.minimum, 1)
        if len(results) == 1 and minimum == 1:
            return results[0]
        return {"bool": {"should": results, "minimum_should_match": minimum}}


def date_filter(start: Any, end: Any) -> Dsl:
    """Articles dated within ``[start, end]`` (inclusive, None open); undated ones never match."""
    bounds: dict[str, str] = {}
    if start is not None:
        bounds["gte"] = start.isoformat()
    if end is not None:
        bounds["lte"] = end.isoformat()
    if not bounds:
        return {"exists": {"field": "date"}}
    return {"range": {"date": {**bounds, "format": "strict_date"}}}


def _milliseconds(days: float) -> str:
    return f"{round(days * 86_400_000)}ms"


def decayed(dsl: Dsl, recency: Recency) -> Dsl:
    """``dsl`` with each score multiplied by ``recency``'s decay of the article's age, counted
    from ``recency.origin`` (which must be set), or by ``recency.undated`` for an article
    without a date. Scores of zero (``*``, filters) stay zero, as in a folder index."""
    if recency.origin is None:
        raise ValueError("decayed() needs the recency's origin resolved")
    decay = {"date": {"origin": recency.origin.isoformat(), "scale": _milliseconds(recency.half_life_days),
                      "offset": _milliseconds(recency.offset_days), "decay": 0.5}}
    dated = {"exists": {"field": "date"}}
    return {"function_score": {
        "query": dsl,
        "functions": [{"filter": dated, recency.shape: decay},
                      {"filter": {"bool": {"must_not": [dated]}}, "weight": recency.undated}],
        "score_mode": "multiply",
        "boost_mode": "multiply",
    }}


def translate(query: Query, ranking: Ranking | None = None) -> tuple[Dsl, Translation]:
    translation = Translation(ranking or Ranking())
    return translation.query(query), translation
