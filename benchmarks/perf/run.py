"""Indexing and query speed of searchkit beside SQLite FTS5, plain Whoosh and tantivy.

    python -m benchmarks.perf.run --corpus real,100k --engines searchkit,fts5,whoosh

For each corpus x engine: build the index in a child process (peak RSS of that child,
articles/s, index size), then query it in another child (open time, the cold first search,
then the warm mix: p50, p95, mean ms, queries/s, and the query process's private memory apart
from its mapped file pages), every figure also as a ratio to FTS5, to plain Whoosh and to
tantivy from the same run. A ``baseline`` row (read + tokenize the same articles in
Python, no index) gives indexing rates a base. Totals are checked against FTS5 per query.
Results: a Markdown report on stdout and in ``--out`` (default ``benchmarks/out/``), plus
the raw figures as JSON. See ``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .corpus import DEFAULT_DATA, LOADERS, REPO, parse_size, real_corpus, scaled_corpus
from .queries import Query, build_queries, sample, save

REF = ("fts5", "whoosh", "tantivy")  # the engines every figure is also given as a ratio to
INDEX_ONLY = ("baseline", "searchkit1", "searchkit-plain")  # built for their indexing figures, never queried
TOLERANCE = 0.05  # totals within 5% (or 2 articles) of FTS5 count as agreeing


# ---------------------------------------------------------------- child processes

def run_child(args: list[str], log: Path) -> tuple[dict, float]:
    """Run a worker; return (its JSON answer, its peak RSS in MB).

    The peak is the VmHWM the child reports; ``ru_maxrss`` from ``wait4`` is only the fallback,
    since Linux keeps the forking parent's peak in it across exec.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.perf.worker", *args],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    answer = json.loads(lines[-1]) if lines else {"error": f"exit {proc.returncode}, see {log}"}
    return answer, answer.get("peak_rss_mb") or usage.ru_maxrss / 1024


# ---------------------------------------------------------------- figures

def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def query_figures(rows: list[dict], qids: set[int] | None = None) -> dict:
    chosen = [r for r in rows if qids is None or r["qid"] in qids]
    ms = [r["ms"] for r in chosen]
    if not ms:
        return {}
    figures = {"n": len(ms), "p50": pct(ms, 0.5), "p95": pct(ms, 0.95), "mean": statistics.fmean(ms),
               "qps": len(ms) / (sum(ms) / 1000)}
    cpu = [r["cpu_ms"] for r in chosen if "cpu_ms" in r]
    if len(cpu) == len(ms):  # CPU time of the query process: what a busy shared machine distorts least
        figures.update(cpu_p50=pct(cpu, 0.5), cpu_p95=pct(cpu, 0.95))
    return figures


def ratio(value: float | None, ref: float | None) -> str:
    if not value or not ref:
        return "–"
    r = value / ref
    if r < 0.1:
        return f"{r:.2g}×"
    return f"{r:.2f}×" if r < 10 else f"{r:,.0f}×"


def num(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}" if abs(v) < 100 or digits == 0 else f"{v:,.0f}"


# ---------------------------------------------------------------- agreement with FTS5

_FTS5_STEMMER: sqlite3.Connection | None = None


def fts5_stem(term: str) -> str:
    """The term as FTS5's ``porter unicode61`` tokenizer indexes it."""
    global _FTS5_STEMMER
    if _FTS5_STEMMER is None:
        _FTS5_STEMMER = sqlite3.connect(":memory:")
        _FTS5_STEMMER.execute("CREATE VIRTUAL TABLE s USING fts5(x, tokenize='porter unicode61')")
        _FTS5_STEMMER.execute("CREATE VIRTUAL TABLE v USING fts5vocab(s, 'row')")
    _FTS5_STEMMER.execute("DELETE FROM s")
    _FTS5_STEMMER.execute("INSERT INTO s VALUES (?)", (term,))
    return " ".join(r[0] for r in _FTS5_STEMMER.execute("SELECT term FROM v"))


def engine_stem(engine: str, term: str) -> str | None:
    """How the engine's analyzer stems ``term`` (None when not known here)."""
    if engine == "whoosh":
        from whoosh.lang.porter import stem

        return stem(term)
    if engine in ("searchkit", "opensearch", "tantivy"):  # all use Snowball English (Porter2)
        try:
            import Stemmer

            return Stemmer.Stemmer("english").stemWord(term)
        except ImportError:
            return None
    return None


WHOOSH_STOP = frozenset(("a an and are as at be by can for from have if in is it may not of on or tbd "
                         "that the this to us we when will with yet you your").split())


def stop_words(engine: str) -> frozenset[str]:
    if engine == "whoosh":
        return WHOOSH_STOP
    if engine in ("searchkit", "opensearch"):  # the cluster indexes searchkit's own terms
        try:
            from searchkit.analysis import STOP_WORDS

            return frozenset(STOP_WORDS)
        except ImportError:
            pass
    return frozenset()


def likely_reason(engine: str, q: Query) -> str:
    """A best guess at why ``engine`` and FTS5 found different numbers of articles."""
    if stopped := [t for t in q.terms if t in stop_words(engine)]:
        return f"stop word {', '.join(stopped)} (dropped here, FTS5 keeps it)"
    diffs = []
    for t in q.terms:
        mine = engine_stem(engine, t)
        if mine is not None and mine != fts5_stem(t):
            diffs.append(f"'{t}'→'{mine}' here, '{fts5_stem(t)}' in FTS5")
    if diffs:
        return "stemming: " + "; ".join(diffs)
    if engine == "whoosh":
        return "other word forms stem apart (Whoosh's Porter ≠ FTS5's, e.g. 'negotiating') or tokenizing"
    return "other word forms stem apart (Porter2 here, Porter in FTS5) or tokenizing"


def agreement(queries: dict[int, Query], results: dict[str, list[dict]]) -> dict[str, dict]:
    """Per engine: how many queries' totals agree with FTS5, top-10 overlap, the outliers."""
    ref = {r["qid"]: r for r in results.get("fts5", [])}
    out = {}
    for engine, rows in results.items():
        if engine == "fts5" or not ref:
            continue
        bad, overlaps, n = [], [], 0
        for r in rows:
            f = ref.get(r["qid"])
            if f is None:
                continue
            n += 1
            diff = abs(r["total"] - f["total"])
            if diff > max(2, TOLERANCE * f["total"]):
                q = queries[r["qid"]]
                bad.append({"qid": r["qid"], "query": q.describe(), "kind": q.kind, "total": r["total"],
                            "fts5": f["total"], "reason": likely_reason(engine, q)})
            if f["ids"]:
                overlaps.append(len(set(r["ids"]) & set(f["ids"])) / len(f["ids"]))
        out[engine] = {"compared": n, "agree": n - len(bad), "disagree": bad,
                       "top10_overlap": statistics.fmean(overlaps) if overlaps else None}
    return out


# ---------------------------------------------------------------- machine

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        ram_gb = int(mem.split()[1]) / 1024 / 1024
    except (OSError, StopIteration):
        ram_gb = 0.0
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for mod, attr in (("whoosh", "versionstring"), ("tantivy", "__version__"), ("searchkit", "__version__")):
        try:
            m = __import__(mod)
            v = getattr(m, attr, "?")
            versions[mod] = v() if callable(v) else str(v)
        except Exception:  # noqa: BLE001 - an engine that is not installed is just absent
            versions[mod] = "absent"
    try:  # which searchkit was measured: the last commit touching it, and uncommitted files
        head = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h", "--", "searchkit"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "searchkit"],
                               capture_output=True, text=True, timeout=10).stdout.splitlines()
        versions["searchkit"] += f" (tree at {head or 'no commit'}" + (
            f", {len(dirty)} uncommitted files)" if dirty else ")")
    except (OSError, subprocess.SubprocessError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(ram_gb, 1),
            "os": platform.platform(), "load": os.getloadavg(), "versions": versions}


# ---------------------------------------------------------------- the run

def corpus_queries(name: str, data: Path, seed: int, n_queries: int | None) -> tuple[list[Query], dict]:
    info: dict = {}
    if name == "real":
        counts: dict[str, int] = {}
        arts = real_corpus(data, counts)
        info = {"docs": len(arts), "per_corpus": counts}
        picked = sample(arts)
    else:
        info = {"docs": parse_size(name)}
        picked = sample(scaled_corpus(parse_size(name), seed=seed, data=data))
    queries = build_queries(picked)
    if n_queries and n_queries < len(queries):  # an even spread over the kinds
        step = len(queries) / n_queries
        queries = [queries[int(i * step)] for i in range(n_queries)]
    return queries, info


def profile_searchkit(name: str, qfile: Path, a: argparse.Namespace, out: Path, log) -> None:
    path = a.workdir / name / "searchkit-profile"
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = out / f"profile-{name}-searchkit"
    for what, args in (("build", ["build", "searchkit", name, str(path), "--data", str(a.data),
                                  "--seed", str(a.seed)]),
                       ("query", ["query", "searchkit", str(path), str(qfile), str(out / "profile-results.json")])):
        ans, _ = run_child([*args, "--profile", f"{prefix}-{what}"], out / f"log-{name}-searchkit-profile-{what}.txt")
        log(f"[{name}] searchkit profile of {what}: " + (ans.get("error") or f"{prefix}-{what}.html and .txt"))
        if "error" in ans:
            break
    shutil.rmtree(path, ignore_errors=True)


def bench_corpus(name: str, engines: list[str], a: argparse.Namespace, out: Path, log) -> dict:
    t = time.perf_counter()
    queries, info = corpus_queries(name, a.data, a.seed, a.queries)
    qfile = out / f"queries-{name}.json"
    save(queries, qfile)
    log(f"[{name}] {info['docs']:,} articles, {len(queries)} queries ({time.perf_counter() - t:.1f}s)")
    rec: dict = {"corpus": name, **info, "queries": len(queries), "engines": {}}
    results: dict[str, list[dict]] = {}
    earlier = {} if a.reuse or info["docs"] >= a.build_rounds_below else earlier_builds(
        name, ["baseline", *engines], a, out, log)
    for engine in ["baseline", *engines]:
        e: dict = {}
        rec["engines"][engine] = e
        path = a.workdir / name / engine
        def step(what: str, args: list[str]) -> dict | None:
            t, load = time.perf_counter(), os.getloadavg()[0]
            ans, rss = run_child(args, out / f"log-{name}-{engine}-{what}.txt")
            e[f"{what}_wall_s"] = time.perf_counter() - t
            e[f"{what}_load"] = [load, os.getloadavg()[0]]  # the machine's load average around the step
            if "error" in ans:
                e[f"{what}_error"] = ans["error"]
                log(f"[{name}] {engine}: {what} failed: {ans['error']}")
                return None
            return {**ans, "rss_mb": rss}

        if a.reuse and (path / ".built").exists():
            e.update(json.loads((path / ".built").read_text()), reused=True)
            log(f"[{name}] {engine}: reusing the index built earlier")
        else:
            remove_index(engine, path, log)
            path.parent.mkdir(parents=True, exist_ok=True)
            ans = step("build", ["build", engine, name, str(path), "--data", str(a.data), "--seed", str(a.seed)])
            if ans is None:
                continue
            rounds = [*earlier.get(engine, []), ans["seconds"]]
            seconds = statistics.median(rounds)
            e.update(docs=ans["docs"], chars=ans["chars"], seconds=seconds, build_rounds_s=rounds, bytes=ans["bytes"],
                     rss_mb=ans["rss_mb"], docs_per_s=ans["docs"] / seconds,
                     feeder_rss_mb=ans.get("feeder_peak_rss_mb"))
            (path / ".built").write_text(json.dumps(e))
            log(f"[{name}] {engine}: built {ans['docs']:,} in {ans['seconds']:.1f}s"
                + (f" (median of {len(rounds)} builds {seconds:.2f}s)" if len(rounds) > 1 else "")
                + f" ({e['docs_per_s']:,.0f}/s, "
                f"{ans['rss_mb']:,.0f} MB RSS, {ans['bytes'] / 2**20:,.1f} MB)")
        if engine in INDEX_ONLY:  # kept with --keep: a later --reuse run can query it under another name
            if not a.keep:
                shutil.rmtree(path, ignore_errors=True)
            continue
        every = 1
        if engine == "whoosh" and info["docs"] >= a.whoosh_subset_from:  # 100k: every 4th, 300k: every 12th
            every = a.whoosh_every * round(info["docs"] / a.whoosh_subset_from)
        # The build's files reach the disk before the queries start, so no engine's queries share
        # the machine with the kernel writing back the gigabytes its build (or the one before) left.
        os.sync()
        ans = step("query", ["query", engine, str(path), str(qfile), str(out / f"results-{name}-{engine}.json"),
                             "--every", str(every), "--warmup", str(20 if every == 1 else 3)])
        if ans is None:
            if not a.keep:
                remove_index(engine, path, log)
            continue
        rows = json.loads((out / f"results-{name}-{engine}.json").read_text())
        results[engine] = rows
        memory = ans.get("memory") or {}
        e.update(open_ms=ans["open_ms"], cold_ms=ans["cold_ms"], query_rss_mb=ans["rss_mb"], every=every,
                 cold_query=ans["cold_query"], query_private_mb=memory.get("private_mb"),
                 query_file_mb=memory.get("file_mb"), **query_figures(rows))
        log(f"[{name}] {engine}: {len(rows)} queries in {e['query_wall_s']:.1f}s, "
            f"p50 {e['p50']:.1f} ms, p95 {e['p95']:.1f} ms")
        if not a.keep and a.query_rounds < 2:
            remove_index(engine, path, log)
    if a.query_rounds > 1:
        more_query_rounds(name, qfile, results, rec["engines"], a, out, log)
    if a.profile:  # separate children, so the profiler's overhead stays out of the figures above
        profile_searchkit(name, qfile, a, out, log)
    # ratios to FTS5 and Whoosh over the queries both ran
    by_qid = {q.qid: q for q in queries}
    for engine, rows in results.items():
        e = rec["engines"][engine]
        for ref in REF:
            if ref in results:
                common = {r["qid"] for r in rows} & {r["qid"] for r in results[ref]}
                e[f"vs_{ref}"] = {"self": query_figures(rows, common),
                                  "ref": query_figures(results[ref], common)}
    rec["agreement"] = agreement(by_qid, results)
    if "opensearch" in results and "searchkit" in results:
        rec["cluster_vs_embedded"] = cluster_vs_embedded(rec["engines"], results)
    return rec


def more_query_rounds(name: str, qfile: Path, results: dict[str, list[dict]], engines: dict, a: argparse.Namespace,
                      out: Path, log) -> None:
    """``--query-rounds`` - 1 more query steps of each engine queried (each a fresh process on
    the index built above, with its warm-up), the engines taking turns; each query's time
    becomes the median of its rounds, so a burst of the shared machine's load in one step moves
    no engine's figures alone. The indexes are removed after (unless ``--keep``)."""
    rounds: dict[str, list[list[dict]]] = {engine: [rows] for engine, rows in results.items()}
    for round_number in range(2, a.query_rounds + 1):
        for engine in results:
            e = engines[engine]
            file = out / f"results-{name}-{engine}-round{round_number}.json"
            ans, _ = run_child(["query", engine, str(a.workdir / name / engine), str(qfile), str(file),
                                "--every", str(e["every"]), "--warmup", str(20 if e["every"] == 1 else 3)],
                               out / f"log-{name}-{engine}-query-round{round_number}.txt")
            if "error" in ans:
                log(f"[{name}] {engine}: query round {round_number} failed: {ans['error']}")
                continue
            rounds[engine].append(json.loads(file.read_text()))
        log(f"[{name}] query round {round_number}: " + ", ".join(
            f"{engine} p50 {pct([r['ms'] for r in taken[-1]], 0.5):.2f} ms"
            for engine, taken in rounds.items() if len(taken) == round_number))
    for engine, taken in rounds.items():
        e = engines[engine]
        merged = []
        for row in taken[0]:
            same = [r for rows in taken for r in rows if r["qid"] == row["qid"]]
            merged.append({**row, "ms": statistics.median(r["ms"] for r in same),
                           "cpu_ms": statistics.median(r["cpu_ms"] for r in same)})
        results[engine] = merged
        e["query_rounds_p50"] = [pct([r["ms"] for r in rows], 0.5) for rows in taken]
        e.update(query_figures(merged))
        if not a.keep:
            remove_index(engine, a.workdir / name / engine, log)


def earlier_builds(name: str, engines: list[str], a: argparse.Namespace, out: Path, log) -> dict[str, list[float]]:
    """Each engine's build time in ``--build-rounds`` - 1 extra builds of a small corpus, the
    engines taking turns (a round builds each once), before the build that is kept and queried:
    a build of the real corpus takes seconds, and on a shared machine one build's time varies
    by a quarter from minute to minute, so its figure is the median of the rounds."""
    times: dict[str, list[float]] = {}
    for round_number in range(1, a.build_rounds):
        for engine in engines:
            path = a.workdir / name / f"{engine}-round"
            remove_index(engine, path, log)
            path.parent.mkdir(parents=True, exist_ok=True)
            ans, _ = run_child(["build", engine, name, str(path), "--data", str(a.data), "--seed", str(a.seed)],
                               out / f"log-{name}-{engine}-build-round{round_number}.txt")
            remove_index(engine, path, log)
            if "error" in ans:
                log(f"[{name}] {engine}: build round {round_number} failed: {ans['error']}")
                continue
            times.setdefault(engine, []).append(ans["seconds"])
        log(f"[{name}] build round {round_number}: "
            + ", ".join(f"{engine} {t[-1]:.2f}s" for engine, t in times.items() if len(t) == round_number))
    return times


def remove_index(engine: str, path: Path, log) -> None:
    """Remove an engine's index folder; for ``opensearch`` first drop the cluster index it names."""
    if engine == "opensearch":
        from .opensearch_engine import discard

        try:
            discard(path)
        except Exception as exc:  # noqa: BLE001 - reported; the run goes on with the other engines
            log(f"opensearch: could not drop the cluster index named in {path}: {exc}")
    shutil.rmtree(path, ignore_errors=True)


def cluster_vs_embedded(engines: dict, results: dict[str, list[dict]]) -> dict:
    """The ``opensearch`` engine beside ``searchkit`` (same run, same queries): both engines'
    figures, and how often the two backends agree on totals and on the top 10."""
    ref = {r["qid"]: r for r in results["searchkit"]}
    rows = [r for r in results["opensearch"] if r["qid"] in ref]
    common = {r["qid"] for r in rows}
    overlaps = [len(set(r["ids"]) & set(ref[r["qid"]]["ids"])) / len(ref[r["qid"]]["ids"])
                for r in rows if ref[r["qid"]]["ids"]]
    figures = {name: {"docs_per_s": engines[name].get("docs_per_s"), **query_figures(results[name], common)}
               for name in ("opensearch", "searchkit")}
    return {"compared": len(rows), "same_total": sum(r["total"] == ref[r["qid"]]["total"] for r in rows),
            "same_top10": sum(r["ids"] == ref[r["qid"]]["ids"] for r in rows),
            "top10_overlap": statistics.fmean(overlaps) if overlaps else None, **figures}


# ---------------------------------------------------------------- report

def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1),
            *["| " + " | ".join(r) + " |" for r in rows]]


def paired_build_ratios(eng: dict, name: str, ref: str = "fts5") -> list[float]:
    """Engine ``name``'s indexing rate over ``ref``'s, round by round: each round builds the
    engines one after the other, so a round's two builds met the shared machine's load of the
    same minute (their medians may come from different rounds)."""
    mine, theirs = eng.get(name, {}).get("build_rounds_s", []), eng.get(ref, {}).get("build_rounds_s", [])
    if name == ref or len(mine) < 2 or len(mine) != len(theirs):
        return []
    return [their_seconds / my_seconds for my_seconds, their_seconds in zip(mine, theirs)]


def paired_lines(eng: dict, ref: str = "fts5") -> list[str]:
    """The report's line of :func:`paired_build_ratios` (none without rounds)."""
    cells = [f"{name} {', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f})"
             for name in eng if (ratios := paired_build_ratios(eng, name, ref))]
    if not cells:
        return []
    return ["", f"Indexing ×{ref.upper() if ref == 'fts5' else ref}, round by round (articles/s over {ref}'s build in "
            "the same round, a few seconds apart): " + "; ".join(cells) + "."]


def _ratios(name: str, eng: dict) -> list[str]:
    """One row of "×FTS5 / ×Whoosh / ×tantivy" cells for every figure of ``name``."""
    e, cells = eng[name], [name]
    for key in ("docs_per_s", "rss_mb", "bytes", "open_ms", "cold_ms"):
        cells.append(" / ".join(ratio(e.get(key), eng.get(ref, {}).get(key)) for ref in REF))
    for key in ("p50", "p95", "mean", "qps", "cpu_p50", "cpu_p95"):
        pairs = [e.get(f"vs_{ref}") for ref in REF]
        cells.append(" / ".join(ratio(pr["self"].get(key), pr["ref"].get(key)) if pr and pr["ref"] else "–"
                                for pr in pairs))
    return cells


def _cluster_lines(beside: dict | None) -> list[str]:
    """The ``opensearch`` engine over ``searchkit`` (see :func:`cluster_vs_embedded`), when both ran."""
    if not beside:
        return []
    cluster, embedded = beside["opensearch"], beside["searchkit"]
    rows = [[label, num(cluster.get(key), digits), num(embedded.get(key), digits),
             ratio(cluster.get(key), embedded.get(key))]
            for label, key, digits in (("articles/s", "docs_per_s", 0), ("p50 ms", "p50", 2), ("p95 ms", "p95", 2),
                                       ("mean ms", "mean", 2), ("q/s", "qps", 1))]
    overlap = beside["top10_overlap"]
    return ["", "### OpenSearch cluster beside the embedded index, same run", "",
            "The `opensearch` engine (searchkit's OpenSearchIndex on the cluster: 3 shards, 1 replica) over the "
            "`searchkit` engine, the same work per query; query figures over the queries both ran.", "",
            *_table(["figure", "opensearch", "searchkit", "opensearch ÷ searchkit"], rows), "",
            f"Same total on {beside['same_total']}/{beside['compared']} queries, the same top-10 ids in order on "
            f"{beside['same_top10']}" + (f", mean top-10 overlap {overlap:.0%}." if overlap is not None else ".")]


def report(runs: list[dict], mach: dict, cmd: str, steps: list[str], when: str) -> str:
    v = mach["versions"]
    lines = [f"# searchkit perf benchmark — {when}", "",
             f"Command: `{cmd}`", "",
             f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']} GB RAM, {mach['os']}; "
             f"Python {v['python']}, SQLite {v['sqlite']}, Whoosh {v['whoosh']}, tantivy {v['tantivy']}, "
             f"searchkit {v['searchkit']}. Load average at start {mach['load'][0]:.2f} (shared machine).", ""]
    for run in runs:
        eng = run["engines"]
        per = run.get("per_corpus")
        lines += [f"## Corpus `{run['corpus']}`: {run['docs']:,} articles"
                  + (f" ({', '.join(f'{k} {c:,}' for k, c in per.items())})" if per else "")
                  + f", {run['queries']} queries", "", "### Indexing", ""]
        rows = []
        for name, e in eng.items():
            if "build_error" in e:
                rows.append([name, "failed", e["build_error"][:100], *[""] * 5])
                continue
            rows.append([name + (" †" if e.get("reused") else ""), f"{e['docs']:,}", num(e["seconds"]),
                         num(e["docs_per_s"], 0), num(e["chars"] / 2**20 / e["seconds"]), num(e["rss_mb"], 0),
                         num(e["bytes"] / 2**20) if name != "baseline" else "–"])
        lines += _table(["engine", "articles", "build s", "articles/s", "MB text/s", "peak RSS MB", "index MB"], rows)
        repeated = {name: e["build_rounds_s"] for name, e in eng.items() if len(e.get("build_rounds_s", [])) > 1}
        if repeated:
            lines += ["", "Build s: the median of each engine's builds, the engines taking turns ("
                      + "; ".join(f"{name} {', '.join(f'{t:.2f}' for t in times)} s" for name, times in repeated.items())
                      + "); the other figures are the last build's."]
        feeders = [e["feeder_rss_mb"] for e in eng.values() if e.get("feeder_rss_mb")]
        if feeders:
            lines += ["", "Peak RSS: the building process and its worker processes, without the input: the articles "
                      f"come from a separate feeder process (its peak RSS {min(feeders):,.0f}-{max(feeders):,.0f} MB: "
                      "the corpus or the scaled corpus's sentence pool)."]
        if any(e.get("reused") for e in eng.values()):
            lines += ["", "† index built by an earlier run (`--reuse`): its build figures are from that run."]
        lines += ["", "### Queries (cold = first search in a fresh process after open; then the warm mix)", ""]
        rows = []
        for name, e in eng.items():
            if "query_error" in e:
                rows.append([name, "failed", e["query_error"][:100], *[""] * 10])
            elif "p50" in e:
                sub = f" (every {e['every']}th)" if e.get("every", 1) > 1 else ""
                rows.append([name, f"{e['n']}{sub}", num(e["open_ms"]), num(e["cold_ms"]), num(e["p50"], 2),
                             num(e["p95"], 2), num(e["mean"], 2), num(e["qps"]), num(e.get("cpu_p50"), 2),
                             num(e.get("cpu_p95"), 2), num(e["query_rss_mb"], 0),
                             num(e.get("query_private_mb"), 0), num(e.get("query_file_mb"), 0)])
        lines += _table(["engine", "queries", "open ms", "cold ms", "p50 ms", "p95 ms", "mean ms", "q/s",
                         "CPU p50 ms", "CPU p95 ms", "peak RSS MB", "private MB", "mapped files MB"], rows)
        lines += ["", "private MB: the largest anonymous memory of the query process (sampled every 10 queries "
                  "and at the end, /proc/self/smaps_rollup); mapped files MB: the largest resident pages of "
                  "mapped files (index files, libraries), which the kernel shares and can drop."]
        repeated = {name: e["query_rounds_p50"] for name, e in eng.items() if len(e.get("query_rounds_p50", [])) > 1}
        if repeated:
            lines += ["", "Query times: each query's median over the engines' query steps, taking turns (p50 of each "
                      "step: " + "; ".join(f"{name} {', '.join(f'{t:.2f}' for t in p50s)} ms"
                                         for name, p50s in repeated.items()) + "); open and cold ms are the first step's."]
        lines += ["", "### Ratios: ×FTS5 / ×plain Whoosh / ×tantivy, same run", "",
                  "Each figure divided by FTS5's, plain Whoosh's and tantivy's (query figures over the queries both ran; "
                  "– where that engine did not run). "
                  "For articles/s and q/s above 1 is faster; for RSS, MB and ms above 1 is more.", ""]
        lines += _table(["engine", "articles/s", "build RSS", "index MB", "open", "cold", "p50", "p95", "mean", "q/s",
                         "CPU p50", "CPU p95"],
                        [_ratios(name, eng) for name, e in eng.items() if "build_error" not in e])
        lines += paired_lines(eng)
        lines += _cluster_lines(run.get("cluster_vs_embedded"))
        lines += ["", "### Agreement with FTS5 (total hits per query within 5% or 2 articles)", ""]
        for name, ag in run["agreement"].items():
            ov = ag["top10_overlap"]
            lines.append(f"- **{name}**: {ag['agree']}/{ag['compared']} queries agree"
                         + (f"; mean top-10 overlap with FTS5 {ov:.0%}." if ov is not None else "."))
            for d in ag["disagree"][:12]:
                lines.append(f"  - q{d['qid']} {d['kind']} `{d['query']}`: {d['total']:,} vs FTS5 {d['fts5']:,} — {d['reason']}")
            if len(ag["disagree"]) > 12:
                lines.append(f"  - … {len(ag['disagree']) - 12} more in the JSON report")
        lines.append("")
    lines += ["## Steps (wall time)", "", *[f"- {s}" for s in steps], ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.perf.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="real", help="comma list of 'real' and sizes such as 100k,300k,1m")
    p.add_argument("--engines", default="searchkit,fts5,whoosh",
                   help="comma list of searchkit, fts5, whoosh, tantivy, opensearch (searchkit on a cluster, see"
                   " --opensearch), and searchkit1 (searchkit indexing in"
                   " one process, no worker processes; built only), searchkit-plain (searchkit with story"
                   " clustering switched off; built only) (baseline always runs)")
    p.add_argument("--opensearch", metavar="URL",
                   help="the cluster of the opensearch engine (default: $SEARCHKIT_BENCH_OPENSEARCH, else"
                   " http://127.0.0.1:9201); each build makes a uniquely named index, dropped after")
    p.add_argument("--queries", type=int, help="use N of the ~200 queries (spread over all kinds)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared corpora (default ../shared/data)")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    p.add_argument("--workdir", type=Path, help="where indexes are built (default OUT/indexes)")
    p.add_argument("--seed", type=int, default=20240601, help="seed of the scaled corpus")
    p.add_argument("--whoosh-every", type=int, default=4,
                   help="plain Whoosh runs every Kth query on corpora of --whoosh-subset-from articles,"
                   " every (K x size / that)th on larger ones")
    p.add_argument("--whoosh-subset-from", type=int, default=100_000)
    p.add_argument("--build-rounds", type=int, default=5,
                   help="build each engine this many times (taking turns) on corpora of fewer than"
                   " --build-rounds-below articles; the indexing figures are the median build")
    p.add_argument("--build-rounds-below", type=int, default=100_000)
    p.add_argument("--query-rounds", type=int, default=3,
                   help="query each engine's index this many times (fresh processes, the engines taking"
                   " turns); each query's time is the median of its rounds")
    p.add_argument("--keep", action="store_true", help="keep the indexes after the run")
    p.add_argument("--reuse", action="store_true", help="reuse indexes kept by an earlier --keep run")
    p.add_argument("--profile", action="store_true",
                   help="also profile searchkit's indexing and query loop with pyinstrument, in extra"
                   " children after the timed ones (reports in OUT)")
    p.add_argument("--report", type=Path, metavar="JSON", help="only print the report of an earlier run's JSON")
    a = p.parse_args(argv)
    if a.report:
        saved = json.loads(a.report.read_text())
        print(report(saved["runs"], saved["machine"], saved.get("cmd", "?"), saved.get("steps", []),
                     saved.get("when", a.report.stem)))
        return
    engines = [e for e in a.engines.split(",") if e]
    if a.opensearch:  # the children read it
        from ..relevance.opensearch_engine import ENV

        os.environ[ENV] = a.opensearch
    a.out.mkdir(parents=True, exist_ok=True)
    a.workdir = a.workdir or a.out / "indexes"
    if not a.data.exists():
        p.error(f"{a.data} does not exist; pass --data DIR (the folder holding {', '.join(LOADERS)})")
    steps: list[str] = []

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)
        steps.append(msg)

    mach = machine()
    cmd = "python -m benchmarks.perf.run " + " ".join(sys.argv[1:] if argv is None else argv)
    runs = []
    started = dt.datetime.now()
    stamp, when = f"{started:%Y%m%d-%H%M%S}", f"{started:%Y-%m-%d %H:%M}"
    for name in a.corpus.split(","):
        runs.append(bench_corpus(name, engines, a, a.out, log))
        text = report(runs, mach, cmd, steps, when)  # written after each corpus: a long run keeps what it has
        (a.out / f"perf-{stamp}.md").write_text(text)
        (a.out / f"perf-{stamp}.json").write_text(json.dumps(
            {"when": when, "machine": mach, "cmd": cmd, "steps": steps, "runs": runs}, indent=1, default=str))
    print(text)
    print(f"\nwritten: {a.out / f'perf-{stamp}.md'} and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
