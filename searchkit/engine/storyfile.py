"""The stories of each committed generation, in one file per generation.

``MAIN_<generation>.skstory`` (a :mod:`.segfile` file: named numpy arrays, no pickles)
holds, per clustered article, its id, story number, day, source, headline and vector
(:mod:`.stories`), and per story its representative article. A writer writes the file of
the generation it is about to publish *before* the table of contents is renamed into place,
so the last committed generation always has its stories whole; files of other generations
are removed after the commit with the files the generation no longer uses
(:meth:`.store.IndexStore.remove_unreferenced`; a killed writer's file goes then too).

:class:`StoryLog` is the writer's side: it loads the committed state when the first change
needs it (or clusters the committed articles from scratch when the generation has no file,
as in an index made before stories existed), clusters each added article, and takes
deleted and replaced ones out. :class:`StoryTable` is the readers' side: article id to
story, and each story's members, sources, days and headline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..models import Article
from .segfile import SegmentFileReader, SegmentFileWriter
from .segment import FIELDS, MISSING_DAY, SegmentReader, StringTable, day_number, write_strings
from .stories import Member, StoryClusterer, StoryOptions, StoryState, cluster_all
from .snapshot import Snapshot
from .store import INDEX_NAME, IndexStore, SearchkitSegment

__all__ = ["StoryLog", "StoryRecord", "StoryTable", "snapshot_stories", "story_columns", "story_file_name"]

_EPOCH = date(1970, 1, 1).toordinal()
Array = np.ndarray[Any, Any]


def story_file_name(generation: int) -> str:
    """The name of generation ``generation``'s story file."""
    return f"{INDEX_NAME}_{generation}.skstory"  # store.STORY_FILE matches it


def _write(path: Path, state: StoryState) -> None:
    members = state.members
    ids = list(members)
    sources: dict[str, int] = {}
    terms: dict[str, int] = {}
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    vector_terms: list[int] = []
    weights: list[float] = []
    for row, member in enumerate(members.values()):
        vector_terms.extend(terms.setdefault(t, len(terms)) for t in member.terms)
        weights.extend(member.weights)
        offsets[row + 1] = len(vector_terms)
    rows = {article_id: row for row, article_id in enumerate(ids)}
    numbers = sorted(state.representatives)
    writer = SegmentFileWriter(path)
    try:
        write_strings(writer, "ids", ids)
        writer.add("story", [m.story for m in members.values()], np.int64)
        writer.add("day", [m.day for m in members.values()], np.int32)
        writer.add("source", [-1 if m.source is None else sources.setdefault(m.source, len(sources))
                              for m in members.values()], np.int32)
        write_strings(writer, "headline", [m.headline for m in members.values()])
        write_strings(writer, "terms", list(terms))
        writer.add("vec.off", offsets, np.int64)
        writer.add("vec.term", vector_terms, np.int32)
        writer.add("vec.weight", weights, np.float32)
        writer.add("story.number", numbers, np.int64)
        writer.add("story.rep", [rows[state.representatives[n]] for n in numbers], np.int64)
        writer.finish({"format": 1, "articles": len(ids), "next_story": state.next_story, "sources": list(sources)})
    except BaseException:
        writer.abort()
        raise


def _damaged(path: Path, exc: Exception) -> IndexCorruptError:
    return IndexCorruptError(f"{path}: the story file is damaged ({type(exc).__name__}: {exc}); delete it: "
                             "searches then cluster the articles in memory and the next write stores them again")


def _read(path: Path) -> StoryState:
    """The state in a story file, for a writer to go on from."""
    file = SegmentFileReader(path)
    try:
        meta = file.meta
        ids = StringTable(file, "ids").decode_all()
        headlines = StringTable(file, "headline").decode_all()
        stories = file.array("story").tolist()
        days = file.array("day").tolist()
        source_names: list[str | None] = [*meta["sources"], None]  # -1 picks None
        sources = [source_names[s] for s in file.array("source").tolist()]
        count = len(ids)
        if not (len(headlines) == len(stories) == len(days) == len(sources) == count == meta["articles"]):
            raise IndexCorruptError(f"{path}: the story file's columns do not cover its {count} articles")
        members: dict[str, Member] = {}
        terms = StringTable(file, "terms").decode_all()
        offsets = file.array("vec.off").tolist()
        vector_terms = file.array("vec.term").tolist()
        weights = file.array("vec.weight").tolist()
        for row in range(count):
            a, b = offsets[row], offsets[row + 1]
            members[ids[row]] = Member(stories[row], days[row], sources[row], headlines[row],
                                       tuple(terms[t] for t in vector_terms[a:b]), tuple(weights[a:b]))
        representatives = {number: ids[row] for number, row in
                           zip(file.array("story.number").tolist(), file.array("story.rep").tolist())}
        return StoryState(members, int(meta["next_story"]), representatives)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _damaged(path, exc) from exc
    finally:
        file.close()


def _live_articles(readers: list[tuple[SegmentReader, SearchkitSegment]]) -> Iterator[tuple[str, str, str, int, str | None]]:
    for reader, segment in readers:
        deleted = segment.deleted_docs()
        for docnum in range(reader.doc_count):
            if docnum not in deleted:
                stored = reader.stored(docnum)
                day = stored.get("date")
                yield (stored["id"], stored.get("headline", ""), stored.get("body", ""),
                       day_number(date.fromisoformat(day)) if day else MISSING_DAY, stored.get("source"))


class StoryLog:
    """A writer's stories: loaded on the first change, written with each commit."""

    def __init__(self, store: IndexStore, generation: int, committed: list[SearchkitSegment],
                 options: StoryOptions | None = None):
        self.store = store
        self.generation = generation
        self.committed = [segment.copy() for segment in committed]
        self.options = options
        self._clusterer: StoryClusterer | None = None
        self._readers: list[SegmentReader] = []

    def _committed_readers(self) -> list[tuple[SegmentReader, SearchkitSegment]]:
        if not self._readers and self.committed:
            self._readers = [SegmentReader(self.store.segment_path(s), name=s.segid) for s in self.committed]
        return list(zip(self._readers, self.committed))

    def _document_frequency(self, term: str) -> int:
        total = 0
        for reader in self._readers:
            number = reader.term_id(term)
            if number >= 0:
                total += max(reader.doc_frequency(field, number) for field in FIELDS[:2])
        return total

    def clusterer(self) -> StoryClusterer:
        if self._clusterer is None:
            path = self.store.path / story_file_name(self.generation)
            readers = self._committed_readers()
            if path.exists():
                self._clusterer = StoryClusterer(
                    _read(path), committed_df=self._document_frequency,
                    committed_docs=sum(s.doc_count() for s in self.committed), options=self.options)
            else:
                self._clusterer = cluster_all(_live_articles(readers), options=self.options)
        return self._clusterer

    def add(self, article: Article) -> None:
        """Cluster an added article (taking an older copy with its id out first)."""
        clusterer = self.clusterer()
        clusterer.remove(article.id)
        clusterer.add(article.id, article.headline, article.body, day=day_number(article.date), source=article.source)

    def remove(self, article_id: str) -> None:
        self.clusterer().remove(article_id)

    def write(self, generation: int) -> str:
        """Write the stories of ``generation`` (before it is published); returns the file's name."""
        clusterer = self.clusterer()
        clusterer.representatives()
        name = story_file_name(generation)
        _write(self.store.path / name, clusterer.state)
        return name

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers = []


@dataclass(frozen=True)
class StoryRecord:
    """One story as a reader sees it: number, member ids (oldest first), sources, days,
    representative headline."""

    number: int
    article_ids: tuple[str, ...]
    sources: tuple[str | None, ...]
    first_day: date | None
    last_day: date | None
    headline: str


def _day(number: int) -> date | None:
    return None if number == MISSING_DAY else date.fromordinal(number + _EPOCH)


class StoryTable:
    """The stories of one committed generation, for reading: columns per clustered
    article (id, story number, day, source, headline) and each story's representative."""

    def __init__(self, ids: list[str], story: Array, day: Array, sources: list[str | None],
                 headline: Callable[[int], str], representatives: dict[int, int]):
        self.ids = ids
        self.story = story.astype(np.int64)
        self.day = day.astype(np.int64)
        self.sources = sources
        self._headline = headline
        self._representatives = representatives  # story number -> row
        self.rows = {article_id: row for row, article_id in enumerate(ids)}
        order = np.argsort(self.story, kind="stable")
        numbers, starts, sizes = np.unique(self.story[order], return_index=True, return_counts=True)
        self.numbers: Array = numbers
        self.sizes: Array = sizes
        self._members = {int(n): order[a:a + c] for n, a, c in zip(numbers.tolist(), starts.tolist(), sizes.tolist())}
        self.first_days: Array = np.zeros(0, np.int64)
        self.last_days: Array = np.zeros(0, np.int64)
        if starts.size:  # per story: its dated members' first and last day, MISSING_DAY when none
            days = self.day[order]
            late = np.maximum.reduceat(np.where(days == MISSING_DAY, np.iinfo(np.int64).min, days), starts)
            early = np.minimum.reduceat(np.where(days == MISSING_DAY, np.iinfo(np.int64).max, days), starts)
            self.last_days = np.where(late == np.iinfo(np.int64).min, MISSING_DAY, late)
            self.first_days = np.where(early == np.iinfo(np.int64).max, MISSING_DAY, early)

    @classmethod
    def load(cls, path: Path) -> StoryTable:
        """The table in the story file ``path`` (FileNotFoundError if there is none)."""
        try:
            file = SegmentFileReader(path)
        except IndexCorruptError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):  # removed by a newer commit
                raise exc.__cause__ from None
            raise
        try:
            ids = StringTable(file, "ids").decode_all()
            names: list[str | None] = [*file.meta["sources"], None]  # -1 picks None
            sources = [names[s] for s in file.array("source").tolist()]
            headlines = StringTable(file, "headline").decode_all()
            representatives = dict(zip(file.array("story.number").tolist(), file.array("story.rep").tolist()))
            story, day = np.array(file.array("story")), np.array(file.array("day"))
            if not (story.size == day.size == len(sources) == len(headlines) == len(ids)):
                raise IndexCorruptError(f"{path}: the story file's columns do not cover its {len(ids)} articles")
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise _damaged(path, exc) from exc
        finally:
            file.close()
        return cls(ids, story, day, sources, headlines.__getitem__, representatives)

    @classmethod
    def cluster(cls, readers: list[tuple[SegmentReader, SearchkitSegment]]) -> StoryTable:
        """Cluster the live articles of ``readers`` in memory (a generation without a file)."""
        clusterer = cluster_all(_live_articles(readers))
        state = clusterer.state
        ids = list(state.members)
        members = list(state.members.values())
        rows = {article_id: row for row, article_id in enumerate(ids)}
        return cls(ids, np.array([m.story for m in members], dtype=np.int64),
                   np.array([m.day for m in members], dtype=np.int64), [m.source for m in members],
                   lambda row: members[row].headline,
                   {n: rows[a] for n, a in clusterer.representatives().items()})

    def story_of(self, article_id: str) -> int | None:
        row = self.rows.get(article_id)
        return None if row is None else int(self.story[row])

    def record(self, number: int) -> StoryRecord:
        rows = self._members[number].tolist()
        ordered = sorted(rows, key=lambda r: (self.day[r] == MISSING_DAY, int(self.day[r]), self.ids[r]))
        days = [int(self.day[r]) for r in rows if self.day[r] != MISSING_DAY]
        sources = tuple(dict.fromkeys(self.sources[r] for r in ordered))
        return StoryRecord(number, tuple(self.ids[r] for r in ordered), sources,
                           _day(min(days)) if days else None, _day(max(days)) if days else None,
                           self._headline(self._representatives.get(number, ordered[0])))


def snapshot_stories(store: IndexStore, snapshot: Snapshot, *, cluster: bool) -> StoryTable | None:
    """The stories of ``snapshot``'s generation, read once per snapshot. None when its file
    is gone (a newer commit removed it: refresh and ask again) unless ``cluster``, which
    then clusters the snapshot's articles in memory (an index made before stories)."""
    table: StoryTable | None = snapshot.cache.get("stories")
    if table is None:
        try:
            table = StoryTable.load(store.path / story_file_name(snapshot.generation))
        except FileNotFoundError:
            if not cluster:
                return None
            table = StoryTable.cluster([(loaded.reader, loaded.segment) for loaded in snapshot.segments])
        snapshot.cache["stories"] = table
    return table


def story_columns(snapshot: Snapshot, table: StoryTable) -> list[Array]:
    """Per segment of ``snapshot``, each document's story number (-1: none), made once."""
    columns: list[Array] | None = snapshot.cache.get("story_columns")
    if columns is None:
        rows, story = table.rows, table.story
        columns = []
        for loaded in snapshot.segments:
            found = np.array([rows.get(i, -1) for i in loaded.reader.ids.as_list()], dtype=np.int64)
            columns.append(np.where(found >= 0, story[found], -1))
        snapshot.cache["story_columns"] = columns
    return columns
