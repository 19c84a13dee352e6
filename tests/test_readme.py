"""The README runs as written: its quickstart, its Python examples and its ``$`` session.

* The quickstart is one ``bash`` block of exactly two lines under the heading holding
  "Quickstart". Line 1's last step (the main job) runs here in a temporary folder; line 2
  is what ``.ci/run`` runs, which is checked instead of running the test-suite from inside
  itself.
* The ``python`` blocks run in order, in one namespace, in an empty temporary folder.
* The ``console`` blocks are replayed command by command (each ``$`` line through bash,
  stdout and stderr together, from a folder where ``searchkit/samples`` is the bundled
  samples, as in a checkout); the output must match the README's, except timings, sizes,
  scores and cursors (which move when ranking is tuned; the hits and their order may not).

After a change that moves the session's output, refresh it with::

    python tests/test_readme.py --update
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CI_RUN = REPO / ".ci" / "run"
FENCE = re.compile(r"^```(\w*)\s*$")
VARYING = [
    (re.compile(r"\(\d+(?:\.\d+)? ms\)"), "(… ms)"),
    (re.compile(r"\bin \d+(?:\.\d+)?s\b"), "in …s"),
    (re.compile(r"\d[\d,]*(?:\.\d+)? MB\b"), "… MB"),
    (re.compile(r"rejected-[\d-]+\.jsonl"), "rejected-….jsonl"),
    (re.compile(r"\bsince \d{4}-\d\d-\d\dT[\d:]+"), "since …"),
    # Ranking is tuned now and then; ids and their order still have to match.
    (re.compile(r"\bscore \d+\.\d+"), "score …"),
    (re.compile(r"--cursor [\w-]+"), "--cursor …"),
]


def fenced_blocks(text: str) -> Iterator[tuple[str, int, list[str]]]:
    """(language, line number of the opening fence, lines) of each fenced block."""
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        if opening is None:
            number += 1
            continue
        end = number + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        yield opening.group(1), number, lines[number + 1 : end]
        number = end + 1


def quickstart_lines(text: str) -> list[str]:
    """The lines of the first fenced block under the heading that contains "Quickstart"."""
    lines = text.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("#") and "Quickstart" in line)
    for language, start, block in fenced_blocks(text):
        if start > heading:
            assert language == "bash", f"the quickstart block is ```{language}, not ```bash"
            return block
    raise AssertionError("no fenced block under the Quickstart heading")


def console_steps(lines: list[str]) -> list[tuple[str, str]]:
    """(command, expected output) for each ``$`` line of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"console block starts with output, not a command: {line!r}"
            steps[-1][1].append(line)
    return [(command, "\n".join(output)) for command, output in steps]


def normalize(output: str) -> str:
    for pattern, replacement in VARYING:
        output = pattern.sub(replacement, output)
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def session_folder(folder: Path) -> None:
    """Make ``folder`` look like a checkout for the session: searchkit/samples is there."""
    (folder / "searchkit").mkdir()
    samples = resources.files("searchkit") / "samples"
    (folder / "searchkit" / "samples").symlink_to(Path(str(samples)), target_is_directory=True)


def session_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SEARCHKIT_INDEX", "NO_COLOR", "COLUMNS")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def run_step(command: str, folder: Path) -> str:
    done = subprocess.run(
        ["bash", "-c", command],
        check=False,
        cwd=folder,
        env=session_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    return done.stdout


def test_quickstart_is_two_lines_main_job_then_tests() -> None:
    lines = quickstart_lines(README.read_text(encoding="utf-8"))
    assert len(lines) == 2, lines
    main_job, tests = (line.split(" && ") for line in lines)
    for steps in (main_job, tests):
        assert steps[:2] == ["python3 -m venv .venv", ". .venv/bin/activate"]
    assert main_job[2:] == ["pip install -e .", "searchkit demo"]
    assert tests[2:] == ['pip install -e ".[test]"', "python -m pytest -q"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable"
    printed = subprocess.run([str(CI_RUN), "--print-command"], capture_output=True, text=True, check=True)
    assert printed.stdout.rstrip("\n") == quickstart_lines(README.read_text(encoding="utf-8"))[1]


def test_test_extra_holds_what_the_tests_import() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in extras["test"]}
    assert {"pytest", "hypothesis"} <= names


@pytest.mark.slow
def test_quickstart_main_job_runs_in_a_fresh_folder(tmp_path: Path) -> None:
    main_job = quickstart_lines(README.read_text(encoding="utf-8"))[0].split(" && ")[-1]
    output = run_step(main_job, tmp_path)
    assert "added 30, replaced 0, unchanged 0, rejected 0" in output
    for query in ("flood damage", '"electric buses"', "budget fares"):
        assert f"results for {query!r}" in output
    assert "Sources" in output and "Dates by month" in output
    assert (tmp_path / "indexes" / "demo").is_dir()
    again = run_step(main_job, tmp_path)
    assert "nothing changed: 30 articles were already in indexes/demo" in again


def test_python_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = [
        (start, lines)
        for language, start, lines in fenced_blocks(README.read_text(encoding="utf-8"))
        if language == "python"
    ]
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for start, lines in blocks:
        code = compile("\n" * (start + 1) + "\n".join(lines), str(README), "exec")
        exec(code, namespace)  # noqa: S102 - the README's own examples
    assert "Traceback" not in capsys.readouterr().out


def replay(text: str, folder: Path) -> list[tuple[int, str, str, str]]:
    """(block line, command, expected, actual) for every step of every console block."""
    session_folder(folder)
    results = []
    for language, start, lines in fenced_blocks(text):
        if language == "console":
            for command, expected in console_steps(lines):
                results.append((start, command, expected, run_step(command, folder)))
    return results


@pytest.mark.slow
def test_console_session_output_is_what_the_commands_print(tmp_path: Path) -> None:
    steps = replay(README.read_text(encoding="utf-8"), tmp_path)
    assert len(steps) >= 8
    commands = " ".join(command for _, command, _, _ in steps)
    for name in ("index", "search", "show", "stats", "export", "check", "delete"):
        assert f"searchkit {name} " in commands
    assert "--json" in commands
    for _, command, expected, actual in steps:
        assert normalize(actual) == normalize(expected), (
            f"README step `$ {command}` printed something else; "
            "run `python tests/test_readme.py --update` and review the diff"
        )


def update_readme() -> None:
    """Rewrite the outputs in the README's console blocks from a fresh run."""
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        steps = replay(text, Path(folder))
    lines = text.splitlines()
    out: list[str] = []
    in_console = False
    step = iter(steps)
    for line in lines:
        fence = FENCE.match(line)
        if not in_console:
            out.append(line)
            in_console = fence is not None and fence.group(1) == "console"
        elif line.strip() == "```":
            out.append(line)
            in_console = False
        elif line.startswith("$ "):
            _, command, _, actual = next(step)
            assert command == line[2:]
            out.append(line)
            out.extend(actual.rstrip("\n").splitlines())
    README.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"updated {len(steps)} console steps in {README}; review with git diff")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: python {shlex.quote(sys.argv[0])} --update")
    update_readme()
