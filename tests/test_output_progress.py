"""The progress line of ``searchkit index``: a bar with percentage, rate and time left when
the number of files is known, never wider than the terminal, plain lines where a line
cannot be redrawn (a pipe, ``TERM=dumb``), and colour as NO_COLOR / FORCE_COLOR / TERM say."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchkit import output
from searchkit.index import Progress
from test_cli import clean_env, console_script

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    """A text stream that says it is a UTF-8 terminal, as sys.stderr on one does."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    encoding = "utf-8"


@pytest.fixture(autouse=True)
def plain_environment() -> Iterator[None]:
    """No colour or terminal settings from outside; whatever a test sets is undone after it."""
    saved = dict(os.environ)
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def draw(columns: int, *, done: int = 10, total: int = 40, color: bool = False, stream: io.StringIO | None = None,
         progress: Progress | None = None) -> str:
    os.environ["COLUMNS"] = str(columns)
    stream = stream if stream is not None else Terminal()
    bar = output.ProgressLine(stream, total=total, files_done=lambda: done, color=color)
    bar.update(progress or Progress(done=250, added=240, replaced=10, unchanged=0, rejected=3, elapsed=5.0))
    return stream.getvalue()


def test_a_wide_terminal_gets_the_bar_the_percentage_the_rate_and_the_time_left() -> None:
    line = draw(100)
    assert line == (
        "\rindexing " + "█" * 7 + "░" * 22 + "  25%  10/40 files  250 articles  50/s  0:15 left  rejected 3"
    )
    assert len(line) - 1 == 99


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (80, "indexing: 25%  10/40 files  250 articles  50/s  0:15 left  rejected 3"),
        (60, "indexing: 25%  10/40 files  50/s  0:15 left  rejected 3"),
        (45, "indexing: 25%  50/s  0:15 left  rejected 3"),
        (30, "indexing: 25%  0:15 left  rej"),
        (20, "indexing: 25%  0:15"),
    ],
)
def test_a_narrow_terminal_drops_the_bar_then_details_and_never_wraps(columns: int, expected: str) -> None:
    line = draw(columns)
    assert line == "\r" + expected
    assert len(line) - 1 <= columns - 1


def test_the_time_left_in_hours_and_before_the_first_file() -> None:
    slow = Progress(done=10, added=10, replaced=0, unchanged=0, rejected=0, elapsed=4000.0)
    assert draw(60, done=1, total=4, progress=slow) == "\rindexing: 25%  1/4 files  10 articles  0/s  3:20:00 left"
    assert draw(60, done=0, total=4, progress=slow) == "\rindexing: 0%  0/4 files  10 articles  0/s  ? left"
    assert draw(80, done=1, total=4, progress=slow) == (
        "\rindexing " + "█" * 5 + "░" * 17 + "  25%  1/4 files  10 articles  0/s  3:20:00 left"
    )


def test_redrawing_pads_over_a_longer_line_and_finish_clears_it() -> None:
    stream = Terminal()
    os.environ["COLUMNS"] = "200"
    bar = output.ProgressLine(stream, total=2, files_done=lambda: 1)
    bar.update(Progress(done=1_000, added=1_000, replaced=0, unchanged=0, rejected=12, elapsed=1.0))
    first = stream.getvalue()
    bar.update(Progress(done=1_001, added=1_001, replaced=0, unchanged=0, rejected=0, elapsed=2.0))
    second = stream.getvalue()[len(first):]
    assert len(second) == len(first)  # "  rejected 12" is gone, overwritten with spaces
    bar.finish()
    assert stream.getvalue().endswith("\r" + " " * (len(first) - 1) + "\r")


def test_the_bar_is_painted_only_when_colour_is_on() -> None:
    painted = draw(100, color=True)
    assert "\x1b[36m" + "█" * 7 + "\x1b[0m" in painted
    assert ANSI.sub("", painted) == draw(100)


def test_an_ascii_terminal_gets_an_ascii_bar() -> None:
    class AsciiTerminal(Terminal):
        encoding = "ascii"

    assert draw(100, stream=AsciiTerminal()).startswith("\rindexing " + "#" * 7 + "-" * 22 + "  25%")


@pytest.mark.parametrize("term", ["dumb", None])
def test_where_a_line_cannot_be_redrawn_plain_lines_come_every_two_seconds(term: str | None) -> None:
    if term:
        os.environ["TERM"] = term
    stream: io.StringIO = Terminal() if term else Pipe()
    bar = output.ProgressLine(stream, total=40, files_done=lambda: 10)
    step = Progress(done=250, added=250, replaced=0, unchanged=0, rejected=0, elapsed=5.0)
    bar.update(step)
    assert stream.getvalue() == ""  # short runs print nothing
    time.sleep(2.05)
    bar.update(step)
    assert stream.getvalue() == "indexing: 25%  10/40 files  250 articles  50/s  0:15 left\n"


def test_without_a_total_the_line_is_as_before() -> None:
    stream = Terminal()
    os.environ["COLUMNS"] = "100"
    output.ProgressLine(stream).update(Progress(done=250, added=250, replaced=0, unchanged=0, rejected=1, elapsed=5.0))
    assert stream.getvalue() == "\rindexing: 250 articles  50/s  rejected 1"


@pytest.mark.parametrize(
    ("environment", "terminal", "pipe"),
    [
        ({}, True, False),
        ({"NO_COLOR": "1"}, False, False),
        ({"NO_COLOR": ""}, True, False),  # empty means unset
        ({"FORCE_COLOR": "1"}, True, True),
        ({"FORCE_COLOR": "0"}, True, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, False, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, True),
    ],
)
def test_colour_follows_no_color_force_color_and_term(environment: dict[str, str], terminal: bool, pipe: bool) -> None:
    os.environ.update(environment)
    assert (output.use_color(Terminal(), "auto"), output.use_color(Pipe(), "auto")) == (terminal, pipe)
    assert output.use_color(Pipe(), "always") and not output.use_color(Terminal(), "never")


def test_the_cli_counts_the_files_first_and_draws_the_bar_on_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    # Enough text that indexing takes well over the 0.2 s before the first progress report,
    # even with the C kernels on a quiet machine (1,500 one-line articles took under 0.2 s).
    words = ["harbor", "ferry", "winter", "council", "tide", "pier", "crew", "storm", "island", "route"]
    for number in range(1_500):
        body = " ".join(f"{words[(number + k) % 10]}{(number * 31 + k * 7) % 997}" for k in range(300))
        (folder / f"story-{number:04d}.txt").write_text(
            f"Ferry news {number}\n\nHarbor Daily\n\nThe ferry sailed {number} times this winter. {body}\n",
            encoding="utf-8",
        )
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [console_script(), "index", str(folder), "--index", str(tmp_path / "news")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
        env=clean_env(COLUMNS="120", TERM="xterm", NO_COLOR="1"),
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = process.communicate(timeout=120)
    os.close(leader)
    assert process.returncode == 0
    assert out.decode().startswith(f"{tmp_path / 'news'}: added 1,500,") or out.decode().startswith(
        f"{tmp_path / 'news'}: added 1500,"
    )
    drawn = [line for line in seen.decode().split("\r") if line.strip()]
    assert drawn, "no progress line was drawn (the run took under 0.2 s?)"
    assert all(re.fullmatch(r"indexing [█░]{40}\s+\d+%  [\d,]+/1,500 files  [\d,]+ articles  [\d,]+/s  "
                            r"(?:\d+:\d\d|\?) left\s*", line) for line in drawn), drawn
