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

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..models import Article
from .idhash import hash_blob, hash_id, hash_ids
from .segfile import SegmentFileReader, SegmentFileWriter
from .segment import FIELDS, MISSING_DAY, SegmentReader, StringTable, Vocabulary, day_number, source_key, write_strings
from .stories import (BATCH, DEFAULT_OPTIONS, HEADLINE_WEIGHT, LEAD_CHARS, Member, StoryClusterer,
                      StoryCounts, StoryOptions, StoryState, cluster_all, story_counts)
from .snapshot import Snapshot
from .store import INDEX_NAME, IndexStore, SearchkitSegment

__all__ = ["StoryLog", "StoryRecord", "StoryTable", "snapshot_stories", "story_columns", "story_file_name"]

_EPOCH = date(1970, 1, 1).toordinal()
Array = np.ndarray[Any, Any]


def story_file_name(generation: int) -> str:
    """The name of generation ``generation``'s story file."""
    return f"{INDEX_NAME}_{generation}.skstory"  # store.STORY_FILE matches it


def _write(path: Path, clusterer: StoryClusterer) -> None:
    """Write the clusterer's stories; the vectors and headlines a part at a time (they
    may be in its temporary files, :mod:`.storyrows`), so writing takes little memory."""
    columns = clusterer.columns()
    rows = columns.rows
    # The terms the live vectors use, numbered in the file in their sorted order: the
    # clusterer's own numbers depend on how the articles came in chunks (one worker or two).
    used = np.zeros(len(clusterer.term_names), dtype=bool)
    vector_length = headline_bytes = id_bytes = 0
    for chunk in clusterer.chunks(rows):
        used[chunk.terms] = True
        vector_length += chunk.terms.size
        headline_bytes += len(chunk.headlines)
        id_bytes += len(chunk.ids)
    numbers = np.flatnonzero(used)
    every = clusterer.term_names
    names = [every[number] for number in numbers.tolist()]
    order = sorted(range(len(names)), key=names.__getitem__)
    numbering = np.zeros(used.size, dtype=np.int64)
    numbering[numbers[order]] = np.arange(len(order))
    writer = SegmentFileWriter(path)
    try:
        writer.add("story", columns.story, np.int64)
        writer.add("day", columns.day, np.int32)
        writer.add("source", columns.source, np.int32)
        write_strings(writer, "terms", [names[at] for at in order])
        for name, size in (("ids", id_bytes), ("headline", headline_bytes)):
            writer.reserve(f"{name}.off", np.uint32 if size < 2**32 else np.uint64, rows.size + 1)
            writer.reserve(f"{name}.data", np.uint8, size)
            writer.write(f"{name}.off", [0])
        writer.reserve("vec.off", np.int64, rows.size + 1)
        writer.reserve("vec.term", np.int32, vector_length)
        writer.reserve("vec.weight", np.float32, vector_length)
        writer.write("vec.off", [0])
        at = entries = text = id_text = 0
        for chunk in clusterer.chunks(rows):
            count = chunk.lengths.size
            writer.write("vec.off", entries + np.cumsum(chunk.lengths), at + 1)
            writer.write("headline.off", text + np.cumsum(chunk.headline_lengths), at + 1)
            writer.write("vec.term", numbering[chunk.terms], entries)
            writer.write("vec.weight", chunk.weights, entries)
            writer.write("headline.data", np.frombuffer(chunk.headlines, dtype=np.uint8), text)
            writer.write("ids.off", id_text + np.cumsum(chunk.id_lengths), at + 1)
            writer.write("ids.data", np.frombuffer(chunk.ids, dtype=np.uint8), id_text)
            at, entries, text, id_text = (at + count, entries + chunk.terms.size, text + len(chunk.headlines),
                                          id_text + len(chunk.ids))
        writer.add("story.number", columns.rep_numbers, np.int64)
        writer.add("story.rep", columns.rep_rows, np.int64)
        writer.finish({"format": 1, "articles": int(rows.size), "next_story": clusterer.next_story,
                       "sources": columns.source_names})
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
        terms = StringTable(file, "terms").decode_all()
        offsets = file.array("vec.off").tolist()
        names = list(map(terms.__getitem__, file.array("vec.term").tolist()))
        weights = file.array("vec.weight").tolist()
        if len(offsets) != count + 1 or offsets[-1] > min(len(names), len(weights)):
            raise ValueError("the vectors' offsets do not cover the articles")
        members = _FileMembers(ids, stories, days, sources, headlines, offsets, names, weights)
        representatives = {number: ids[row] for number, row in
                           zip(file.array("story.number").tolist(), file.array("story.rep").tolist())}
        return StoryState(members, int(meta["next_story"]), representatives)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _damaged(path, exc) from exc
    finally:
        file.close()


class _FileMembers(Mapping[str, Member]):
    """A story file's members, made one at a time as a clusterer loads them."""

    def __init__(self, ids: list[str], stories: list[int], days: list[int], sources: list[str | None],
                 headlines: list[str], offsets: list[int], names: list[str], weights: list[float]):
        self._ids, self._stories, self._days, self._sources = ids, stories, days, sources
        self._headlines, self._offsets, self._names, self._weights = headlines, offsets, names, weights
        self._rows: dict[str, int] | None = None

    def _member(self, row: int) -> Member:
        a, b = self._offsets[row], self._offsets[row + 1]
        return Member(self._stories[row], self._days[row], self._sources[row], self._headlines[row],
                      tuple(self._names[a:b]), tuple(self._weights[a:b]))

    def __getitem__(self, article_id: str) -> Member:
        if self._rows is None:
            self._rows = {article_id: row for row, article_id in enumerate(self._ids)}
        return self._member(self._rows[article_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def items(self) -> Iterator[tuple[str, Member]]:  # type: ignore[override]
        return ((article_id, self._member(row)) for row, article_id in enumerate(self._ids))


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
    """A writer's stories: loaded on the first change, written with each commit.

    Changes are queued and applied in order, :data:`.stories.BATCH` added articles at a
    time (their vectors are computed together, :meth:`.StoryClusterer.vectors`). An added
    article's story term counts come with its analysed chunk from the worker processes
    (:meth:`analysed`) when it went to them, else they are made here. Nothing reads the
    stories before :meth:`write`, which applies what is left.
    """

    def __init__(self, store: IndexStore, generation: int, committed: list[SearchkitSegment],
                 options: StoryOptions | None = None):
        self.store = store
        self.enabled = store.stories  # False (``Index.create(stories=False)``): nothing clustered
        self.generation = generation
        self.committed = [segment.copy() for segment in committed]
        self.options = options
        self._clusterer: StoryClusterer | None = None
        self._readers: list[SegmentReader] = []
        # Changes not applied yet: (article id, the added article or None for a removal,
        # whether its counts come from a worker); counts delivered for the queued ones.
        self._queue: deque[tuple[str, Article | None, bool]] = deque()
        self._delivered: deque[StoryCounts] = deque()
        self._local = 0  # queued additions counted here

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
                    committed_docs=sum(s.doc_count() for s in self.committed), options=self.options,
                    spill_folder=self.store.path)
            else:
                self._clusterer = cluster_all(_live_articles(readers), options=self.options, spill_folder=self.store.path)
        return self._clusterer

    def add(self, article: Article, *, counted_elsewhere: bool = False, replaces: bool = True) -> None:
        """Queue an added article; ``replaces``: an older copy with its id may be clustered,
        and is taken out first (False only where the writer knows the id is new to the index).
        ``counted_elsewhere``: its story counts will come through :meth:`analysed`."""
        if not self.enabled:
            return
        if replaces:
            self._queue.append((article.id, None, False))
        self._queue.append((article.id, article, counted_elsewhere))
        if not counted_elsewhere:
            self._local += 1
            if self._local >= BATCH:
                self._apply(final=False)

    def remove(self, article_id: str) -> None:
        if self.enabled:
            self._queue.append((article_id, None, False))

    def analysed(self, counts: StoryCounts | None, articles: list[Article]) -> None:
        """The story counts of the next ``articles`` queued with ``counted_elsewhere``,
        in order (made here when ``counts`` is None or the options count otherwise)."""
        if not self.enabled:
            return
        options = self.options or DEFAULT_OPTIONS
        if counts is None or (options.lead_chars, options.headline_weight) != (LEAD_CHARS, HEADLINE_WEIGHT):
            counts = story_counts(((a.headline, a.body) for a in articles), options)
        self._delivered.append(counts)
        self._apply(final=False)

    def _apply(self, *, final: bool) -> None:
        """Apply the queued changes, a run of additions at a time; unless ``final``, only
        runs whose counts are here (from the workers, or :data:`.stories.BATCH` to count here)."""
        queue = self._queue
        while queue:
            _, article, elsewhere = queue[0]
            if article is None:
                self.clusterer().remove(queue.popleft()[0])
                continue
            # The run: the next additions of one chunk (removals between them apply in order).
            counts = self._delivered.popleft() if elsewhere and self._delivered else None
            size = BATCH if counts is None else counts.articles
            run: list[Article] = []
            ended = False  # by an addition of the other kind: the run is whole
            for _, added, from_worker in queue:
                if added is not None:
                    if from_worker != elsewhere or len(run) == size:
                        ended = True
                        break
                    run.append(added)
            if counts is None:
                if not final and (elsewhere or not (ended or len(run) == size)):
                    return
                counts = story_counts(((a.headline, a.body) for a in run), self.options or DEFAULT_OPTIONS)
            if not elsewhere:
                self._local -= len(run)
            clusterer = self.clusterer()
            vectors = clusterer.vectors(counts)
            placed = 0
            while placed < len(run):  # the additions placed together, up to each removal
                together: list[tuple[str, str, int, str | None]] = []
                while queue and len(together) < len(run) - placed and (added := queue[0][1]) is not None:
                    together.append((queue.popleft()[0], added.headline, day_number(added.date), added.source))
                if together:
                    clusterer.place_many(together, vectors.part(placed, placed + len(together)))
                    placed += len(together)
                if placed < len(run):
                    clusterer.remove(queue.popleft()[0])

    def write(self, generation: int) -> str:
        """Write the stories of ``generation`` (before it is published); returns the file's name."""
        name = story_file_name(generation)
        if not self.enabled:  # an empty table: searches see each article as a story of its own
            empty = StoryClusterer(StoryState(), committed_df=len, committed_docs=0)
            _write(self.store.path / name, empty)
            empty.close()
            return name
        self._apply(final=True)
        _write(self.store.path / name, self.clusterer())
        return name

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers = []
        if self._clusterer is not None:
            self._clusterer.close()
            self._clusterer = None


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
    """The stories of one committed generation, for reading: per clustered article its id,
    story number, day, source and headline, and each story's representative.

    Compact, as an index of a million articles needs (a dict and a list of strings per
    article took hundreds of MB there): read from a file, the ids and headlines stay in
    the mapped file and are decoded one at a time; an id is found through a sorted array
    of the ids' hashes (a match confirmed against the id itself); a story's members are a
    slice of one array of rows ordered by story; sources are ordinals.
    """

    def __init__(self, ids: Sequence[str], story: Array, day: Array, source: Array, source_names: Sequence[str],
                 headlines: Sequence[str], rep_numbers: Array, rep_rows: Array):
        self.ids = ids
        self._file: SegmentFileReader | None = None  # the mapped story file, when read from one
        self.story: Array = np.asarray(story, dtype=np.int64)
        self.day: Array = np.asarray(day)
        self.source: Array = np.asarray(source)  # ordinal in source_names, -1 for none
        self.source_names = list(source_names)
        self._headlines = headlines
        self._rep_numbers: Array = np.asarray(rep_numbers, dtype=np.int64)
        self._rep_rows: Array = np.asarray(rep_rows, dtype=np.int64)
        if self._rep_numbers.size > 1 and bool((self._rep_numbers[1:] < self._rep_numbers[:-1]).any()):
            by_number = np.argsort(self._rep_numbers, kind="stable")  # a file's are sorted: used where they lie
            self._rep_numbers, self._rep_rows = self._rep_numbers[by_number], self._rep_rows[by_number]
        keys = _hashes(ids)
        self._key_rows: Array = np.argsort(keys, kind="stable")
        self._keys: Array = keys[self._key_rows]
        order = np.argsort(self.story, kind="stable")
        numbers, starts, sizes = np.unique(self.story[order], return_index=True, return_counts=True)
        self._order: Array = order
        self._starts: Array = starts
        self.numbers: Array = numbers  # ascending
        self.highest: int = int(numbers[-1]) if numbers.size else -1  # the largest story number (-1: none)
        self.sizes: Array = sizes
        self.first_days: Array = np.zeros(0, np.int64)
        self.last_days: Array = np.zeros(0, np.int64)
        if starts.size:  # per story: its dated members' first and last day, MISSING_DAY when none
            days = self.day[order].astype(np.int64)
            late = np.maximum.reduceat(np.where(days == MISSING_DAY, np.iinfo(np.int64).min, days), starts)
            early = np.minimum.reduceat(np.where(days == MISSING_DAY, np.iinfo(np.int64).max, days), starts)
            self.last_days = np.where(late == np.iinfo(np.int64).min, MISSING_DAY, late)
            self.first_days = np.where(early == np.iinfo(np.int64).max, MISSING_DAY, early)

    @classmethod
    def load(cls, path: Path) -> StoryTable:
        """The table in the story file ``path`` (FileNotFoundError if there is none); the
        file stays mapped while the table is in use."""
        try:
            file = SegmentFileReader(path)
        except IndexCorruptError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):  # removed by a newer commit
                raise exc.__cause__ from None
            raise
        try:
            ids, headlines = StringTable(file, "ids"), StringTable(file, "headline")
            names: list[str] = list(file.meta["sources"])
            source, story, day = file.array("source"), file.array("story"), file.array("day")
            rep_numbers, rep_rows = file.array("story.number"), file.array("story.rep")
            count = len(ids)
            if not (story.size == day.size == source.size == len(headlines) == count):
                raise IndexCorruptError(f"{path}: the story file's columns do not cover its {count} articles")
            if (source.size and (int(source.min()) < -1 or int(source.max()) >= len(names))) or (
                    rep_rows.size != rep_numbers.size or (rep_rows.size and not 0 <= int(rep_rows.min()) <= int(
                        rep_rows.max()) < count)):
                raise ValueError("a source or representative refers past the end of its table")
            table = cls(ids, story, day, source, names, headlines, rep_numbers, rep_rows)
            table._file = file
            return table
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            file.close()
            raise _damaged(path, exc) from exc
        except BaseException:
            file.close()
            raise

    @classmethod
    def cluster(cls, readers: list[tuple[SegmentReader, SearchkitSegment]]) -> StoryTable:
        """Cluster the live articles of ``readers`` in memory (a generation without a file)."""
        clusterer = cluster_all(_live_articles(readers))
        c = clusterer.columns()
        table = cls(clusterer.ids(c.rows), c.story, c.day.astype(np.int64), c.source, c.source_names, clusterer.headlines(c.rows),
                    c.rep_numbers, c.rep_rows)
        clusterer.close()
        return table

    def close(self) -> None:
        """Unmap the story file now (a table read from one); the table cannot be used after."""
        file = self.__dict__.get("_file")
        self.__dict__.clear()  # the arrays and string tables are views into the map
        if file is not None:
            file.close()

    def row_of(self, article_id: str) -> int:
        """The row of ``article_id``, or -1."""
        keys, key = self._keys, hash_id(article_id)
        at = int(keys.searchsorted(key))
        while at < keys.size and keys[at] == key:
            row = int(self._key_rows[at])
            if self.ids[row] == article_id:
                return row
            at += 1
        return -1

    def rows_of(self, article_ids: Sequence[str]) -> Array:
        """The row of each of ``article_ids`` (-1 for one without a story).

        Each id is found by its hash and confirmed against the table's id. For a whole string
        table of ids (a segment's) the confirmation goes by runs: where consecutive ids sit in
        consecutive rows (articles are clustered in the order they were added), one comparison
        of the two tables' bytes confirms the run instead of one string comparison per id
        (which made a frequent word's first story count at a million articles cost ~100 ms)."""
        keys = _hashes(article_ids)
        rows = np.full(keys.size, -1, dtype=np.int64)
        if not self._keys.size:
            return rows
        at = np.minimum(self._keys.searchsorted(keys), self._keys.size - 1)
        hit = np.flatnonzero(self._keys[at] == keys)
        rows[hit] = self._key_rows[at[hit]]
        unconfirmed = hit[~self._confirmed_runs(article_ids, hit, rows[hit])]
        ids = self.ids
        for i, row in zip(unconfirmed.tolist(), rows[unconfirmed].tolist()):
            if ids[row] != article_ids[i]:  # another id with the same hash: look at the others
                rows[i] = self.row_of(article_ids[i])
        return rows

    def _confirmed_runs(self, article_ids: Sequence[str], hit: Array, found: Array) -> Array:
        """Which of the ids at ``hit``, found at rows ``found``, a comparison of whole runs of
        bytes confirms (only between two string tables, and only where the runs are long)."""
        confirmed = np.zeros(hit.size, dtype=bool)
        if not (isinstance(article_ids, StringTable) and isinstance(self.ids, StringTable) and hit.size):
            return confirmed
        # runs of ids at consecutive positions found at consecutive rows
        breaks = np.flatnonzero((np.diff(hit) != 1) | (np.diff(found) != 1)) + 1
        starts = np.concatenate(([0], breaks)).tolist()
        stops = np.concatenate((breaks, [hit.size])).tolist()
        if len(starts) * 8 > hit.size:  # short runs: the ids one by one cost no more
            return confirmed
        mine, theirs = article_ids.offsets, self.ids.offsets
        for start, stop in zip(starts, stops):
            a, b = int(hit[start]), int(hit[stop - 1]) + 1
            c, d = int(found[start]), int(found[stop - 1]) + 1
            if np.array_equal(mine[a:b + 1].astype(np.int64) - int(mine[a]),
                              theirs[c:d + 1].astype(np.int64) - int(theirs[c])) and np.array_equal(
                    article_ids.data[int(mine[a]):int(mine[b])], self.ids.data[int(theirs[c]):int(theirs[d])]):
                confirmed[start:stop] = True
        return confirmed

    def story_column(self, article_ids: Sequence[str]) -> Array:
        """The story number (-1: none) of each of ``article_ids`` (a segment's ids)."""
        rows = self.rows_of(article_ids)
        column = np.full(rows.size, -1, dtype=np.int64)
        found = rows >= 0  # (an empty table has no row for -1 to pick)
        column[found] = self.story[rows[found]]
        return column

    def story_of(self, article_id: str) -> int | None:
        row = self.row_of(article_id)
        return None if row < 0 else int(self.story[row])

    def stories_from(self, source_keys: set[str]) -> Array:
        """The story numbers of the articles from the sources with these :func:`source_key` s."""
        wanted = [n for n, name in enumerate(self.source_names) if source_key(name) in source_keys]
        return self.story[np.isin(self.source, wanted)]

    def record(self, number: int) -> StoryRecord:
        at = int(np.searchsorted(self.numbers, number))
        start = int(self._starts[at])
        rows = self._order[start:start + int(self.sizes[at])].tolist()
        day, ids = self.day, self.ids
        ordered = sorted(rows, key=lambda r: (day[r] == MISSING_DAY, int(day[r]), ids[r]))
        days = [int(day[r]) for r in rows if day[r] != MISSING_DAY]
        names = self.source_names
        sources = tuple(dict.fromkeys(None if (s := int(self.source[r])) < 0 else names[s] for r in ordered))
        rep = int(np.searchsorted(self._rep_numbers, number))
        found = rep < self._rep_numbers.size and int(self._rep_numbers[rep]) == number
        return StoryRecord(number, tuple(ids[r] for r in ordered), sources,
                           _day(min(days)) if days else None, _day(max(days)) if days else None,
                           self._headlines[int(self._rep_rows[rep]) if found else ordered[0]])


def _hashes(ids: Sequence[str]) -> Array:
    """The :mod:`.idhash` hash of each id (a string table's from its bytes, undecoded)."""
    return hash_blob(ids.data, ids.offsets) if isinstance(ids, StringTable) else hash_ids(ids)


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
            if not store.stories:  # an index without stories: no article has one
                table = StoryTable.cluster([])
            else:
                table = StoryTable.cluster([(loaded.reader, loaded.segment) for loaded in snapshot.segments])
        snapshot.cache["stories"] = table
    return table


def story_columns(snapshot: Snapshot, table: StoryTable) -> list[Array]:
    """Per segment of ``snapshot``, each document's story number (-1: none), made once."""
    columns: list[Array] | None = snapshot.cache.get("story_columns")
    if columns is None:
        columns = []
        for loaded in snapshot.segments:
            columns.append(table.story_column(loaded.reader.ids))
        snapshot.cache["story_columns"] = columns
    return columns
