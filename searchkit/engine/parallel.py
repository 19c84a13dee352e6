"""Analysing articles in worker processes while the writer's own process writes.

A big ``add_many`` spends most of its time turning text into terms (tokenizing,
normalizing, stemming, compressing the stored copy). :class:`AnalysisPool` sends chunks
of :data:`CHUNK_ARTICLES` articles to worker processes, each of which runs the same
:meth:`~.segment.SegmentBuilder.add` on them and sends back a
:class:`~.segment.BuiltChunk` (numpy arrays and a few string lists). The writer takes the
chunks back in the order it sent them and feeds them to its segment builder with
:meth:`~.segment.SegmentBuilder.absorb`, so everything else (ids, replacements, flush
points, segment files, merges, commits, crash safety) stays in the writer's process and
the index is the same, byte for byte, as one written by a single process.

A worker also merges segments for the writer (:meth:`AnalysisPool.start_merge`): the same
:func:`~.merge.merge_segments` on the same files, while the writer goes on absorbing
chunks and writing its stories; the writer takes the merge in where it would have made it
(see :class:`~.writer.ArticleWriter`), so the index is still the same.

A worker is a fresh interpreter (``python -c`` running :func:`serve`, as ``spawn`` would
start it, but without re-running the caller's ``__main__``: a script without an
``if __name__ == "__main__"`` guard is safe) that reads pickled chunks on its stdin and
writes pickled results on its stdout, each frame prefixed by its length. It ignores
Ctrl-C (the writer's process handles it) and ends when its stdin closes, which happens
however the writer's process ends, a SIGKILL included. Where processes cannot be started
(a sandbox, no ``sys.executable``) or a worker dies, the chunks are analysed in the
writer's process instead, with one WARNING on the ``searchkit`` logger.
"""

from __future__ import annotations

import collections
import io
import logging
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .. import analysis
from .._log import log
from . import heap, segment
from .merge import MergeInput, merge_segments
from .plainarticle import AnalysedArticle, PlainArticle
from .segment import BuiltChunk, ChunkAnalyser, CodeNumbers, SegmentReader
from .stories import LEAD_CHARS, counts_of_terms

if TYPE_CHECKING:
    from ..models import Article

__all__ = ["AUTO_FROM", "CHUNK_ARTICLES", "AnalysisPool", "MergeJob", "Merged", "analyse", "auto_workers",
           "merge_here", "serve", "task"]

CHUNK_ARTICLES = 256  # articles per task sent to a worker
# Chunks in flight per worker (sent, not yet taken back): enough that the workers keep busy
# while the writer clusters a run or takes a merge in (2 per worker ran out while it also
# wrote segments, which a thread of its does now), few enough to bound the memory they hold
# (about 5 MB a chunk of the real corpus in the writer, counting its articles: 4 per worker
# took its build from 332 to 353 MB at its peak; 8 added about 20 MB at a million articles).
IN_FLIGHT_PER_WORKER = 4
# Until the first chunk comes back, this many: the writer takes in and checks articles ahead
# while the workers start (0.3-0.4 s on a loaded machine, which it spent waiting with 4 in
# flight each), and they have that backlog to work on after (the memory is not the write's
# peak, which comes with its segments: 10 MB more at most for the real corpus's writer).
STARTING_IN_FLIGHT_PER_WORKER = 16
AUTO_FROM = 2_000  # workers=None: a writer starts workers once it has had this many articles
MAX_AUTO_WORKERS = 8
# A worker's process-wide caches of chunk and token analyses (``segment._CHUNKS``,
# ``analysis._CACHE``, 300,000 entries each elsewhere). Its table of token codes, kept from
# chunk to chunk, already holds every chunk it has analysed, so big caches only held second
# copies: a worker on 60,000 articles of the scaled corpus grew by 50 MB instead of 63.
WORKER_CACHE_LIMIT = 10_000
# A worker's table of token codes starts anew past this many chunks (300,000 elsewhere):
# about 400 bytes a chunk with its vocabulary; the same worker grew by 35 MB, for the same
# CPU (the frequent chunks are back in the new table at once).
WORKER_TABLE_LIMIT = 100_000
# A worker hands the heap its chunks freed back to the system (:func:`.heap.trim`) every
# this many chunks: glibc otherwise keeps each worker at its high-water mark.
WORKER_TRIM_EVERY = 8
# A worker left without a task this long (the writer is merging segments, which takes seconds
# at a million articles) hands its freed heap back at once: idle workers then hold about 80 MB
# each instead of their high-water mark, while the writer's merge needs its own (issue 16).
WORKER_IDLE_TRIM_SECONDS = 0.25
# A worker is one of a process per core and makes no large matrix products, so numpy's
# BLAS gets one thread: OpenBLAS otherwise starts a thread per core on import, which took
# a worker's start from 0.19 to 0.33 CPU-seconds (issue 16), while the writer waits.
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_FRAME = struct.Struct("<Q")
Array = np.ndarray[Any, Any]
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding searchkit/


def auto_workers() -> int:
    """The worker processes ``workers=None`` uses for a big write: the usable cores (at
    most :data:`MAX_AUTO_WORKERS`); 1 means no workers."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS))


_ANALYSER = ChunkAnalyser()  # a worker's (or a writer's without workers) table of token codes


def analyse(articles: Sequence[AnalysedArticle], *, stories: bool = False) -> BuiltChunk:
    """What a worker does with a chunk: the builder's own analysis, exported; with
    ``stories``, also the articles' story term counts (what :func:`.stories.story_counts`
    gives, from the codes the same pass found for their leads and headlines)."""
    if not stories:
        return _ANALYSER.analyse(articles)
    built, leads = _ANALYSER.analyse_leads(articles, LEAD_CHARS)
    return built._replace(stories=counts_of_terms(leads, len(articles)))


def task(articles: list[Article], *, stories: bool) -> bytes:
    """A chunk as a worker reads it (:func:`serve`): each article as its validated values
    (a pydantic model pickles through Python-level hooks, a dict of plain values in C),
    read there as a :class:`~.plainarticle.PlainArticle`."""
    values = [article.__dict__ for article in articles]
    return pickle.dumps(("analyse", values, stories), protocol=pickle.HIGHEST_PROTOCOL)


class Merged(NamedTuple):
    """What a merge made: its document count and, per input, each document's number in the
    merged segment (-1: deleted, dropped) and which documents went into it."""

    doc_count: int
    new_docs: list[Array]
    live: list[Array]


def merge_here(inputs: Sequence[MergeInput], path: Path) -> Merged:
    """Merge ``inputs`` into ``path`` in this process."""
    doc_count = merge_segments(inputs, path)
    return Merged(doc_count, [item.new_docs for item in inputs], [item.live for item in inputs])


def _merge_files(inputs: list[tuple[str, list[int]]], out: str) -> tuple[str, object]:
    """A worker's merge: ``("merged", Merged)``, or ``("failed", why)`` (the writer then
    merges the same files itself, and reports what goes wrong in its own terms)."""
    readers: list[SegmentReader] = []
    try:
        for path, _ in inputs:
            readers.append(SegmentReader(Path(path), name=Path(path).stem))
        merged = merge_here([MergeInput(reader, deleted) for reader, (_, deleted) in zip(readers, inputs)], Path(out))
        return "merged", merged
    except Exception as exc:  # noqa: BLE001 - any failure: the writer merges again and raises its own error
        return "failed", f"{type(exc).__name__}: {exc}"
    finally:
        for reader in readers:
            reader.close()


def _numbered(built: BuiltChunk, numbering: CodeNumbers) -> BuiltChunk:
    """A worker's chunk (:meth:`~.segment.ChunkAnalyser.coded`) with its terms read through
    the writer's copy of that worker's numbering, which learns the chunk's new terms (the
    numbering the chunk then holds is the worker's next one)."""
    if built.new_terms is None:
        return built
    numbering = numbering.learn(built.new_terms)
    stories = None if built.stories is None else built.stories._replace(numbering=numbering)
    return built._replace(new_terms=None, numbering=numbering, stories=stories)


def _read_frame(stream: IO[bytes]) -> bytes | None:
    head = _read_exactly(stream, _FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    body = _read_exactly(stream, size)
    return body if len(body) == size else None


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes, or fewer where the stream ends (an unbuffered pipe returns what it has)."""
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    buffer = bytearray(data)
    while len(buffer) < size and (more := stream.read(size - len(buffer))):
        buffer += more
    return bytes(buffer)


def _write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(_FRAME.pack(len(data)))
    stream.write(data)
    stream.flush()


def serve() -> None:
    """A worker's loop: a chunk of articles (and whether to count their story terms) in,
    its :class:`BuiltChunk` out, until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    segment._CHUNKS_LIMIT = analysis._CACHE_LIMIT = WORKER_CACHE_LIMIT
    _ANALYSER.limit = WORKER_TABLE_LIMIT
    # Unbuffered, so a task already in the pipe is what select() sees (_trim_while_idle).
    source, sink = io.FileIO(sys.stdin.fileno(), closefd=False), sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the result stream
    served = 0
    while True:
        _trim_while_idle(source)
        if (frame := _read_frame(source)) is None:
            break
        message = pickle.loads(frame)
        if message[0] == "merge":
            _, inputs, out = message
            _write_frame(sink, pickle.dumps(_merge_files(inputs, out), protocol=pickle.HIGHEST_PROTOCOL))
            heap.trim()  # the merge's temporaries
            continue
        _, values, stories = message
        articles = [PlainArticle(fields) for fields in values]
        built = _ANALYSER.coded(analyse(articles, stories=stories))  # terms as numbers (see AnalysisPool.take)
        _write_frame(sink, pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
        served += 1
        if served % WORKER_TRIM_EVERY == 0:
            heap.trim()


def _trim_while_idle(stream: IO[bytes]) -> None:
    """Before a worker reads its next task: if none comes within
    :data:`WORKER_IDLE_TRIM_SECONDS`, trim the heap (:func:`.heap.trim`)."""
    if not heap.can_trim():
        return
    try:
        ready, _, _ = select.select([stream], [], [], WORKER_IDLE_TRIM_SECONDS)
    except (OSError, ValueError):  # a stream select cannot wait on
        return
    if not ready:
        heap.trim()


class _Worker:
    """One worker process, with a thread feeding its stdin and one draining its stdout
    (so neither side ever blocks the other on a full pipe)."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        for name in _ONE_THREAD:  # unless the user chose otherwise
            env.setdefault(name, "1")
        # -P: the working directory is not put first on the worker's path (as -c does), so
        # a module there named like searchkit or one it imports is never what the worker runs.
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-c", "from searchkit.engine.parallel import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        self.tasks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.outstanding = 0
        self.numbering = CodeNumbers()  # its term numbers, as its chunks taught them
        # What each result frame to come answers (a chunk's place in the pool's queue, or a
        # MergeJob), in the order the tasks were sent, and the frames read ahead of their turn.
        self.pending: collections.deque[object] = collections.deque()
        self.arrived: dict[int, bytes] = {}
        self.merging = False
        threading.Thread(target=self._feed, daemon=True, name="searchkit-worker-feed").start()
        threading.Thread(target=self._drain, daemon=True, name="searchkit-worker-drain").start()

    def _feed(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (task := self.tasks.get()) is not None:
                _write_frame(stdin, task)
        except OSError:
            pass  # the worker died: _drain reports it
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _drain(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while (frame := _read_frame(stdout)) is not None:
                self.results.put(frame)
        except OSError:
            pass
        self.results.put(None)  # the worker ended

    def send(self, task: bytes, answers: object) -> None:
        self.pending.append(answers)
        self.tasks.put(task)

    def frame_for(self, answers: object) -> bytes | None:
        """The result frame answering ``answers`` (waiting for it), or None where the worker
        ended first."""
        key = id(answers)
        while key not in self.arrived:
            if not self.pending:
                return None
            frame = self.results.get()
            if frame is None:  # ended: nothing more will come
                self.results.put(None)
                return None
            self.arrived[id(self.pending.popleft())] = frame
        return self.arrived.pop(key)

    def stop(self) -> None:
        """End the worker at once: nothing it holds is wanted any more (chunks still with
        it are dropped; it writes no files), and an interpreter's orderly exit, freeing its
        tables of token codes, kept the writer waiting up to a second on a loaded machine."""
        self.tasks.put(None)
        self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class MergeJob:
    """A merge sent to a worker (:meth:`AnalysisPool.start_merge`)."""

    def __init__(self, worker: _Worker):
        self.worker = worker


class AnalysisPool:
    """Worker processes analysing chunks of articles; results come back in order.

    At most :data:`IN_FLIGHT_PER_WORKER` chunks per worker are in flight, which bounds the
    memory they take (:data:`STARTING_IN_FLIGHT_PER_WORKER` until the first comes back).
    ``stories``: the chunks come back with their story term counts.
    """

    def __init__(self, workers: int, *, index_path: Path, stories: bool = False):
        self.workers = workers
        self.index_path = index_path
        self.stories = stories
        # Each chunk: its worker (None: analysed here already, with the result) and articles.
        self._queue: collections.deque[tuple[_Worker | None, BuiltChunk | None, list[Article]]] = collections.deque()
        self._workers: list[_Worker] = []
        self._gave_up = False
        self._starting = True  # no chunk has come back from a worker yet
        try:
            if not sys.executable:
                raise OSError("sys.executable is not set")
            for _ in range(workers):
                self._workers.append(_Worker())
        except OSError as exc:
            self._give_up(f"{type(exc).__name__}: {exc}")
        else:
            log(logging.INFO, index_path, "analysing articles for %s in %d worker processes", index_path, workers)

    def _give_up(self, why: str) -> None:
        self._starting = False
        if not self._gave_up:
            self._gave_up = True
            log(logging.WARNING, self.index_path, "analysing articles for %s in the writer's process only: "
                "worker processes are unavailable (%s)", self.index_path, why)
        for worker in self._workers:
            worker.stop()
        self._workers = []

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (empty once they are stopped or unavailable)."""
        return [worker.process.pid for worker in self._workers]

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    @property
    def full(self) -> bool:
        per_worker = STARTING_IN_FLIGHT_PER_WORKER if self._starting else IN_FLIGHT_PER_WORKER
        return len(self._queue) >= per_worker * self.workers

    def submit(self, articles: list[Article]) -> None:
        """Queue a chunk for the least busy worker; analysed here at once without workers."""
        if not self._workers:
            self._queue.append((None, analyse(articles, stories=self.stories), articles))
            return
        # Not to a worker that is merging while another is free: the chunks are taken in order.
        workers = [w for w in self._workers if not w.merging] or self._workers
        worker = min(workers, key=lambda w: w.outstanding)
        worker.outstanding += 1
        entry = (worker, None, articles)
        worker.send(task(articles, stories=self.stories), entry)
        self._queue.append(entry)

    def ready(self) -> bool:
        """True when the oldest chunk's analysis is done."""
        if not self._queue:
            return False
        entry = self._queue[0]
        worker = entry[0]
        if worker is None or id(entry) in worker.arrived:
            return True
        # Its frame is next in the worker's stream when nothing sent before it is still unread.
        return bool(worker.pending) and worker.pending[0] is entry and not worker.results.empty()

    def take(self) -> tuple[BuiltChunk, list[Article]]:
        """The oldest chunk's analysis (waiting for it) and its articles."""
        entry = self._queue.popleft()
        worker, result, articles = entry
        if worker is None:
            assert result is not None
            return result, articles
        worker.outstanding -= 1
        frame = worker.frame_for(entry) if worker in self._workers else None
        if frame is None:  # the worker died (killed, out of memory), or its pool was given up
            self._give_up(f"worker process {worker.process.pid} ended with exit code {worker.process.poll()}")
            return analyse(articles, stories=self.stories), articles
        self._starting = False
        built: BuiltChunk = pickle.loads(frame)
        built = _numbered(built, worker.numbering)
        worker.numbering = built.numbering or worker.numbering
        return built, articles

    def start_merge(self, inputs: Sequence[tuple[Path, Sequence[int]]], path: Path) -> MergeJob | None:
        """Send a merge of segment files (each with its deleted documents) into ``path`` to the
        least busy worker, or None without workers (then the caller merges)."""
        if not self._workers:
            return None
        worker = min(self._workers, key=lambda w: w.outstanding)
        job = MergeJob(worker)
        message = ("merge", [(str(file), [int(doc) for doc in deleted]) for file, deleted in inputs], str(path))
        worker.merging = True
        worker.send(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL), job)
        return job

    def finish_merge(self, job: MergeJob) -> Merged | None:
        """The merge's result (waiting for it), or None: the worker failed or ended (the
        caller then merges the same files itself, into the same path)."""
        worker = job.worker
        worker.merging = False
        frame = worker.frame_for(job) if worker in self._workers else None
        if frame is None:
            if worker in self._workers:
                self._give_up(f"worker process {worker.process.pid} ended with exit code {worker.process.poll()}")
            return None
        outcome, value = pickle.loads(frame)
        if outcome != "merged" or not isinstance(value, Merged):
            log(logging.WARNING, self.index_path, "a worker process could not merge segments of %s (%s); "
                "merging them in the writer's process", self.index_path, value)
            return None
        return value

    def stop_idle(self) -> None:
        """Stop the workers that have nothing left to do (no chunk or merge they were sent is
        still to be read back), so their memory is free; the others go on."""
        busy = [worker for worker in self._workers if worker.pending or worker.arrived]
        for worker in self._workers:
            if worker not in busy:
                worker.stop()
        self._workers = busy

    def close(self) -> None:
        """Stop the workers; chunks not taken yet are dropped."""
        self._queue.clear()
        for worker in self._workers:
            worker.stop()
        self._workers = []
