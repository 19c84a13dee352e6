"""The README's Performance table from one run's JSON report (``perf-*.json`` of :mod:`.run`).

    python -m benchmarks.perf.table benchmarks/out/perf-20261201-013000.json [--engines searchkit,...]

One row per corpus x engine: articles/s, peak RSS MB (the building process with its worker
processes), index MB, p50 and p95 ms, the p50 / p95 ratios to FTS5 and to tantivy with the
CPU-time ratio of p50 beside them (ratios over the queries both engines ran, same run), and
the query process's private memory. Engines built only for their indexing figures
(``searchkit-plain``, ``searchkit1``) have no query cells; an index reused from an earlier
run (``--reuse``) is marked †: its indexing figures are that run's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .run import num, paired_lines, ratio

LABELS = {"searchkit": "**searchkit**", "searchkit-plain": "searchkit, stories off", "searchkit1": "searchkit, 1 process",
          "fts5": "FTS5", "tantivy": "tantivy", "whoosh": "plain Whoosh", "opensearch": "OpenSearch"}
HEADER = ["corpus", "engine", "articles/s", "peak RSS MB", "index MB", "p50 ms", "p95 ms",
          "p50 / p95 ×FTS5 (CPU p50)", "p50 / p95 ×tantivy (CPU p50)", "private MB"]


def _versus(e: dict, ref: str) -> str:
    """``p50 / p95 (CPU p50)`` of ``e`` over engine ``ref``, on the queries both ran."""
    pair = e.get(f"vs_{ref}")
    if not pair or not pair["ref"]:
        return "–"
    mine, theirs = pair["self"], pair["ref"]
    return (f"{ratio(mine.get('p50'), theirs.get('p50'))} / {ratio(mine.get('p95'), theirs.get('p95'))} "
            f"(CPU {ratio(mine.get('cpu_p50'), theirs.get('cpu_p50'))})")


def rows(run: dict, engines: list[str] | None = None) -> list[list[str]]:
    """The table's rows for one corpus of a run."""
    out = []
    corpus = f"real ({run['docs']:,})" if run["corpus"] == "real" else run["corpus"]
    for name, e in run["engines"].items():
        if name == "baseline" or (engines and name not in engines):
            continue
        label = LABELS.get(name, name) + (" †" if e.get("reused") else "")
        if "build_error" in e:
            out.append([corpus, label, "failed: " + e["build_error"][:60], *[""] * 7])
        else:
            queried = "p50" in e
            out.append([corpus, label, num(e["docs_per_s"], 0), num(e["rss_mb"], 0), num(e["bytes"] / 2**20, 0),
                        num(e.get("p50"), 2) if queried else "–", num(e.get("p95"), 1) if queried else "–",
                        _versus(e, "fts5") if queried else "–", _versus(e, "tantivy") if queried else "–",
                        num(e.get("query_private_mb"), 0) if queried else "–"])
        corpus = ""
    return out


def table(report: dict, engines: list[str] | None = None) -> str:
    """The Markdown table of every corpus of ``report`` (a run's JSON, parsed)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|" + "--:|" * (len(HEADER) - 2)]
    for run in report["runs"]:
        lines += ["| " + " | ".join(r) + " |" for r in rows(run, engines)]
    return "\n".join(lines)


def loads(report: dict) -> str:
    """The load averages the run's steps saw (one-minute, at the start and end of each build and query
    step, reused indexes left out), as ``low-high``; the machine's at the run's start for a report
    without them."""
    seen = [v for run in report["runs"] for e in run["engines"].values() if not e.get("reused")
            for key in ("build_load", "query_load") for v in e.get(key, ())]
    if not seen:
        return f"{report['machine']['load'][0]:.1f} at its start (its steps' loads not recorded)"
    return (f"{min(seen):.0f}-{max(seen):.0f}" if max(seen) - min(seen) >= 1 else f"{seen[0]:.1f}") + " during its steps"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.perf.table", description=__doc__.split("\n\n")[0])
    p.add_argument("report", type=Path, help="a perf-*.json written by python -m benchmarks.perf.run")
    p.add_argument("--engines", help="comma list of the engines to show (default: all but the baseline)")
    a = p.parse_args(argv)
    report = json.loads(a.report.read_text())
    v = report["machine"]["versions"]
    print(f"Run {report['when']} UTC, searchkit {v['searchkit']}, load average {loads(report)}:\n")
    print(f"```sh\n{report['cmd']}\n```\n")
    print(table(report, a.engines.split(",") if a.engines else None))
    for run in report["runs"]:
        for line in paired_lines(run["engines"]):
            print(line.replace("Indexing", f"Indexing `{run['corpus']}`", 1))


if __name__ == "__main__":
    main()
