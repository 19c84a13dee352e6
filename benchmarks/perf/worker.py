"""The child process the runner starts for each build and each query run.

One process per step, so each engine's peak RSS (VmHWM of the child, see
:func:`peak_rss_mb`, or while building the sampled sum over the child and the worker
processes it started, whichever is larger) is its own. Prints one JSON object on stdout's last line.

A build reads its articles from a third process, the *feeder* (``worker feed``), which
loads the real corpus or builds the scaled corpus's sentence pool and sends the articles
in pickled batches through a pipe: the input (84 MB of real corpus, 150-200 MB of sentence
pool) is then in neither the build child's peak RSS nor its tree's, and the feeder's own
peak is reported apart (``feeder_peak_rss_mb``).

    python -m benchmarks.perf.worker build ENGINE CORPUS INDEX_DIR [--data D] [--seed S] [--profile OUT]
    python -m benchmarks.perf.worker query ENGINE INDEX_DIR QUERIES.json RESULTS.json [--every K] [--warmup N] [--profile OUT]
    python -m benchmarks.perf.worker feed CORPUS [--data D] [--seed S]   (pickled batches on stdout)
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from .base import dir_size, make_engine
from .corpus import DEFAULT_DATA, REPO, corpus_iter
from .queries import load

WARMUP = 20  # default number of queries run untimed after the cold one, before the timed pass
FEED_BATCH = 256  # articles per pickled batch from the feeder


class _Profile:
    """pyinstrument around a block when ``out`` is set; writes OUT.html and OUT.txt."""

    def __init__(self, out: str | None) -> None:
        self.out, self.prof = out, None

    def __enter__(self) -> _Profile:
        if self.out:
            from pyinstrument import Profiler

            self.prof = Profiler()
            self.prof.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.prof is not None:
            self.prof.stop()
            Path(self.out + ".html").write_text(self.prof.output_html())
            Path(self.out + ".txt").write_text(self.prof.output_text(unicode=True, show_all=False))


def peak_rss_mb() -> float | None:
    """This process's peak RSS (VmHWM) in MB.

    Read here rather than from the parent's ``ru_maxrss``: Linux carries ``ru_maxrss`` across
    exec, so a child forked from a large parent would report at least the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _tree_rss_kb(pid: int, skip: frozenset[int] = frozenset()) -> int:
    """VmRSS of ``pid`` and all its descendants but those in ``skip`` (and theirs), in kB
    (0 for a process already gone)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                if int(child) not in skip:
                    total += _tree_rss_kb(int(child), skip)
    except (OSError, ValueError):
        pass
    return total


class _TreePeak:
    """The peak of this process's RSS plus its children's (searchkit's worker processes),
    sampled every 20 ms on a thread: VmHWM alone would miss the workers. The processes in
    ``skip`` (the feeder) are left out."""

    def __init__(self, skip: frozenset[int] = frozenset()) -> None:
        self.peak_kb = 0
        self._skip = skip
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(os.getpid(), self._skip))

    def __enter__(self) -> _TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def memory_mb() -> dict[str, float]:
    """This process's memory now, from ``/proc/self/smaps_rollup``, in MB.

    ``private_mb`` is anonymous memory (heap, numpy arrays, caches: what the process
    allocated itself and what another process could not share); ``file_mb`` is the resident
    pages of mapped files (the index's segment files, libraries), which the kernel can drop
    and re-read and which every process mapping the same files shares. ``rss_mb`` is both.
    """
    fields: dict[str, int] = {}
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    rss, anonymous = fields.get("Rss", 0), fields.get("Anonymous", 0)
    return {"rss_mb": rss / 1024, "private_mb": anonymous / 1024, "file_mb": (rss - anonymous) / 1024}


class _MemoryPeak:
    """The largest :func:`memory_mb` figures seen by :meth:`sample` (each figure's own peak)."""

    def __init__(self) -> None:
        self.peak: dict[str, float] = {}

    def sample(self) -> None:
        for name, value in memory_mb().items():
            self.peak[name] = max(value, self.peak.get(name, 0.0))


def feed(args: argparse.Namespace) -> None:
    """The feeder: prepare the corpus (read the real one, or build the scaled one's sentence
    pool), send an empty batch to say it is ready, then the articles in batches of
    :data:`FEED_BATCH`, then ``{"peak_rss_mb": ...}`` (its own VmHWM)."""
    sink = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the stream
    articles = corpus_iter(args.corpus, Path(args.data), args.seed)
    first = next(articles, None)  # the real corpus is read, the sentence pool built
    pickle.dump([], sink)
    sink.flush()
    batch = [] if first is None else [first]
    for article in articles:
        batch.append(article)
        if len(batch) == FEED_BATCH:
            pickle.dump(batch, sink, protocol=pickle.HIGHEST_PROTOCOL)
            batch = []
    if batch:
        pickle.dump(batch, sink, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.dump({"peak_rss_mb": peak_rss_mb()}, sink)
    sink.flush()


class _Feeder:
    """The articles of a corpus, read from a feeder process (:func:`feed`)."""

    def __init__(self, args: argparse.Namespace) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.perf.worker", "feed", args.corpus, "--data", str(args.data),
             "--seed", str(args.seed)], cwd=REPO, env=env, stdout=subprocess.PIPE)
        self.peak_rss_mb: float | None = None
        try:
            pickle.load(self.process.stdout)  # the empty batch: the corpus is ready
        except EOFError:
            raise RuntimeError(f"the feeder of corpus {args.corpus} ended before it was ready") from None

    def __iter__(self):
        while True:
            try:
                batch = pickle.load(self.process.stdout)
            except EOFError:
                raise RuntimeError("the feeder ended before its last article") from None
            if isinstance(batch, dict):
                self.peak_rss_mb = batch.get("peak_rss_mb")
                return
            yield from batch

    def close(self) -> None:
        self.process.stdout.close()
        self.process.kill()
        self.process.wait()


def build(args: argparse.Namespace) -> dict:
    engine = make_engine(args.engine)
    # The input is prepared outside the timed region and outside this process (the feeder:
    # the real corpus read, the scaled corpus's sentence pool built); generation stays inside.
    feeder = _Feeder(args)
    try:
        counted = _Counter(feeder)
        t0 = time.perf_counter()
        with _Profile(args.profile), _TreePeak(frozenset({feeder.process.pid})) as tree:
            stats = engine.build(counted, Path(args.path))
        elapsed = time.perf_counter() - t0
    finally:
        feeder.close()
    own = peak_rss_mb() or 0.0
    size = stats.get("store_bytes") if isinstance(stats, dict) else None  # an index kept elsewhere (a cluster)
    return {"engine": args.engine, "docs": counted.n, "chars": counted.chars,
            "seconds": elapsed, "bytes": dir_size(args.path) if size is None else size, "stats": stats,
            "tree_peak_rss_mb": max(own, tree.peak_kb / 1024), "feeder_peak_rss_mb": feeder.peak_rss_mb}


class _Counter:
    """Counts the articles and characters an engine pulled from the iterator."""

    def __init__(self, it) -> None:
        self.it, self.n, self.chars = it, 0, 0

    def __iter__(self):
        for art in self.it:
            self.n += 1
            self.chars += len(art["headline"]) + len(art["body"]) + sum(map(len, art["background"]))
            yield art


def query(args: argparse.Namespace) -> dict:
    queries = load(Path(args.queries))
    if args.every > 1:
        queries = [q for q in queries if q.qid % args.every == 0]
    engine = make_engine(args.engine)
    t0 = time.perf_counter()
    engine.open(Path(args.path))
    open_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    engine.search(queries[0])
    cold_ms = (time.perf_counter() - t0) * 1000
    for q in queries[1:1 + args.warmup]:
        engine.search(q)
    rows = []
    memory = _MemoryPeak()
    with _Profile(args.profile):
        for n, q in enumerate(queries):
            t0, cpu0 = time.perf_counter(), time.process_time()
            r = engine.search(q)
            ms = (time.perf_counter() - t0) * 1000
            cpu_ms = (time.process_time() - cpu0) * 1000
            if n % 10 == 0:  # outside the timed part
                memory.sample()
            rows.append({"qid": q.qid, "ms": ms, "cpu_ms": cpu_ms, "total": r.total, "ids": r.ids,
                         "snippet": r.snippets[0][:200] if r.snippets else "",
                         "n_snippets": sum(1 for s in r.snippets if s),
                         "sources": r.sources, "months": r.months})
    memory.sample()
    engine.close()
    Path(args.results).write_text(json.dumps(rows))
    return {"engine": args.engine, "open_ms": open_ms, "cold_ms": cold_ms, "n": len(rows),
            "cold_query": queries[0].describe(), "memory": memory.peak}


def main() -> None:
    p = argparse.ArgumentParser(prog="benchmarks.perf.worker")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("engine")
    b.add_argument("corpus")
    b.add_argument("path")
    b.add_argument("--data", default=str(DEFAULT_DATA))
    b.add_argument("--seed", type=int, default=20240601)
    b.add_argument("--profile")
    q = sub.add_parser("query")
    q.add_argument("engine")
    q.add_argument("path")
    q.add_argument("queries")
    q.add_argument("results")
    q.add_argument("--every", type=int, default=1)
    q.add_argument("--warmup", type=int, default=WARMUP)
    q.add_argument("--profile")
    f = sub.add_parser("feed")
    f.add_argument("corpus")
    f.add_argument("--data", default=str(DEFAULT_DATA))
    f.add_argument("--seed", type=int, default=20240601)
    args = p.parse_args()
    if args.cmd == "feed":
        feed(args)
        return
    try:
        out = build(args) if args.cmd == "build" else query(args)
    except Exception as exc:  # reported by the parent, which goes on with the other engines
        traceback.print_exc()
        out = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    out["peak_rss_mb"] = max(peak_rss_mb() or 0.0, out.get("tree_peak_rss_mb", 0.0)) or None
    sys.stdout.flush()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
