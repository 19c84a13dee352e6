"""How long the command line takes to start: ``searchkit --help`` and ``searchkit --version``
against a bare ``python -c pass`` measured in the same run.

    python -m benchmarks.startup [--runs 20]

Each command runs ``--runs`` times in a fresh process, the commands taking turns (so a busy
moment on a shared machine hits all of them alike); the best run of each is printed in
milliseconds and as a ratio to the bare interpreter, whose start-up nobody can remove. The
``searchkit`` console script is the one beside this Python (the virtualenv's). Then the
ten slowest imports of ``searchkit --help`` by ``python -X importtime`` (cumulative, in ms).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("searchkit")
COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "python -m searchkit --help": [sys.executable, "-m", "searchkit", "--help"],
    "searchkit --help": [str(SCRIPT), "--help"],
    "searchkit --version": [str(SCRIPT), "--version"],
    "python -c 'import searchkit'": [sys.executable, "-c", "import searchkit"],
}


def run_once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def slowest_imports(count: int) -> list[tuple[float, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "searchkit", "--help"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]) / 1000, parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    args = parser.parse_args()
    timings: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            timings[name].append(run_once(command))
    best = {name: min(values) * 1000 for name, values in timings.items()}
    baseline = best["python -c pass (baseline)"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"best of {args.runs} runs each, taking turns")
    print(f"{'command':32} {'best ms':>8} {'x baseline':>11}")
    for name, ms in best.items():
        print(f"{name:32} {ms:8.1f} {ms / baseline:11.2f}")
    print("\nslowest imports of `python -m searchkit --help` (cumulative ms, python -X importtime):")
    for ms, module in slowest_imports(10):
        print(f"{ms:8.1f}  {module}")


if __name__ == "__main__":
    main()
