"""Reading articles from files: plain text, JSON and JSON Lines.

:func:`read_articles` takes files, directories and glob patterns and returns an
:class:`ArticleReader`: iterate it for :class:`~searchkit.models.Article` objects, one file
at a time (memory stays flat however large the input). Problems are data, not
exceptions: a bad record or an unreadable file is added to ``reader.errors`` (and passed
to ``on_error``) and reading goes on with the next record. Only usage errors raise at
once: a path that does not exist, a glob that matches nothing, a file named explicitly
whose format cannot be told from its extension.

Formats (``format=``): ``"auto"`` picks by extension (``.txt`` → ``"text"``, ``.json`` →
``"json"``, ``.jsonl`` / ``.ndjson`` → ``"jsonl"``); any other value reads every file in
that format. See :mod:`.text_format` and :mod:`.json_format` for the formats themselves.

Files: a directory is walked recursively in sorted name order, skipping hidden files and
folders (names starting with ``.``) and not following links to folders; a glob pattern
(``data/**/*.jsonl``) is expanded in sorted order. A file named twice is read once.

Decoding: bytes are read as UTF-8 (a byte order mark is dropped). Bytes that are not
valid UTF-8 are decoded as Windows-1252 instead, the usual encoding of such news files,
which maps ``0xA3`` to ``£`` and smart quotes to themselves; its five unassigned bytes
become U+FFFD. Nothing is dropped, and ``reader.warnings`` names the file (and the first
bad line). JSON Lines files are decoded line by line.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, get_args

from ..errors import ArticleError, ReadError, UnsupportedFormatError
from ..models import Article
from .json_format import DEFAULT_FIELD_MAP, FieldMap, parse_json, parse_json_line, resolve_field_map
from .text_format import DEFAULT_BOILERPLATE, compile_boilerplate, parse_text

__all__ = [
    "DEFAULT_BOILERPLATE",
    "DEFAULT_FIELD_MAP",
    "ArticleReader",
    "Format",
    "ReadProblem",
    "read_articles",
]

Format = Literal["auto", "text", "json", "jsonl"]
ReadProblem = ArticleError | ReadError
"""What ``ArticleReader.errors`` holds: a bad record, or a file that cannot be read."""
PathArg = str | os.PathLike[str]

EXTENSIONS: dict[str, Literal["text", "json", "jsonl"]] = {
    ".txt": "text",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_FALLBACK = "cp1252"
_GLOB = re.compile(r"[*?[]")


class ArticleReader:
    """The articles of some files, read lazily, with the problems met along the way.

    Iterating reads the files; iterating again reads them again and starts ``errors``,
    ``warnings`` and the counters afresh. ``files_read`` counts files opened and parsed
    (even if every record in them was bad); ``articles_read`` counts articles yielded.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        format: Format = "auto",
        on_error: Callable[[ReadProblem], object] | None = None,
        boilerplate: Iterable[str | re.Pattern[str]] | None = None,
        field_map: FieldMap | None = None,
    ) -> None:
        self.paths = list(paths)
        self.format = format
        self.on_error = on_error
        self._boilerplate = compile_boilerplate(DEFAULT_BOILERPLATE if boilerplate is None else boilerplate)
        self._field_map = resolve_field_map(field_map)
        self.errors: list[ReadProblem] = []
        self.warnings: list[str] = []
        self.files_read = 0
        self.articles_read = 0

    def __repr__(self) -> str:
        return (
            f"<ArticleReader {len(self.paths)} path(s), {self.articles_read} articles read, "
            f"{len(self.errors)} errors>"
        )

    def __iter__(self) -> Iterator[Article]:
        self.errors, self.warnings = [], []
        self.files_read = self.articles_read = 0
        for path in self.paths:
            files = self._walk(path) if path.is_dir() else iter([path])
            for file in files:
                for article in self._read_file(file):
                    self.articles_read += 1
                    yield article

    def _report(self, error: ReadProblem) -> None:
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def _walk(self, folder: Path) -> Iterator[Path]:
        """The files under ``folder``, recursively, sorted by name, hidden ones skipped."""
        try:
            entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
        except OSError as exc:
            self._report(ReadError(f"cannot list the folder: {exc.strerror or exc}", path=folder))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and not entry.is_symlink():
                yield from self._walk(entry)
            elif entry.is_file():
                yield entry

    def _read_file(self, path: Path) -> Iterator[Article]:
        kind = _format_of(path, self.format)
        if kind is None:
            self._report(_unsupported(path, explicit=False))
            return
        try:
            if kind == "jsonl":
                yield from self._read_lines(path)
            else:
                text = self._decode(path.read_bytes(), path)
                self.files_read += 1
                if kind == "text":
                    yield from self._outcomes([_parse_text_outcome(text, str(path), self._boilerplate)])
                else:
                    yield from self._outcomes(parse_json(text, path=str(path), field_map=self._field_map))
        except OSError as exc:
            self._report(ReadError(f"cannot be read: {exc.strerror or exc}", path=path))

    def _read_lines(self, path: Path) -> Iterator[Article]:
        with path.open("rb") as lines:
            self.files_read += 1
            warned = False
            for number, raw in enumerate(lines, start=1):
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = raw.decode(_FALLBACK, errors="replace")
                    if not warned:
                        self.warnings.append(
                            f"{path}:{number}: not valid UTF-8; decoded as {_FALLBACK} "
                            "(and any later such lines)"
                        )
                        warned = True
                try:
                    article = parse_json_line(line, location=f"{path}:{number}", field_map=self._field_map)
                except ArticleError as exc:
                    self._report(exc)
                    continue
                if article is not None:
                    yield article

    def _outcomes(self, outcomes: Iterable[Article | ReadProblem]) -> Iterator[Article]:
        for outcome in outcomes:
            if isinstance(outcome, Article):
                yield outcome
            else:
                self._report(outcome)

    def _decode(self, data: bytes, path: Path) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            self.warnings.append(f"{path}:{line}: not valid UTF-8; decoded as {_FALLBACK}")
            return data.decode(_FALLBACK, errors="replace")


def read_articles(
    paths: PathArg | Iterable[PathArg],
    *,
    format: Format = "auto",
    on_error: Callable[[ReadProblem], object] | None = None,
    boilerplate: Iterable[str | re.Pattern[str]] | None = None,
    field_map: Mapping[str, Sequence[str]] | None = None,
) -> ArticleReader:
    """Read the articles in ``paths``: files, directories or glob patterns.

    ``on_error(error)`` is called for each problem as it is met (it may raise to stop);
    ``boilerplate`` replaces the text format's boilerplate patterns; ``field_map``
    overrides the JSON key aliases per field. Raises :class:`ReadError` for a path that
    does not exist or a glob that matches nothing, and :class:`UnsupportedFormatError`
    for an unknown ``format`` or a named file whose format cannot be told.
    """
    if format not in get_args(Format):
        raise UnsupportedFormatError(f"unknown format {format!r}; use one of {', '.join(get_args(Format))}")
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: dict[Path, None] = {}
    for item in given:
        path = Path(item)
        if path.exists():
            if path.is_file() and _format_of(path, format) is None:
                raise _unsupported(path, explicit=True)
            found[path] = None
        elif _GLOB.search(str(item)):
            matches = sorted(glob.glob(str(item), recursive=True))
            if not matches:
                raise ReadError(f"the pattern {str(item)!r} matches no files")
            for match in matches:
                found[Path(match)] = None
        else:
            raise ReadError("no such file or directory", path=path)
    return ArticleReader(
        list(found), format=format, on_error=on_error, boilerplate=boilerplate, field_map=field_map
    )


def _format_of(path: Path, format: Format) -> Literal["text", "json", "jsonl"] | None:
    if format != "auto":
        return format
    return EXTENSIONS.get(path.suffix.lower())


def _unsupported(path: Path, *, explicit: bool) -> UnsupportedFormatError:
    suffix = f"the extension {path.suffix!r}" if path.suffix else "a name without an extension"
    hint = "pass format='text', 'json' or 'jsonl' to read it" if explicit else "skipped"
    return UnsupportedFormatError(
        f"cannot tell the format from {suffix} (known: {', '.join(EXTENSIONS)}); {hint}", path=path
    )


def _parse_text_outcome(
    text: str, location: str, boilerplate: Sequence[re.Pattern[str]]
) -> Article | ArticleError:
    try:
        return parse_text(text, location=location, boilerplate=boilerplate)
    except ArticleError as exc:
        return exc
