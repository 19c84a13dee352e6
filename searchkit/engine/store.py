"""The index folder: Whoosh's table of contents, searchkit segment files, the write lock.

An index is a Whoosh ``FileStorage`` folder. Each commit writes a new generation of
Whoosh's table of contents (``_MAIN_<n>.toc``: the schema and the list of segments) under
a temporary name, fsyncs it and renames it into place, so readers always see a complete
generation: the last committed one. Segments are :class:`SearchkitSegment` objects whose
data lives in one ``MAIN_<id>.skseg`` file each (see :mod:`.segfile`). A generation with no
segment lists one :class:`GuardSegment` instead (no file, no documents), so that Whoosh's own
writer finds a segment to ask in every state of the index and is refused before it writes.

The table of contents is in Whoosh's format, which holds pickles; searchkit writes it
itself and reads it back with an unpickler that admits only the classes it writes there
(:mod:`.toc`), so opening a folder never runs code from it. A write the file system
refuses raises :class:`~searchkit.errors.IndexWriteError` (:meth:`IndexStore.write_errors`).
Index folders are created private to their owner (mode 0700).

Writers take an exclusive ``flock`` on ``MAIN_WRITELOCK``. The kernel drops it when the
holding process dies, so a killed writer never leaves a stale lock behind; the lock file
also records who holds it (pid, host, since) for error messages.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import random
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from whoosh.codec.base import Codec, Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.util.filelock import FileLock

from .._log import log
from .._version import __version__
from ..errors import (
    ForeignWriterError,
    IndexCorruptError,
    IndexExistsError,
    IndexFullError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    SearchkitError,
)
from .schema import whoosh_schema
from .toc import latest_generation, read_toc, toc_bytes, toc_name, toc_pattern

__all__ = ["INDEX_NAME", "SCHEMA_VERSION", "GuardSegment", "IndexStore", "SearchkitSegment"]

INDEX_NAME = "MAIN"
SCHEMA_VERSION = 3
"""3: stored articles are zstd frames (:mod:`.storedblob`); 2: zlib streams, still read (and
marked 3 by the first commit that writes to it); 2 derived the id of an article without a URL
from its body too (1: headline only)."""
READABLE_VERSIONS = (2, 3)
META_FILE = "searchkit.json"
SEGMENT_EXT = ".skseg"
STORY_FILE = re.compile(rf"^{INDEX_NAME}_(\d+)\.skstory(\.tmp)?$")  # one generation's stories (.storyfile)
LOCK_NAME = f"{INDEX_NAME}_WRITELOCK"
_READ_ONLY_ERRORS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REBUILD_HINT = (
    "rebuild it: index the original article files into a new folder "
    "(`searchkit index FILES... --index NEW_FOLDER`); without them, export the articles with the "
    "searchkit version that wrote it (`searchkit export --output articles.jsonl`) and index that "
    "file into a new folder (exported articles keep their ids)"
)
_VERSION_NOTES = {
    1: "Version 1 derived the id of an article without a URL from its headline alone, so "
    "different articles with one headline replaced each other; ",
}


_WRITE_WITH_SEARCHKIT = (
    "add articles with searchkit instead: searchkit.Index.add / add_many, or "
    "`searchkit index FILES... --index FOLDER`; Whoosh's open_dir(folder, indexname=\"MAIN\") "
    "can still read and search the index"
)


class SearchkitCodec(Codec):  # type: ignore[misc]
    """The Whoosh codec of searchkit segments (data in ``.skseg`` files).

    Whoosh's ``SegmentReader`` asks it for one reader per role (:mod:`.codec`), which is
    how Whoosh's own searcher reads a searchkit index. The readers' modules are imported
    on first use, so searchkit's own search path never loads them. Every writing role
    raises :class:`~searchkit.errors.ForeignWriterError`: only searchkit writes segments.
    """

    def new_segment(self, storage: Any, indexname: str) -> SearchkitSegment:
        return SearchkitSegment(indexname)

    def terms_reader(self, storage: Any, segment: SearchkitSegment) -> Any:
        from .codec.terms import SegmentTermsReader

        return SegmentTermsReader(_segment_reader(storage, segment))

    def per_document_reader(self, storage: Any, segment: SearchkitSegment) -> Any:
        from .codec.documents import SegmentDocumentReader

        return SegmentDocumentReader(_segment_reader(storage, segment), segment)

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        raise ForeignWriterError(f"Whoosh's codec writers cannot write searchkit segments; {_WRITE_WITH_SEARCHKIT}")

    def field_writer(self, storage: Any, segment: Any) -> Any:
        raise ForeignWriterError(f"Whoosh's codec writers cannot write searchkit segments; {_WRITE_WITH_SEARCHKIT}")

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        raise ForeignWriterError(f"Whoosh's codec writers cannot write searchkit segments; {_WRITE_WITH_SEARCHKIT}")


def _segment_reader(storage: Any, segment: SearchkitSegment) -> Any:
    """A searchkit reader of ``segment``'s file in the folder of Whoosh's ``storage``."""
    from .segment import SegmentReader

    folder = getattr(storage, "folder", None)
    if not isinstance(folder, str):
        raise IndexNotFoundError(
            Path(str(storage)), "a searchkit segment is read from an index folder (a Whoosh FileStorage)"
        )
    return SegmentReader(Path(folder) / segment.filename, name=segment.segid)


def _refuse_foreign_writer(what: str) -> ForeignWriterError:
    return ForeignWriterError(
        f"Whoosh's writers cannot write a searchkit index ({what}); "
        f"nothing was written. {_WRITE_WITH_SEARCHKIT[0].upper()}{_WRITE_WITH_SEARCHKIT[1:]}"
    )


class SearchkitSegment(Segment):  # type: ignore[misc]
    """A segment as recorded in Whoosh's table of contents: id, size, deleted documents.

    searchkit reads its size with :meth:`document_count`. :meth:`doc_count_all` is the
    size as Whoosh's writers ask for it (``whoosh.writing.SegmentWriter`` sizes every
    segment right after taking the lock and before it creates any file), and refuses: a Whoosh writer on a
    searchkit index raises :class:`~searchkit.errors.ForeignWriterError` having written
    nothing, and its lock is released as the failed writer is dropped. Whoosh's readers
    never call it (they ask :mod:`.codec`'s document reader).
    """

    def __init__(self, indexname: str, doc_count: int = 0):
        super().__init__(indexname)
        self.segid = self._random_id()
        self._doccount = doc_count
        self._deleted: set[int] | None = None

    def codec(self, **kwargs: Any) -> SearchkitCodec:
        return SearchkitCodec()

    def document_count(self) -> int:
        """How many documents the segment holds, deleted ones included."""
        return self._doccount

    def doc_count(self) -> int:
        """How many of its documents are not deleted."""
        return self._doccount - self.deleted_count()

    def doc_count_all(self) -> int:
        raise _refuse_foreign_writer(f"segment {self.segment_id()}")

    def set_doc_count(self, doc_count: int) -> None:
        self._doccount = doc_count

    def deleted_count(self) -> int:
        return len(self._deleted) if self._deleted else 0

    def deleted_docs(self) -> frozenset[int]:
        return frozenset(self._deleted or ())

    def delete_document(self, docnum: int, delete: bool = True) -> None:
        if delete:
            if self._deleted is None:
                self._deleted = set()
            self._deleted.add(docnum)
        elif self._deleted:
            self._deleted.discard(docnum)

    def is_deleted(self, docnum: int) -> bool:
        return bool(self._deleted) and docnum in self._deleted  # type: ignore[operator]

    def copy(self) -> SearchkitSegment:
        twin = SearchkitSegment(self.indexname, self._doccount)
        twin.segid = self.segid
        twin._deleted = set(self._deleted) if self._deleted else None
        return twin

    @property
    def filename(self) -> str:
        return str(self.make_filename(SEGMENT_EXT))


class _GuardCodec(SearchkitCodec):
    """Whoosh's readers of a :class:`GuardSegment`: no terms, no documents."""

    def terms_reader(self, storage: Any, segment: Any) -> Any:
        from .codec.empty import EmptyTermsReader

        return EmptyTermsReader()

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        from .codec.empty import EmptyDocumentReader

        return EmptyDocumentReader()


class GuardSegment(Segment):  # type: ignore[misc]
    """The one record in the table of contents of an index without segments (new, or
    emptied by deletes): no file, no documents.

    Whoosh's writer (``whoosh.writing.SegmentWriter``) sizes the listed segments with
    ``doc_count_all`` right after taking the lock and before it creates any file; with no
    segment listed it would go on and write a segment of its own, leaving a folder searchkit
    refuses. The guard gives it a segment to ask, which refuses like :class:`SearchkitSegment`.
    Whoosh's readers read it as an empty segment (:mod:`.codec.empty`); searchkit writes it
    in :meth:`IndexStore.write_generation` and drops it in :meth:`IndexStore.read_segments`,
    so nothing else in searchkit sees it.
    """

    SEGMENT_ID = "empty"  # real segment ids are 16 characters: never the same

    def __init__(self, indexname: str):
        super().__init__(indexname)
        self.segid = self.SEGMENT_ID

    def codec(self, **kwargs: Any) -> SearchkitCodec:
        return _GuardCodec()

    def doc_count_all(self) -> int:
        raise _refuse_foreign_writer("an index without articles")

    def doc_count(self) -> int:
        return 0

    def deleted_count(self) -> int:
        return 0

    def deleted_docs(self) -> frozenset[int]:
        return frozenset()

    def is_deleted(self, docnum: int) -> bool:
        return False


def _fsync_on_close(file: StructFile) -> None:
    file.file.flush()
    os.fsync(file.file.fileno())


class _DurableStorage(FileStorage):  # type: ignore[misc]
    """Whoosh's FileStorage, with every file it creates private (0600) and fsynced before
    it is closed."""

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> StructFile:
        file = super().create_file(name, excl=excl, mode=mode, onclose=_fsync_on_close, **kwargs)
        os.chmod(self._fpath(name), 0o600)
        return file


def _stale_stories(name: str, generation: int) -> bool:
    """Whether ``name`` is a story file of another generation than ``generation``, or unfinished."""
    found = STORY_FILE.match(name)
    return found is not None and (int(found.group(1)) != generation or found.group(2) is not None)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexStore:
    """One index folder on disk."""

    def __init__(self, path: Path, *, stories: bool = True):
        self.path = path
        self.storage = _DurableStorage(str(path))
        self.stories = stories  # whether writers cluster stories ("stories" in searchkit.json)
        self.schema_version = SCHEMA_VERSION  # as searchkit.json says (an older readable one until a commit)

    # Creating and opening

    @classmethod
    def create(cls, path: Path, *, stories: bool = True) -> IndexStore:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise IndexExistsError(path)
        store = cls(path, stories=stories)
        with store.write_errors("creating the index"):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path, 0o700)
            meta = {
                "format": "searchkit-index",
                "schema_version": SCHEMA_VERSION,
                "created_by": f"searchkit {__version__}",
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "stories": stories,
            }
            (path / META_FILE).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
            os.chmod(path / META_FILE, 0o600)
            # The lock file exists from the start: Whoosh's writer creates it when it takes
            # the lock, before it is refused, and would otherwise change the folder.
            os.close(os.open(path / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            store.write_generation(0, [])
        return store

    @classmethod
    def open(cls, path: Path) -> IndexStore:
        if not path.is_dir():
            raise IndexNotFoundError(path, "create one with Index.create or `searchkit index`")
        meta_path = path / META_FILE
        if not meta_path.exists():
            if any(toc_pattern(INDEX_NAME).match(name) for name in os.listdir(path)):
                raise IndexVersionError(f"{path} is a Whoosh index not made by searchkit; {_REBUILD_HINT}")
            raise IndexNotFoundError(path, "the folder exists but holds no searchkit index")
        try:
            meta = orjson.loads(meta_path.read_bytes())
            version = int(meta["schema_version"])
            stories = meta.get("stories", True)  # absent in indexes made before the option: on
            if not isinstance(stories, bool):
                raise ValueError(f'"stories" must be true or false, not {stories!r}')
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexCorruptError(f"{meta_path} is damaged: {exc}") from exc
        if version not in READABLE_VERSIONS:
            raise IndexVersionError(
                f"{path} has schema version {version} ({meta.get('created_by', 'unknown')}); "
                f"this searchkit {__version__} reads versions {' and '.join(map(str, READABLE_VERSIONS))}. "
                f"{_VERSION_NOTES.get(version, '')}{_REBUILD_HINT}"
            )
        store = cls(path, stories=stories)
        store.schema_version = version
        # A listing made while a writer swaps tables of contents may see neither (POSIX
        # leaves entries renamed during a listing unspecified): look again before giving up.
        for attempt in range(4):
            if store.latest_generation() >= 0:
                return store
            time.sleep(0.005 * (attempt + 1))
        raise IndexCorruptError(f"{path} has no table of contents (_{INDEX_NAME}_<n>.toc)")

    # Generations

    def latest_generation(self) -> int:
        return latest_generation(self.path, INDEX_NAME)

    def read_segments(self, generation: int | None = None) -> tuple[int, list[SearchkitSegment]]:
        """The committed segments of ``generation`` (the latest by default)."""
        if generation is None:
            generation = self.latest_generation()
            if generation < 0:
                raise FileNotFoundError(errno.ENOENT, "no table of contents", str(self.path))
        # Never Whoosh's TOC.read: it unpickles whatever the file names (see .toc).
        listed = read_toc(self.path / toc_name(INDEX_NAME, generation), generation, SearchkitSegment, GuardSegment)
        return generation, [segment for segment in listed if type(segment) is SearchkitSegment]

    def write_generation(self, generation: int, segments: list[SearchkitSegment]) -> None:
        """Atomically publish a new generation (the commit point): write the table of
        contents under a temporary name, fsync it, rename it into place. A failure before
        the rename removes the temporary file and publishes nothing. With no segments, the
        table of contents lists a :class:`GuardSegment`."""
        name = toc_name(INDEX_NAME, generation)
        temp = f"{name}.{time.time()}"
        listed: list[Segment] = list(segments) or [GuardSegment(INDEX_NAME)]
        data = toc_bytes(whoosh_schema(), listed, generation)
        try:
            fd = os.open(self.path / temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            self.storage.rename_file(temp, name, safe=True)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(self.path / temp)
            raise
        fsync_dir(self.path)

    def mark_current_version(self) -> None:
        """Mark an index of an older readable schema version as :data:`SCHEMA_VERSION` (before a
        commit publishes what this version wrote): searchkit.json is rewritten under a temporary
        name, fsynced and renamed into place, so older searchkit versions refuse the index
        with their version message instead of failing on what they cannot read."""
        if self.schema_version == SCHEMA_VERSION:
            return
        meta_path = self.path / META_FILE
        meta = orjson.loads(meta_path.read_bytes())
        meta.update(schema_version=SCHEMA_VERSION, upgraded_by=f"searchkit {__version__}")
        temp = self.path / f"{META_FILE}.{time.time()}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(fd, "wb") as file:
                file.write(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, meta_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise
        fsync_dir(self.path)
        self.schema_version = SCHEMA_VERSION

    def is_published(self, generation: int) -> bool:
        return (self.path / toc_name(INDEX_NAME, generation)).exists()

    # Write failures

    @contextlib.contextmanager
    def write_errors(self, doing: str) -> Iterator[None]:
        """Turn the file system's refusals inside the block into :class:`IndexWriteError`
        (read-only, full, other) that name the index, what was being done and what to do."""
        try:
            yield
        except SearchkitError:
            raise
        except OSError as exc:
            raise self._write_error(exc, doing) from exc

    def _write_error(self, exc: OSError, doing: str) -> IndexWriteError:
        what = exc.strerror or str(exc)
        if exc.filename:
            what += f": {exc.filename}"
        kind: type[IndexWriteError]
        if exc.errno in _READ_ONLY_ERRORS:
            kind = IndexReadOnlyError
            hint = ("make the folder writable (remount the file system read-write, or give your user "
                    "write permission), or copy the index to a writable folder; searching it still works")
        elif exc.errno in _FULL_ERRORS:
            kind = IndexFullError
            hint = "free space on that device (or move the index to a larger one), then run the write again"
        else:
            kind = IndexWriteError
            hint = "check the device, then run the write again"
        return kind(
            f"cannot write to index {self.path} while {doing} ({what}); nothing more was committed: "
            f"the index keeps its last commit. To fix: {hint}",
            path=self.path, filename=exc.filename, errno=exc.errno,
        )

    def segment_path(self, segment: SearchkitSegment) -> Path:
        return self.path / segment.filename

    def new_segment(self) -> SearchkitSegment:
        return SearchkitSegment(INDEX_NAME)

    # Housekeeping

    def remove_unreferenced(self, generation: int, segments: list[SearchkitSegment]) -> list[str]:
        """Delete segment files and older tables of contents that ``generation`` no longer uses.

        Runs under the write lock. Readers that still map a removed file keep reading it.
        """
        keep = {segment.filename for segment in segments}
        tocs = toc_pattern(INDEX_NAME)
        removed = []
        for name in os.listdir(self.path):
            match = tocs.match(name)
            stale_toc = match is not None and int(match.group(1)) < generation
            stale_segment = name.startswith(f"{INDEX_NAME}_") and (
                name.endswith(SEGMENT_EXT) or name.endswith(SEGMENT_EXT + ".tmp")
            ) and name not in keep
            stale_temp = re.match(rf"^_{INDEX_NAME}_\d+\.toc\.", name) is not None
            if stale_toc or stale_segment or stale_temp or _stale_stories(name, generation):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path / name)
                removed.append(name)
        return removed

    def leftover_files(self, generation: int, segments: list[SearchkitSegment]) -> list[str]:
        """What :meth:`remove_unreferenced` would remove: files interrupted writes left."""
        keep = {segment.filename for segment in segments}
        tocs = toc_pattern(INDEX_NAME)
        names = []
        for name in os.listdir(self.path):
            match = tocs.match(name)
            if (
                (match is not None and int(match.group(1)) < generation)
                or (name.startswith(f"{INDEX_NAME}_") and SEGMENT_EXT in name and name not in keep)
                or re.match(rf"^_{INDEX_NAME}_\d+\.toc\.", name) is not None
                or _stale_stories(name, generation)
            ):
                names.append(name)
        return sorted(names)

    def size_on_disk(self) -> int:
        """The bytes of the folder's files. A file a writer renames or removes while they are
        counted (a table of contents under its temporary name) is not counted."""
        total = 0
        with os.scandir(self.path) as entries:
            for entry in entries:
                try:
                    if entry.is_file():
                        total += entry.stat().st_size
                except FileNotFoundError:
                    continue
        return total

    # The write lock

    @contextlib.contextmanager
    def write_lock(
        self, timeout: float, *, on_wait: Callable[[str | None, float], object] | None = None
    ) -> Iterator[None]:
        """Hold the index's write lock, waiting up to ``timeout`` seconds with backoff.

        While another writer holds it, ``on_wait(holder, seconds_waited)`` is called before
        each retry (retries back off from 5 ms to 0.25 s); ``holder`` is :meth:`lock_holder`'s text.
        """
        lock = FileLock(str(self.path / LOCK_NAME))
        started = time.monotonic()
        deadline = started + timeout
        delay = 0.005
        waited = False
        while not self._try_lock(lock):
            if time.monotonic() >= deadline:
                log(logging.WARNING, self.path, "gave up waiting for the write lock of %s after %.1f s (held by %s)",
                    self.path, timeout, self.lock_holder() or "another writer")
                raise IndexLockedError(self.path, timeout, self.lock_holder())
            if not waited:
                waited = True
                log(logging.INFO, self.path, "waiting for the write lock of %s, held by %s",
                    self.path, self.lock_holder() or "another writer")
            if on_wait is not None:
                on_wait(self.lock_holder(), time.monotonic() - started)
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())) * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 0.25)
        if waited:
            log(logging.INFO, self.path, "took the write lock of %s after waiting %.3f s",
                self.path, time.monotonic() - started)
        try:
            holder = f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now().isoformat(timespec='seconds')}"
            with contextlib.suppress(OSError):  # who holds it is for messages only (a full disk refuses it)
                os.fchmod(lock.fd, 0o600)
                os.ftruncate(lock.fd, 0)
                os.pwrite(lock.fd, holder.encode(), 0)
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(lock.fd, 0)
            lock.release()

    def _try_lock(self, lock: FileLock) -> bool:
        with self.write_errors("taking the write lock"):
            return bool(lock.acquire(blocking=False))

    def lock_holder(self) -> str | None:
        try:
            text = (self.path / LOCK_NAME).read_text(errors="replace").strip()
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise
        return text or None
