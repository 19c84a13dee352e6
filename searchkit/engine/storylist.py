"""Reading stories: one article's story, lists of stories, and stories on a search.

:func:`article_story` and :func:`list_stories` answer :meth:`searchkit.Index.story` and
:meth:`searchkit.Index.stories` from a snapshot's :class:`~.storyfile.StoryTable`;
:func:`count_stories` is the search's story facet and :class:`StoryGrouping` is what
``search(collapse="story")`` groups by (:mod:`.collapse`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..arguments import check_search_arguments
from ..errors import ArticleNotFoundError, QueryArgumentTypeError
from ..models import Story
from ..query import MatchAll, QueryMode, parse_query
from .execute import Executor, Matches, Ranking
from .segment import MISSING_DAY, day_number, source_key
from .snapshot import Snapshot
from .storyfile import StoryTable, story_columns

__all__ = ["StoryGrouping", "article_story", "count_stories", "list_stories", "loaded_stories", "story_fields", "story_id"]

Array = np.ndarray[Any, Any]


def story_id(number: int) -> str:
    """The public id of story ``number``."""
    return f"s{number}"


def _story(table: StoryTable, number: int) -> Story:
    record = table.record(number)
    return Story(id=story_id(number), article_ids=list(record.article_ids), sources=list(record.sources),
                 first_date=record.first_day, last_date=record.last_day, headline=record.headline,
                 size=len(record.article_ids))


def article_story(snapshot: Snapshot, table: StoryTable, path: Path | str, article_id: str) -> Story:
    """The story of ``article_id``; :class:`ArticleNotFoundError` when no live article has it."""
    if not isinstance(article_id, str):
        raise QueryArgumentTypeError(f"article_id must be a string (an article's id), not {type(article_id).__name__} "
                                     f"{article_id!r}")
    number = table.story_of(article_id)
    if number is None or snapshot.locate(article_id) is None:
        raise ArticleNotFoundError(article_id, path)
    return _story(table, number)


def list_stories(snapshot: Snapshot, table: StoryTable, ranking: Ranking, query: str = "", *,
                 since: date | str | None = None, until: date | str | None = None,
                 sources: Sequence[str] | str | None = None, limit: int = 20, mode: QueryMode = "auto") -> list[Story]:
    """The stories with an article that matches ``query`` (every story for ``""``), whose
    days overlap ``since``..``until`` and that have an article from one of ``sources``;
    the largest first, then the most recent (undated last), then the oldest id."""
    checked = check_search_arguments(
        query=query, sources=sources, since=since, until=until, sort="relevance", limit=limit, page=1, cursor=None,
        date_interval="auto", mode=mode, strict=False, snippets=False, facets=False, source_facet_limit=None,
        snippet_chars=240, suggest_spelling=False, time_limit=None, feedback=False,
    )
    numbers = table.numbers
    keep = np.ones(numbers.size, dtype=bool)
    parsed = parse_query(query, mode=mode).query
    if not isinstance(parsed, MatchAll):
        columns = story_columns(snapshot, table)
        matched: list[Array] = []
        for loaded, found, column in zip(snapshot.segments, Executor(snapshot, ranking).run(parsed), columns):
            docs = found.docs if loaded.live is None else found.docs[loaded.live[found.docs]]
            matched.append(column[docs])
        keep &= np.isin(numbers, np.concatenate(matched) if matched else np.zeros(0, np.int64))
    first_days, last_days = table.first_days, table.last_days
    if checked.since is not None:
        keep &= (last_days != MISSING_DAY) & (last_days >= day_number(checked.since))
    if checked.until is not None:
        keep &= (first_days != MISSING_DAY) & (first_days <= day_number(checked.until))
    if checked.sources:
        keep &= np.isin(numbers, table.stories_from({source_key(name) for name in checked.sources}))
    chosen = np.flatnonzero(keep)
    recency = np.where(last_days[chosen] == MISSING_DAY, np.iinfo(np.int64).max, -last_days[chosen])
    order = chosen[np.lexsort((numbers[chosen], recency, -table.sizes[chosen]))][:checked.limit]
    return [_story(table, int(n)) for n in numbers[order].tolist()]


def count_stories(snapshot: Snapshot, table: StoryTable, parts: Sequence[Matches]) -> int:
    """How many stories the documents of ``parts`` (per segment) belong to; a document
    without a story counts as one of its own."""
    seen = np.zeros(table.highest + 1, dtype=bool)
    alone = 0
    for number, part in enumerate(parts):
        numbers = _story_numbers(snapshot, table, number, part.docs)
        alone += int(np.count_nonzero(numbers < 0))
        seen[numbers[numbers >= 0]] = True
    return int(np.count_nonzero(seen)) + alone


_UNKNOWN = -2  # in a column of :func:`_story_numbers`: not looked up yet
WHOLE_COLUMN_SHARE = 16  # a search that needs more than 1/16 of a segment's story numbers makes them all


def _story_numbers(snapshot: Snapshot, table: StoryTable, segment: int, docs: Array) -> Array:
    """The story numbers (-1: none) of the ``docs`` of the snapshot's ``segment``, from the columns of
    :func:`.storyfile.story_columns` when a search has made them, else looked up as searches
    first need them and kept: the first search after opening looks up its matches only,
    not every article of the index."""
    made: list[Array] | None = snapshot.cache.get("story_columns")
    if made is not None:
        found: Array = made[segment][docs]
        return found
    loaded = snapshot.segments[segment]
    key = ("story numbers", loaded.segment.segid)
    column = snapshot.cache.get(key)
    if column is None:
        column = snapshot.cache[key] = np.full(loaded.reader.doc_count, _UNKNOWN, dtype=np.int64)
    numbers: Array = column[docs]
    unknown = docs[numbers == _UNKNOWN]
    if unknown.size * WHOLE_COLUMN_SHARE >= column.size:
        # A frequent word: the whole column costs less than its matches id by id (hashed from
        # the ids' bytes, runs confirmed at once: StoryTable.rows_of), and later searches are free.
        column[:] = table.story_column(loaded.reader.ids)
        numbers = column[docs]
    elif unknown.size:
        ids = loaded.reader.ids
        column[unknown] = table.story_column([ids[doc] for doc in unknown.tolist()])
        numbers = column[docs]
    return numbers


@dataclass(frozen=True)
class StoryGrouping:
    """The stories as :mod:`.collapse` groups documents (its ``Grouping``): snapshot-wide
    document numbers, each labelled with its story (a document without one, alone)."""

    base: Array
    label: Array
    grouped: Array

    @classmethod
    def of(cls, snapshot: Snapshot, table: StoryTable) -> StoryGrouping:
        """The grouping of ``snapshot`` by ``table``'s stories, made once per snapshot."""
        cached: StoryGrouping | None = snapshot.cache.get("story_grouping")
        if cached is None:
            columns = story_columns(snapshot, table)
            sizes = [loaded.reader.doc_count for loaded in snapshot.segments]
            base = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))[:-1] if sizes else np.zeros(0, np.int64)
            label = np.concatenate(columns) if columns else np.zeros(0, np.int64)
            alone = label < 0
            label = np.where(alone, -1 - np.arange(label.size, dtype=np.int64), label)
            size_of = np.zeros(max(table.highest + 1, 1), dtype=np.int64)
            size_of[table.numbers] = table.sizes
            grouped = ~alone & (size_of[np.where(alone, 0, label)] > 1)
            cached = snapshot.cache["story_grouping"] = cls(base, label, grouped)
        return cached


def loaded_stories(snapshot: Snapshot) -> StoryTable:
    """The stories the Index read for ``snapshot`` before searching it."""
    table: StoryTable | None = snapshot.cache.get("stories")
    assert table is not None, "Index.search reads the snapshot's stories before it searches"
    return table


def story_fields(table: StoryTable, article_id: str, *, with_story: bool) -> dict[str, Any]:
    """A hit's ``story_id`` and, ``with_story``, its story's size and outlets."""
    number = table.story_of(article_id)
    if number is None:
        return {}
    if not with_story:
        return {"story_id": story_id(number)}
    record = table.record(number)
    return {"story_id": story_id(number), "story_size": len(record.article_ids), "story_sources": list(record.sources)}
