"""Soak test: writer processes, reader threads and random SIGKILLs against one index.

    python -m benchmarks.soak --writers 3 --readers 8 --minutes 2 --kill-every 5

* The index starts with ``--initial`` articles (5,000), so searches are not timed on an
  empty index.
* ``--writers N`` processes each add batches of generated articles with unique ids
  (``w<writer>-<n>``), one ``add_many`` call per batch. Before a call a writer logs the batch
  as pending; after it, what the call reported (added, seconds, or the error).
* ``--readers M`` threads share one ``Index`` (``refresh_interval`` 0.5 s) and search a fixed
  mix of queries (words, phrases, prefixes, fuzzy words, filters, sorting, paging), timing
  each search and counting errors by type. The total of ``*`` must never go down.
* Every ``--kill-every`` seconds a random writer gets SIGKILL and a new one starts.

At the end writers finish their current call and stop, and the script prints: articles
reported added, articles found afterwards, the batches a kill cut short (each must be in
the index whole or not at all: a commit is atomic), searches served, errors, search latency
under load (p50/p99), and what ``searchkit.check`` says. Exit status 1 when an article
reported added is missing, a batch is partly there, an id appears that no writer sent,
a search or write failed (beyond ``IndexLockedError``, which is documented), or the
check finds a problem.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

import orjson

from searchkit import Article, Index, check

REPO = Path(__file__).resolve().parent.parent
OUTLETS = [
    "Harbor Daily", "Valley Gazette", "The Lantern Post", "Northern Courier", "City Ledger", "Coastal Times",
    "Ridge Herald", "Metro Wire", "River Observer", "Plains Tribune", "Island Voice", "Capital Record",
]
SYLLABLES = ["ka", "ro", "mi", "ten", "sa", "lo", "ver", "an", "dus", "pel", "gor", "ith", "ul", "bra", "ne", "tos"]
REFRESH = 0.5
LOCK_TIMEOUT = 120.0


# ---------------------------------------------------------------------------------------
# Generated articles and queries (deterministic from the seed)


def vocabulary(seed: int, size: int = 4000) -> list[str]:
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


class Generator:
    """Articles whose words follow a Zipf-like law over one vocabulary."""

    def __init__(self, seed: int, words: list[str]):
        self.rng = random.Random(seed)
        self.words = words
        self.weights = [1.0 / (rank + 1) for rank in range(len(words))]

    def sentence(self, n: int) -> str:
        chosen = self.rng.choices(self.words, self.weights, k=n)
        return " ".join(chosen).capitalize() + "."

    def article(self, article_id: str) -> Article:
        rng = self.rng
        day = date(2020, 1, 1) + timedelta(days=rng.randrange(5 * 365))
        body = "\n\n".join(
            " ".join(self.sentence(rng.randint(8, 20)) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(1, 4))
        )
        return Article(
            id=article_id,
            headline=self.sentence(rng.randint(5, 10)).rstrip("."),
            body=body,
            background=[self.sentence(rng.randint(6, 12)) for _ in range(rng.randint(0, 2))],
            source=rng.choice(OUTLETS) if rng.random() > 0.05 else None,
            date=day if rng.random() > 0.05 else None,
            url=f"https://news.example/{day:%Y/%m/%d}/{article_id}",
        )


def query_mix(seed: int, words: list[str], count: int = 200) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed + 1000)
    common, middle, rare = words[:50], words[50:800], words[800:]
    mix: list[tuple[str, dict[str, Any]]] = []
    for _ in range(count):
        kind = rng.randrange(12)
        a, b, c = rng.choice(common), rng.choice(middle), rng.choice(rare)
        mix.append([
            (b, {}),
            (c, {}),
            (f"{a} {b}", {}),
            (f"{a} {b} {c}", {}),
            (f"{b} OR {c}", {}),
            (f'"{a} {b}"', {}),
            (f"{b[:3]}*", {}),
            (f"{c}~1", {}),
            (f'source:"{rng.choice(OUTLETS)}" {b}', {}),
            (f"date:{rng.randint(2020, 2024)} {a}", {"sort": "newest"}),
            (f"{a} -{b}", {"page": 2}),
            ("*", {"limit": 20}),
        ][kind])
    return mix


# ---------------------------------------------------------------------------------------
# A writer process


def writer(path: Path, log_path: Path, writer_id: int, seed: int, batch: int, pause: float, stop: Path) -> None:
    generator = Generator(seed * 7919 + writer_id, vocabulary(seed))
    index = Index.open(path, lock_timeout=LOCK_TIMEOUT)
    with open(log_path, "a", encoding="utf-8") as log:
        first = 0
        while not stop.exists():
            articles = [generator.article(f"w{writer_id}-{first + n}") for n in range(batch)]
            note(log, {"writer": writer_id, "pending": first, "count": batch})
            try:
                report = index.add_many(articles)
                note(log, {"writer": writer_id, "done": first, "count": batch, "added": report.added,
                           "rejected": len(report.rejected), "seconds": report.seconds})
            except Exception as exc:  # noqa: BLE001 - logged for the parent to count
                note(log, {"writer": writer_id, "failed": first, "count": batch, "error": type(exc).__name__,
                           "message": str(exc)[:300]})
            first += batch
            time.sleep(pause)


def note(log: TextIO, line: dict[str, Any]) -> None:
    log.write(orjson.dumps(line).decode() + "\n")
    log.flush()


# ---------------------------------------------------------------------------------------
# The soak


@dataclass
class Readers:
    index: Index
    mix: list[tuple[str, dict[str, Any]]]
    stop: threading.Event = field(default_factory=threading.Event)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_error: dict[str, str] = field(default_factory=dict)
    went_back: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, number: int) -> None:
        rng = random.Random(number)
        times: list[float] = []
        last_total = 0
        while not self.stop.is_set():
            query, options = rng.choice(self.mix)
            started = time.perf_counter()
            try:
                results = self.index.search(query, **options)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with self.lock:
                    self.errors[type(exc).__name__] += 1
                    self.first_error.setdefault(type(exc).__name__, f"{query!r}: {exc}")
                continue
            times.append(time.perf_counter() - started)
            if query == "*":
                if results.total < last_total:
                    with self.lock:
                        self.went_back += 1
                last_total = results.total
        with self.lock:
            self.latencies.extend(times)


class Writers:
    def __init__(self, path: Path, workdir: Path, args: argparse.Namespace):
        self.path, self.workdir, self.args = path, workdir, args
        self.stop_file = workdir / "stop"
        self.live: dict[int, subprocess.Popen[bytes]] = {}
        self.started = 0
        self.killed = 0

    def start(self) -> None:
        writer_id = self.started
        self.started += 1
        self.live[writer_id] = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.soak", "_writer", str(self.path), str(self.log(writer_id)),
             str(writer_id), str(self.args.seed), str(self.args.batch), str(self.args.pause), str(self.stop_file)],
            cwd=REPO,
        )

    def log(self, writer_id: int) -> Path:
        return self.workdir / f"writer-{writer_id}.jsonl"

    def kill_one(self, rng: random.Random) -> None:
        writer_id = rng.choice(sorted(self.live))
        process = self.live.pop(writer_id)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.killed += 1
        self.start()

    def finish(self) -> list[int]:
        self.stop_file.touch()
        return [process.wait(timeout=600) for process in self.live.values()]


def read_logs(writers: Writers) -> tuple[set[str], list[set[str]], Counter[str], list[float], dict[str, str]]:
    """(ids reported added, batches cut short by a kill, write errors, call seconds, first error messages)."""
    reported: set[str] = set()
    cut_short: list[set[str]] = []
    errors: Counter[str] = Counter()
    seconds: list[float] = []
    messages: dict[str, str] = {}
    for writer_id in range(writers.started):
        pending: dict[int, int] = {}
        path = writers.log(writer_id)
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        for line in lines:
            entry = orjson.loads(line)
            ids = {f"w{writer_id}-{n}" for n in range(next(entry[k] for k in ("pending", "done", "failed") if k in entry),
                                                      next(entry[k] for k in ("pending", "done", "failed") if k in entry)
                                                      + entry["count"])}
            if "pending" in entry:
                pending[entry["pending"]] = entry["count"]
            elif "done" in entry:
                pending.pop(entry["done"], None)
                if entry["added"] != entry["count"] or entry["rejected"]:
                    errors["AddReport.added != batch"] += 1
                reported |= ids
                seconds.append(entry["seconds"])
            else:
                pending.pop(entry["failed"], None)
                errors[entry["error"]] += 1
                messages.setdefault(entry["error"], entry["message"])
        for first, count in pending.items():
            cut_short.append({f"w{writer_id}-{n}" for n in range(first, first + count)})
    return reported, cut_short, errors, seconds, messages


def live_ids(path: Path) -> tuple[set[str], int]:
    """Every live id in the index, and how many live documents there are (to see duplicates)."""
    snapshot = Index.open(path)._current()
    found: set[str] = set()
    documents = 0
    for loaded in snapshot.segments:
        for docnum, article_id in enumerate(loaded.reader.ids.as_list()):
            if loaded.is_live(docnum):
                found.add(article_id)
                documents += 1
    return found, documents


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def soak(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="searchkit-soak-"))
    path = Path(args.index) if args.index else workdir / "index"
    words = vocabulary(args.seed)
    initial = Generator(args.seed, words)
    Index.create(path).add_many(initial.article(f"initial-{n}") for n in range(args.initial))
    index = Index.open(path, refresh_interval=REFRESH)
    readers = Readers(index, query_mix(args.seed, words))
    writers = Writers(path, workdir, args)
    rng = random.Random(args.seed)
    print(f"searchkit soak: {args.writers} writers, {args.readers} readers, {args.minutes:g} min, "
          f"SIGKILL a writer every {args.kill_every:g} s; batches of {args.batch}, seed {args.seed}; "
          f"{args.initial:,} articles to start with")
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, index {path}",
          flush=True)

    for _ in range(args.writers):
        writers.start()
    threads = [threading.Thread(target=readers.run, args=(number,), daemon=True) for number in range(args.readers)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    end = started + args.minutes * 60
    next_kill = started + args.kill_every if args.kill_every > 0 else float("inf")
    while (now := time.monotonic()) < end:
        if now >= next_kill:
            writers.kill_one(rng)
            next_kill += args.kill_every
        time.sleep(min(0.05, max(0.0, end - now)))
    exits = writers.finish()
    readers.stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    reported, cut_short, write_errors, call_seconds, messages = read_logs(writers)
    reported |= {f"initial-{n}" for n in range(args.initial)}
    found, documents = live_ids(path)
    sent = reported.union(*cut_short) if cut_short else set(reported)
    missing = reported - found
    phantom = found - sent
    whole = sum(1 for batch in cut_short if batch <= found)
    none = sum(1 for batch in cut_short if not batch & found)
    partial = len(cut_short) - whole - none
    checked_at = time.perf_counter()
    report = check(path)
    check_seconds = time.perf_counter() - checked_at
    documented = {"IndexLockedError": write_errors.get("IndexLockedError", 0)}
    other_write_errors = sum(write_errors.values()) - documented["IndexLockedError"]

    print()
    print(f"writers started {writers.started}, killed {writers.killed}; calls returned {len(call_seconds):,} "
          f"(add_many p50 {percentile(call_seconds, 0.5) * 1000:.0f} ms, p99 {percentile(call_seconds, 0.99) * 1000:.0f} ms)")
    print(f"articles reported added   {len(reported):,} (with the {args.initial:,} to start with)")
    print(f"articles found afterwards {len(found):,}  (reported and found {len(reported & found):,}; "
          f"missing {len(missing)}; {len(found - reported):,} more from calls a kill cut short; "
          f"ids no writer sent {len(phantom)}; live documents {documents:,})")
    print(f"calls cut short by a kill {len(cut_short)}: in the index whole {whole}, not at all {none}, partly {partial}")
    print(f"searches served           {len(readers.latencies):,} ({len(readers.latencies) / elapsed:,.0f}/s); "
          f"'*' total went down {readers.went_back} times")
    print(f"errors                    searches {sum(readers.errors.values())} {dict(readers.errors) or ''}; "
          f"writes {other_write_errors} {dict(write_errors) or ''} (IndexLockedError is documented: "
          f"{documented['IndexLockedError']})")
    for name, message in {**readers.first_error, **messages}.items():
        print(f"  first {name}: {message[:300]}")
    print(f"search latency under load p50 {percentile(readers.latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(readers.latencies, 0.99) * 1000:.1f} ms, "
          f"mean {statistics.fmean(readers.latencies) * 1000 if readers.latencies else float('nan'):.1f} ms")
    print(f"check                     {'ok' if report.ok else 'PROBLEMS'} ({report.articles:,} articles in "
          f"{report.segments} segments, {check_seconds:.1f} s)")
    for problem in report.problems[:10]:
        print(f"  {problem}")
    print(f"index size                {Index.open(path).stats().size_bytes / 1e6:,.0f} MB; writer exits {exits}")

    failed = (missing or phantom or partial or readers.errors or readers.went_back or other_write_errors
              or not report.ok or documents != len(found) or any(exits))
    print("RESULT:", "FAILED" if failed else "ok")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_writer"]:
        path, log, writer_id, seed, batch, pause, stop = argv[1:]
        writer(Path(path), Path(log), int(writer_id), int(seed), int(batch), float(pause), Path(stop))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=3, help="writer processes at any time (default 3)")
    parser.add_argument("--readers", type=int, default=8, help="reader threads (default 8)")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long to run (default 2)")
    parser.add_argument("--kill-every", type=float, default=5.0, help="seconds between SIGKILLs; 0: none (default 5)")
    parser.add_argument("--batch", type=int, default=100, help="articles per add_many call (default 100)")
    parser.add_argument("--initial", type=int, default=5000, help="articles in the index before it starts")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds a writer rests between calls")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", help="where to build the index (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (index and writer logs)")
    return soak(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
