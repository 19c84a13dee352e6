"""One search: match, filter, count facets, sort, page, and build the hits.

Filters given as arguments (``sources``, ``since``/``until``) work like Elasticsearch's
``post_filter`` for facets: the source facet counts the query and the date filter but
ignores the source filter, and the date histogram counts the query and the source filter
but ignores the date filter, so a UI can show what each other choice would add. Clauses
inside the query string (``source:``, ``date:``) narrow everything, facets included.

A hit carries at most :data:`MAX_HIT_HEADLINE_CHARS` characters of headline and bounded
snippets (:mod:`searchkit.snippets`); building them counts against ``time_limit``.

Order: ``relevance`` is score, then newer date, then id; ``newest``/``oldest`` are date
(undated articles last), then score, then id. A cursor continues after the last hit of a
page in that order; it carries a fingerprint of the query, filters and sort it came from
and is refused with any others.

Options applied after BM25F (:mod:`searchkit.engine.rerank`): ``recency`` multiplies the
scores by a decay of the age before the order is made; ``diversify`` re-orders the top of
the relevance order so outlets take turns, keeping the scores (pages by number only; the
counts of what each outlet has after the page are in ``more_from``); ``explain`` gives
each hit the tree of :mod:`searchkit.engine.explain`, times those factors.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal

import numpy as np
import orjson

from ..arguments import FacetChoice
from ..errors import QueryError
from ..models import Explanation, FacetValue, Facets, Hit, Recency
from ..query import Query
from ..snippets import HighlightSpec, make_snippets
from .tokenmap import BodyPositions
from .execute import Executor, Matches, Ranking, date_mask
from .explain import explain_match
from .facets import DateInterval, date_histogram, source_counts
from .collapse import Grouping, collapse, duplicate_groups, duplicate_refs
from .storylist import StoryGrouping, count_stories, loaded_stories, story_fields
from .feedback import rm3
from .fingerprint import DuplicateGroups
from .rerank import decay, diversify_order, diversity_window
from .segment import MISSING_DAY, source_key
from .snapshot import Snapshot

__all__ = ["MAX_HIT_HEADLINE_CHARS", "SearchRequest", "SearchOutcome", "run_search"]

SortOrder = Literal["relevance", "newest", "oldest"]
Array = np.ndarray[Any, Any]
_MAX_TIE_GROUP = 10_000
MAX_HIT_HEADLINE_CHARS = 1_000  # a longer headline is cut to 999 characters and "…"; get() has it whole
_FAR = float(2**40)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class SearchRequest:
    query: Query
    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    sort: SortOrder = "relevance"
    limit: int = 10
    page: int = 1
    cursor: str | None = None
    date_interval: DateInterval | Literal["auto"] = "auto"
    source_facet_limit: int | None = 20
    facets: FacetChoice = True  # True: every facet; or the names of those to count
    snippets: bool = True
    snippet_chars: int = 240
    time_limit: float | None = None
    feedback: bool = False
    recency: Recency | None = None  # its origin resolved (today when it was None)
    diversify: Literal["source"] | None = None
    explain: bool = False
    collapse: Literal["duplicates", "story"] | None = None
    facet_counts: Literal["articles", "groups"] = "groups"


@dataclass
class SearchOutcome:
    total: int
    hits: list[Hit]
    facets: Facets
    next_cursor: str | None
    notes: list[str]
    highlight: HighlightSpec
    more_from: dict[str, int] | None = None
    total_articles: int | None = None  # with collapse: the matching articles; total counts groups
    unfiltered: int = 0  # the live articles matching the query before sources, since and until


@dataclass
class _Placed:
    """A hit of the page: where it is, its score, and its rank by relevance alone."""

    seg: int
    doc: int
    score: float
    rank: int


def _source_ordinals(snapshot: Snapshot, names: Sequence[str]) -> Array:
    """The index-wide ordinals of the named sources (any case); unknown names match nothing."""
    keys = (source_key(name) for name in names)
    return np.array([snapshot.source_ordinals[k] for k in keys if k in snapshot.source_ordinals], dtype=np.int32)


def run_search(snapshot: Snapshot, request: SearchRequest, ranking: Ranking, *,
               scorer: Callable[[Executor], list[Matches]] | None = None) -> SearchOutcome:
    """Run ``request``; ``scorer``, when given, finds and scores the matches in place of
    ``request.query`` (:mod:`searchkit.engine.related`), and the rest (live documents,
    filters, facets, order, snippets) is the same."""
    # Collapse groups are built once per snapshot, before the clock of time_limit starts.
    grouping = _grouping(snapshot, request) if request.collapse is not None else None
    executor = Executor(snapshot, ranking, time_limit=request.time_limit, explain=request.explain)
    matches = []
    found_per_segment = executor.run(request.query) if scorer is None else scorer(executor)
    for loaded, found in zip(snapshot.segments, found_per_segment):
        if loaded.live is not None and found.docs.size:
            keep = loaded.live[found.docs]
            found = found.take(keep)  # still unscored: only the hits' scores are computed
        matches.append(found)
    if request.feedback:
        matches = rm3(executor, matches)
    recency = request.recency
    if recency is not None and recency.origin is not None:
        matches = [Matches(found.docs, found.scores * decay(recency, recency.origin, loaded.reader.day[found.docs]))
                   for loaded, found in zip(snapshot.segments, matches)]
    unfiltered = sum(found.docs.size for found in matches)
    wanted_sources = _source_ordinals(snapshot, request.sources)
    stories = snapshot.cache.get("stories")  # read by the Index before the search (:mod:`.storyfile`)
    hit_parts: list[Matches] = []
    for_source_facet: list[Matches] = []
    for_date_facet: list[Matches] = []
    for loaded, found in zip(snapshot.segments, matches):
        docs = found.docs
        source_ok = np.isin(loaded.global_source[docs], wanted_sources) if request.sources else None
        date_ok = (
            date_mask(loaded.reader.day[docs], request.since, request.until)
            if request.since is not None or request.until is not None
            else None
        )
        for_source_facet.append(found if date_ok is None else found.take(date_ok))
        for_date_facet.append(found if source_ok is None else found.take(source_ok))
        both = source_ok if date_ok is None else (date_ok if source_ok is None else source_ok & date_ok)
        hit_parts.append(found if both is None else found.take(both))

    total = sum(part.docs.size for part in hit_parts)
    story_count = count_stories(snapshot, stories, hit_parts) if _wants(request, "stories") and stories is not None else None
    total_articles = groups = None
    if request.collapse is not None:
        groups = grouping
        total_articles = total

        def collapsed(parts: list[Matches]) -> list[Matches]:
            assert groups is not None
            return collapse(snapshot, groups, parts, partial(_sort_keys, request.sort),
                            lambda seg, doc: _doc_id(snapshot, seg, doc))

        collapsed_hits = collapsed(hit_parts)
        if request.facets and request.facet_counts == "groups":
            # Facets count the groups: each once, under its first article in the order.
            dated = request.since is not None or request.until is not None
            for_source_facet = collapsed(for_source_facet) if request.sources and _wants(request, "source") \
                else collapsed_hits
            for_date_facet = collapsed(for_date_facet) if dated and _wants(request, "date") else collapsed_hits
        hit_parts = collapsed_hits
        total = sum(part.docs.size for part in hit_parts)
    facets = Facets()
    if request.facets:
        sources: list[FacetValue] = []
        missing_source = 0
        if _wants(request, "source"):
            sources, missing_source = source_counts(snapshot, [m.docs for m in for_source_facet],
                                                    limit=request.source_facet_limit)
        # Without the date facet: no buckets, and the interval asked for (the default for "auto").
        interval = Facets().date_interval if request.date_interval == "auto" else request.date_interval
        histogram: list[FacetValue] = []
        missing_date = 0
        if _wants(request, "date"):
            interval, histogram, missing_date = date_histogram(snapshot, [m.docs for m in for_date_facet],
                                                               interval=request.date_interval)
        facets = Facets.model_construct(  # trusted values: validating hundreds of buckets costs as much as counting
            source=sources,
            date=histogram,
            date_interval=interval,
            missing_source=missing_source,
            missing_date=missing_date,
            stories=story_count,
        )
    spec = HighlightSpec(executor.highlight_terms, executor.highlight_phrases)
    page, next_cursor, before = _page(snapshot, hit_parts, request)
    # The page's hits' term positions, for their snippets: a posting list read once for all of them.
    bodies = BodyPositions((snapshot.segments[placed.seg].reader, placed.doc) for placed in page)
    more_from = None
    if request.diversify is not None:
        more_from = _more_from(snapshot, hit_parts, before, page)
    hits = []
    first_rank = (request.page - 1) * request.limit + 1
    for rank, placed in enumerate(page, start=first_rank):
        explanation = _explain(executor, request, snapshot, placed, rank) if request.explain else None
        extra: dict[str, Any] = {}  # given to the Hit as it is made: a model_copy per hit costs as much again
        if isinstance(groups, DuplicateGroups):
            extra["duplicates"] = duplicate_refs(snapshot, groups, placed.seg, placed.doc)
        if stories is not None:
            extra.update(story_fields(stories, _doc_id(snapshot, placed.seg, placed.doc),
                                      with_story=request.collapse == "story"))
        hits.append(_hit(snapshot, placed, spec, request, executor.check_time, explanation, extra, bodies))
    return SearchOutcome(total, hits, facets, next_cursor, executor.notes, spec, more_from, total_articles,
                         unfiltered)


def _wants(request: SearchRequest, facet: str) -> bool:
    """Whether the request asks for ``facet`` (a name of :data:`searchkit.arguments.FACETS`)."""
    return request.facets if isinstance(request.facets, bool) else facet in request.facets


def _grouping(snapshot: Snapshot, request: SearchRequest) -> Grouping:
    """What ``request.collapse`` groups by."""
    if request.collapse == "story":
        return StoryGrouping.of(snapshot, loaded_stories(snapshot))
    return duplicate_groups(snapshot)


def _sort_keys(sort: SortOrder, scores: Array, days: Array) -> tuple[Array, Array]:
    """The (primary, secondary) keys that order matches ascending for ``sort`` (then the id);
    ``days`` as floats, :data:`MISSING_DAY` for undated."""
    undated = days == MISSING_DAY
    if sort == "relevance":
        return -scores, np.where(undated, _FAR, -days)
    if sort == "newest":
        return np.where(undated, _FAR, -days), -scores
    return np.where(undated, _FAR, days), -scores


def _page(snapshot: Snapshot, parts: list[Matches], request: SearchRequest) -> tuple[list[_Placed], str | None, list[_Placed]]:
    """The hits of the requested page, the cursor after it, and the hits of the pages before."""
    docs = np.concatenate([p.docs for p in parts]) if parts else np.zeros(0, np.int64)
    scores = np.concatenate([p.scores for p in parts]) if parts else np.zeros(0)
    segs = np.repeat(np.arange(len(parts), dtype=np.int64), [p.docs.size for p in parts])
    total = docs.size
    if request.sort == "relevance" and request.cursor is None and total > _page_end(request):
        # Only the matches scoring at least the page's last score can be on it (ties included):
        # the dates and the order are made for those, not for every match.
        last = total - _page_end(request)
        kept = np.flatnonzero(scores >= np.partition(scores, last)[last])
        segs, docs, scores = segs[kept], docs[kept], scores[kept]
        days = np.zeros(docs.size)
        for i in np.unique(segs).tolist():
            in_segment = segs == i
            days[in_segment] = snapshot.segments[i].reader.day[docs[in_segment]]
    else:
        days = np.concatenate(
            [snapshot.segments[i].reader.day[p.docs].astype(np.float64) for i, p in enumerate(parts)]
        ) if parts else np.zeros(0)
    primary, secondary = _sort_keys(request.sort, scores, days)
    candidates = np.arange(docs.size)
    after_id: str | None = None
    if request.cursor is not None:
        key_p, key_s, after_id = _decode_cursor(request.cursor, request)
        later = (primary > key_p) | ((primary == key_p) & (secondary > key_s))
        same = (primary == key_p) & (secondary == key_s)
        ids = {i: _doc_id(snapshot, segs[i], docs[i]) for i in np.flatnonzero(same)[:_MAX_TIE_GROUP].tolist()}
        tie_after = np.zeros(docs.size, dtype=bool)
        for i, article_id in ids.items():
            tie_after[i] = article_id > after_id
        candidates = np.flatnonzero(later | tie_after)
        offset = 0
    else:
        offset = (request.page - 1) * request.limit
    wanted = _page_end(request)
    window = diversity_window(request.limit) if request.diversify is not None else 0
    more_than_wanted = (candidates.size if request.cursor is not None else total) > wanted
    if more_than_wanted:
        cut = np.argpartition(primary[candidates], wanted - 1)[:wanted]
        threshold = primary[candidates][cut].max()
        candidates = candidates[primary[candidates] <= threshold]
    order = candidates[np.lexsort((secondary[candidates], primary[candidates]))]
    order = _break_ties(snapshot, order, primary, secondary, segs, docs, wanted)
    if request.diversify is not None:
        top = order[:wanted].tolist()
        outlets = [int(snapshot.segments[int(segs[i])].global_source[docs[i]]) for i in top[:window]]
        ranks = diversify_order([float(scores[i]) for i in top[:window]], outlets) + list(range(window, len(top)))
        placed = [_Placed(int(segs[top[r]]), int(docs[top[r]]), float(scores[top[r]]), r + 1) for r in ranks]
        return placed[offset:offset + request.limit], None, placed[:offset]
    chosen = order[offset:wanted]
    page = [_Placed(int(segs[i]), int(docs[i]), float(scores[i]), offset + n + 1) for n, i in enumerate(chosen.tolist())]
    next_cursor = None
    if chosen.size and more_than_wanted:
        last = int(chosen[-1])
        next_cursor = _encode_cursor(request, float(primary[last]), float(secondary[last]),
                                     _doc_id(snapshot, segs[last], docs[last]))
    return page, next_cursor, []


def _page_end(request: SearchRequest) -> int:
    """How many hits of the order a page needs (those of the pages before it included; with
    ``diversify``, at least its window); a cursor's page counts from the cursor."""
    wanted = request.limit if request.cursor is not None else request.page * request.limit
    return max(wanted, diversity_window(request.limit)) if request.diversify is not None else wanted


def _more_from(snapshot: Snapshot, parts: list[Matches], before: list[_Placed], page: list[_Placed]) -> dict[str, int]:
    """For each outlet on the page: its matches that come after the page."""
    slots = len(snapshot.source_names) + 1
    totals = np.zeros(slots, dtype=np.int64)
    for loaded, part in zip(snapshot.segments, parts):
        if part.docs.size:
            totals += np.bincount(loaded.global_source[part.docs].astype(np.int64) + 1, minlength=slots)
    outlets = [int(snapshot.segments[p.seg].global_source[p.doc]) for p in before + page]
    for outlet in outlets:
        totals[outlet + 1] -= 1
    shown = dict.fromkeys(int(snapshot.segments[p.seg].global_source[p.doc]) for p in page)
    return {snapshot.source_names[o]: int(totals[o + 1]) for o in shown if o >= 0}


def _explain(executor: Executor, request: SearchRequest, snapshot: Snapshot, placed: _Placed, rank: int) -> Explanation:
    """The hit's score as a tree: BM25F, then the factors applied after it."""
    loaded = snapshot.segments[placed.seg]
    relevance = explain_match(executor, request.query, placed.seg, loaded, placed.doc)
    factors = []
    if request.recency is not None and request.recency.origin is not None:
        day = loaded.reader.day[placed.doc:placed.doc + 1]
        factor = float(decay(request.recency, request.recency.origin, day)[0])
        stored_day = None if day[0] == MISSING_DAY else date.fromordinal(int(day[0]) + _EPOCH_ORDINAL)
        age = "undated: the undated factor" if stored_day is None else \
            f"dated {stored_day}, {abs((request.recency.origin - stored_day).days)} d old"
        factors.append(Explanation(value=factor, description=f"recency: {request.recency.describe()}; {age}"))
    if request.collapse is not None:
        factors.append(Explanation(value=1.0, description=f"collapse={request.collapse!r}: the first of its group "
                                   "in this order (the others are in hit.duplicates; the score is unchanged)"))
    if request.diversify is not None:
        moved = "not moved" if rank == placed.rank else f"moved from rank {placed.rank} by relevance alone"
        factors.append(Explanation(value=1.0, description=f"diversify={request.diversify!r}: rank {rank}, {moved} "
                                   "(outlets take turns; the score is unchanged)"))
    if not factors:
        return relevance
    value = relevance.value
    for part in factors:
        value *= part.value
    return Explanation(value=value, description="score = relevance × " + " × ".join(
        f.description.split(":")[0] for f in factors), children=[relevance, *factors])


def _break_ties(snapshot: Snapshot, order: Array, primary: Array, secondary: Array, segs: Array, docs: Array, wanted: int) -> Array:
    """Within runs of equal (primary, secondary) that reach into the page, order by id."""
    if order.size < 2:
        return order
    p, s = primary[order], secondary[order]
    boundaries = np.flatnonzero((p[1:] != p[:-1]) | (s[1:] != s[:-1])) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [order.size]))
    result = order.copy()
    for start, end in zip(starts.tolist(), ends.tolist()):
        if start >= wanted:
            break
        if end - start < 2 or end - start > _MAX_TIE_GROUP:
            continue
        group = order[start:end]
        ids = [_doc_id(snapshot, segs[i], docs[i]) for i in group.tolist()]
        result[start:end] = group[np.argsort(np.array(ids, dtype=object), kind="stable")]
    ordered: Array = result
    return ordered


def _doc_id(snapshot: Snapshot, seg: Any, doc: Any) -> str:
    return snapshot.segments[int(seg)].reader.ids[int(doc)]


def _fingerprint(request: SearchRequest) -> str:
    """What a cursor must belong to: the query, its filters and the order."""
    sources = sorted(source_key(name) for name in request.sources)
    options: tuple[Any, ...] = ()
    if request.recency is not None:
        options = (request.recency,)  # only when set: cursors of plain searches stay as they were
    if request.collapse is not None:
        options += (("collapse", request.collapse, request.facet_counts),)
    key = repr((request.query, sources, request.since, request.until, request.sort) + options)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _encode_cursor(request: SearchRequest, primary: float, secondary: float, article_id: str) -> str:
    raw = orjson.dumps([_fingerprint(request), primary, secondary, article_id])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, request: SearchRequest) -> tuple[float, float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fingerprint, primary, secondary, article_id = orjson.loads(raw)
        valid = isinstance(article_id, str) and isinstance(primary, (int, float)) and isinstance(secondary, (int, float))
    except (ValueError, TypeError, orjson.JSONDecodeError):
        valid = False
    if not valid:
        raise QueryError(f"invalid cursor {cursor[:40]!r}; pass the next_cursor of a previous page")
    if fingerprint != _fingerprint(request):
        raise QueryError("the cursor belongs to another query, filter or sort; pass the same ones as for its page")
    return float(primary), float(secondary), article_id


def _hit(snapshot: Snapshot, placed: _Placed, spec: HighlightSpec, request: SearchRequest,
         check_time: Callable[[], None], explanation: Explanation | None, extra: dict[str, Any],
         bodies: BodyPositions | None = None) -> Hit:
    check_time()
    seg, doc, score = placed.seg, placed.doc, placed.score
    reader = snapshot.segments[seg].reader
    stored = reader.stored(doc)
    snippets = []
    if request.snippets:
        snippets = make_snippets(
            stored.get("headline", ""), stored.get("body", ""), stored.get("background", []),
            spec, max_chars=request.snippet_chars, check_time=check_time,
            body_index=None if bodies is None else bodies.of(reader, doc),
        )
    day = stored.get("date")
    headline = stored.get("headline", "")
    if len(headline) > MAX_HIT_HEADLINE_CHARS:
        headline = headline[: MAX_HIT_HEADLINE_CHARS - 1] + "…"
    return Hit(
        id=stored["id"],
        score=round(score, 6),
        headline=headline,
        source=stored.get("source"),
        date=date.fromisoformat(day) if day else None,
        url=stored.get("url"),
        snippets=snippets,
        explanation=explanation,
        **extra,
    )
