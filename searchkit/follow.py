"""Keeping an index current: poll feeds and pages (:func:`follow`), watch a folder (:func:`watch`).

Both are generators of rounds: each round does its work, yields a :class:`Round` report,
and the caller decides when to stop (``rounds=``, a ``stop`` event, or simply breaking
out). Between rounds they wait on ``stop``, so setting it (the CLI does on Ctrl-C) ends
the wait at once; work already started finishes first, so no commit is left half-written.

:func:`follow` fetches each source (an ``http(s)://`` URL or a local file) once a round:

* URLs are fetched with a conditional GET: the ``ETag`` and ``Last-Modified`` of the last
  answer are sent back as ``If-None-Match`` / ``If-Modified-Since``, and a ``304 Not
  Modified`` costs nothing more. A local file is read again only when its size or
  modification time changed.
* The body is read as a feed (RSS/Atom, by content) or else as a web page (one article);
  articles whose id is already in the index are skipped, the rest are added.
* A source that fails (refused, timed out, HTTP 4xx/5xx, not a feed) is backed off: after
  ``n`` failures in a row it is skipped for ``2**(n-1) - 1`` rounds (1, 3, 7... up to
  :data:`MAX_BACKOFF_ROUNDS`), and tried again after that.

:func:`watch` keeps indexing a folder: each round it lists the files as
:func:`~searchkit.ingest.read_articles` would (same skips), and reads those that are new or
changed (size or modification time) once they have stayed the same for one round (so a
file still being written is not read half-way). Deleted files are not removed from the index.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ._version import __version__
from .errors import ReadError, SearchkitError
from .index import AddReport, Index
from .ingest import ArticleReader, Format, read_articles
from .ingest.feed_format import looks_like_feed, parse_feed
from .ingest.html_format import parse_html
from .models import Article

__all__ = ["MAX_BACKOFF_ROUNDS", "Round", "SourceReport", "follow", "watch"]

MAX_BACKOFF_ROUNDS = 31
MAX_BYTES = 50 * 1024 * 1024
USER_AGENT = f"searchkit/{__version__} (+feed follower)"


@dataclasses.dataclass(frozen=True)
class SourceReport:
    """What one round did with one source (a URL, a file, or a folder's changed files).

    ``status`` is ``"added"`` (fetched and read; counts may be 0), ``"not modified"``
    (HTTP 304 or the same file), ``"error"`` (``message`` says why) or ``"backing off"``
    (skipped this round after errors; ``retry_in`` rounds to go).
    """

    source: str
    status: str
    added: int = 0
    replaced: int = 0
    already_indexed: int = 0
    rejected: int = 0
    message: str = ""
    retry_in: int = 0

    def __str__(self) -> str:
        if self.status == "added":
            text = f"{self.source}: added {self.added}"
            if self.replaced:
                text += f", replaced {self.replaced}"
            text += f", {self.already_indexed} already indexed"
            return text + (f", rejected {self.rejected}" if self.rejected else "")
        if self.status == "not modified":
            return f"{self.source}: not modified"
        if self.status == "backing off":
            return f"{self.source}: backing off after errors, next try in {self.retry_in} round(s)"
        return f"{self.source}: error: {self.message}; retrying in {self.retry_in} round(s)"


@dataclasses.dataclass(frozen=True)
class Round:
    """One round: its number (from 1), when it started, and a report per source."""

    number: int
    started: dt.datetime
    sources: tuple[SourceReport, ...]

    @property
    def added(self) -> int:
        return sum(report.added for report in self.sources)

    def __str__(self) -> str:
        head = f"round {self.number} at {self.started:%H:%M:%S}: added {self.added}"
        return "\n".join([head, *(f"  {report}" for report in self.sources)])


@dataclasses.dataclass
class _State:
    etag: str | None = None
    modified: str | None = None
    signature: tuple[int, int] | None = None
    failures: int = 0
    skip: int = 0


def _rounds(every: float, rounds: int | None, stop: threading.Event) -> Iterator[int]:
    number = 0
    while rounds is None or number < rounds:
        if stop.is_set():
            return
        number += 1
        yield number
        if (rounds is None or number < rounds) and stop.wait(every):
            return


def follow(
    index: Index,
    sources: Sequence[str],
    *,
    every: float = 600.0,
    rounds: int | None = None,
    stop: threading.Event | None = None,
    timeout: float = 30.0,
) -> Iterator[Round]:
    """Poll ``sources`` (URLs or files) every ``every`` seconds, adding what is new to ``index``."""
    stop = stop or threading.Event()
    states = {source: _State() for source in sources}
    for number in _rounds(every, rounds, stop):
        started = dt.datetime.now()
        reports = []
        for source in sources:
            if stop.is_set():
                break
            state = states[source]
            if state.skip:
                state.skip -= 1
                reports.append(SourceReport(source, "backing off", retry_in=state.skip + 1))
                continue
            try:
                reports.append(_poll(index, source, state, timeout=timeout))
                state.failures = 0
            except _SourceError as exc:
                state.failures += 1
                state.skip = min(2 ** (state.failures - 1) - 1, MAX_BACKOFF_ROUNDS)
                reports.append(SourceReport(source, "error", message=str(exc), retry_in=state.skip + 1))
        yield Round(number, started, tuple(reports))


class _SourceError(Exception):
    """A source could not be fetched or read this round."""


def _poll(index: Index, source: str, state: _State, *, timeout: float) -> SourceReport:
    if source.startswith(("http://", "https://")):
        data = _fetch(source, state, timeout=timeout)
        if data is None:
            return SourceReport(source, "not modified")
        articles, rejected = _articles(data, source)
    else:
        if not _changed(Path(source), state):
            return SourceReport(source, "not modified")
        reader = ArticleReader([Path(source)], explicit=[Path(source)])
        articles = list(reader)
        rejected = len(reader.errors)
        if not articles and reader.errors and isinstance(reader.errors[0], ReadError):
            raise _SourceError(str(reader.errors[0]))
    new = [article for article in articles if article.id not in index]
    report = index.add_many(new) if new else AddReport()
    return SourceReport(source, "added", added=report.added, replaced=report.replaced,
                        already_indexed=len(articles) - len(new), rejected=rejected + len(report.rejected))


def _fetch(url: str, state: _State, *, timeout: float) -> bytes | None:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/xml, text/html;q=0.9, */*;q=0.5"}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.modified:
        headers["If-Modified-Since"] = state.modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_BYTES + 1)
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise _SourceError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _SourceError(f"cannot fetch: {reason}") from None
    if len(data) > MAX_BYTES:
        raise _SourceError(f"the answer is larger than {MAX_BYTES // (1024 * 1024)} MB")
    state.etag, state.modified = etag, modified
    if state.etag is None and state.modified is None:
        state.modified = email.utils.formatdate(usegmt=True)  # servers that honour only the date
    return data


def _changed(path: Path, state: _State) -> bool:
    """Whether a local file's size or modification time changed since the last round."""
    try:
        info = path.stat()
    except OSError as exc:
        raise _SourceError(f"cannot be read: {exc.strerror or exc}") from None
    signature = (info.st_mtime_ns, info.st_size)
    if signature == state.signature:
        return False
    state.signature = signature
    return True


def _articles(data: bytes, source: str) -> tuple[list[Article], int]:
    """The articles in a fetched body (a feed, else a web page) and how many were rejected."""
    outcomes: Iterable[object]
    try:
        if looks_like_feed(data):
            outcomes = list(parse_feed(data, path=source))
        else:
            outcomes = [parse_html(data, path=source, gzipped=data[:2] == b"\x1f\x8b")]
    except SearchkitError as exc:
        if isinstance(exc, ImportError):  # a missing extra stops everything
            raise
        raise _SourceError(str(exc)) from None
    articles = [o for o in outcomes if isinstance(o, Article)]
    problems = [o for o in outcomes if isinstance(o, ReadError)]
    if not articles and problems:
        raise _SourceError(str(problems[0]))
    return articles, len(outcomes) - len(articles)


def watch(
    index: Index,
    folder: str | Path,
    *,
    every: float = 2.0,
    rounds: int | None = None,
    stop: threading.Event | None = None,
    format: Format = "auto",
    exclude: Iterable[str] = (),
) -> Iterator[Round]:
    """Index the files of ``folder`` that appear or change, every ``every`` seconds.

    The files as they are when ``watch`` is called count as seen (index them too, as
    ``searchkit index --watch`` does right after calling it: a file that changes while
    they are indexed is read again). Each round that read something yields a
    :class:`Round` with one report for the files it read; quiet rounds yield a Round with
    no reports.
    """
    exclude = tuple(exclude)
    seen = _signatures(folder, format=format, exclude=exclude)  # now, not at the first round
    return _watching(index, folder, seen, every=every, rounds=rounds, stop=stop or threading.Event(),
                     format=format, exclude=exclude)


def _watching(
    index: Index, folder: str | Path, seen: dict[Path, tuple[int, int]], *, every: float, rounds: int | None,
    stop: threading.Event, format: Format, exclude: tuple[str, ...],
) -> Iterator[Round]:
    pending: dict[Path, tuple[int, int]] = {}
    for number in _rounds(every, rounds, stop):
        started = dt.datetime.now()
        now = _signatures(folder, format=format, exclude=exclude)
        ready = [path for path, signature in now.items() if seen.get(path) != signature and pending.get(path) == signature]
        pending = {path: signature for path, signature in now.items() if seen.get(path) != signature}
        reports: tuple[SourceReport, ...] = ()
        if ready:
            reader = ArticleReader(sorted(ready), format=format, explicit=ready)
            report = index.add_many(reader)
            for path in ready:
                seen[path] = now[path]
                pending.pop(path, None)
            reports = (SourceReport(
                f"{len(ready)} new or changed file(s) in {folder}", "added", added=report.added,
                replaced=report.replaced, already_indexed=report.unchanged, rejected=len(report.rejected),
            ),)
        yield Round(number, started, reports)


def _signatures(folder: str | Path, *, format: Format, exclude: tuple[str, ...]) -> dict[Path, tuple[int, int]]:
    """(mtime, size) of each file :func:`read_articles` would read in ``folder``."""
    signatures = {}
    for path in read_articles(folder, format=format, exclude=exclude).files():
        try:
            info = path.stat()
        except OSError:
            continue
        signatures[path] = (info.st_mtime_ns, info.st_size)
    return signatures
