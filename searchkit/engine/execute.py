"""Running a query tree over a snapshot: matching documents and BM25F scores, in numpy.

Each segment's result is a :class:`Matches`: ascending document numbers and their scores.
Boolean operators are set operations on those arrays; scoring is BM25F: for a term, each
field's frequency is length-normalized and weighted, the weighted sum is saturated once::

    tf~  = sum_f  w_f * tf_f / (1 - b + b * len_f / avglen_f)
    score = idf * tf~ * (k1 + 1) / (k1 + tf~),   idf = ln(1 + (N - df + 0.5) / (df + 0.5))

with ``avglen_f`` the average length of field ``f`` over the live documents that have it
(at least one token there), as Lucene computes it, ``df`` the number of live documents
holding the term in any searched field and ``N`` the number of live documents: deleted and
replaced copies never count, so scores do not drift between merges. A phrase is scored as one term whose frequency is the number of
times the phrase occurs; a prefix or fuzzy word as one term whose frequency sums its
expansions (they are treated as synonyms). A prefix is matched against index terms,
which are stems, so it also takes the stems of the prefix completed with common English
endings that are shorter than the prefix itself (``evacuat*`` takes ``evacu``, the stem
of evacuation, evacuate and evacuated). Filters (source, date) score zero.

Leaves are resolved index-wide first (expansions, document frequencies), so every
segment scores with the same statistics.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ..analysis import analyze_query_word, normalize, phrase_terms
from ..errors import QueryTooComplexError
from ..query import And, DateRange, Fuzzy, MatchAll, Not, Or, Phrase, Prefix, Query, SourceIs, Term
from .segment import FIELDS, MISSING_DAY, day_number, source_key
from .snapshot import LoadedSegment, Snapshot

__all__ = ["Matches", "Ranking", "Executor", "Leaf", "MAX_EXPANSIONS"]

MAX_EXPANSIONS = 1024
Array = np.ndarray[Any, Any]
_EMPTY_DOCS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class Ranking:
    """BM25F parameters.

    The defaults were chosen on the relevance benchmark (``python -m
    benchmarks.relevance.run``): one setting for all six collections, from the middle
    of a flat optimum (k1 1.4-1.8, b 0.4-0.6, headline weight 3 beat 2 everywhere).
    ``Index.create`` and ``Index.open`` take one as ``ranking=``.

    Attributes:
        k1: Term-frequency saturation: how much a word's repetitions add.
        b: Length normalisation, from 0 (none) to 1 (full).
        weights: Each field's weight, as ``(field, weight)`` pairs.

    Examples:
        >>> Ranking(k1=1.2).weight("headline")
        3.0
    """

    k1: float = 1.6
    b: float = 0.5
    weights: tuple[tuple[str, float], ...] = (("headline", 3.0), ("body", 1.0), ("background", 1.0))

    def weight(self, name: str) -> float:
        """The weight of the field ``name`` (``headline``, ``body``...).

        Args:
            name: A field in ``weights``.

        Returns:
            Its weight.
        """
        return dict(self.weights)[name]


@dataclass
class Matches:
    docs: Array
    scores: Array

    @classmethod
    def empty(cls) -> Matches:
        return cls(_EMPTY_DOCS, _EMPTY_SCORES)


@dataclass
class Leaf:
    """One scored unit (a term, a phrase, an expansion set) with per-segment frequencies."""

    fields: tuple[str, ...]
    per_segment: list[tuple[Array, Array]] = field(default_factory=list)  # (docs, weighted tf~)
    idf: float = 0.0
    df: int = 0
    # Kept only when explaining: per segment, (field, term number or phrase, docs, raw frequency).
    parts: list[list[tuple[str, int | str, Array, Array]]] = field(default_factory=list)


class Executor:
    """Runs query trees over one snapshot with one ranking."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking, *, time_limit: float | None = None,
                 explain: bool = False):
        self.snapshot = snapshot
        self.ranking = ranking
        self.time_limit = time_limit
        self.explain = explain  # keep each leaf's per-field parts for searchkit.engine.explain
        self.explain_cache: dict[Any, Any] = {}  # searchkit.engine.explain's nodes shared by all hits
        self._weights = dict(ranking.weights)
        self._deadline = None if time_limit is None else time.monotonic() + time_limit
        self.highlight_terms: set[str] = set()
        self.highlight_phrases: list[tuple[tuple[str, int], ...]] = []
        self.notes: list[str] = []
        self._leaves: dict[Query, Leaf | None] = {}
        # A field's average length is over the documents that have the field (Lucene's
        # sumTotalTermFreq / docCount): most articles have no background, and averaging their
        # bullets over every article would make a background match look 10-50 times too long.
        self._avg = {f: max(snapshot.total_lengths[f] / max(snapshot.field_docs[f], 1), 1e-9) for f in FIELDS}

    # Public

    def run(self, query: Query) -> list[Matches]:
        """Matches per segment, in snapshot order."""
        self._resolve(query)
        results = []
        for number, loaded in enumerate(self.snapshot.segments):
            self.check_time()
            results.append(self._eval(query, number, loaded) or Matches.empty())
        return results

    def leaves(self) -> list[Leaf | None]:
        """The resolved leaves of the last query (None for leaves that stand for nothing)."""
        return list(self._leaves.values())

    def leaf_of(self, query: Query) -> Leaf | None:
        """The resolved leaf of a term, phrase, prefix or fuzzy node of the last query."""
        return self._leaves.get(query)

    def average_length(self, name: str) -> float:
        """The average length of a field over the live documents that have it."""
        return self._avg[name]

    def length_norm(self, loaded: LoadedSegment, name: str) -> Array:
        """Per document of the segment: ``1 - b + b * length / average length`` of the field."""
        return self._norm(loaded, name)

    def term_scores(self, term: str) -> list[tuple[Array, Array]]:
        """Per segment, the documents holding ``term`` in any field and their BM25F scores."""
        return self.leaf_scores(self.term_leaf(term))

    def term_leaf(self, term: str) -> Leaf:
        """The leaf of one index term in every field: its exact document frequency (live
        documents) and idf, and per segment its documents' weighted frequencies."""
        return self._synonym_leaf([term], FIELDS)

    def leaf_scores(self, leaf: Leaf) -> list[tuple[Array, Array]]:
        """Per segment, the documents of ``leaf`` and their BM25F scores."""
        k1 = self.ranking.k1
        return [(docs, leaf.idf * tf * (k1 + 1.0) / (k1 + tf)) for docs, tf in leaf.per_segment]

    def check_time(self) -> None:
        """Refuse to go on past the time limit (a query must never hang a web worker)."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise QueryTooComplexError(
                f"the query ran longer than its time limit of {self.time_limit:g} s; "
                "make it more specific (fewer words, longer prefixes) or raise time_limit"
            )

    # Phase 1: leaves, index-wide

    def _resolve(self, query: Query, negated: bool = False) -> None:
        if isinstance(query, (And, Or)):
            for child in query.children:
                self._resolve(child, negated)
        elif isinstance(query, Not):
            self._resolve(query.child, not negated)
        elif isinstance(query, (Term, Phrase, Prefix, Fuzzy)) and query not in self._leaves:
            self.check_time()
            self._leaves[query] = self._leaf(query, negated)

    def _fields(self, scope: str | None) -> tuple[str, ...]:
        return (scope,) if scope else FIELDS

    def _leaf(self, query: Term | Phrase | Prefix | Fuzzy, negated: bool) -> Leaf | None:
        fields = self._fields(query.field)
        if isinstance(query, Term):
            terms = analyze_query_word(query.word)
            if not terms:
                return None
            if len(terms) > 1:
                return self._phrase_leaf([(t, i) for i, t in enumerate(terms)], fields, negated)
            if not negated:
                self.highlight_terms.add(terms[0])
            return self._synonym_leaf(terms, fields)
        if isinstance(query, Phrase):
            return self._phrase_leaf(phrase_terms(query.words), fields, negated)
        expansions = self._expand(query)
        if not expansions:
            return Leaf(fields, [(_EMPTY_DOCS, _EMPTY_SCORES)] * len(self.snapshot.segments))
        if not negated:
            self.highlight_terms.update(expansions)
        return self._synonym_leaf(expansions, fields)

    def _expand(self, query: Prefix | Fuzzy) -> list[str]:
        counts: Counter[str] = Counter()
        if isinstance(query, Prefix):
            prefix = normalize(query.prefix).strip("'’-")
            if not prefix:
                return []
            # Index terms are stems: "evacuat" must also reach "evacu" (evacuation, evacuate).
            for stem in _completed_stems(prefix):
                for loaded in self.snapshot.segments:
                    number = loaded.reader.term_id(stem)
                    if number >= 0:
                        counts[stem] += sum(loaded.reader.doc_frequencies(number))
            for loaded in self.snapshot.segments:
                reader = loaded.reader
                lo, hi = reader.term_range(prefix)
                if hi - lo > 50 * MAX_EXPANSIONS:
                    raise QueryTooComplexError(
                        f"the prefix {query.prefix!r}* matches more than {50 * MAX_EXPANSIONS} terms; use a longer prefix"
                    )
                for number in range(lo, hi):
                    counts[reader.terms[number]] += sum(reader.doc_frequencies(number))
        else:
            terms = analyze_query_word(query.word)
            if len(terms) != 1:
                return terms
            word = terms[0]
            distance = query.distance if query.distance >= 0 else (0 if len(word) <= 2 else 1 if len(word) <= 5 else 2)
            for loaded in self.snapshot.segments:
                reader = loaded.reader
                self.check_time()
                for number in reader.close_terms(word, distance):
                    counts[reader.terms[number]] += sum(reader.doc_frequencies(number))
        if len(counts) > MAX_EXPANSIONS:
            self.notes.append(f"{query!r} matched {len(counts)} terms; searched the {MAX_EXPANSIONS} most frequent")
        return [term for term, _ in counts.most_common(MAX_EXPANSIONS)]

    def _field_weight(self, name: str, fields: tuple[str, ...]) -> float:
        """A field's BM25F weight; a query scoped to one field weighs it 1."""
        return self._weights[name] if len(fields) > 1 else 1.0

    def _norm(self, loaded: LoadedSegment, name: str) -> Array:
        key = ("norm", loaded.segment.segid, name, self.ranking.b, self._avg[name])
        cache = self.snapshot.cache
        norm = cache.get(key)
        if norm is None:
            b = self.ranking.b
            lengths = loaded.reader.lengths[name].astype(np.float32)
            norm = cache[key] = (1.0 - b) + b * lengths / np.float32(self._avg[name])
        result: Array = norm
        return result

    def _synonym_leaf(self, terms: list[str], fields: tuple[str, ...]) -> Leaf:
        leaf = Leaf(fields)
        df = 0
        for loaded in self.snapshot.segments:
            reader = loaded.reader
            numbers = [n for n in (reader.term_id(t) for t in terms) if n >= 0]
            parts_docs, parts_tf = [], []
            explained: list[tuple[str, int | str, Array, Array]] = []
            for name in fields:
                weight = self._field_weight(name, fields)
                norm = self._norm(loaded, name)
                for number in numbers:
                    docs, tf = reader.postings(name, number)
                    if docs.size:
                        parts_docs.append(docs)
                        parts_tf.append(weight * tf / norm[docs])
                        if self.explain:
                            explained.append((name, number, docs, tf))
            docs, tf = _sum_by_doc(parts_docs, parts_tf, reader.doc_count)
            leaf.per_segment.append((docs, tf))
            leaf.parts.append(explained)
            df += _live_count(loaded, docs)
        leaf.idf = self._idf(df)
        leaf.df = df
        return leaf

    def _phrase_leaf(self, terms: list[tuple[str, int]], fields: tuple[str, ...], negated: bool) -> Leaf | None:
        if not terms:
            return None
        if len(terms) == 1:
            if not negated:
                self.highlight_terms.add(terms[0][0])
            return self._synonym_leaf([terms[0][0]], fields)
        if not negated:
            self.highlight_phrases.append(tuple(terms))
        leaf = Leaf(fields)
        df = 0
        for loaded in self.snapshot.segments:
            reader = loaded.reader
            numbers = [reader.term_id(t) for t, _ in terms]
            parts_docs, parts_tf = [], []
            explained: list[tuple[str, int | str, Array, Array]] = []
            if min(numbers) >= 0:
                for name in fields:
                    docs, freq = _phrase_matches(reader, name, numbers, [at for _, at in terms])
                    if docs.size:
                        weight = self._field_weight(name, fields)
                        parts_docs.append(docs)
                        parts_tf.append(weight * freq / self._norm(loaded, name)[docs])
                        if self.explain:
                            explained.append((name, '"' + " ".join(t for t, _ in terms) + '"', docs, freq))
            docs, tf = _sum_by_doc(parts_docs, parts_tf, reader.doc_count)
            leaf.per_segment.append((docs, tf))
            leaf.parts.append(explained)
            df += _live_count(loaded, docs)
        leaf.idf = self._idf(df)
        leaf.df = df
        return leaf

    def _idf(self, df: int) -> float:
        n = self.snapshot.doc_count
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # Phase 2: per segment

    def _eval(self, query: Query, number: int, loaded: LoadedSegment) -> Matches | None:
        if isinstance(query, (Term, Phrase, Prefix, Fuzzy)):
            leaf = self._leaves.get(query)
            if leaf is None:
                return None
            docs, tf = leaf.per_segment[number]
            k1 = self.ranking.k1
            return Matches(docs, leaf.idf * tf * (k1 + 1.0) / (k1 + tf))
        if isinstance(query, And):
            return self._and(query, number, loaded)
        if isinstance(query, Or):
            return self._or(query, number, loaded)
        if isinstance(query, Not):
            inner = self._eval(query.child, number, loaded)
            everything = np.arange(loaded.reader.doc_count, dtype=np.int64)
            if inner is None:
                return None
            docs = np.setdiff1d(everything, inner.docs, assume_unique=True)
            return Matches(docs, np.zeros(docs.size))
        if isinstance(query, MatchAll):
            docs = np.arange(loaded.reader.doc_count, dtype=np.int64)
            return Matches(docs, np.zeros(docs.size))
        if isinstance(query, SourceIs):
            ordinal = self.snapshot.source_ordinals.get(source_key(query.name), -2)
            docs = np.flatnonzero(loaded.global_source == ordinal).astype(np.int64)
            return Matches(docs, np.zeros(docs.size))
        if isinstance(query, DateRange):
            docs = np.flatnonzero(date_mask(loaded.reader.day, query.start, query.end)).astype(np.int64)
            return Matches(docs, np.zeros(docs.size))
        raise TypeError(f"unknown query node {query!r}")

    def _and(self, query: And, number: int, loaded: LoadedSegment) -> Matches | None:
        required: list[Matches] = []
        excluded: list[Matches] = []
        optional: list[Matches] = []
        for child in query.children:
            if isinstance(child, Not):
                result = self._eval(child.child, number, loaded)
                if result is not None:
                    excluded.append(result)
            elif isinstance(child, Or) and child.minimum == 0:
                result = self._or(child, number, loaded)
                if result is not None:
                    optional.append(result)
            else:
                result = self._eval(child, number, loaded)
                if result is not None:
                    required.append(result)
        if not required:
            if not query.children or not (excluded or optional):
                return Matches.empty() if query.children or not excluded else None
            base = np.arange(loaded.reader.doc_count, dtype=np.int64)
            result_docs, result_scores = base, np.zeros(base.size)
        else:
            required.sort(key=lambda m: m.docs.size)
            result_docs, result_scores = required[0].docs, required[0].scores.copy()
            # Binary searches of the smaller side in the larger (both ascending) rather
            # than sorting both together: an AND of a rare and a frequent word costs the rare one's size.
            for other in required[1:]:
                at, found = _positions(other.docs, result_docs)
                result_docs, result_scores = result_docs[found], result_scores[found] + other.scores[at[found]]
        for other in excluded:
            keep = ~_positions(other.docs, result_docs)[1]
            result_docs, result_scores = result_docs[keep], result_scores[keep]
        for other in optional:
            at, found = _positions(other.docs, result_docs)
            result_scores[found] += other.scores[at[found]]
        return Matches(result_docs, result_scores)

    def _or(self, query: Or, number: int, loaded: LoadedSegment) -> Matches | None:
        results = []
        for child in query.children:
            self.check_time()
            result = self._eval(child, number, loaded)
            if result is not None:
                results.append(result)
        if not results:
            return None
        size = loaded.reader.doc_count
        docs, scores = _sum_by_doc([r.docs for r in results], [r.scores for r in results], size)
        minimum = max(query.minimum, 1)
        if minimum > 1:
            counts = np.bincount(np.concatenate([r.docs for r in results]), minlength=size)[docs]
            keep = counts >= minimum
            docs, scores = docs[keep], scores[keep]
        return Matches(docs, scores)


_ENDINGS = ("", "e", "s", "es", "ed", "ing", "ion", "ions", "ive", "er", "ers", "al", "ally", "ly", "ment", "ness", "ity", "ation")


def _completed_stems(prefix: str) -> set[str]:
    """Stems of ``prefix`` + a common ending that are shorter than the prefix."""
    stems = set()
    for ending in _ENDINGS:
        terms = analyze_query_word(prefix + ending)
        if len(terms) == 1 and len(terms[0]) < len(prefix) and prefix.startswith(terms[0]):
            stems.add(terms[0])
    return stems


def _live_count(loaded: LoadedSegment, docs: Array) -> int:
    """How many of ``docs`` are live: deleted copies must not count in document frequencies."""
    return int(docs.size) if loaded.live is None else int(np.count_nonzero(loaded.live[docs]))


def date_mask(days: Array, start: date | None, end: date | None) -> Array:
    """True for documents dated within ``[start, end]``; undated ones never match."""
    mask = days != MISSING_DAY
    if start is not None:
        mask &= days >= day_number(start)
    if end is not None:
        mask &= days <= day_number(end)
    result: Array = mask
    return result


def _sum_by_doc(docs: list[Array], values: list[Array], size: int) -> tuple[Array, Array]:
    """Union of document arrays, summing their values per document."""
    if not docs:
        return _EMPTY_DOCS, _EMPTY_SCORES
    if len(docs) == 1:
        return docs[0].astype(np.int64, copy=False), values[0].astype(np.float64, copy=False)  # fresh arrays: no copy
    all_docs = np.concatenate(docs)
    all_values = np.concatenate(values).astype(np.float64, copy=False)
    if all_docs.size * 8 > size:
        sums = np.bincount(all_docs, weights=all_values, minlength=size)
        present = np.bincount(all_docs, minlength=size) > 0
        found = np.flatnonzero(present)
        return found.astype(np.int64), sums[found]
    unique, inverse = np.unique(all_docs, return_inverse=True)
    return unique.astype(np.int64), np.bincount(inverse, weights=all_values)


def _phrase_matches(reader: Any, name: str, numbers: list[int], offsets: list[int]) -> tuple[Array, Array]:
    """Documents where the terms occur at the given relative positions, and how often.

    Works on the candidate documents only (those holding every term, found by binary
    search from the rarest term's documents), gathering just their positions: a frequent
    word's whole position list is never expanded."""
    postings = [reader.postings(name, number) for number in numbers]
    candidates: Array = min((docs for docs, _ in postings), key=lambda d: d.size)
    for docs, _ in postings:
        candidates = candidates[_members(docs, candidates)]
        if candidates.size == 0:
            return _EMPTY_DOCS, _EMPTY_SCORES
    keys: Array | None = None
    for number, offset, (docs, tf) in zip(numbers, offsets, postings):
        positions, run_starts = reader.positions(name, number)
        where = np.searchsorted(docs, candidates)
        counts = tf[where].astype(np.int64)
        first = run_starts[where]
        # The positions of the candidates' runs: run k covers first[k] .. first[k] + counts[k] - 1.
        ends = np.cumsum(counts)
        gather = np.repeat(first - (ends - counts), counts) + np.arange(int(ends[-1]), dtype=np.int64)
        starts = positions[gather].astype(np.int64) - offset
        term_keys = (np.repeat(candidates.astype(np.int64), counts) << 32) | starts
        term_keys = term_keys[starts >= 0]
        if term_keys.size > 1 and not bool(np.all(term_keys[1:] > term_keys[:-1])):
            term_keys = np.unique(term_keys)
        keys = term_keys if keys is None else keys[_members(term_keys, keys)]
        if keys.size == 0:
            return _EMPTY_DOCS, _EMPTY_SCORES
    assert keys is not None
    found, counts = np.unique(keys >> 32, return_counts=True)
    return found.astype(np.int64), counts.astype(np.float64)


def _members(haystack: Array, needles: Array) -> Array:
    """True for each of ``needles`` found in ``haystack`` (ascending, unique)."""
    return _positions(haystack, needles)[1]


def _positions(haystack: Array, needles: Array) -> tuple[Array, Array]:
    """For each of ``needles``: where it is in ``haystack`` (ascending, unique) and whether
    it is there at all (where it is not, the position is meaningless)."""
    if haystack.size == 0:
        return np.zeros(needles.size, dtype=np.intp), np.zeros(needles.size, dtype=bool)
    at = np.searchsorted(haystack, needles)
    at[at == haystack.size] = 0
    found: Array = haystack[at] == needles
    return at, found
