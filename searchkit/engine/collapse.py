"""Collapsing results: one hit per group of articles (``search(collapse="duplicates")``).

A :class:`Grouping` says which documents of a snapshot belong together; for
``"duplicates"`` it is the snapshot's near-duplicate groups (:mod:`.fingerprint`), made on
first use after each commit from the last groups made (only what the commit changed is
checked again) and kept with the snapshot. :func:`collapse` keeps, of every
group, the one matching article that comes first in the search's order (score, date and
id as :mod:`.search` sorts), so paging and cursors work on the kept articles exactly as
on plain results, and nothing is deleted: :func:`duplicate_refs` lists a hit's others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np

from ..models import DuplicateRef
from .execute import Matches
from .fingerprint import DuplicateGroups, SegmentPrints
from .segment import MISSING_DAY
from .snapshot import Snapshot

__all__ = ["Grouping", "collapse", "duplicate_groups", "duplicate_refs"]

Array = np.ndarray[Any, Any]
SortKeys = Callable[[Array, Array], tuple[Array, Array]]  # (scores, days) -> (primary, secondary), ascending
_EPOCH = date(1970, 1, 1).toordinal()


class Grouping(Protocol):
    """Which documents belong together, by snapshot-wide number (``base[segment] + doc``)."""

    @property
    def base(self) -> Array:
        """Where each segment's documents start in the snapshot-wide numbering."""

    @property
    def label(self) -> Array:
        """Per document: its group's label."""

    @property
    def grouped(self) -> Array:
        """Per document: True when its group has other live members."""


def duplicate_groups(snapshot: Snapshot) -> DuplicateGroups:
    """The near-duplicate groups of ``snapshot``'s live articles, made once per snapshot
    from the groups last made for an earlier snapshot of the index (``snapshot.lineage``):
    only the runs of band keys that gained or lost an article are checked again."""
    cached = snapshot.cache.get("duplicate_groups")
    if cached is None:
        segments = [SegmentPrints(loaded.segment.segid, *loaded.reader.fingerprints(), loaded.live)
                    for loaded in snapshot.segments]
        cached = DuplicateGroups.update(snapshot.lineage.get("duplicate_groups"), segments)
        snapshot.cache["duplicate_groups"] = snapshot.lineage["duplicate_groups"] = cached
    groups: DuplicateGroups = cached
    return groups


def collapse(snapshot: Snapshot, grouping: Grouping, parts: Sequence[Matches], keys: SortKeys,
             ids: Callable[[int, int], str]) -> list[Matches]:
    """``parts`` (per segment) with only the first match of each group in the order that
    ``keys`` gives (ties: the smaller id, from ``ids(segment, doc)``)."""
    segs, docs, scores, days, labels = [], [], [], [], []
    for number, (loaded, part) in enumerate(zip(snapshot.segments, parts)):
        numbers = grouping.base[number] + part.docs
        inside = grouping.grouped[numbers]
        if inside.any():
            segs.append(np.full(int(inside.sum()), number, dtype=np.int64))
            docs.append(part.docs[inside])
            scores.append(part.scores[inside])
            days.append(loaded.reader.day[part.docs[inside]].astype(np.float64))
            labels.append(grouping.label[numbers[inside]])
    if not segs:
        return list(parts)
    seg, doc, label = np.concatenate(segs), np.concatenate(docs), np.concatenate(labels)
    primary, secondary = keys(np.concatenate(scores), np.concatenate(days))
    order = np.lexsort((doc, seg, secondary, primary, label))
    first = np.concatenate(([True], label[order][1:] != label[order][:-1]))
    best = order[first]
    # A tie on the sort keys inside a group goes to the smaller id, as in the results' order.
    runs = np.flatnonzero(first)
    tied = runs[(runs + 1 < order.size)]
    tied = tied[(label[order[tied + 1]] == label[order[tied]]) & (primary[order[tied + 1]] == primary[order[tied]])
                & (secondary[order[tied + 1]] == secondary[order[tied]])]
    chosen = dict(zip(label[best].tolist(), best.tolist()))
    for start in tied.tolist():
        end = start
        while (end < order.size and label[order[end]] == label[order[start]]
               and primary[order[end]] == primary[order[start]] and secondary[order[end]] == secondary[order[start]]):
            end += 1
        candidates = order[start:end].tolist()
        chosen[int(label[order[start]])] = min(candidates, key=lambda i: ids(int(seg[i]), int(doc[i])))
    winners = np.fromiter(chosen.values(), dtype=np.int64, count=len(chosen))
    result = []
    for number, part in enumerate(parts):
        numbers = grouping.base[number] + part.docs
        keep = ~grouping.grouped[numbers]
        mine = winners[seg[winners] == number]
        keep[np.searchsorted(part.docs, doc[mine])] = True  # part.docs ascend
        result.append(Matches(part.docs[keep], part.scores[keep]))
    return result


def duplicate_refs(snapshot: Snapshot, groups: DuplicateGroups, segment: int, doc: int) -> list[DuplicateRef]:
    """The other live articles of a document's near-duplicate group: oldest first (undated
    last), then by id."""
    refs = []
    for number in groups.others(int(groups.base[segment]) + doc).tolist():
        at = int(np.searchsorted(groups.base, number, side="right")) - 1
        loaded, local = snapshot.segments[at], number - int(groups.base[at])
        ordinal, day = int(loaded.global_source[local]), int(loaded.reader.day[local])
        refs.append(DuplicateRef(
            id=loaded.reader.ids[local],
            source=snapshot.source_names[ordinal] if ordinal >= 0 else None,
            date=None if day == MISSING_DAY else date.fromordinal(day + _EPOCH),
        ))
    refs.sort(key=lambda ref: (ref.date is None, ref.date or date.min, ref.id))
    return refs
