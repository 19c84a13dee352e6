"""Load on ``searchkit serve``: concurrent HTTP clients on loopback while another process
adds articles, beside the same searches called in-process.

    python -m benchmarks.serve_load [--articles 5000] [--clients 8,32,64] [--requests 1500] [--seconds 20]

* Builds an index of ``--articles`` generated articles (the soak benchmark's generator:
  Zipf-like words, seven outlets, five years of dates) in a temporary folder.
* Starts ``searchkit serve`` on 127.0.0.1 (a free port) as a subprocess, and a writer
  process that adds a batch of 50 new articles to the same folder every 0.5 s (library
  ``add_many``: the server's index sees each commit within its refresh interval).
* For each client count: that many concurrent clients (asyncio + httpx, one connection
  each) send the soak benchmark's query mix (words, phrases, prefixes, fuzzy words,
  filters, sorts, pages) to ``GET /api/search`` until ``--requests`` are answered or
  ``--seconds`` pass. Then the same searches with the same concurrency in-process (threads
  calling ``Index.search`` on one shared ``Index``), so the HTTP overhead is visible.
* Prints requests/s, p50 and p99 latency (ms) and errors (any status but 200, any
  transport error) per row, with the machine named. Exit status 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from searchkit import Index

from .soak import Generator, query_mix, vocabulary

SEED = 14
WRITER = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from benchmarks.soak import Generator, vocabulary
from searchkit import Index

index = Index.open(Path(sys.argv[1]), lock_timeout=30)
generator = Generator(99, vocabulary(int(sys.argv[2])))
stop = Path(sys.argv[1]).parent / "stop"
batch = 0
while not stop.exists():
    index.add_many(generator.article(f"live-{batch}-{n}") for n in range(50))
    batch += 1
    print(batch * 50, flush=True)
    time.sleep(0.5)
"""


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def params_of(query: str, options: dict[str, Any]) -> dict[str, Any]:
    return {"q": query, **{key: str(value) for key, value in options.items()}}


async def http_level(base: str, mix: list[tuple[str, dict[str, Any]]], clients: int, requests: int,
                     seconds: float) -> tuple[int, float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal sent, errors
            while sent < requests and time.perf_counter() < deadline:
                query, options = mix[sent % len(mix)]
                sent += 1
                started = time.perf_counter()
                try:
                    response = await client.get("/api/search", params=params_of(query, options))
                    if response.status_code != 200:
                        errors += 1
                        print(f"  error {response.status_code}: {response.text[:200]}", file=sys.stderr)
                except httpx.HTTPError as exc:
                    errors += 1
                    print(f"  error {type(exc).__name__}: {exc}", file=sys.stderr)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies), elapsed, latencies, errors


def inprocess_level(index: Index, mix: list[tuple[str, dict[str, Any]]], clients: int, requests: int,
                    seconds: float) -> tuple[int, float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            query, options = mix[number % len(mix)]
            started = time.perf_counter()
            try:
                index.search(query, time_limit=5.0, **options)
            except Exception as exc:  # noqa: BLE001 - counted and shown
                with lock:
                    errors += 1
                print(f"  error {type(exc).__name__}: {exc}", file=sys.stderr)
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    return len(latencies), time.perf_counter() - started, latencies, errors


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--clients", default="8,32,64")
    parser.add_argument("--requests", type=int, default=1500, help="requests per row, at most")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per row, at most")
    args = parser.parse_args(argv)
    levels = [int(part) for part in args.clients.split(",")]

    work = Path(tempfile.mkdtemp(prefix="searchkit-serve-load-"))
    server = writer = None
    try:
        path = work / "news"
        words = vocabulary(SEED)
        generator = Generator(SEED, words)
        index = Index.create(path, refresh_interval=1.0)
        index.add_many(generator.article(f"a{n}") for n in range(args.articles))
        mix = query_mix(SEED, words)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        searchkit = shutil.which("searchkit", path=str(Path(sys.executable).parent)) or "searchkit"
        server = subprocess.Popen([searchkit, "serve", "--index", str(path), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/health", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"searchkit serve did not start: {server.communicate()[1]}") from None
                time.sleep(0.1)
        repo = str(Path(__file__).resolve().parent.parent)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(SEED), repo],
                                  stdout=subprocess.PIPE, text=True)
        print(f"searchkit serve load: {args.articles:,} generated articles, a writer adding 50 every 0.5 s; "
              f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
        print(f"at most {args.requests} requests or {args.seconds:g} s per row; clients, server and writer share the machine\n")
        print(f"{'clients':>7}  {'where':<10} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        failed = 0
        for clients in levels:
            for where in ("HTTP", "in-process"):
                if where == "HTTP":
                    done, elapsed, latencies, errors = asyncio.run(
                        http_level(base, mix, clients, args.requests, args.seconds))
                else:
                    done, elapsed, latencies, errors = inprocess_level(index, mix, clients, args.requests, args.seconds)
                failed += errors
                print(f"{clients:>7}  {where:<10} {done:>8} {done / elapsed:>8.1f} "
                      f"{percentile(latencies, 0.5) * 1000:>8.1f} {percentile(latencies, 0.99) * 1000:>8.1f} {errors:>6}",
                      flush=True)
        (path.parent / "stop").touch()
        writer.wait(timeout=60)
        assert writer.stdout is not None
        lines = writer.stdout.read().split()
        added = int(lines[-1]) if lines else 0
        print(f"\nthe writer added {added:,} articles during the run; the index now holds "
              f"{httpx.get(base + '/api/health').json()['articles']:,}")
        return 1 if failed else 0
    finally:
        (work / "stop").touch()
        for process in (writer, server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
