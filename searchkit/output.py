"""Formatting for people at a terminal: results, facets, summaries, progress.

Everything here turns library objects into text; nothing here searches or writes an index
(except :func:`write_rejections`, which keeps the full list of rejected articles in the
index folder so the summary can point at it).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .models import Article, FacetValue, SearchResults, Story
    from .index import AddReport, CheckReport, IndexStats, Progress, Rejection
    from .ingest import Skipped

__all__ = [
    "ProgressLine",
    "article_text",
    "check_text",
    "display_width",
    "index_summary",
    "search_results",
    "stats_text",
    "use_color",
    "write_rejections",
]

_BOLD, _DIM, _CYAN, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"
_SHOWN_REJECTIONS = 5
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
FACETS_IGNORE_OWN_FILTER = "(each facet counts as if its own filter were off)"


def use_color(stream: TextIO, choice: str) -> bool:
    """ANSI colour: ``always``, ``never``, or ``auto``: off when ``NO_COLOR`` is set (not
    empty), else on when ``FORCE_COLOR`` is set (not empty, not ``0``), else on a terminal
    unless ``TERM=dumb``."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def live_terminal(stream: TextIO) -> bool:
    """True when ``stream`` is a terminal that can redraw a line (not ``TERM=dumb``)."""
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
        return 0  # combining marks, zero-width joiners and variation selectors
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and fullwidth characters
    (CJK, most emoji) take 2, combining marks and zero-width characters 0, others 1."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _ljust(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` display columns (``str.ljust`` counts characters)."""
    return text + " " * max(0, width - display_width(text))


class ProgressLine:
    """Progress of ``add_many``: a redrawn line on a terminal, plain lines every 2 s otherwise
    (and on ``TERM=dumb``).

    When ``total`` files are to be read and ``files_done()`` says how many are, the line
    has a bar, the percentage, the rate and the time left; it never wraps: on a narrow
    terminal the bar shrinks, then goes, then the line is cut. ``color`` paints the bar.
    """

    def __init__(self, stream: TextIO, *, enabled: bool = True, total: int | None = None,
                 files_done: Callable[[], int] | None = None, color: bool = False):
        self.stream = stream
        self.enabled = enabled
        self.tty = live_terminal(stream)
        self.total = total if files_done is not None and total else None
        self.files_done = files_done
        self.color = color
        encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("-", "")
        self._cells = ("█", "░") if encoding in ("utf8", "utf16", "utf32") else ("#", "-")
        self._last_plain = time.monotonic()  # piped: the first line after 2 s of work, none for short runs
        self._drawn = 0
        self._waiting = False

    def update(self, progress: Progress) -> None:
        if not self.enabled or progress.finished:
            return
        columns = shutil.get_terminal_size().columns - 1  # a wrapped line cannot be redrawn
        if progress.waiting_for is not None:
            line = f"waiting for the write lock held by {progress.waiting_for}  ({progress.elapsed:,.0f}s so far)"
        else:
            rate = progress.done / progress.elapsed if progress.elapsed > 0 else 0.0
            line = f"indexing: {progress.done:,} articles  {rate:,.0f}/s  rejected {progress.rejected:,}"
            if self.total is not None and self.files_done is not None:
                line = self._bar_line(progress, self.files_done(), rate, columns if self.tty else None)
        switched, self._waiting = self._waiting != (progress.waiting_for is not None), progress.waiting_for is not None
        if self.tty:
            shown = line if display_width(_ANSI.sub("", line)) <= columns else _ANSI.sub("", line)[:columns]
            width = display_width(_ANSI.sub("", shown))
            self.stream.write("\r" + shown + " " * max(0, self._drawn - width))
            self._drawn = max(self._drawn, width)
        elif switched or time.monotonic() - self._last_plain >= 2.0:
            self._last_plain = time.monotonic()
            self.stream.write(line + "\n")
        self.stream.flush()

    def _bar_line(self, progress: Progress, done: int, rate: float, columns: int | None) -> str:
        """The line with percentage, files, rate and time left; on a terminal (``columns``
        wide) with a bar when there is room, else without the bar and then without the
        article count, the file count and the rate, in that order."""
        total = self.total or 1
        done = min(done, total)
        share = done / total
        parts = {
            "share": f"{share:4.0%}".lstrip(),
            "files": f"{done:,}/{total:,} files",
            "articles": f"{progress.done:,} articles",
            "rate": f"{rate:,.0f}/s",
            "left": f"{_clock(progress.elapsed * (total - done) / done) if done else '?'} left",
            "rejected": f"rejected {progress.rejected:,}" if progress.rejected else "",
        }
        text = "  ".join(part for part in parts.values() if part)
        if columns is None:
            return f"indexing: {text}"
        room = columns - len("indexing   ") - display_width(text)
        if room >= 10:
            cells = min(room, 40)
            filled = int(share * cells)
            full, empty = self._cells
            bar = _paint(full * filled, _CYAN, self.color) + empty * (cells - filled)
            return f"indexing {bar} {parts['share']:>4}  {text[len(parts['share']) + 2:]}"
        for dropped in ("articles", "files", "rate"):
            if len("indexing: ") + display_width(text) <= columns:
                break
            parts[dropped] = ""
            text = "  ".join(part for part in parts.values() if part)
        return f"indexing: {text}"

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()


def write_rejections(folder: Path, rejected: Sequence[Rejection]) -> Path:
    """Write every rejection as JSON Lines under ``folder/reports/``; returns the file."""
    import orjson

    reports = folder / "reports"
    reports.mkdir(mode=0o700, exist_ok=True)
    path = reports / f"rejected-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.jsonl"
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.writelines(orjson.dumps(item.model_dump()) + b"\n" for item in rejected)
    return path


def index_summary(
    report: AddReport, folder: Path | str, rejected_file: Path | None, *, skipped: Sequence[Skipped] = ()
) -> str:
    lines = []
    if not report.changed and not report.rejected:
        lines.append(f"nothing changed: {report.unchanged:,} articles were already in {folder} as they are")
    else:
        lines.append(
            f"{folder}: added {report.added:,}, replaced {report.replaced:,}, "
            + (f"{report.unchanged:,} already indexed (unchanged), " if report.unchanged else "unchanged 0, ")
            + f"rejected {len(report.rejected):,} in {report.seconds:.2f}s"
        )
    for item in report.rejected[:_SHOWN_REJECTIONS]:
        where = f"{item.location}: " if item.location else ""
        field = f"field {item.field!r}: " if item.field else ""
        lines.append(f"  rejected {where}{field}{item.reason}")
    if len(report.rejected) > _SHOWN_REJECTIONS:
        lines.append(f"  ... and {len(report.rejected) - _SHOWN_REJECTIONS:,} more")
    if rejected_file is not None:
        lines.append(f"  full list: {rejected_file}")
    lines.extend(_skipped_lines(skipped))
    return "\n".join(lines) + "\n"


_SKIP_RULES = {"default": "not articles by name", "exclude": "by --exclude", "hidden": "hidden",
               "corpus": "notes and data beside .sgm files"}


def _skipped_lines(skipped: Sequence[Skipped]) -> list[str]:
    """How many files were skipped and why, then the first few of them."""
    if not skipped:
        return []
    counts = {rule: sum(1 for item in skipped if item.rule == rule) for rule in _SKIP_RULES}
    why = ", ".join(f"{count:,} {_SKIP_RULES[rule]}" for rule, count in counts.items() if count)
    lines = [f"  skipped {len(skipped):,} {'path' if len(skipped) == 1 else 'paths'}: {why}"]
    lines += [f"    {item.path}: {item.reason}" for item in skipped[:_SHOWN_REJECTIONS]]
    if len(skipped) > _SHOWN_REJECTIONS:
        lines.append(f"    ... and {len(skipped) - _SHOWN_REJECTIONS:,} more (`--json` lists them all)")
    return lines


def _bar(count: int, top: int, width: int = 24) -> str:
    if top <= 0 or count <= 0:
        return ""
    return "█" * max(1, round(width * count / top))


def search_results(results: SearchResults, *, color: bool, continued: bool = False, filtered: bool = False) -> str:
    """Hits, then facets. ``continued``: the page came from a cursor, so its offset is unknown.
    ``filtered``: a source or date filter was given, so say once that each facet ignores its own."""
    lines = []
    first = (results.page - 1) * results.limit + 1
    if not results.hits:
        shown = ""
    elif continued:
        shown = f"{len(results.hits)} more of "
    elif len(results.hits) == 1:
        shown = f"{first} of "
    else:
        shown = f"{first}-{first + len(results.hits) - 1} of "
    noun = "result" if results.total == 1 else "results"
    if results.total_articles is not None:  # collapsed: total counts groups
        noun += f" ({results.total_articles:,} articles)"
    lines.append(_paint(f"{shown}{results.total:,} {noun} for {results.query!r}", _BOLD, color) + f"  ({results.took_ms:.1f} ms)")
    if results.suggestion:
        lines.append(f"Did you mean: {_paint(results.suggestion, _BOLD, color)}")
    for warning in results.warnings:
        lines.append(_paint(f"note: {warning.splitlines()[0]}", _DIM, color))
    for number, hit in enumerate(results.hits, start=first):
        headline = next((s for s in hit.snippets if s.field == "headline"), None)
        title = headline.render("ansi" if color else "text") if headline else hit.headline
        lines.append("")
        marker = "  •" if continued else f"{number:>3}."
        lines.append(f"{marker} {_paint(title, _BOLD, color) if not headline or not color else title}")
        meta = " · ".join(p for p in (hit.source or "(no source)", hit.date.isoformat() if hit.date else "(undated)", f"score {hit.score:.2f}", hit.id) if p)
        lines.append("     " + _paint(meta, _DIM, color))
        for snippet in hit.snippets:
            if snippet.field != "headline":
                prefix = "• " if snippet.field == "background" else ""
                lines.append("     " + prefix + snippet.render("ansi" if color else "text").replace("\n", " "))
        if hit.duplicates:
            also = [" ".join(p for p in (d.source or "(no source)", d.date.isoformat() if d.date else "", d.id) if p)
                    for d in hit.duplicates]
            lines.append(_paint("     also ran in: " + "; ".join(also), _DIM, color))
        if hit.story_size is not None:  # collapse="story"
            told = ", ".join(source or "(no source)" for source in hit.story_sources or [])
            lines.append(_paint(f"     story {hit.story_id}: {hit.story_size:,} article{'' if hit.story_size == 1 else 's'}"
                                f" from {told}", _DIM, color))
        if hit.explanation is not None:
            lines += [_paint("     " + line, _DIM, color) for line in hit.explanation.lines()]
    if results.more_from is not None:  # diversify: pages by number only
        outlets = [f"{name} {count:,}" for name, count in results.more_from.items() if count]
        if outlets:
            lines.append("")
            lines.append(_paint("more from these outlets: " + ", ".join(outlets), _DIM, color))
        if results.total > results.page * results.limit and results.hits:
            lines.append(_paint(f"more: --page {results.page + 1}", _DIM, color))
    if results.next_cursor and results.hits:
        lines.append("")
        more = "" if continued else f"--page {results.page + 1}  or  "
        lines.append(_paint(f"more: {more}--cursor {results.next_cursor}", _DIM, color))
    facets = results.facets
    if facets.source or facets.date:
        lines.append("")
        lines.append(_paint("Sources", _CYAN, color) + (f"  ({facets.missing_source} without)" if facets.missing_source else ""))
        width = max((display_width(v.value or "") for v in facets.source), default=0)
        for value in facets.source:
            lines.append(f"  {_ljust(value.value or '', width)}  {value.count:>5,}")
        top = max((v.count for v in facets.date), default=0)
        lines.append(_paint(f"Dates by {facets.date_interval}", _CYAN, color) + (f"  ({facets.missing_date} undated)" if facets.missing_date else ""))
        lines += _histogram(facets.date, facets.date_interval, top)
        if filtered:
            lines.append(_paint(FACETS_IGNORE_OWN_FILTER, _DIM, color))
    return "\n".join(lines) + "\n"


def stories_text(stories: Sequence[Story], query: str, *, color: bool) -> str:
    """``searchkit stories``: each story's headline, size, days, id and outlets."""
    noun = "story" if len(stories) == 1 else "stories"
    lines = [_paint(f"{len(stories):,} {noun}" + (f" for {query!r}" if query else ""), _BOLD, color)]
    for number, story in enumerate(stories, start=1):
        days = "(undated)" if story.first_date is None else story.first_date.isoformat()
        if story.last_date is not None and story.last_date != story.first_date:
            days += f" to {story.last_date.isoformat()}"
        size = f"{story.size:,} article{'' if story.size == 1 else 's'}"
        lines += ["", f"{number:>3}. {_paint(story.headline, _BOLD, color)}",
                  "     " + _paint(" · ".join((size, days, story.id)), _DIM, color),
                  "     " + ", ".join(source or "(no source)" for source in story.sources)]
    return "\n".join(lines) + "\n"


def _histogram(buckets: Sequence[FacetValue], interval: str, top: int) -> list[str]:
    """The date facet as bars; a run of more than two empty buckets is folded into one line."""
    width = {"year": 4, "month": 7}.get(interval, 10)
    lines: list[str] = []
    for is_empty, group in itertools.groupby(buckets, key=lambda value: value.count == 0):
        run = list(group)
        if is_empty and len(run) > 2:
            lines.append(f"  {'…':<10} {0:>5}  ({len(run)} empty {interval}s)")
            continue
        for value in run:
            label = (value.value or "")[:width]
            lines.append(f"  {label:<10} {value.count:>5,} {_bar(value.count, top)}".rstrip())
    return lines


def article_text(article: Article) -> str:
    lines = [article.headline, " · ".join(p for p in (article.source, article.date.isoformat() if article.date else None, article.id) if p), ""]
    if article.body:
        lines += [article.body, ""]
    if article.attribution:
        lines += [f"Source: {article.attribution}", ""]
    if article.background:
        lines += ["Background:"] + [f"  • {item}" for item in article.background] + [""]
    if article.url:
        lines.append(article.url)
    return "\n".join(lines).rstrip() + "\n"


def stats_text(stats: IndexStats) -> str:
    span = f"{stats.first_date} .. {stats.last_date}" if stats.first_date else "(no dates)"
    rows = [
        ("index", stats.path),
        ("articles", f"{stats.articles:,}"),
        ("sources", f"{stats.sources:,}"),
        ("dates", span + (f"  ({stats.undated:,} undated)" if stats.undated else "")),
        ("segments", f"{stats.segments}"),
        ("size on disk", f"{stats.size_bytes / 1e6:,.2f} MB"),
        ("generation", f"{stats.generation}"),
        ("schema version", f"{stats.schema_version}"),
    ]
    return "".join(f"{name:<15} {value}\n" for name, value in rows)


def check_text(report: CheckReport) -> str:
    head = f"{report.path}: {'ok' if report.ok else 'PROBLEMS FOUND'} ({report.articles:,} articles in {report.segments} segment{'' if report.segments == 1 else 's'} checked)"
    notes = [f"  note: {note}" for note in report.notes]
    return "\n".join([head, *(f"  {problem}" for problem in report.problems), *notes]) + "\n"
