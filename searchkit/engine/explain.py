"""Explanations (``search(explain=True)``): why one hit has its score, as a tree.

The tree follows the query as :class:`~searchkit.engine.execute.Executor` scored it: a
boolean node sums its matching children, a term, phrase, prefix or fuzzy word is BM25F
(``idf`` times the saturated frequency, whose ``tf~`` sums each field's frequency times its
weight over its length norm), filters and negations score 0. Factors applied after BM25F
(freshness, a diversity move) are the children of a product at the root. Only the page's
hits are explained, from the per-field postings the executor kept while matching.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import Explanation
from ..query import And, DateRange, Fuzzy, MatchAll, Not, Or, Phrase, Prefix, Query, SourceIs, Term
from .execute import Executor, Leaf, date_mask
from .segment import source_key
from .snapshot import LoadedSegment

__all__ = ["explain_match", "label"]

Array = np.ndarray[Any, Any]


class _Nothing:
    """A node that stands for nothing (a stop word): its parent skips it."""


_NOTHING = _Nothing()
_Result = Explanation | None | _Nothing  # None: the node does not match the document


def label(query: Query) -> str:
    """A query node as it would be typed."""
    scope = f"{query.field}:" if isinstance(query, (Term, Phrase, Prefix, Fuzzy)) and query.field else ""
    if isinstance(query, Term):
        return scope + query.word
    if isinstance(query, Phrase):
        return f'{scope}"{query.words}"'
    if isinstance(query, Prefix):
        return f"{scope}{query.prefix}*"
    if isinstance(query, Fuzzy):
        return f"{scope}{query.word}~" + (str(query.distance) if query.distance >= 0 else "")
    if isinstance(query, SourceIs):
        return f'source:"{query.name}"'
    if isinstance(query, DateRange):
        return f"date:[{query.start or '*'} TO {query.end or '*'}]"
    return type(query).__name__


def explain_match(executor: Executor, query: Query, number: int, loaded: LoadedSegment, doc: int) -> Explanation:
    """The BM25F part of one matching document's score (segment ``number``, document ``doc``)."""
    found = _Walk(executor, number, loaded, doc).node(query)
    if isinstance(found, Explanation):
        return found
    return _node(value=0.0, description="no scored words in the query (filters and match-all score 0)")


class _Walk:
    def __init__(self, executor: Executor, number: int, loaded: LoadedSegment, doc: int):
        self.executor, self.number, self.loaded, self.doc = executor, number, loaded, doc
        self.shared = executor.explain_cache  # nodes that are the same for every hit (idf, weights)
        self.norms: dict[str, Explanation] = {}  # this document's length norm per field

    def node(self, query: Query) -> _Result:
        if isinstance(query, (Term, Phrase, Prefix, Fuzzy)):
            leaf = self.executor.leaf_of(query)
            return _NOTHING if leaf is None else self.leaf(query, leaf)
        if isinstance(query, And):
            return self.conjunction(query)
        if isinstance(query, Or):
            return self.disjunction(query)
        if isinstance(query, Not):
            inner = self.node(query.child)
            if isinstance(inner, _Nothing):
                return _NOTHING
            return None if inner is not None else _zero(f"NOT {label(query.child)}: does not match")
        if isinstance(query, MatchAll):
            return _zero("every article matches")
        if isinstance(query, SourceIs):
            ordinal = self.executor.snapshot.source_ordinals.get(source_key(query.name), -2)
            return _zero(f"filter {label(query)}") if self.loaded.global_source[self.doc] == ordinal else None
        if isinstance(query, DateRange):
            day = self.loaded.reader.day[self.doc:self.doc + 1]
            return _zero(f"filter {label(query)}") if date_mask(day, query.start, query.end)[0] else None
        raise TypeError(f"unknown query node {query!r}")

    def conjunction(self, query: And) -> _Result:
        required: list[Explanation | None] = []
        excluded: list[Explanation | None] = []
        optional: list[Explanation | None] = []
        for child in query.children:
            if isinstance(child, Not):
                result = self.node(child.child)
                target = excluded
            elif isinstance(child, Or) and child.minimum == 0:
                result = self.disjunction(child)
                target = optional
            else:
                result = self.node(child)
                target = required
            if not isinstance(result, _Nothing):
                target.append(result)
        if not required:
            if not query.children or not (excluded or optional):
                return None if query.children or not excluded else _NOTHING
            parts: list[Explanation] = []
        elif any(item is None for item in required):
            return None
        else:
            parts = [item for item in required if item is not None]
        if any(item is not None for item in excluded):
            return None
        parts += [item for item in optional if item is not None]
        return _sum(parts, "sum of the matching clauses (AND; optional ones add when they match)")

    def disjunction(self, query: Or) -> _Result:
        results = [self.node(child) for child in query.children]
        standing = [item for item in results if not isinstance(item, _Nothing)]
        if not standing:
            return _NOTHING
        parts = [item for item in standing if isinstance(item, Explanation)]
        if len(parts) < max(query.minimum, 1):
            return None
        wanted = f" (at least {query.minimum} must match)" if query.minimum > 1 else ""
        return _sum(parts, f"sum of the matching clauses (OR{wanted})")

    def leaf(self, query: Query, leaf: Leaf) -> Explanation | None:
        docs, weighted = leaf.per_segment[self.number]
        at = int(docs.searchsorted(self.doc))
        if at >= docs.size or docs[at] != self.doc:
            return None
        tf = float(weighted[at])
        k1 = self.executor.ranking.k1
        saturated = tf * (k1 + 1.0) / (k1 + tf)
        idf, description = self.shared.get(id(leaf)) or self.leaf_nodes(query, leaf)
        saturation = _node(saturated, self.shared["saturation"], [_node(tf, _TF, self.fields(leaf))])
        return _node(leaf.idf * saturated, description, [idf, saturation])

    def leaf_nodes(self, query: Query, leaf: Leaf) -> tuple[Explanation, str]:
        n = self.executor.snapshot.doc_count
        idf = _node(leaf.idf, f"idf = ln(1 + (N - df + 0.5) / (df + 0.5)) with N = {n} live articles, "
                              f"df = {leaf.df} holding it")
        found = self.shared[id(leaf)] = (idf, f"{label(query)}: BM25F = idf × saturated frequency")
        if "saturation" not in self.shared:
            k1 = self.executor.ranking.k1
            self.shared["saturation"] = f"saturated frequency = tf~ × (k1 + 1) / (k1 + tf~), k1 = {k1:g}"
        return found

    def norm(self, name: str) -> Explanation:
        node = self.norms.get(name)
        if node is None:
            norm = float(self.executor.length_norm(self.loaded, name)[self.doc])
            length = int(self.loaded.reader.lengths[name][self.doc])
            average = self.executor.average_length(name)
            node = self.norms[name] = _node(norm, f"length norm = 1 - b + b × length / average, "
                                                  f"b = {self.executor.ranking.b:g}, length = {length}, average = {average:.4g}")
        return node

    def weight(self, name: str, scoped: bool) -> Explanation:
        key = ("weight", name, scoped)
        node: Explanation | None = self.shared.get(key)
        if node is None:
            value = 1.0 if scoped else self.executor.ranking.weight(name)
            node = self.shared[key] = _node(value, f"weight of {name}" + (" (query scoped to it)" if scoped else ""))
        return node

    def fields(self, leaf: Leaf) -> list[Explanation]:
        parts = leaf.parts[self.number] if self.number < len(leaf.parts) else []
        scoped = len(leaf.fields) == 1
        out = []
        for name, term, docs, freqs in parts:
            at = int(docs.searchsorted(self.doc))
            if at >= docs.size or docs[at] != self.doc:
                continue
            weight, norm = self.weight(name, scoped), self.norm(name)
            freq = float(freqs[at])
            if isinstance(term, int):
                term = self.loaded.reader.terms[term]
            out.append(_node(weight.value * freq / norm.value, f"{name}: {term} = weight × frequency / length norm",
                             [weight, _node(freq, f"frequency of {term} in {name}"), norm]))
        return out


_TF = "tf~ = sum over fields of weight × frequency / length norm"


def _node(value: float, description: str, children: list[Explanation] | None = None) -> Explanation:
    """One node of the tree."""
    return Explanation(value, description, children or [])


def _zero(description: str) -> Explanation:
    return _node(value=0.0, description=description + " (scores 0)")


def _sum(parts: list[Explanation], description: str) -> Explanation:
    if len(parts) == 1:
        return parts[0]
    return _node(value=float(sum(part.value for part in parts)), description=description, children=parts)
