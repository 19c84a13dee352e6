"""Near-duplicate groups made incrementally (``DuplicateGroups.update`` in
searchkit/engine/fingerprint.py, used by ``collapse="duplicates"``, ``Index.duplicates`` and
``Hit.duplicates``): after any sequence of additions, deletions, replacements and merges
on a real index, the groups equal the ones :func:`find_groups` builds from scratch."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import Article, Index
from searchkit.engine.collapse import duplicate_groups
from searchkit.engine.fingerprint import DuplicateGroups, SegmentPrints, find_groups
from searchkit.engine.snapshot import Snapshot

# Few words, so that texts share shingles and band keys often: copies of one base text
# are near-duplicates or fall just short, and groups form chains that are not transitive.
_WORDS = [f"w{n}x" for n in range(40)]
_BASES = [[random.Random(base).choice(_WORDS) for _ in range(30)] for base in range(5)]


def article(number: int, base: int, edits: int, trim: int) -> Article:
    """A copy of base text ``base`` with ``edits`` words replaced and ``trim`` cut off its end."""
    rng = random.Random(number)
    words = list(_BASES[base])
    for _ in range(edits):
        words[rng.randrange(len(words))] = rng.choice(_WORDS)
    return Article(id=f"a{number:04d}", headline=f"story {base}", body=" ".join(words[:len(words) - trim]))


def reference(snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The labels find_groups gives from scratch, which documents are grouped, which are live."""
    prints = [loaded.reader.fingerprints() for loaded in snapshot.segments]
    slots = np.concatenate([p[0] for p in prints] or [np.zeros((0, 128), dtype=np.uint16)])
    counts = np.concatenate([p[1] for p in prints] or [np.zeros(0, dtype=np.uint32)])
    live = np.concatenate([np.ones(loaded.reader.doc_count, dtype=bool) if loaded.live is None else loaded.live
                           for loaded in snapshot.segments] or [np.zeros(0, dtype=bool)])
    label = find_groups(slots, counts, live)
    sizes = np.bincount(label, minlength=label.size)
    return label, (sizes[label] > 1) & live, live


copies = st.tuples(st.integers(0, len(_BASES) - 1), st.integers(0, 12), st.integers(0, 10))
steps = st.one_of(
    st.tuples(st.just("add"), st.lists(copies, min_size=1, max_size=12)),
    st.tuples(st.just("delete"), st.lists(st.integers(0, 10_000), min_size=1, max_size=6)),
    st.tuples(st.just("replace"), st.lists(st.tuples(st.integers(0, 10_000), copies), min_size=1, max_size=4)),
    st.tuples(st.just("optimize"), st.just([])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(steps, min_size=1, max_size=8))
def test_incremental_groups_equal_the_groups_built_from_scratch(tmp_path_factory: object, plan: list) -> None:
    folder = tmp_path_factory.mktemp("incremental") / "index"  # type: ignore[attr-defined]
    numbers = iter(range(1_000_000))
    with Index.create(folder, refresh_interval=0.0, merge_factor=2) as index:
        for kind, items in plan:
            ids = sorted(a.id for a in index.articles())
            if kind == "add":
                index.add_many([article(next(numbers), *copy) for copy in items])
            elif kind == "delete" and ids:
                index.delete(sorted({ids[at % len(ids)] for at in items}))
            elif kind == "replace" and ids:
                index.add_many([article(next(numbers), *copy).model_copy(update={"id": ids[at % len(ids)]})
                                for at, copy in items])
            elif kind == "optimize":
                index.optimize()
            snapshot = index._current()
            groups = duplicate_groups(snapshot)  # made from the previous commit's groups
            label, grouped, _ = reference(snapshot)
            assert groups.label.tolist() == label.tolist()
            assert groups.grouped.tolist() == grouped.tolist()
        # And through the public API: every article's duplicates are its group's others.
        snapshot = index._current()
        label, grouped, live = reference(snapshot)
        ids = [i for loaded in snapshot.segments for i in loaded.reader.ids.as_list()]
        for number in np.flatnonzero(live).tolist():
            expected = sorted(ids[other] for other in np.flatnonzero(grouped & (label == label[number])).tolist()
                              if other != number)
            assert sorted(index.duplicates(ids[number])) == expected


def prints(snapshot: Snapshot) -> list[SegmentPrints]:
    return [SegmentPrints(loaded.segment.segid, *loaded.reader.fingerprints(), loaded.live)
            for loaded in snapshot.segments]


def test_a_commit_reuses_the_groups_of_the_segments_it_kept(tmp_path: Path) -> None:
    with Index.create(tmp_path / "index", refresh_interval=0.0) as index:
        index.add_many([article(n, n % 3, n % 4, 0) for n in range(30)])
        before = duplicate_groups(index._current())
        assert index.duplicates("a0000") == ["a0012", "a0024"]
        index.add_many([article(100 + n, n % 3, 2, 1) for n in range(5)])
        index.delete(["a0012"])
        second = index._current()
        after = duplicate_groups(second)
        assert after.segids[:1] == before.segids  # the first segment kept, a new one after it
        assert after.bands[0] is before.bands[0]  # its band slots reused, not made again
        assert after.label.tolist() == reference(second)[0].tolist()
        assert after.label.tolist() == DuplicateGroups.update(None, prints(second)).label.tolist()
        # The deleted copy left its group; a new copy joined it.
        assert index.duplicates("a0000") == ["a0024", "a0103"]
        assert index.duplicates("a0103") == ["a0000", "a0024"]


# Fingerprints made directly (not from text), for many more change sequences than real
# indexes allow: slots from a few prototypes with some values changed and small values, so
# band keys collide often, pairs sit near the thresholds and runs are long.
_PROTOTYPES = np.random.default_rng(7).integers(0, 6, size=(3, 128)).astype(np.uint16)


@st.composite
def segment(draw: st.DrawFn, name: str) -> SegmentPrints:
    size = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    slots = _PROTOTYPES[rng.integers(0, 3, size=size)].copy()
    changed = rng.random(slots.shape) < rng.choice([0.1, 0.35, 0.45, 0.55], size=(size, 1))
    slots[changed] = rng.integers(0, 6, size=int(changed.sum()))
    counts = np.where(rng.random(size) < 0.1, 0, rng.integers(1, 60, size=size)).astype(np.uint32)
    return SegmentPrints(name, slots, counts, None)


changes = st.one_of(
    st.tuples(st.just("append"), st.integers(1, 2)),
    st.tuples(st.just("delete"), st.lists(st.integers(0, 1_000), min_size=1, max_size=5)),
    st.tuples(st.just("drop"), st.integers(0, 1_000)),
    st.tuples(st.just("merge"), st.lists(st.integers(0, 1_000), min_size=2, max_size=3)),
    st.tuples(st.just("stale"), st.integers(0, 1_000)),
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), plan=st.lists(changes, min_size=1, max_size=10))
def test_incremental_groups_equal_find_groups_over_any_segment_changes(data: st.DataObject, plan: list) -> None:
    names = iter(f"s{n}" for n in range(1_000))
    segments = [data.draw(segment(next(names)))]
    history = [DuplicateGroups.update(None, segments)]
    for kind, arg in plan:
        previous = history[-1]
        if kind == "append":
            segments += [data.draw(segment(next(names))) for _ in range(arg)]
        elif kind == "delete" and segments:
            for at in arg:
                s = segments[at % len(segments)]
                live = np.ones(s.counts.size, dtype=bool) if s.live is None else s.live.copy()
                live[(at // len(segments)) % s.counts.size] = False
                segments[at % len(segments)] = SegmentPrints(s.segid, s.slots, s.counts, live)
        elif kind == "drop" and segments:
            del segments[arg % len(segments)]
        elif kind == "merge" and len(segments) > 1:
            group = sorted({at % len(segments) for at in arg})
            parts = [segments[at] for at in group]
            kept = [np.ones(s.counts.size, dtype=bool) if s.live is None else s.live for s in parts]
            if any(k.any() for k in kept):  # as the writer does: live documents in order, at the first one's place
                merged = SegmentPrints(next(names), np.concatenate([s.slots[k] for s, k in zip(parts, kept)]),
                                       np.concatenate([s.counts[k] for s, k in zip(parts, kept)]), None)
                segments = [s for at, s in enumerate(segments) if at not in group]
                segments.insert(group[0], merged)
        elif kind == "stale":
            previous = history[arg % len(history)]  # any earlier groups will do
        groups = DuplicateGroups.update(previous, segments)
        history.append(groups)
        slots = np.concatenate([s.slots for s in segments] or [np.zeros((0, 128), dtype=np.uint16)])
        counts = np.concatenate([s.counts for s in segments] or [np.zeros(0, dtype=np.uint32)])
        live = np.concatenate([np.ones(s.counts.size, dtype=bool) if s.live is None else s.live for s in segments]
                              or [np.zeros(0, dtype=bool)])
        assert groups.label.tolist() == find_groups(slots, counts, live).tolist()


def chain() -> list[np.ndarray]:
    """Fingerprints f, x, d, y that share band 0 and nothing else but x and y, which agree
    on two slots of every three: near-duplicates that share no other band. In band 0's run
    (f, x, d, y) y pairs with d and f, not with x; without d it pairs with x."""
    f, x, d = (np.arange(128, dtype=np.uint16) + 1000 * n for n in (1, 2, 3))
    y = x.copy()
    y[5::3] += 500  # the last slot of bands 1, 2, ...: no other band in common
    for each in (f, x, d, y):
        each[:3] = 7
    return [f, x, d, y]


@pytest.mark.parametrize("removal", ["deleted", "segment dropped"])
def test_removing_an_article_pairs_its_neighbours_in_a_band(removal: str) -> None:
    f, x, d, y = chain()
    counts = np.full(1, 100, dtype=np.uint32)
    first = SegmentPrints("s1", np.stack([f, x]), np.full(2, 100, dtype=np.uint32), None)
    middle = SegmentPrints("s2", np.stack([d]), counts, None)
    last = SegmentPrints("s3", np.stack([y]), counts, None)
    before = DuplicateGroups.update(None, [first, middle, last])
    assert before.label.tolist() == [0, 1, 2, 3]  # y never compared with x
    if removal == "deleted":
        after = DuplicateGroups.update(before, [first, SegmentPrints("s2", middle.slots, counts, np.zeros(1, bool)), last])
        assert after.label.tolist() == [0, 1, 2, 1]
    else:
        after = DuplicateGroups.update(before, [first, last])
        assert after.label.tolist() == [0, 1, 1]
