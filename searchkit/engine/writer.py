"""Adding, replacing and deleting articles, made durable by one commit.

A :class:`ArticleWriter` works under the index's write lock. New articles are analyzed
into an in-memory :class:`~.segment.SegmentBuilder`, which is written out as a segment
file whenever it holds :attr:`WriterOptions.flush_tokens` terms, so memory stays flat however many
articles stream through. An article whose id is already in the index replaces it (the
old copy is marked deleted); one identical to the indexed copy is left alone
("unchanged"). Nothing is visible to readers until :meth:`ArticleWriter.commit` publishes
a new generation; a crash before that leaves the last committed generation untouched, and
its orphaned files are removed by the next writer, even one that changes nothing. When the
file system refuses a write (read-only, full), the writer raises
:class:`~searchkit.errors.IndexWriteError` naming the index, and drops what it had written.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from .._log import log
from ..errors import IndexOptionError
from ..models import Article
from .idmap import IdDirectory
from . import heap, storedblob
from .merge import MergeInput
from .parallel import AUTO_FROM, CHUNK_ARTICLES, AnalysisPool, Merged, MergeJob, auto_workers, merge_here
from .segment import BuiltChunk, SegmentBuilder, SegmentReader
from .store import IndexStore, SearchkitSegment
from .storyfile import StoryLog

__all__ = ["AddOutcome", "ArticleWriter", "WriterOptions"]

FLUSH_TOKENS = 1_000_000  # writing a segment holds about 70 bytes a term for a moment (216 MB at 3M)
FLUSH_STORED_BYTES = 32 << 20
MERGE_FACTOR = 6
MERGE_FLOOR_BYTES = 4 << 20  # segments under this size on disk form the first merge tier
MAX_DELETED_RATIO = 0.3


def _whole(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise IndexOptionError(f"{name} must be a whole number, {minimum} or more, not {value!r}")


@dataclass(frozen=True)
class WriterOptions:
    """How a writer sizes segments and merges them; ``Index.create``/``open`` take each
    field as a keyword option. The defaults suit indexes of a few to a few million articles.
    A flush happens at whichever of ``flush_tokens`` and ``flush_bytes`` comes first; each
    flush writes one new segment.

    Attributes:
        flush_tokens: Terms buffered in memory before they are written out as a segment;
            the memory a write holds grows with it (lower it for small machines).
        flush_bytes: Compressed stored articles buffered before a flush (32 MiB).
        merge_factor: When this many segments of about the same size on disk exist, they are
            merged into one: those under 4 MiB together, the others by the power of
            ``merge_factor`` their size is of 4 MiB. Larger means fewer merges during writes
            and more segments for searches to visit.
        max_deleted_ratio: A segment whose share of deleted articles passes this is rewritten.
        max_merged_articles: Segments already holding this many articles are left out of
            size merges (None: no limit), so a big index is not rewritten whole as it grows;
            ``Index.optimize`` still merges everything.
        workers: Processes that analyse articles (tokenize, stem, compress) while this one
            writes, and merge segments while it goes on, as :mod:`.parallel` explains; the
            index is the same whatever the number.
            None (the default) uses every core once a write has passed
            :data:`~.parallel.AUTO_FROM` articles, so small writes never start processes; 1
            never starts any; N starts N from the first article.

    Raises:
        IndexOptionError: A value is out of range or of the wrong type, named in the message.

    Examples:
        >>> WriterOptions(merge_factor=4).merge_factor
        4
        >>> WriterOptions(merge_factor=1)
        Traceback (most recent call last):
        ...
        searchkit.errors.IndexOptionError: merge_factor must be a whole number, 2 or more, not 1
    """

    flush_tokens: int = FLUSH_TOKENS
    flush_bytes: int = FLUSH_STORED_BYTES
    merge_factor: int = MERGE_FACTOR
    max_deleted_ratio: float = MAX_DELETED_RATIO
    max_merged_articles: int | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        _whole("flush_tokens", self.flush_tokens, 1)
        _whole("flush_bytes", self.flush_bytes, 1)
        _whole("merge_factor", self.merge_factor, 2)
        ratio = self.max_deleted_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise IndexOptionError(f"max_deleted_ratio must be a number above 0 and at most 1, not {ratio!r}")
        if self.max_merged_articles is not None:
            _whole("max_merged_articles", self.max_merged_articles, 1)
        if self.workers is not None:
            _whole("workers", self.workers, 1)


class _SegmentWrite:
    """A segment file written by a thread while the writer goes on (:meth:`ArticleWriter._flush`)."""

    def __init__(self, builder: SegmentBuilder, path: Path):
        self.path = path
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, args=(builder,), daemon=True,
                                        name="searchkit-segment-write")
        self._thread.start()

    def _write(self, builder: SegmentBuilder) -> None:
        try:
            builder.write(self.path)
        except BaseException as exc:  # noqa: BLE001 - raised in the writer's thread by wait()
            self._error = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        """Wait for the file; raise what writing it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


class AddOutcome(Enum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


class ArticleWriter:
    """Changes to one index, published by :meth:`commit` or dropped by :meth:`abort`.

    (searchkit's writer; Whoosh's own ``whoosh.writing.SegmentWriter`` is refused on a
    searchkit index, see :class:`~.store.SearchkitSegment`.)"""

    def __init__(self, store: IndexStore, *, options: WriterOptions | None = None):
        self.store = store
        self.generation, committed = store.read_segments()
        self.segments = [segment.copy() for segment in committed]
        self.options = options or WriterOptions()
        self._readers: dict[str, SegmentReader] = {}
        self._ids: IdDirectory | None = None  # made when the first lookup needs it
        self._builder = SegmentBuilder()
        # Buffered articles (in the builder, or still analysed by workers) by sequence
        # number; the builder holds those from _builder_seq on, the pool the rest.
        self._buffered: dict[str, int] = {}
        # An older copy a buffered article replaces, by the new copy's sequence number: deleted
        # when the new copy is flushed, so what a flush's merge drops does not depend on how
        # far ahead of the builder the workers are.
        self._replaced: dict[int, tuple[SearchkitSegment, int]] = {}
        self._buffer_deleted: set[int] = set()
        self._next_seq = self._builder_seq = 0
        self._pool: AnalysisPool | None = None
        # A merge a worker is making (:meth:`_merge`): its group, merged segment and job.
        self._merging: tuple[list[SearchkitSegment], SearchkitSegment, MergeJob, float] | None = None
        self._stories_written: str | None = None  # the story file a commit wrote early (:meth:`_commit`)
        # The last flush's segment while a thread writes its file (:meth:`_flush`).
        self._writing: tuple[SearchkitSegment, _SegmentWrite] | None = None
        self._workers = auto_workers() if self.options.workers is None else self.options.workers
        self._chunk: list[Article] = []
        self._new_files: list[str] = []
        self.changed = False
        self._stories = StoryLog(store, self.generation, committed)  # :mod:`.stories`, per commit

    # Looking up what is already there

    def _reader(self, segment: SearchkitSegment) -> SegmentReader:
        reader = self._readers.get(segment.segid)
        if reader is None:
            if self._writing is not None and self._writing[0] is segment:
                with self.store.write_errors("writing a segment file"):
                    self._writing[1].wait()
            reader = self._readers[segment.segid] = SegmentReader(
                self.store.segment_path(segment), name=segment.segid
            )
        return reader

    def _id_index(self) -> IdDirectory:
        if self._ids is None:
            self._ids = IdDirectory(self.segments, self._reader)
        return self._ids

    # Changes

    def add(self, article: Article) -> AddOutcome:
        seq = self._buffered.get(article.id)
        if seq is not None and seq >= self._builder_seq + self._builder.doc_count:
            # Still with the workers: whether it is flushed before this copy arrives (and
            # so may be "unchanged") depends on their analysis, so wait for it.
            self._drain()
        outcome = AddOutcome.ADDED
        buffered = self._buffered.pop(article.id, None)
        if buffered is not None:
            self._buffer_deleted.add(buffered)
            outcome = AddOutcome.REPLACED
        else:
            located = self._id_index().find(article.id)
            if located is not None:
                segment, docnum = located
                if storedblob.decompress(self._reader(segment).stored_blob(docnum)) == article.to_json():
                    return AddOutcome.UNCHANGED
                self._replaced[self._next_seq] = (segment, docnum)
                outcome = AddOutcome.REPLACED
        self._buffered[article.id] = self._next_seq
        self._next_seq += 1
        self.changed = True
        pooled = self._start_pool()
        self._stories.add(article, counted_elsewhere=pooled, replaces=outcome is AddOutcome.REPLACED)
        if pooled:
            self._chunk.append(article)
            if len(self._chunk) >= CHUNK_ARTICLES:
                self._send_chunk()
            return outcome
        self._add_here(article)
        return outcome

    def _add_here(self, article: Article) -> None:
        """Analyse an article in this process (flushing when the builder is full)."""
        self._builder.add(article)
        options = self.options
        if self._builder.token_count >= options.flush_tokens or self._builder.stored_bytes >= options.flush_bytes:
            self._write_segment()

    # Analysis in worker processes (:mod:`.parallel`)

    def _start_pool(self) -> bool:
        """True when articles go to worker processes (starting them when it is time).
        With ``workers=None`` the first :data:`~.parallel.AUTO_FROM` articles wait in
        :attr:`_chunk` meanwhile, and go to the workers too once they start: a write that
        ends (or flushes) before then analyses them here (:meth:`_drain`)."""
        if self._pool is not None or self._workers < 2:
            return self._pool is not None
        if self.options.workers is None and self._next_seq < AUTO_FROM:
            return True
        self._pool = AnalysisPool(self._workers, index_path=self.store.path, stories=self._stories.enabled)
        return True

    def _send_chunk(self) -> None:
        pool = self._pool
        if pool is None:  # the articles wait for the workers to start
            return
        chunk, self._chunk = self._chunk, []
        for start in range(0, len(chunk), CHUNK_ARTICLES):
            pool.submit(chunk[start:start + CHUNK_ARTICLES])
        if self._writing is not None and self._writing[1].done():
            self._finish_write()  # its merge, if the policy picks one, starts now
        while pool.full or pool.ready():
            self._absorb(*pool.take())

    def _drain(self) -> None:
        """Take every article the workers have into the builder (flushing as it fills)."""
        pool = self._pool
        if pool is None:
            if self._chunk:  # the workers were never started: analysed here, in order
                articles, self._chunk = self._chunk, []
                self._stories.analysed(None, articles)
                for article in articles:
                    self._add_here(article)
            return
        self._send_chunk()
        while pool.in_flight:
            self._absorb(*pool.take())

    def _absorb(self, chunk: BuiltChunk, articles: list[Article]) -> None:
        """Feed an analysed chunk to the builder, flushing exactly where :meth:`add`
        would have, article by article."""
        self._stories.analysed(chunk.stories, articles)
        start, options = 0, self.options
        while start < len(articles):
            builder = self._builder
            tokens = np.cumsum(chunk.tokens[start:]) + builder.token_count
            stored = np.cumsum(chunk.stored_lengths[start:]) + builder.stored_bytes
            full = np.flatnonzero((tokens >= options.flush_tokens) | (stored >= options.flush_bytes))
            stop = len(articles) if full.size == 0 else start + int(full[0]) + 1
            builder.absorb(chunk, start, stop, [article.id for article in articles[start:stop]])
            if full.size:
                self._write_segment()
            start = stop

    def delete(self, article_ids: Iterable[str]) -> int:
        """Mark articles deleted; returns how many were in the index."""
        self._settle_merge()  # a deletion is marked on the segment that holds the article now
        count = 0
        for article_id in article_ids:
            buffered = self._buffered.pop(article_id, None)
            if buffered is not None:
                self._buffer_deleted.add(buffered)
                self._stories.remove(article_id)
                count += 1
                continue
            located = self._id_index().find(article_id)
            if located is not None:
                segment, docnum = located
                segment.delete_document(docnum)
                self._stories.remove(article_id)
                count += 1
        if count:
            self.changed = True
        return count

    def flush(self) -> None:
        """Write the buffered articles out as a new (uncommitted) segment."""
        self._drain()
        self._write_segment()

    def _write_segment(self) -> None:
        with self.store.write_errors("writing a segment file"):
            self._flush()

    def _flush(self) -> None:
        """Write the builder's articles out as a segment. With workers, a thread writes the
        file while this one goes on sending them chunks (they would run dry meanwhile); the
        segment is in place at once, but what needs its file (a reader of it, the merge policy,
        which weighs files by size) waits for it (:meth:`_finish_write`), and the merge this
        flush would start is decided then, on the same segments: the index is the same."""
        self._finish_write()
        builder = self._builder
        if builder.doc_count == 0:
            return
        segment = self.store.new_segment()
        path = self.store.segment_path(segment)
        self._new_files.append(path.name)
        write = None if self._pool is None else _SegmentWrite(builder, path)
        if write is None:
            builder.write(path)
        else:
            self._writing = (segment, write)
        segment.set_doc_count(builder.doc_count)
        self._take_merge()  # before the deletions below and the next merge decision
        first, end = self._builder_seq, self._builder_seq + builder.doc_count
        for seq in self._buffer_deleted:
            if seq < end:
                segment.delete_document(seq - first)
        for seq in [seq for seq in self._replaced if seq < end]:
            older, docnum = self._replaced.pop(seq)
            older.delete_document(docnum)
        self.segments.append(segment)
        still: dict[str, int] = {}
        written: list[tuple[int, str]] = []
        for article_id, seq in self._buffered.items():
            if seq >= end:  # still with the workers
                still[article_id] = seq
            else:
                written.append((seq - first, article_id))
        if self._ids is not None:
            self._ids.add_segment(segment, written)
        self._builder = SegmentBuilder()
        self._builder_seq = end
        self._buffered = still
        self._buffer_deleted = {seq for seq in self._buffer_deleted if seq >= end}
        if write is None:
            self._written()

    def _finish_write(self) -> None:
        """Wait for the segment file a thread is writing (:meth:`_flush`), then do what the
        flush does once its file is there."""
        if self._writing is None:
            return
        _, write = self._writing
        self._writing = None
        with self.store.write_errors("writing a segment file"):
            write.wait()
        self._written()

    def _written(self) -> None:
        """After a flush's file is written: the merges the policy picks."""
        self._merge(optimize=False, background=True)  # merge as segments accumulate, a few at a time
        # The segment's buffers and the merge's are free now; glibc would keep them as the
        # writer's high-water mark, under the next segment's (455 -> 428 MB peak for the
        # 300k benchmark corpus with its workers, issue 16).
        heap.trim()

    def commit(self, *, optimize: bool = False, last: bool = False) -> bool:
        """Publish the changes as a new generation. Returns False when there were none.

        ``last``: nothing more will be added through this writer, so its worker processes
        stop as soon as their last chunk is in, and their memory is free before the final
        flush, merges and stories are written (the index is the same).

        If it fails before the new table of contents is in place (a full disk, a read-only
        folder: :class:`~searchkit.errors.IndexWriteError`), the files written for it are
        removed and the index keeps its last commit.
        """
        committed = self.generation
        try:
            with self.store.write_errors("committing"):
                return self._commit(optimize=optimize, last=last)
        except BaseException:
            if self.generation != committed and self.store.is_published(self.generation):
                self._new_files = []  # published: those files belong to the index now
            else:
                self.generation = committed
                self.abort()
            raise

    def _commit(self, *, optimize: bool, last: bool) -> bool:
        self._drain()
        self._finish_write()  # (before the idle workers stop: the merge it starts goes to one of them)
        if last and self._pool is not None:
            self._pool.stop_idle()  # all but one making a merge: their memory free for what follows
        if self._merging is not None and self.changed:
            # The stories depend on no segment: written while a worker finishes the merge.
            with self.store.write_errors("writing the stories"):
                self._stories_written = self._stories.write(self.generation + 1)
            self._new_files.append(self._stories_written)
        self._settle_merge()
        if last:
            self._stop_pool()
        self._write_segment()
        self._settle_merge()  # its file, and a merge it sent to a worker (workers kept: not the last commit)
        if not self.changed and not optimize:
            # Still clear what a writer killed after its commit point left behind (older
            # tables of contents, merged-away segments), so re-running its add completes it.
            self.store.remove_unreferenced(self.generation, self.segments)
            return False
        self.segments = [s for s in self.segments if s.doc_count() > 0]
        with self.store.write_errors("marking the index's schema version"):
            self.store.mark_current_version()  # before anything this version wrote is published
        with self.store.write_errors("merging segments"):
            self._merge(optimize=optimize)
        heap.trim()
        self.generation += 1
        if self._stories_written is None:
            with self.store.write_errors("writing the stories"):
                self._new_files.append(self._stories.write(self.generation))  # before the commit point
        self._stories_written = None
        with self.store.write_errors("writing the table of contents"):
            self.store.write_generation(self.generation, self.segments)
        self._new_files = []  # published: those files belong to the index now
        self.store.remove_unreferenced(self.generation, self.segments)
        self.changed = False
        log(logging.INFO, self.store.path, "committed generation %d of %s: %d articles in %d segments",
            self.generation, self.store.path, sum(s.doc_count() for s in self.segments), len(self.segments))
        return True

    def abort(self) -> None:
        """Drop uncommitted changes and the files written for them."""
        self._stop_pool()
        self._stories_written = None
        self._replaced.clear()
        for name in self._new_files:
            with contextlib.suppress(OSError):
                (self.store.path / name).unlink(missing_ok=True)
        self._new_files = []

    def close(self) -> None:
        """Unmap the segments this writer read (their files stay open otherwise until the
        garbage collector runs)."""
        self._stop_pool()
        self._stories.close()
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def _stop_pool(self) -> None:
        """Stop the workers, dropping a merge one is making (a commit takes it in first)."""
        self._merging = None  # its file is among the new ones: removed by abort, else by the next commit
        if self._writing is not None:  # (an abort's or a close's: its file is done before it is removed)
            with contextlib.suppress(Exception):
                self._writing[1].wait()
            self._writing = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._chunk = []

    # Merging

    def _merge(self, *, optimize: bool, background: bool = False) -> None:
        """Merge what the merge policy picks, until it picks nothing. ``background``: the
        first merge goes to a worker process, if there are any, and the writer goes on; it
        is taken in (:meth:`_settle_merge`) at the next flush, before anything else looks at
        the segments, and the merges the policy then picks follow here, in this process. So
        every merge is decided on the same segments as without workers, and the index is
        the same."""
        while True:
            group = self.segments if optimize and len(self.segments) > 1 else self._merge_candidates()
            if optimize and len(self.segments) == 1 and self.segments[0].deleted_count() > 0:
                group = self.segments
            if not group:
                return
            if background and self._pool is not None and self._start_merge(group):
                return
            self._merge_group(group)
            if optimize:
                return

    def _merge_candidates(self) -> list[SearchkitSegment]:
        factor, largest = self.options.merge_factor, self.options.max_merged_articles
        tiers: dict[int, list[SearchkitSegment]] = {}
        for segment in self.segments:
            if largest is not None and segment.doc_count() >= largest:
                continue
            size = self._size(segment)
            tier = 0 if size < MERGE_FLOOR_BYTES else 1 + int(math.log(size / MERGE_FLOOR_BYTES, factor))
            tiers.setdefault(tier, []).append(segment)
        for tier in sorted(tiers):
            if len(tiers[tier]) >= factor:
                return tiers[tier]
        for segment in self.segments:
            if segment.deleted_count() > self.options.max_deleted_ratio * segment.document_count():
                return [segment]
        return []

    def _size(self, segment: SearchkitSegment) -> int:
        """The segment's size on disk. Sizes, not article counts, make tiers: a bulk write's
        flushes hold about the same number of terms each, but from 500 long articles to 7,000
        short ones. Deleted articles still count: which are deleted when a flush merges depends
        on how far ahead the workers are, and the index must not (a segment they weigh down is
        rewritten by ``max_deleted_ratio``)."""
        return self.store.segment_path(segment).stat().st_size

    def _start_merge(self, group: list[SearchkitSegment]) -> bool:
        """Send the merge of ``group`` to a worker; False where there is none to take it."""
        assert self._pool is not None and self._merging is None
        merged = self.store.new_segment()
        path = self.store.segment_path(merged)
        inputs = [(self.store.segment_path(s), sorted(s.deleted_docs())) for s in group]
        job = self._pool.start_merge(inputs, path)
        if job is None:
            return False
        self._new_files.append(path.name)
        self._merging = (group, merged, job, time.perf_counter())
        return True

    def _settle_merge(self) -> None:
        """Before a deletion or a commit: the last flush's file and the merge it starts
        (:meth:`_finish_write`), then :meth:`_take_merge`."""
        self._finish_write()
        self._take_merge()

    def _take_merge(self) -> None:
        """Take in the merge a worker is making (waiting for it; made here if the worker could
        not), then make the merges the policy picks after it."""
        if self._merging is None:
            return
        group, merged, job, started = self._merging
        self._merging = None
        assert self._pool is not None
        result = self._pool.finish_merge(job)
        if result is None:  # the worker failed or ended: the same merge, here
            path = self.store.segment_path(merged)
            path.unlink(missing_ok=True)
            with self.store.write_errors("merging segments"):
                result = merge_here([MergeInput(self._reader(s), sorted(s.deleted_docs())) for s in group], path)
        self._install_merge(group, merged, result, started)
        self._merge(optimize=False)

    def _merge_group(self, group: list[SearchkitSegment]) -> None:
        started = time.perf_counter()
        merged = self.store.new_segment()
        path = self.store.segment_path(merged)
        self._new_files.append(path.name)
        inputs = [MergeInput(self._reader(s), sorted(s.deleted_docs())) for s in group]
        self._install_merge(group, merged, merge_here(inputs, path), started)

    def _install_merge(self, group: list[SearchkitSegment], merged: SearchkitSegment, result: Merged,
                       started: float) -> None:
        """Put ``merged`` in place of ``group`` (its documents renumbered as ``result`` says)."""
        merged.set_doc_count(result.doc_count)
        chosen = {id(s) for s in group}
        renumbered = {id(s): new_docs for s, new_docs in zip(group, result.new_docs)}
        for seq, (older, docnum) in self._replaced.items():  # still live: in the merged segment now
            if id(older) in chosen:
                self._replaced[seq] = (merged, int(renumbered[id(older)][docnum]))
        position = min(i for i, s in enumerate(self.segments) if id(s) in chosen)
        rest = [s for s in self.segments if id(s) not in chosen]
        rest.insert(position, merged)
        self.segments = rest
        if self._ids is not None:  # document numbers changed
            self._ids.merged(group, merged, result.live)
        for segment in group:
            reader = self._readers.pop(segment.segid, None)
            if reader is not None:
                reader.close()
        heap.trim()  # the merge's temporaries, before the next flush or merge adds its own
        log(logging.INFO, self.store.path, "merged %d segments of %s into one of %d articles in %.3f s",
            len(group), self.store.path, merged.doc_count(), time.perf_counter() - started)
