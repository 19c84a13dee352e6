"""The :class:`Index`: create or open an index folder, add articles, search.

One ``Index`` object may be shared by many threads. Searches run on a snapshot of the
last committed generation and pick up commits made elsewhere (another thread, another
``Index`` on the same folder, another process) within ``refresh_interval`` seconds
(default 1 s; 0 checks before every search). Writes (``add``, ``add_many``, ``delete``)
take the folder's write lock, waiting up to ``lock_timeout`` seconds with backoff, and
are durable when they return.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import (
    ArticleError,
    ArticleNotFoundError,
    BatchError,
    IndexClosedError,
    IndexLockedError,
    IndexNotFoundError,
    IndexOptionError,
    IndexVersionError,
    QueryError,
    SearchkitError,
    UnsafePathError,
)
from ._log import log, log_skipped, logs_slow_searches
from .arguments import check_search_arguments
from .engine.check import check_index
from .engine.collapse import duplicate_groups, duplicate_refs
from .engine.execute import Ranking
from .engine.facets import DateInterval
from .engine.search import SearchRequest, SortOrder, run_search
from .engine.related import RelatedMode, find_related
from .engine.snapshot import Snapshot
from .engine.storyfile import StoryTable, snapshot_stories
from .engine.storylist import article_story, list_stories
from .engine.store import SCHEMA_VERSION, IndexStore
from .engine.notes import search_notes
from .engine.suggest import Filters, suggest
from .engine.writer import (
    FLUSH_STORED_BYTES,
    FLUSH_TOKENS,
    MAX_DELETED_RATIO,
    MERGE_FACTOR,
    AddOutcome,
    ArticleWriter,
    WriterOptions,
)
from .models import Article, Recency, SearchResults, Story
from .query import QueryMode, parse_query

__all__ = ["AddReport", "Batch", "CheckReport", "Index", "IndexStats", "Progress", "Rejection", "check", "resolve_index_path"]

DEFAULT_HOME = Path("indexes")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class Rejection(BaseModel):
    """An article that was not indexed, where it came from, and why.

    Attributes:
        location: Where it came from: ``file:line``, ``record N`` or a path.
        reason: Why it was not indexed.
        field: The field at fault, when one is.
    """

    model_config = ConfigDict(frozen=True)

    location: str | None
    reason: str
    field: str | None = None


class AddReport(BaseModel):
    """What ``add_many`` did. ``rejected`` lists every article that was not indexed.

    Attributes:
        added: Articles whose id was new.
        replaced: Articles that replaced a different one with the same id.
        unchanged: Articles already in the index exactly so (nothing written).
        rejected: Every article that was not indexed, with where and why.
        seconds: How long the call took.
    """

    model_config = ConfigDict(frozen=True)

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the call added or replaced at least one article."""
        return bool(self.added or self.replaced)


@dataclass(frozen=True)
class Progress:
    """Passed to ``add_many``'s progress callback about every 0.2 s and at the end.

    While another writer holds the index's lock, ``waiting_for`` names it (``pid N on HOST
    since TIME``, or ``another thread of this process``) and ``elapsed`` is the time waited;
    once the lock is taken ``waiting_for`` is None and ``elapsed`` counts from then.

    Attributes:
        done: Articles read so far.
        added: Of those, articles with a new id.
        replaced: Of those, articles that replaced another with the same id.
        unchanged: Of those, articles already in the index exactly so.
        rejected: Articles not indexed so far (invalid, or unreadable input).
        elapsed: Seconds since the lock was taken (or waited, while ``waiting_for`` is set).
        finished: True on the last call, when the write has committed.
        waiting_for: Who holds the lock while this call waits for it, else None.
    """

    done: int
    added: int
    replaced: int
    unchanged: int
    rejected: int
    elapsed: float
    finished: bool = False
    waiting_for: str | None = None


class IndexStats(BaseModel):
    """What ``Index.stats`` reports: articles, distinct sources, the date span (and how many
    articles have no date), segments, size on disk, the committed generation and the
    on-disk schema version.

    Attributes:
        path: The index folder (or a cluster index's URL, without credentials).
        articles: Articles in the index.
        sources: Distinct sources.
        first_date: The oldest article's date (None when no article has one).
        last_date: The newest article's date.
        undated: Articles without a date.
        segments: Segments on disk (searches visit each).
        size_bytes: Size of the index's files.
        generation: The number of the last commit.
        schema_version: The on-disk format's version.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    articles: int
    sources: int
    first_date: date | None
    last_date: date | None
    undated: int
    segments: int
    size_bytes: int
    generation: int
    schema_version: int


class CheckReport(BaseModel):
    """What ``Index.check`` found: ``ok`` when ``problems`` is empty.

    ``notes`` names files an interrupted write left behind (a killed writer's segment
    files, ``*.skseg.tmp``): harmless, not problems, and removed by the next write.

    Attributes:
        path: The index checked.
        ok: True when no problem was found.
        articles: Articles counted.
        segments: Segments read.
        problems: What is wrong, one sentence each, naming the file.
        notes: Harmless leftovers of interrupted writes.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    ok: bool
    articles: int
    segments: int
    problems: list[str]
    notes: list[str] = Field(default_factory=list)


def check(path: str | os.PathLike[str]) -> CheckReport:
    """Verify the index at ``path`` without opening it for search, so a damaged index
    gets a report of what is wrong rather than the first error met.

    Args:
        path: The index folder.

    Returns:
        What was found; ``ok`` is False when anything is damaged.

    Raises:
        IndexNotFoundError: There is no index at ``path``.
        IndexVersionError: The index was made by an incompatible searchkit.
    """
    store = IndexStore(Path(path))
    try:
        IndexStore.open(Path(path))
    except (IndexNotFoundError, IndexVersionError):
        raise
    except SearchkitError as exc:
        return CheckReport(path=str(path), ok=False, articles=0, segments=0, problems=[str(exc)])
    articles, segments, problems, notes = check_index(store)
    return CheckReport(path=str(path), ok=not problems, articles=articles, segments=segments,
                       problems=problems, notes=notes)


def _check_slow_search(value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0):
        raise IndexOptionError(f"slow_search must be a number of seconds, 0 or more, or None, not {value!r}")


def resolve_index_path(value: str | os.PathLike[str], *, home: Path = DEFAULT_HOME) -> Path:
    """A path as given, or a bare name (``news``) as a folder under ``home``.

    A bare name must be letters, digits, ``_``, ``.`` and ``-``; ``..`` and names that would
    leave ``home`` raise :class:`UnsafePathError`. A value with a path separator, or starting
    with ``~`` (expanded like a shell does; ``~nosuchuser`` stays as typed), is a path the
    caller chose: pass only names when they come from someone else.
    """
    text = os.fspath(value)
    if not text.strip():
        raise UnsafePathError("the index path is empty")
    if "\x00" in text:
        raise UnsafePathError("the index path contains a NUL character")
    if os.sep in text or (os.altsep and os.altsep in text) or text.startswith("~"):
        return Path(os.path.expanduser(text))  # Path.expanduser raises for an unknown ~user
    if not _NAME.match(text) or text in (".", ".."):
        raise UnsafePathError(f"{text!r} is not a valid index name; use letters, digits, '_', '.', '-'")
    return home / text


class Index:
    """A searchkit index folder. Use :meth:`create` or :meth:`open`.

    An index is safe to share between threads; writes from other threads and processes
    take turns at the folder's write lock, and searches see each commit within
    ``refresh_interval`` seconds. :meth:`close` it (or use it in a ``with`` block) to
    release its files at once.

    Args:
        store: The opened folder (made by :meth:`create` and :meth:`open`, which take the
            other arguments as keyword options).

    Attributes:
        lock_timeout: Seconds a write waits for the write lock before :class:`IndexLockedError`.
        refresh_interval: Seconds a search may reuse the last commit it saw before looking
            for a newer one.
        ranking: The BM25F parameters searches use.
        slow_search: Searches slower than this many seconds are logged (None: never).
        writer_options: How writes size segments and merge them.

    Examples:
        >>> with Index.create("indexes/example") as index:
        ...     report = index.add({"headline": "River Olm floods", "body": "The river rose.", "date": "2024-03-04"})
        ...     [hit.headline for hit in index.search("flood").hits]
        ['River Olm floods']
    """

    def __init__(self, store: IndexStore, *, lock_timeout: float, refresh_interval: float, ranking: Ranking,
                 slow_search: float | None = 1.0, writer_options: WriterOptions | None = None):
        _check_slow_search(slow_search)
        self._store = store
        self.lock_timeout = lock_timeout
        self.refresh_interval = refresh_interval
        self.ranking = ranking
        self.slow_search = slow_search
        self.writer_options = writer_options or WriterOptions()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._batch_thread: int | None = None  # the thread with a batch open, if any

    # Opening

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, lock_timeout: float = 30.0,
               refresh_interval: float = 1.0, ranking: Ranking | None = None,
               slow_search: float | None = 1.0, flush_tokens: int = FLUSH_TOKENS,
               flush_bytes: int = FLUSH_STORED_BYTES, merge_factor: int = MERGE_FACTOR,
               max_deleted_ratio: float = MAX_DELETED_RATIO, max_merged_articles: int | None = None,
               workers: int | None = None, stories: bool = True) -> Index:
        """Create an empty index at ``path``; :class:`IndexExistsError` if something is there.

        ``flush_tokens``, ``flush_bytes``, ``merge_factor``, ``max_deleted_ratio``,
        ``max_merged_articles`` and ``workers`` size this object's writes (memory per
        flush, segment size, merge policy, analysis processes) as
        :class:`~searchkit.WriterOptions` explains; they are not stored in the index.

        Args:
            path: The folder to create (its parents are made too); it must be missing or empty.
            lock_timeout: Seconds a write waits for another writer before :class:`IndexLockedError`.
            refresh_interval: Seconds a search may reuse the last commit it saw.
            ranking: BM25F parameters (default :class:`Ranking()`).
            slow_search: Searches slower than this many seconds are logged at INFO on the
                ``searchkit`` logger (None: never); see :mod:`searchkit._log`.
            flush_tokens: Terms buffered in memory before a segment is written.
            flush_bytes: Compressed stored articles buffered before a segment is written.
            merge_factor: How many segments of a size are merged into one.
            max_deleted_ratio: A segment with a larger share of deleted articles is rewritten.
            max_merged_articles: Segments this large are left out of merges (None: no limit).
            workers: Processes that analyse articles in big writes (None: every core once a
                write passes 2,000 articles; 1: none).
            stories: Group articles into news stories as they are added (the README's
                "Stories"); False indexes faster in less memory, and :meth:`story`,
                :meth:`stories` and ``collapse="story"`` then raise :class:`QueryError`.
                Stored in the index (:attr:`stories_enabled`).

        Returns:
            The new, empty index, open.

        Raises:
            IndexExistsError: Something other than an empty folder is at ``path``.
            IndexOptionError: An option has a wrong value (checked before anything is made).
            UnsafePathError: ``path`` is empty or holds a NUL character.

        Examples:
            >>> index = Index.create("indexes/new")
            >>> len(index), index.path.name
            (0, 'new')
        """
        options = WriterOptions(flush_tokens, flush_bytes, merge_factor, max_deleted_ratio, max_merged_articles, workers)
        _check_slow_search(slow_search)
        if not isinstance(stories, bool):
            raise IndexOptionError(f"stories must be True or False, not {stories!r}")
        store = IndexStore.create(Path(path), stories=stories)
        return cls(store, lock_timeout=lock_timeout, refresh_interval=refresh_interval, ranking=ranking or Ranking(),
                   slow_search=slow_search, writer_options=options)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, lock_timeout: float = 30.0,
             refresh_interval: float = 1.0, ranking: Ranking | None = None,
             slow_search: float | None = 1.0, flush_tokens: int = FLUSH_TOKENS,
             flush_bytes: int = FLUSH_STORED_BYTES, merge_factor: int = MERGE_FACTOR,
             max_deleted_ratio: float = MAX_DELETED_RATIO, max_merged_articles: int | None = None,
             workers: int | None = None) -> Index:
        """Open the index at ``path``; :class:`IndexNotFoundError` (with the path) if there is none.

        Args:
            path: The index folder.
            lock_timeout: As :meth:`create` takes it.
            refresh_interval: As :meth:`create` takes it.
            ranking: As :meth:`create` takes it.
            slow_search: As :meth:`create` takes it.
            flush_tokens: As :meth:`create` takes it.
            flush_bytes: As :meth:`create` takes it.
            merge_factor: As :meth:`create` takes it.
            max_deleted_ratio: As :meth:`create` takes it.
            max_merged_articles: As :meth:`create` takes it.
            workers: As :meth:`create` takes it.

        Returns:
            The index, open for searching and writing.

        Raises:
            IndexNotFoundError: There is no index at ``path``.
            IndexVersionError: The index was made by an incompatible searchkit.
            IndexCorruptError: Its files are missing or damaged.
            IndexOptionError: An option has a wrong value.

        Examples:
            >>> Index.create("indexes/kept").close()
            >>> with Index.open("indexes/kept", lock_timeout=5) as index:
            ...     index.lock_timeout
            5
        """
        options = WriterOptions(flush_tokens, flush_bytes, merge_factor, max_deleted_ratio, max_merged_articles, workers)
        store = IndexStore.open(Path(path))
        index = cls(store, lock_timeout=lock_timeout, refresh_interval=refresh_interval, ranking=ranking or Ranking(),
                    slow_search=slow_search, writer_options=options)
        index._current()
        return index

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str], **options: Any) -> Index:
        """Open the index at ``path``, or create it there when the folder is missing or
        empty.

        Args:
            path: The index folder.
            **options: :meth:`create`'s keyword options.

        Returns:
            The index, open.

        Raises:
            IndexVersionError: The folder holds an index of an incompatible searchkit.
            IndexExistsError: The folder holds something that is not an index.
            IndexOptionError: ``stories`` is given and the existing index was made with the
                other setting.
        """
        if Path(path).exists() and any(Path(path).iterdir()):
            stories = options.pop("stories", None)
            index = cls.open(path, **options)
            if stories is not None and stories != index.stories_enabled:
                index.close()
                raise IndexOptionError(
                    f"{index.path} was created with stories={index.stories_enabled}; the setting is the index's "
                    f"and cannot change: rebuild it into a new folder to change it")
            return index
        return cls.create(path, **options)

    @property
    def path(self) -> Path:
        """The index's folder."""
        return self._store.path

    @property
    def stories_enabled(self) -> bool:
        """Whether the index groups articles into stories (``Index.create(stories=...)``)."""
        return self._store.stories

    def _need_stories(self, what: str) -> None:
        if not self._store.stories:
            raise QueryError(f"{what} needs stories, and the index {self.path} was created with stories=False "
                             "(`searchkit index --no-stories`): rebuild it with stories on to group articles")

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    def __enter__(self) -> Index:
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the index now: its segment files are unmapped and their descriptors
        closed when this returns, not when the garbage collector runs. Closing twice is
        fine; any other use afterwards raises :class:`IndexClosedError`, as does a search
        or an ``articles()`` iteration another thread still runs on it. A ``with`` block
        closes the index at its end.

        Examples:
            >>> with Index.open_or_create("indexes/closing") as index:
            ...     index.closed
            False
            >>> index.closed
            True
            >>> index.search("flood")
            Traceback (most recent call last):
            ...
            searchkit.errors.IndexClosedError: the index indexes/closing is closed; open it again with Index.open('indexes/closing')
        """
        with self._snapshot_lock:
            self._closed = True
            snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:
            for loaded in snapshot.segments:
                loaded.reader.close()
            stories = snapshot.cache.get("stories")
            if stories is not None:
                stories.close()  # its story file is mapped too

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise IndexClosedError(self.path)

    # Reading

    def _current(self, *, force: bool = False) -> Snapshot:
        self._check_open()
        snapshot = self._snapshot
        now = time.monotonic()
        if snapshot is not None and not force and now - snapshot.loaded_at < self.refresh_interval:
            return snapshot
        with self._snapshot_lock:
            self._check_open()  # closed while this thread waited for the lock
            snapshot = self._snapshot
            if snapshot is None or force or now - snapshot.loaded_at >= self.refresh_interval:
                fresh = Snapshot.load(self._store, snapshot)
                if fresh is snapshot and snapshot is not None:
                    fresh = Snapshot(**{**snapshot.__dict__, "loaded_at": time.monotonic()})
                self._snapshot = snapshot = fresh
        return snapshot

    def refresh(self) -> None:
        """See the latest commit now, whatever ``refresh_interval`` says.

        Raises:
            IndexClosedError: The index was closed.
        """
        self._current(force=True)

    def __len__(self) -> int:
        return self._current().doc_count

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None.

        Args:
            article_id: The article's id (hits carry it as ``hit.id``).

        Returns:
            The article as it was added, or None when no article has that id.

        Raises:
            IndexClosedError: The index was closed.

        Examples:
            >>> hit = index.search("flood damage", limit=1).hits[0]
            >>> index.get(hit.id).headline == hit.headline
            True
        """
        snapshot = self._current()
        found = snapshot.locate(article_id)
        if found is None:
            return None
        loaded, docnum = found
        return Article.model_validate(loaded.reader.stored(docnum))

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self._current().locate(article_id) is not None

    def articles(self) -> Iterator[Article]:
        """Every article in the index, segment by segment (for export and rebuilds).

        Yields:
            Each live article once, in no particular order.

        Raises:
            IndexClosedError: The index was closed (also while iterating).

        Examples:
            >>> sum(1 for _ in index.articles()) == len(index)
            True
        """
        snapshot = self._current()
        for loaded in snapshot.segments:
            for docnum in range(loaded.reader.doc_count):
                if loaded.is_live(docnum):
                    yield Article.model_validate(loaded.reader.stored(docnum))

    @logs_slow_searches
    def search(
        self,
        query: str = "",
        *,
        sources: Sequence[str] | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sort: SortOrder = "relevance",
        limit: int = 10,
        page: int = 1,
        cursor: str | None = None,
        date_interval: DateInterval | Literal["auto"] = "auto",
        mode: QueryMode = "auto",
        strict: bool = False,
        snippets: bool = True,
        facets: bool | Sequence[str] = True,
        source_facet_limit: int | None = 20,
        snippet_chars: int = 240,
        suggest_spelling: bool = True,
        time_limit: float | None = 10.0,
        feedback: bool = False,
        recency: str | Recency | None = None,
        diversify: Literal["source"] | None = None,
        explain: bool = False,
        collapse: Literal["duplicates", "story"] | None = None,
        facet_counts: Literal["articles", "groups"] = "groups",
    ) -> SearchResults:
        """Search the index: ranked hits with snippets, and facets by source and date.

        The README's "Query syntax" section describes the query language (words, ``"phrases"``,
        ``AND``/``OR``/``NOT``, ``field:value``, prefixes ``flood*``, fuzzy ``flod~``). Every
        argument is checked before the search runs (:mod:`searchkit.arguments`).

        Args:
            query: The query; empty matches every article (for browsing by filters).
            sources: Only articles from these sources (any case).
            since: Only articles dated on or after this day (a date, datetime or ISO 8601 string).
            until: Only articles dated on or before this day.
            sort: ``"relevance"``, ``"newest"`` or ``"oldest"``.
            limit: Hits per page (1 to 1000).
            page: The page, from 1 (not with ``cursor``).
            cursor: A previous page's ``next_cursor``, to continue after it.
            date_interval: The date facet's bucket: ``"day"``, ``"week"``, ``"month"``,
                ``"year"`` or ``"auto"`` (by the span of the matches).
            mode: How plain words combine: ``"all"``, ``"any"`` or ``"auto"`` (all, then any
                when all finds nothing).
            strict: Refuse a malformed query (:class:`QuerySyntaxError`) instead of skipping
                its bad parts with a warning.
            snippets: Give each hit highlighted snippets.
            facets: Count the matches by source and date, and the stories they belong to:
                True (every facet), False (none), or the names of those to count, among
                ``"source"``, ``"date"`` and ``"stories"`` (the others are left empty, the
                story count None), e.g. ``facets=("source", "date")``.
            source_facet_limit: Most sources in the source facet (None: all).
            snippet_chars: About how long a snippet is, in characters.
            suggest_spelling: Suggest a respelled query when few articles match.
            time_limit: Seconds the search may run (None: no limit).
            feedback: Re-rank with RM3 pseudo-relevance feedback (:mod:`searchkit.engine.feedback`).
            recency: A half-life such as ``"30d"``, or a :class:`Recency`: scores are
                multiplied by a decay of the article's age.
            diversify: ``"source"`` lets outlets take turns at the top and fills ``more_from``.
            explain: Give each hit an :class:`Explanation` of its score.
            collapse: ``"duplicates"``: one hit per group of near-duplicates (wire copies),
                the first of the group in the order; ``hit.duplicates`` lists the others and
                ``total`` counts groups (``total_articles`` the articles). Nothing is deleted.
            facet_counts: With ``collapse``: ``"groups"`` (default) counts each group once in
                the facets, under its first article; ``"articles"`` counts every article.

        Returns:
            One page of hits with the total, facets, timing and any warnings.

        Raises:
            QueryError: An argument has a wrong value, named in the message
                (:class:`QueryArgumentTypeError` for a wrong type).
            QuerySyntaxError: With ``strict=True``, the query is malformed (says where).
            QueryTooComplexError: The query ran longer than ``time_limit`` or is too large.
            IndexClosedError: The index was closed.

        Examples:
            >>> results = index.search("flood damage", limit=2)
            >>> results.total, [hit.headline for hit in results.hits]
            (6, ['Olmsdale flood damage estimated at $86.4 million, officials say',
                 'One year after the flood, Lower Olm-on-Weir is “still halfway home”'])
            >>> [(bucket.value, bucket.count) for bucket in results.facets.source][:2]
            [('The Lantern Post', 2), ('Copperfield Dispatch', 1)]
            >>> results = index.search("flood", sources=["kestrel valley herald"], sort="newest", limit=1)
            >>> results.total, str(results.hits[0].date), results.next_cursor is not None
            (3, '2024-10-15', True)
        """
        started = time.perf_counter()
        checked = check_search_arguments(
            query=query, sources=sources, since=since, until=until, sort=sort, limit=limit, page=page,
            cursor=cursor, date_interval=date_interval, mode=mode, strict=strict, snippets=snippets,
            facets=facets, source_facet_limit=source_facet_limit, snippet_chars=snippet_chars,
            suggest_spelling=suggest_spelling, time_limit=time_limit, feedback=feedback,
            recency=recency, diversify=diversify, explain=explain, collapse=collapse, facet_counts=facet_counts,
        )
        sources, since, until, limit, page = checked.sources, checked.since, checked.until, checked.limit, checked.page
        if collapse == "story":
            self._need_stories('search(collapse="story")')
        decay = checked.recency
        if decay is not None and decay.origin is None:
            decay = dataclasses.replace(decay, origin=date.today())
        parsed = parse_query(query, mode=mode, strict=strict)
        request = SearchRequest(
            query=parsed.query, sources=tuple(sources), since=since, until=until, sort=sort,
            limit=limit, page=page, cursor=cursor, date_interval=date_interval,
            source_facet_limit=source_facet_limit, facets=checked.facets, snippets=snippets,
            snippet_chars=snippet_chars, time_limit=time_limit, feedback=feedback,
            recency=decay, diversify=diversify, explain=explain, collapse=collapse, facet_counts=facet_counts,
        )
        snapshot, _ = self._stories()  # hits carry their story ids
        outcome = run_search(snapshot, request, self.ranking)
        suggestion = None
        if suggest_spelling and cursor is None and page == 1:
            deadline = None if time_limit is None else started + time_limit
            filters = Filters(outcome.unfiltered, request.sources, since, until)
            suggestion = suggest(snapshot, query, outcome.total, mode=mode, ranking=self.ranking, deadline=deadline,
                                 filters=filters)
        return SearchResults(
            query=query,
            total=outcome.total,
            hits=outcome.hits,
            facets=outcome.facets,
            took_ms=round((time.perf_counter() - started) * 1000, 3),
            suggestion=suggestion,
            page=page,
            limit=limit,
            next_cursor=outcome.next_cursor,
            warnings=[e.args[0] if e.args else str(e) for e in parsed.errors] + outcome.notes
            + search_notes(snapshot, parsed.query, request.sources),
            more_from=outcome.more_from,
            total_articles=outcome.total_articles,
        )

    def duplicates(self, article_id: str) -> list[str]:
        """The ids of an article's near-duplicates: other copies of the same text with small
        edits (another headline, a trimmed end, another dateline or boilerplate), found
        from fingerprints made as articles are added (:mod:`searchkit.engine.fingerprint`).

        They are the article's group as ``search(collapse="duplicates")`` makes it: the
        articles linked to it by a chain of near-duplicate pairs. The groups are computed
        once per commit, on the first call or collapsed search after it.

        Args:
            article_id: The id of an article in the index.

        Returns:
            The other articles of its group, oldest first (undated last), then by id;
            ``[]`` when it has none.

        Raises:
            ArticleNotFoundError: No article has this id (a ``KeyError``).
        """
        snapshot = self._current()
        found = snapshot.locate(article_id)
        if found is None:
            raise ArticleNotFoundError(article_id, self.path)
        loaded, docnum = found
        segment = next(number for number, each in enumerate(snapshot.segments) if each is loaded)
        return [ref.id for ref in duplicate_refs(snapshot, duplicate_groups(snapshot), segment, docnum)]

    @logs_slow_searches
    def related(
        self,
        article_id: str,
        *,
        mode: RelatedMode = "coverage",
        limit: int = 10,
        sources: Sequence[str] | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
    ) -> SearchResults:
        """Articles related to the article ``article_id``, ranked, as a page of search results.

        The article's own words are the query (:mod:`searchkit.engine.related` says how
        they are chosen and weighed); the article itself is never among the hits.

        Args:
            article_id: The id of an article in the index.
            mode: ``"coverage"`` (default): the same story from other outlets first (close
                in date, another outlet); ``"background"``: earlier articles that give
                context (dated before the article).
            limit: How many hits (1 to 1000).
            sources: Only these sources, as :meth:`search` takes them.
            since: Only articles dated on or after this day, as :meth:`search` takes it.
            until: Only articles dated on or before this day.

        Returns:
            The hits with snippets highlighting the shared words; ``total`` counts the
            articles that share enough of them; ``query`` shows the article's words that
            weigh most. No facets and no cursor.

        Raises:
            ArticleNotFoundError: No article has this id (a ``KeyError``).
            QueryError: A wrong ``mode``, ``limit`` or filter, named in the message.

        Examples:
            >>> story = index.search("flood damage estimate", limit=1).hits[0]
            >>> story.source, str(story.date)
            ('Eastgate Observer', '2023-04-11')
            >>> [hit.source for hit in index.related(story.id, limit=3).hits]  # the same story, other outlets
            ['Copperfield Dispatch', 'The Lantern Post', 'The Lantern Post']
            >>> [str(hit.date) for hit in index.related(story.id, mode="background", limit=3).hits]  # earlier
            ['2023-04-04', '2023-04-03', '2023-01-17']
        """
        return find_related(self._stories()[0], self.ranking, self.path, article_id, mode=mode, limit=limit,
                            sources=sources, since=since, until=until)

    def _stories(self) -> tuple[Snapshot, StoryTable]:
        """The current snapshot and its stories (:mod:`searchkit.engine.storyfile`)."""
        snapshot = self._current()
        table = snapshot_stories(self._store, snapshot, cluster=False)
        if table is None:  # a newer commit removed this generation's file: read that commit
            snapshot = self._current(force=True)
            table = snapshot_stories(self._store, snapshot, cluster=True)
        assert table is not None
        return snapshot, table

    def story(self, article_id: str) -> Story:
        """The news story an article belongs to: the articles about the same story, across
        outlets and days, grouped as they are added (the README's "Stories" says how).

        Args:
            article_id: The id of an article in the index.

        Returns:
            The :class:`Story`: its id, articles (oldest first), outlets, first and last
            date, a representative headline and its size (1 for an article alone).

        Raises:
            ArticleNotFoundError: No article has this id (a ``KeyError``).
        """
        self._need_stories("Index.story")
        snapshot, table = self._stories()
        return article_story(snapshot, table, self.path, article_id)

    def stories(self, query: str = "", *, since: date | str | None = None, until: date | str | None = None,
                sources: Sequence[str] | str | None = None, limit: int = 20) -> list[Story]:
        """The news stories, the largest first, then the most recent::

            index.stories()                          # the biggest stories
            index.stories("flood", since="2024-05-01")

        Args:
            query: Only stories with an article matching this query (the syntax of
                :meth:`search`); ``""``: every story.
            since: Only stories with an article dated on or after this day.
            until: Only stories with an article dated on or before this day.
            sources: Only stories with an article from one of these outlets.
            limit: How many stories (1 to 1000).

        Returns:
            Up to ``limit`` stories, by size, then last date (undated last), then id.

        Raises:
            QueryError: A wrong argument, named in the message (a ``ValueError``).
        """
        self._need_stories("Index.stories")
        snapshot, table = self._stories()
        return list_stories(snapshot, table, self.ranking, query, since=since, until=until, sources=sources,
                            limit=limit)

    # Writing

    @contextlib.contextmanager
    def _writing(self, on_wait: Callable[[str | None, float], object] | None = None) -> Iterator[ArticleWriter]:
        """A writer under this process's and the folder's write locks; commits on a clean
        exit, drops its files on an exception, and lets searches see the result at once.
        ``on_wait(holder, seconds)`` is called while another writer holds a lock."""
        self._check_open()
        if self._batch_thread == threading.get_ident():
            raise BatchError(f"a batch is open on the index {self.path} in this thread: write through the batch "
                             "(batch.add, batch.add_many, batch.delete) or end its with block first")
        if not self._write_lock.acquire(blocking=False):
            log(logging.INFO, self.path, "waiting for the write lock of %s, held by another thread of this process",
                self.path)
            if on_wait is not None:
                on_wait("another thread of this process", 0.0)
            if not self._write_lock.acquire(timeout=self.lock_timeout):
                log(logging.WARNING, self.path, "gave up waiting for the write lock of %s after %.1f s",
                    self.path, self.lock_timeout)
                raise IndexLockedError(self.path, self.lock_timeout, "another thread of this process")
        try:
            with self._store.write_lock(self.lock_timeout, on_wait=on_wait):
                writer = ArticleWriter(self._store, options=self.writer_options)
                try:
                    yield writer
                except BaseException:
                    writer.abort()
                    raise
                else:
                    writer.commit(last=True)
                finally:
                    writer.close()
        finally:
            self._write_lock.release()
            if not self._closed:
                self._current(force=True)

    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article; durable when it returns.

        Args:
            article: An :class:`Article`, or a mapping of its fields (validated here).

        Returns:
            What was done; an invalid article is in ``rejected``, not raised.

        Raises:
            IndexLockedError: Another writer held the lock past ``lock_timeout``.
            IndexWriteError: The file system refused the write; nothing was committed.
            IndexClosedError: The index was closed.

        Examples:
            >>> index.add({"id": "olm-1", "headline": "Olm bridge reopens", "source": "Harbor Daily"}).added
            1
            >>> index.add({"id": "olm-1", "headline": "Olm bridge reopens", "source": "Harbor Daily"}).unchanged
            1
        """
        return self.add_many([article])

    def add_many(
        self,
        articles: Iterable[Article | Mapping[str, Any]],
        *,
        progress: Callable[[Progress], object] | None = None,
        commit_every: int | None = None,
        commit_interval: float | None = None,
    ) -> AddReport:
        """Add articles, replacing any with the same id; durable when it returns.

        Articles stream through: memory stays flat whatever their number. Invalid ones are
        reported in ``rejected`` with where they came from (records given as mappings are
        validated here; a reader from :func:`read_articles` reports its own errors, which
        are included too) and the rest are indexed.

        By default the whole call is one commit: all or nothing. ``commit_every=N`` also
        commits after every N articles read, and ``commit_interval=S`` when S seconds have
        passed since the last commit (checked as each article is read), so a long run
        that dies keeps what it committed: run it again and the committed articles come
        back as ``unchanged``, so only the rest is written. The report counts every article
        once, whatever the number of commits.

        Args:
            articles: Articles or mappings of their fields, such as a reader from
                :func:`read_articles`.
            progress: Called with a :class:`Progress` about every 0.2 s, while waiting for
                the lock, and once at the end.
            commit_every: Also commit after every N articles read (None: once, at the end).
            commit_interval: Also commit when this many seconds passed since the last commit.

        Returns:
            Counts of added, replaced and unchanged articles and every rejection.

        Raises:
            IndexOptionError: ``commit_every`` or ``commit_interval`` has a wrong value.
            IndexLockedError: Another writer held the lock past ``lock_timeout``.
            IndexWriteError: The file system refused a write; what was committed before stays.
            IndexClosedError: The index was closed.

        Examples:
            >>> report = index.add_many([{"headline": "Ferry fares rise", "source": "Harbor Daily"},
            ...                          {"headline": "", "body": ""}])
            >>> report.added, [rejection.reason for rejection in report.rejected]
            (1, ['an article needs a headline or a body; both are empty'])
        """
        if commit_every is not None and (isinstance(commit_every, bool) or not isinstance(commit_every, int)
                                         or commit_every < 1):
            raise IndexOptionError(f"commit_every must be a whole number of articles, 1 or more, not {commit_every!r}")
        if commit_interval is not None and (isinstance(commit_interval, bool) or not isinstance(commit_interval, (int, float))
                                            or not commit_interval > 0):
            raise IndexOptionError(f"commit_interval must be a number of seconds above 0, not {commit_interval!r}")
        started = time.perf_counter()
        counts = {AddOutcome.ADDED: 0, AddOutcome.REPLACED: 0, AddOutcome.UNCHANGED: 0}
        rejected: list[Rejection] = []
        done = 0
        last_report = writing_since = started

        def report(finished: bool = False) -> None:
            # Until the end, the reader's own errors are not in `rejected` yet.
            pending = 0 if finished else len(getattr(articles, "errors", ()))
            if progress is not None:
                progress(Progress(done, counts[AddOutcome.ADDED], counts[AddOutcome.REPLACED],
                                  counts[AddOutcome.UNCHANGED], len(rejected) + pending,
                                  time.perf_counter() - writing_since, finished))

        def waiting(holder: str | None, waited: float) -> None:
            if progress is not None:
                progress(Progress(0, 0, 0, 0, 0, waited, waiting_for=holder or "another writer"))

        with self._writing(on_wait=waiting) as writer:
            writing_since = last_report = time.perf_counter()  # the rate counts from the lock, not the wait
            last_commit, committed_at = time.perf_counter(), 0
            for number, item in enumerate(articles, start=1):
                if (commit_every is not None and done - committed_at >= commit_every) or (
                    commit_interval is not None and time.perf_counter() - last_commit >= commit_interval
                ):
                    writer.commit()  # the articles read so far are durable from here on
                    last_commit, committed_at = time.perf_counter(), done
                done += 1
                article = article_or_rejection(item, number)
                if isinstance(article, Rejection):
                    rejected.append(article)
                    continue
                counts[writer.add(article)] += 1
                if progress is not None and time.perf_counter() - last_report >= 0.2:
                    last_report = time.perf_counter()
                    report()
        result = finish_add_report(self.path, articles, counts, rejected, started)
        report(finished=True)
        return result

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id; durable when it returns.

        Args:
            article_ids: The ids to delete (one id as a ``str`` is one id, not characters).

        Returns:
            How many of them were in the index.

        Raises:
            IndexLockedError: Another writer held the lock past ``lock_timeout``.
            IndexClosedError: The index was closed.

        Examples:
            >>> index.add({"id": "olm-2", "headline": "Olm ferry cancelled"}).added
            1
            >>> index.delete(["olm-2", "no-such-id"])
            1
        """
        if isinstance(article_ids, str):
            article_ids = [article_ids]
        with self._writing() as writer:
            deleted: int = writer.delete(article_ids)
        return deleted

    def batch(self) -> Batch:
        """Several writes published by one commit: all of them on a clean exit from the
        ``with`` block, none of them if it ends with an exception.

        The batch holds the index's write lock from the start of the block to its end, so
        other writers (threads, processes) wait for it as they wait for any writer; searches
        keep seeing the last commit until the block ends. In the thread that has a batch
        open, writing to the index other than through the batch (``index.add``, a second
        ``index.batch()``) raises :class:`BatchError`, as does using the batch from another
        thread or after its block ended.

        Returns:
            A :class:`Batch`, to use in a ``with`` block.

        Examples:
            >>> with index.batch() as batch:
            ...     batch.add({"id": "olm-3", "headline": "Olm levels fall"}).added
            ...     batch.delete(["olm-3"])
            1
            1
            >>> index.get("olm-3") is None
            True
        """
        return Batch(self)

    def optimize(self) -> None:
        """Merge all segments into one (faster searches after many small additions).

        Raises:
            IndexLockedError: Another writer held the lock past ``lock_timeout``.
            IndexClosedError: The index was closed.
        """
        with self._writing() as writer:
            writer.commit(optimize=True)

    # Information

    def check(self) -> CheckReport:
        """Verify the index: files readable, counts consistent, every stored article valid.

        Returns:
            What was found; ``ok`` is False when anything is damaged.

        Raises:
            IndexClosedError: The index was closed.
        """
        self._check_open()
        return check(self.path)

    def stats(self) -> IndexStats:
        """Counts, date span, size and generation of the last commit.

        Returns:
            The figures of the last commit.

        Raises:
            IndexClosedError: The index was closed.

        Examples:
            >>> stats = index.stats()
            >>> stats.articles == len(index), stats.sources
            (True, 7)
        """
        snapshot = self._current()
        first, last, undated = snapshot.date_span()
        return IndexStats(
            path=str(self.path),
            articles=snapshot.doc_count,
            sources=len(snapshot.source_names),
            first_date=first,
            last_date=last,
            undated=undated,
            segments=len(snapshot.segments),
            size_bytes=self._store.size_on_disk(),
            generation=snapshot.generation,
            schema_version=SCHEMA_VERSION,
        )


def article_or_rejection(item: Article | Mapping[str, Any], number: int) -> Article | Rejection:
    """``item`` as an Article, or why it is not one (``number`` counts from 1)."""
    try:
        return item if isinstance(item, Article) else Article.from_dict(item, location=f"record {number}")
    except ArticleError as exc:
        return Rejection(location=exc.location, reason=exc.reason, field=exc.field)
    except (TypeError, ValueError) as exc:
        return Rejection(location=f"record {number}", reason=f"not an article: {exc}")


def reader_rejections(articles: object) -> list[Rejection]:
    """The errors an article reader (:func:`read_articles`) collected, as rejections."""
    rejected = []
    for error in getattr(articles, "errors", ()):
        if isinstance(error, SearchkitError):
            location = getattr(error, "location", None)
            path = getattr(error, "path", None)
            if location is None and path is not None:
                line = getattr(error, "line", None)
                location = f"{path}:{line}" if line else str(path)
            rejected.append(Rejection(location=location, reason=getattr(error, "reason", str(error)),
                                      field=getattr(error, "field", None)))
    return rejected


def finish_add_report(path: Path, articles: object, counts: Mapping[AddOutcome, int],
                      rejected: list[Rejection], started: float) -> AddReport:
    """The report of an embedded ``add_many``: the reader's own errors joined to ``rejected``
    (in place) and each rejection logged with the index ``path``."""
    rejected.extend(reader_rejections(articles))
    for rejection in rejected:
        log_skipped(path, rejection)
    return AddReport(
        added=counts[AddOutcome.ADDED], replaced=counts[AddOutcome.REPLACED],
        unchanged=counts[AddOutcome.UNCHANGED], rejected=rejected,
        seconds=round(time.perf_counter() - started, 3),
    )


class Batch:
    """Writes to one :class:`Index` published together; made by :meth:`Index.batch`.

    ``add``, ``add_many`` and ``delete`` work as the index's own (their reports count what
    each call did) but nothing is durable or visible until the ``with`` block ends cleanly,
    when one commit publishes everything. An exception in the block drops every change
    and leaves the index as it was.

    Args:
        index: The index to write to.

    Raises:
        BatchError: The batch is used outside its ``with`` block, from another thread, or
            a second time.
    """

    def __init__(self, index: Index):
        self._index = index
        self._context: contextlib.AbstractContextManager[ArticleWriter] | None = None
        self._writer: ArticleWriter | None = None
        self._thread: int | None = None
        self._ended = False

    def __enter__(self) -> Batch:
        if self._context is not None or self._ended:
            raise BatchError(f"this batch on the index {self._index.path} was already used; "
                             "start a new one with index.batch()")
        context = self._index._writing()
        self._writer = context.__enter__()
        self._context, self._thread = context, threading.get_ident()
        self._index._batch_thread = self._thread
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        context = self._context
        if context is None or self._ended:
            return
        self._ended = True
        self._writer = None
        self._index._batch_thread = None
        context.__exit__(kind, error, trace)  # commits, or drops the changes on an exception

    def _open_writer(self) -> ArticleWriter:
        if self._writer is None:
            state = "has ended" if self._ended else "has not started: use it in a with block"
            raise BatchError(f"this batch on the index {self._index.path} {state}")
        if threading.get_ident() != self._thread:
            raise BatchError(f"this batch on the index {self._index.path} belongs to another thread; "
                             "each thread needs its own (they take turns at the write lock)")
        return self._writer

    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article when the batch commits.

        Args:
            article: An :class:`Article`, or a mapping of its fields.

        Returns:
            What this call did; an invalid article is in ``rejected``.

        Raises:
            BatchError: Used outside the ``with`` block or from another thread.
        """
        return self.add_many([article])

    def add_many(self, articles: Iterable[Article | Mapping[str, Any]]) -> AddReport:
        """Add articles as :meth:`Index.add_many` does, committed with the batch.

        Args:
            articles: Articles or mappings of their fields, such as a reader from
                :func:`read_articles`.

        Returns:
            What this call did.

        Raises:
            BatchError: Used outside the ``with`` block or from another thread.
        """
        writer = self._open_writer()
        started = time.perf_counter()
        counts = {AddOutcome.ADDED: 0, AddOutcome.REPLACED: 0, AddOutcome.UNCHANGED: 0}
        rejected: list[Rejection] = []
        for number, item in enumerate(articles, start=1):
            article = article_or_rejection(item, number)
            if isinstance(article, Rejection):
                rejected.append(article)
            else:
                counts[writer.add(article)] += 1
        return finish_add_report(self._index.path, articles, counts, rejected, started)

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id when the batch commits (also ones added earlier in it).

        Args:
            article_ids: The ids to delete.

        Returns:
            How many of them there were.

        Raises:
            BatchError: Used outside the ``with`` block or from another thread.
        """
        writer = self._open_writer()
        deleted: int = writer.delete([article_ids] if isinstance(article_ids, str) else article_ids)
        return deleted
