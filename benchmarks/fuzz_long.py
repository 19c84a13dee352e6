"""The hostile-input properties of ``tests/test_hostile_input.py``, run much longer.

    python -m benchmarks.fuzz_long --minutes 5 [--seed 1] [--chunk 500]

CI runs each property on 150 fixed examples; this runs them on fresh random examples, in
chunks of ``--chunk`` with seeds ``seed, seed+1, ...``, sharing the time between the
three properties (query parser, search, hostile files), and prints per property the
examples run and every failure with its (shrunk) example. Then it times each
pathological query of the tests (and a few more) on the same small index: the figures
behind the README's query bounds, with the size of the warnings each returns. Exit status
1 when a property failed.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_hostile_input as hostile  # noqa: E402

from searchkit import Index, QueryTooComplexError  # noqa: E402


def properties(index: Index, scratch: Path) -> dict[str, tuple[Callable[..., None], dict[str, Any]]]:
    def files(text_files: list[bytes], json_documents: list[object]) -> None:
        folder = Path(tempfile.mkdtemp(dir=scratch))
        try:
            hostile.check_files(folder, text_files, json_documents)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return {
        "parse_query": (hostile.check_parse, {"text": hostile.QUERIES}),
        "Index.search": (lambda text: hostile.check_search(index, text), {"text": hostile.QUERIES}),
        "read+index+search": (
            files,
            {"text_files": st.lists(hostile.TEXT_FILES, max_size=3),
             "json_documents": st.lists(hostile.JSON_DOCUMENTS, max_size=2)},
        ),
    }


def run_property(check: Callable[..., None], strategies: dict[str, Any], *, until: float, first_seed: int,
                 chunk: int) -> tuple[int, list[str]]:
    """Run chunks of random examples until the deadline; (examples run, failures)."""
    examples, failures, number = 0, [], 0
    counted = {"n": 0}

    def counting(**kwargs: Any) -> None:
        counted["n"] += 1
        check(**kwargs)

    while time.monotonic() < until:
        test = seed(first_seed + number)(
            settings(max_examples=chunk, deadline=None, database=None, derandomize=False,
                     suppress_health_check=list(HealthCheck))(given(**strategies)(counting))
        )
        number += 1
        counted["n"] = 0
        try:
            test()
        except Exception as exc:  # noqa: BLE001 - a property failed: report it and go on
            lines = traceback.format_exception_only(type(exc), exc)
            failures.append(f"seed {first_seed + number - 1}: {''.join(lines).strip()[:2000]}")
        examples += counted["n"]
    return examples, failures


def time_pathological(index: Index) -> list[tuple[str, float, str]]:
    cases = [(param.id, param.values[0], {}) for param in hostile.PATHOLOGICAL]
    cases += [
        ("1000 fuzzy words (10 s limit)", " ".join(f"a{n:04d}y~2" for n in range(1000)), {}),
        ("1000 fuzzy words (no limit)", " ".join(f"a{n:04d}y~2" for n in range(1000)), {"time_limit": None}),
        ("600 words and stray ')'", " ) ".join(["flood"] * 600), {}),
        ("fuzzy distance of 5000 digits", "flood~" + "9" * 5000, {}),
        ("5 KB of ')'", ")" * 5_000, {}),
        ("100 KB of ')'", ")" * 100_000, {}),
    ]
    rows = []
    for name, query, options in cases:
        started = time.perf_counter()
        try:
            results = index.search(query, **options)
            what = f"completed: {results.total} hits, {sum(map(len, results.warnings)) / 1e6:.1f} MB of warnings"
        except QueryTooComplexError as exc:
            what = f"refused: {str(exc)[:70]}"
        except Exception as exc:  # noqa: BLE001 - shown, not raised: the figures are the point
            what = f"{type(exc).__name__}: {str(exc)[:60]}"
        rows.append((name, time.perf_counter() - started, what))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="time for the three properties together")
    parser.add_argument("--seed", type=int, default=1, help="first Hypothesis seed (then +1 per chunk)")
    parser.add_argument("--chunk", type=int, default=500, help="examples per Hypothesis run")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="searchkit-fuzz-"))
    try:
        index = hostile.small_index(scratch / "index")
        checks = properties(index, scratch)
        share = args.minutes * 60 / len(checks)
        print(f"searchkit fuzz_long: {args.minutes:g} min, seed {args.seed}, chunks of {args.chunk}, "
              f"on {platform.node()} ({platform.processor() or platform.machine()}, Python {platform.python_version()})")
        failed = False
        for name, (check, strategies) in checks.items():
            started = time.monotonic()
            examples, failures = run_property(check, strategies, until=started + share, first_seed=args.seed,
                                              chunk=args.chunk)
            seconds = time.monotonic() - started
            print(f"  {name:18} {examples:>8,} examples in {seconds:5.0f} s: "
                  f"{'ok' if not failures else f'{len(failures)} FAILED'}")
            for failure in failures:
                print("    " + failure.replace("\n", "\n    "))
            failed = failed or bool(failures)
        print("\npathological queries on the test index (62 articles, 63,000 terms); wall time:")
        for name, seconds, what in time_pathological(index):
            print(f"  {name:34} {seconds * 1000:9.1f} ms  {what}")
        return 1 if failed else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
