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

Documents are matched first and scored after, only those that need a score: an AND scores
its intersection (not each word's every document), a NOT clause scores nothing, and a
search scores the hits left after deletions and its source and date filters (documents
that only facets count are never scored). Every sum is made in the order a whole
evaluation makes it, from 0.0, so each score is the same float whichever documents are
scored with it. ``SEARCHKIT_EXHAUSTIVE=1`` in the environment makes every clause score all
its matches instead: the reference the tests compare with.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from datetime import date
from typing import Any

import numpy as np

from .._kernels import native
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

# The optional C kernel of phrase matching (searchkit/_phrases.c): the same documents and
# counts as the numpy version, in one call instead of some twenty numpy calls per segment and
# field. Not built, or SEARCHKIT_PURE_PYTHON=1 when this module is imported: numpy only.
_native_phrase_matches: Callable[..., int] | None = native("_phrases", "phrase_matches")
_KERNEL_PHRASE_TERMS = 64  # the kernel's limit (MAX_TERMS); longer phrases go to numpy

# The optional C kernel of a leaf's weighted frequencies (searchkit/_scoring.c): the same sums
# in the same order as the numpy version of LeafSegment._weighted, in one pass per part.
_native_weighted_sum: Callable[..., int] | None = native("_scoring", "weighted_sum")


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


class Matches:
    """One segment's matching documents (ascending) and their scores.

    The scores may come later: ``Matches(docs, score=f)`` computes ``f(docs)`` when they are
    first read, for the documents still there then (:meth:`take` keeps them unscored), so
    documents that filters drop or that only facets count are never scored.
    """

    __slots__ = ("docs", "_scores", "_score")

    def __init__(self, docs: Array, scores: Array | None = None, *,
                 score: Callable[[Array], Array] | None = None):
        if (scores is None) == (score is None):
            raise TypeError("Matches takes either scores or a score function")
        self.docs = docs
        self._scores = scores
        self._score = score

    @property
    def scores(self) -> Array:
        """Each document's score (computed now if it came as a function)."""
        if self._scores is None:
            assert self._score is not None
            self._scores = self._score(self.docs)
        return self._scores

    @property
    def scored(self) -> bool:
        """Whether the scores are known yet."""
        return self._scores is not None

    def take(self, which: Array) -> Matches:
        """The matches at ``which`` (a boolean mask or positions), still unscored if these are."""
        if self._scores is None:
            return Matches(self.docs[which], score=self._score)
        return Matches(self.docs[which], self._scores[which])

    @classmethod
    def empty(cls) -> Matches:
        return cls(_EMPTY_DOCS, _EMPTY_SCORES)


class LeafSegment:
    """A leaf in one segment: the documents holding it in any searched field (the union of
    its parts) and, on demand, their weighted frequencies ``tf~``.

    A part is one (field, term or phrase) posting list with its field weight and length
    norms; ``tf~`` of a document sums ``weight * frequency / norm`` over the parts holding
    it, in the parts' order, starting from 0.0, whether every document's is computed or a
    few documents' (:meth:`weighted`): the same floats either way.
    """

    __slots__ = ("docs", "parts", "size", "_all")

    def __init__(self, parts: list[tuple[Array, Array, float, Array]], size: int):
        self.parts = parts  # (docs, frequencies, weight, norm of every document of the segment)
        self.size = size
        self.docs = _union([docs for docs, _, _, _ in parts], size)
        self._all: Array | None = None

    def weighted(self, docs: Array | None = None) -> Array:
        """``tf~`` of ``docs`` (ascending, each holding the leaf), or of all :attr:`docs`."""
        if docs is None or docs.size == self.docs.size:
            if self._all is None:
                self._all = self._weighted(self.docs)
            return self._all
        return self._weighted(docs)

    def _weighted(self, docs: Array) -> Array:
        parts = self.parts
        if not parts or docs.size == 0:
            return np.zeros(docs.size)
        if _native_weighted_sum is not None and docs.dtype == np.int64:
            sums = np.empty(docs.size)
            if _native_weighted_sum(np.ascontiguousarray(docs), [part[0] for part in parts], [part[1] for part in parts],
                                    [part[2] for part in parts], [part[3] for part in parts], sums) == 0:
                return sums
        return self._numpy_weighted(docs)

    def _numpy_weighted(self, docs: Array) -> Array:
        """:meth:`_weighted` in numpy (the reference of the C kernel)."""
        parts = self.parts
        # Dense (every posting's value into a slot per document of the segment) where binary
        # searches for the documents would cost more than reading every posting once.
        postings = sum(part[0].size for part in parts)
        dense = docs.size * 8 > self.size or docs.size * len(parts) * 8 > postings + self.size // 8
        if len(parts) == 1:
            part_docs, freq, weight, norm = parts[0]
            if part_docs.size == docs.size:  # all of them
                pass
            elif dense:  # most of them: a mask of the wanted documents rather than a search each
                wanted = np.zeros(self.size, dtype=bool)
                wanted[docs] = True
                freq = freq[wanted[part_docs]]
            else:
                freq = freq[np.searchsorted(part_docs, docs)]
            return (weight * freq / norm[docs]).astype(np.float64, copy=False)
        whole = docs.size == self.docs.size
        if dense or whole:  # every part's values, summed in order by one bincount
            values = np.concatenate([weight * freq / norm[part_docs] for part_docs, freq, weight, norm in parts])
            every = np.concatenate([part[0] for part in parts])
            if dense:  # a slot per document of the segment
                result: Array = np.bincount(every, weights=values.astype(np.float64, copy=False), minlength=self.size)
                return result[docs]
            # a slot per document of the leaf
            result = np.bincount(np.searchsorted(docs, every), weights=values.astype(np.float64, copy=False),
                                 minlength=docs.size)
            return result
        total = np.zeros(docs.size)
        for part_docs, freq, weight, norm in parts:
            at, found = _positions(part_docs, docs)
            total[found] += weight * freq[at[found]] / norm[docs[found]]
        return total


@dataclass
class Leaf:
    """One scored unit (a term, a phrase, an expansion set) with per-segment frequencies."""

    fields: tuple[str, ...]
    segments: list[LeafSegment] = field(default_factory=list)
    idf: float = 0.0
    df: int = 0
    # Kept only when explaining: per segment, (field, term number or phrase, docs, raw frequency).
    parts: list[list[tuple[str, int | str, Array, Array]]] = field(default_factory=list)

    @property
    def per_segment(self) -> list[tuple[Array, Array]]:
        """Per segment, the documents holding the leaf and their weighted frequencies ``tf~``."""
        return [(part.docs, part.weighted()) for part in self.segments]


class Executor:
    """Runs query trees over one snapshot with one ranking."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking, *, time_limit: float | None = None,
                 explain: bool = False):
        self.snapshot = snapshot
        self.ranking = ranking
        self.time_limit = time_limit
        self.explain = explain  # keep each leaf's per-field parts for searchkit.engine.explain
        # The reference the lazy scoring is tested against: every clause scores all its matches.
        self.exhaustive = os.environ.get("SEARCHKIT_EXHAUSTIVE", "") not in ("", "0")
        self.explain_cache: dict[Any, Any] = {}  # searchkit.engine.explain's nodes shared by all hits
        self._weights = dict(ranking.weights)
        self._deadline = None if time_limit is None else time.monotonic() + time_limit
        self.highlight_terms: set[str] = set()
        self.highlight_phrases: list[tuple[tuple[str, int], ...]] = []
        self.notes: list[str] = []
        self._leaves: dict[Query, Leaf | None] = {}
        self._matched: dict[tuple[int, int], tuple[Query, Array | None]] = {}  # (id(node), segment) -> (node, docs)
        # A field's average length is over the documents that have the field (Lucene's
        # sumTotalTermFreq / docCount): most articles have no background, and averaging their
        # bullets over every article would make a background match look 10-50 times too long.
        self._avg = {f: max(snapshot.total_lengths[f] / max(snapshot.field_docs[f], 1), 1e-9) for f in FIELDS}

    # Public

    def run(self, query: Query) -> list[Matches]:
        """Matches per segment, in snapshot order, each scored when its scores are first
        read (see :class:`Matches`): documents dropped before that are never scored."""
        self._resolve(query)
        self._matched.clear()
        results = []
        for number, loaded in enumerate(self.snapshot.segments):
            self.check_time()
            docs = self._match(query, number, loaded)
            if docs is None or docs.size == 0:
                results.append(Matches.empty())
            elif self.exhaustive:
                results.append(Matches(docs, self._score(query, number, loaded, docs)))
            else:
                results.append(Matches(docs, score=partial(self._score, query, number, loaded)))
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
            return Leaf(fields, [LeafSegment([], loaded.reader.doc_count) for loaded in self.snapshot.segments])
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
            parts: list[tuple[Array, Array, float, Array]] = []
            explained: list[tuple[str, int | str, Array, Array]] = []
            for name in fields:
                weight = self._field_weight(name, fields)
                norm = self._norm(loaded, name)
                for number in numbers:
                    docs, tf = reader.postings(name, number)
                    if docs.size:
                        parts.append((docs, tf, weight, norm))
                        if self.explain:
                            explained.append((name, number, docs, tf))
            segment = LeafSegment(parts, reader.doc_count)
            leaf.segments.append(segment)
            leaf.parts.append(explained)
            df += _live_count(loaded, segment.docs)
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
            parts: list[tuple[Array, Array, float, Array]] = []
            explained: list[tuple[str, int | str, Array, Array]] = []
            if min(numbers) >= 0:
                for name in fields:
                    docs, freq = _phrase_matches(reader, name, numbers, [at for _, at in terms])
                    if docs.size:
                        parts.append((docs, freq, self._field_weight(name, fields), self._norm(loaded, name)))
                        if self.explain:
                            explained.append((name, '"' + " ".join(t for t, _ in terms) + '"', docs, freq))
            segment = LeafSegment(parts, reader.doc_count)
            leaf.segments.append(segment)
            leaf.parts.append(explained)
            df += _live_count(loaded, segment.docs)
        leaf.idf = self._idf(df)
        leaf.df = df
        return leaf

    def _idf(self, df: int) -> float:
        n = self.snapshot.doc_count
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # Phase 2: per segment. Documents first (_match), scores after (_score), for the
    # documents that need them: an AND scores its intersection only, a NOT scores nothing.

    def _match(self, query: Query, number: int, loaded: LoadedSegment) -> Array | None:
        """The documents of segment ``number`` matching ``query`` (ascending), or None where
        the query stands for nothing (a leaf of stop words)."""
        key = (id(query), number)
        known = self._matched.get(key)
        if known is not None and known[0] is query:
            return known[1]
        docs = self._match_node(query, number, loaded)
        self._matched[key] = (query, docs)
        return docs

    def _match_node(self, query: Query, number: int, loaded: LoadedSegment) -> Array | None:
        if isinstance(query, (Term, Phrase, Prefix, Fuzzy)):
            leaf = self._leaves.get(query)
            return None if leaf is None else leaf.segments[number].docs
        if isinstance(query, And):
            return self._and(query, number, loaded)
        if isinstance(query, Or):
            return self._or(query, number, loaded)
        if isinstance(query, Not):
            inner = self._match(query.child, number, loaded)
            if inner is None:
                return None
            everything = np.arange(loaded.reader.doc_count, dtype=np.int64)
            result: Array = np.setdiff1d(everything, inner, assume_unique=True)
            return result
        if isinstance(query, MatchAll):
            return np.arange(loaded.reader.doc_count, dtype=np.int64)
        if isinstance(query, SourceIs):
            ordinal = self.snapshot.source_ordinals.get(source_key(query.name), -2)
            return np.flatnonzero(loaded.global_source == ordinal).astype(np.int64)
        if isinstance(query, DateRange):
            return np.flatnonzero(date_mask(loaded.reader.day, query.start, query.end)).astype(np.int64)
        raise TypeError(f"unknown query node {query!r}")

    def _clauses(self, query: And, number: int, loaded: LoadedSegment) -> tuple[list[tuple[Query, Array]], ...]:
        """An AND's required, excluded and optional clauses that stand for something, with
        their documents; the required ones rarest first."""
        required: list[tuple[Query, Array]] = []
        excluded: list[tuple[Query, Array]] = []
        optional: list[tuple[Query, Array]] = []
        for child in query.children:
            if isinstance(child, Not):
                node, target = child.child, excluded
            elif isinstance(child, Or) and child.minimum == 0:
                node, target = child, optional
            else:
                node, target = child, required
            docs = self._match(node, number, loaded)
            if docs is not None:
                target.append((node, docs))
        required.sort(key=lambda clause: clause[1].size)
        return required, excluded, optional

    def _and(self, query: And, number: int, loaded: LoadedSegment) -> Array | None:
        required, excluded, optional = self._clauses(query, number, loaded)
        if not required:
            if not query.children or not (excluded or optional):
                return _EMPTY_DOCS if query.children or not excluded else None
            docs = np.arange(loaded.reader.doc_count, dtype=np.int64)
        else:
            # Binary searches of the smaller side in the larger (both ascending) rather
            # than sorting both together: an AND of a rare and a frequent word costs the rare one's size.
            docs = required[0][1]
            for _, other in required[1:]:
                docs = docs[_members(other, docs)]
        for _, other in excluded:
            docs = docs[~_members(other, docs)]
        return docs

    def _or(self, query: Or, number: int, loaded: LoadedSegment) -> Array | None:
        results = []
        for child in query.children:
            self.check_time()
            docs = self._match(child, number, loaded)
            if docs is not None:
                results.append(docs)
        if not results:
            return None
        size = loaded.reader.doc_count
        found = _union(results, size)
        minimum = max(query.minimum, 1)
        if minimum > 1:
            counts = np.bincount(np.concatenate(results), minlength=size)[found]
            found = found[counts >= minimum]
        return found

    def _score(self, query: Query, number: int, loaded: LoadedSegment, docs: Array) -> Array:
        """The scores of ``docs``, matches of ``query`` in segment ``number`` (ascending).

        Sums are made in the order a whole evaluation would make them, from 0.0, so a
        document's score is the same float however many documents are scored with it."""
        if isinstance(query, (Term, Phrase, Prefix, Fuzzy)):
            leaf = self._leaves[query]
            assert leaf is not None
            segment = leaf.segments[number]
            tf = segment.weighted(docs) if not self.exhaustive else segment.weighted()[np.searchsorted(segment.docs, docs)]
            k1 = self.ranking.k1
            scores: Array = leaf.idf * tf * (k1 + 1.0) / (k1 + tf)
            return scores
        if isinstance(query, And):
            required, _, optional = self._clauses(query, number, loaded)
            if required:
                scores = self._score_at(*required[0], number, loaded, docs)  # a fresh array, as each _score's
                for node, node_docs in required[1:]:
                    scores = scores + self._score_at(node, node_docs, number, loaded, docs)
            else:
                scores = np.zeros(docs.size)
            for node, other in optional:
                self._add_scores(scores, node, other, number, loaded, docs)
            return scores
        if isinstance(query, Or):
            scores = np.zeros(docs.size)
            for child in query.children:
                child_docs = self._match(child, number, loaded)
                if child_docs is not None:
                    self._add_scores(scores, child, child_docs, number, loaded, docs)
            return scores
        return np.zeros(docs.size)  # NOT, filters and match-all score 0

    def _add_scores(self, scores: Array, node: Query, node_docs: Array, number: int, loaded: LoadedSegment,
                    docs: Array) -> None:
        """Add ``node``'s scores to ``scores`` of those of ``docs`` it matches (``node_docs``)."""
        if node_docs.size == 0 or docs.size == 0:
            return
        if docs.size * 8 > loaded.reader.doc_count and node_docs.size * 2 > docs.size:
            # Dense: score all the node's documents once, in a slot per document of the segment.
            dense = np.zeros(loaded.reader.doc_count)
            dense[node_docs] = self._score(node, number, loaded, node_docs)
            present = np.zeros(loaded.reader.doc_count, dtype=bool)
            present[node_docs] = True
            found = present[docs]
            scores[found] += dense[docs[found]]
            return
        found = _members(node_docs, docs)
        scores[found] += self._score_at(node, node_docs, number, loaded, docs[found])

    def _score_at(self, node: Query, node_docs: Array, number: int, loaded: LoadedSegment, docs: Array) -> Array:
        """``node``'s scores of ``docs`` (some of ``node_docs``, its matches); exhaustively,
        all its matches are scored and those of ``docs`` taken."""
        if not self.exhaustive:
            return self._score(node, number, loaded, docs)
        scores: Array = self._score(node, number, loaded, node_docs)[np.searchsorted(node_docs, docs)]
        return scores


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


def _union(docs: list[Array], size: int) -> Array:
    """The union of ascending document arrays of a segment of ``size`` documents (int64)."""
    if not docs:
        return _EMPTY_DOCS
    if len(docs) == 1:
        return docs[0].astype(np.int64, copy=False)
    if sum(part.size for part in docs) * 8 > size:
        present = np.zeros(size, dtype=bool)
        for part in docs:
            present[part] = True
        return np.flatnonzero(present).astype(np.int64, copy=False)
    return _sorted_unique(np.concatenate(docs).astype(np.int64, copy=False))


def _sorted_unique(values: Array) -> Array:
    """The distinct values, ascending: a sort and a comparison with the neighbour (numpy's
    ``unique`` hashes first, several times slower on these arrays)."""
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    result: Array = values[keep]
    return result


def _phrase_matches(reader: Any, name: str, numbers: list[int], offsets: list[int]) -> tuple[Array, Array]:
    """Documents where the terms occur at the given relative positions, and how often
    (in C where the kernel is built and the segment's columns have its types)."""
    postings = [reader.postings(name, number) for number in numbers]
    if _native_phrase_matches is not None and len(numbers) <= _KERNEL_PHRASE_TERMS:
        shortest = min(docs.size for docs, _ in postings)
        if shortest == 0:
            return _EMPTY_DOCS, _EMPTY_SCORES
        columns = reader.field_postings(name)
        if columns.pos.dtype == np.uint16 and columns.tf.dtype == np.uint16 and columns.docs.dtype == np.uint32:
            pos_off = columns.pos_off
            positions = [columns.pos[int(pos_off[number]):int(pos_off[number + 1])] for number in numbers]
            docs, counts = np.empty(shortest, dtype=np.int64), np.empty(shortest, dtype=np.float64)
            found = _native_phrase_matches([d for d, _ in postings], [tf for _, tf in postings], positions,
                                           list(offsets), docs, counts)
            if found >= 0:  # -1: a run of positions out of order, which numpy handles
                return docs[:found], counts[:found]
    return _numpy_phrase_matches(reader, name, numbers, offsets, postings)


def _numpy_phrase_matches(reader: Any, name: str, numbers: list[int], offsets: list[int],
                          postings: list[tuple[Array, Array]]) -> tuple[Array, Array]:
    """:func:`_phrase_matches` in numpy (the reference of the C kernel).

    Works on the candidate documents only (those holding every term, found by binary
    search from the rarest term's documents), gathering just their positions: a frequent
    word's whole position list is never expanded."""
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
            term_keys = _sorted_unique(term_keys)
        keys = term_keys if keys is None else keys[_members(term_keys, keys)]
        if keys.size == 0:
            return _EMPTY_DOCS, _EMPTY_SCORES
    assert keys is not None
    docs = keys >> 32  # ascending, as the keys are
    starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
    counts = np.diff(np.append(starts, docs.size))
    return docs[starts].astype(np.int64), counts.astype(np.float64)


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
