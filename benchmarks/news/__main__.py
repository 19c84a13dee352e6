"""Every news benchmark of issue 13, one table per target with its baselines:
``python -m benchmarks.news [--only NAME ...] [--data FOLDER]``.

Runs, in turn, each benchmark module of this package that is present (a module not written
yet is listed as absent) with its defaults; each prints its corpus, the machine and its
table. The same tables run one at a time as ``python -m benchmarks.news.NAME``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

# (module, the target of issue 13 it measures)
BENCHMARKS: tuple[tuple[str, str], ...] = (
    ("duplicates", "1. wire copies: recall of near-duplicate groups, no AllSides pair merged"),
    ("stories", "2. stories: B-cubed F1 >= 0.80 on the AllSides roundups (TF-IDF leader clustering ~0.73)"),
    ("related", "3. related coverage: recall@2 >= 0.75 on the AllSides roundups, beating TF-IDF cosine and "
                "Elasticsearch's more_like_this"),
    ("diversity", "5. outlet diversity: +50% distinct outlets in the top 10 for at most 0.01 nDCG@10"),
    ("explain_cost", "6. explanations: explaining the top 10 costs at most 3 ms"),
)


def _present(name: str) -> bool:
    try:
        importlib.import_module(f"benchmarks.news.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"benchmarks.news.{name}":
            raise
        return False
    return True


def main() -> None:
    names = [name for name, _ in BENCHMARKS]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"run only these ({', '.join(names)})")
    parser.add_argument("--data", type=Path, help="the shared data folder (default: each benchmark's own, ../shared/data)")
    args = parser.parse_args()
    for name, target in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"== {target}")
        if not _present(name):
            print(f"   (benchmarks/news/{name}.py is not there yet)\n")
            continue
        module = importlib.import_module(f"benchmarks.news.{name}")
        argv = sys.argv
        sys.argv = [f"python -m benchmarks.news.{name}"] + (["--data", str(args.data)] if args.data else [])
        started = time.perf_counter()
        try:
            module.main()
        finally:
            sys.argv = argv
        print(f"   ({time.perf_counter() - started:.0f} s; alone: python -m benchmarks.news.{name})\n", flush=True)


if __name__ == "__main__":
    main()
