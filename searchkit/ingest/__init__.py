"""Reading articles from files: plain text, JSON, JSON Lines, CSV/TSV, web pages, RSS/Atom
feeds and Reuters-21578 SGML.

:func:`read_articles` takes files, directories and glob patterns and returns an
:class:`ArticleReader`: iterate it for :class:`~searchkit.models.Article` objects, one file
at a time (memory stays flat however large the input). Problems are data, not
exceptions: a bad record or an unreadable file is added to ``reader.errors`` (and passed
to ``on_error``) and reading goes on with the next record. Only usage errors raise at
once: a path that does not exist, a glob that matches nothing, a file named explicitly
whose format cannot be told from its extension.

Formats (``format=``): ``"auto"`` picks by extension (:data:`EXTENSIONS`: ``.txt`` →
``"text"``, ``.json`` → ``"json"``, ``.jsonl`` / ``.ndjson`` → ``"jsonl"``, ``.csv`` →
``"csv"``, ``.tsv`` → ``"tsv"``, ``.html`` / ``.htm`` and the same gzipped → ``"html"``,
``.rss`` / ``.atom`` → ``"feed"``, ``.sgm`` / ``.sgml`` → ``"sgml"``) and, for ``.xml``
files, by content (an ``<rss>``, ``<feed>`` or ``<rdf:RDF>`` document is a feed); any other
value reads every file in that format. Web pages need the ``searchkit[html]`` extra and
feeds the ``searchkit[feeds]`` extra: without it, reading such a file raises
:class:`~searchkit.errors.MissingExtraError` with the ``pip install`` line. See the
``*_format`` modules for the formats themselves.

Files: a directory is walked recursively in sorted name order, not following links to
folders; a glob pattern (``data/**/*.jsonl``) is expanded in sorted order. A file named
twice is read once. A folder that cannot be listed or entered, like a file that cannot be
read, is a problem in ``reader.errors``; the rest is read.

Skipping: files found by walking a folder or expanding a glob are skipped when their name
is hidden (starts with ``.``; hidden folders are not entered) or matches
:data:`DEFAULT_SKIP` (``README*``, ``LICENSE*``, ``*.md``...: the notes that come with
data sets, not articles). ``exclude=`` adds glob patterns (``fnmatch``, case-insensitive),
matched against each file's and folder's name and its path below the folder given (and,
for a file named explicitly, its path as given); an excluded folder is not entered.
Files named explicitly are never skipped by the default set or as hidden. A folder that
holds ``.sgm`` files is an SGML corpus (Reuters-21578 ships its README, category lists,
DTD and a CIA factbook beside them): with ``format="auto"`` only its ``.sgm`` files are
read, the others are skipped by the ``"corpus"`` rule (its subfolders are walked as
usual). Each skip is in ``reader.skipped`` as a :class:`Skipped` (path, rule, reason).

Decoding: a byte order mark picks the encoding: UTF-8, UTF-16 (LE or BE) or UTF-32 (LE or
BE), as Windows tools write them. Without one, bytes are read as UTF-8; bytes that are not
valid UTF-8 are decoded as Windows-1252 instead, the usual encoding of such news files,
which maps ``0xA3`` to ``£`` and smart quotes to themselves; its five unassigned bytes
become U+FFFD. Nothing is dropped, and ``reader.warnings`` names the file (and the first
bad line). JSON Lines files are decoded line by line.
"""

from __future__ import annotations

import codecs
import dataclasses
import fnmatch
import glob
import io
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, get_args

from .._formats import FileFormat, Format
from ..errors import ArgumentError, ArticleError, ReadError, UnsupportedFormatError
from ..models import Article
from .csv_format import parse_csv
from .feed_format import looks_like_feed, parse_feed
from .html_format import parse_html
from .json_format import DEFAULT_FIELD_MAP, FieldMap, parse_json, parse_json_line, resolve_field_map
from .sgml_format import parse_sgml
from .text_format import DEFAULT_BOILERPLATE, compile_boilerplate, parse_text
from .whoosh_format import WhooshReader, read_whoosh

__all__ = [
    "DEFAULT_BOILERPLATE",
    "DEFAULT_FIELD_MAP",
    "DEFAULT_SKIP",
    "EXTENSIONS",
    "ArticleReader",
    "Format",
    "ReadProblem",
    "Skipped",
    "WhooshReader",
    "read_articles",
    "read_whoosh",
]

ReadProblem = ArticleError | ReadError
"""What ``ArticleReader.errors`` holds: a bad record, or a file that cannot be read."""
PathArg = str | os.PathLike[str]

EXTENSIONS: dict[str, FileFormat] = {
    ".txt": "text",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".html": "html",
    ".htm": "html",
    ".html.gz": "html",
    ".htm.gz": "html",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
    ".sgm": "sgml",
    ".sgml": "sgml",
}
"""Extensions ``format="auto"`` knows; an ``.xml`` file is read only when it holds a feed."""
_CORPUS = (".sgm", ".sgml")
_FALLBACK = "cp1252"
_GLOB = re.compile(r"[*?[]")
# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE_NAMES = {"utf-32": "UTF-32", "utf-16": "UTF-16"}
_REPLACE = "searchkit-replace"
_bad_bytes = threading.local()


def _replace_and_count(error: UnicodeError) -> tuple[str, int]:
    """Like ``errors="replace"``, counting the replacements (per thread) so a reader can warn."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    _bad_bytes.count = getattr(_bad_bytes, "count", 0) + 1
    return "\ufffd", error.end


codecs.register_error(_REPLACE, _replace_and_count)

DEFAULT_SKIP: tuple[str, ...] = (
    "README*",
    "READ.ME",
    "LICENSE*",
    "LICENCE*",
    "COPYING*",
    "NOTICE*",
    "AUTHORS*",
    "CONTRIBUTING*",
    "CHANGES*",
    "CHANGELOG*",
    "HISTORY*",
    "PROVENANCE*",
    "MANIFEST*",
    "*.md",
    "*.rst",
)
"""File names that come with data sets but are not articles (case-insensitive globs).
Files found in folders or by glob patterns with these names are skipped (and listed in
``reader.skipped``); a file named explicitly is always read."""

SkipRule = Literal["hidden", "default", "exclude", "corpus"]


@dataclasses.dataclass(frozen=True, slots=True)
class Skipped:
    """A file or folder the reader passed over on purpose, and why.

    ``rule`` is ``"hidden"`` (a name starting with ``.``), ``"default"`` (a name in
    :data:`DEFAULT_SKIP`), ``"exclude"`` (a pattern given in ``exclude=``) or ``"corpus"``
    (not an ``.sgm`` file, in a folder of ``.sgm`` files); ``pattern`` is the pattern that
    matched, if any.
    """

    path: Path
    rule: SkipRule
    pattern: str | None = None

    @property
    def reason(self) -> str:
        if self.rule == "hidden":
            return "hidden (the name starts with '.')"
        if self.rule == "default":
            return f"not an article by its name (default skip pattern {self.pattern!r}; name the file to read it)"
        if self.rule == "corpus":
            return "notes or data of the .sgm corpus in its folder, not articles (name the file to read it)"
        return f"matches the exclude pattern {self.pattern!r}"

    def __str__(self) -> str:
        return f"{self.path}: skipped, {self.reason}"


class ArticleReader:
    """The articles of some files, read lazily, with the problems met along the way.

    Iterating reads the files; iterating again reads them again and starts ``errors``,
    ``warnings``, ``skipped`` and the counters afresh. ``files_read`` counts files opened
    and parsed (even if every record in them was bad); ``articles_read`` counts articles
    yielded. ``explicit`` are the paths named as files (never skipped by the default set).
    Made by :func:`read_articles`, which checks its arguments.

    Args:
        paths: Files and folders to read, in order.
        format: :func:`read_articles`'s ``format``.
        on_error: Called with each problem as it is met.
        boilerplate: Patterns of lines the text format drops.
        field_map: JSON keys and CSV columns per field.
        exclude: Glob patterns of files and folders to skip.
        explicit: The paths named as files or folders (never skipped by the default set).

    Attributes:
        errors: The problems met by the last iteration: bad records and unreadable files.
        warnings: Files read with a fallback encoding, and similar notes.
        skipped: Files and folders passed over, each with its rule and reason.
        files_read: Files opened and parsed by the last iteration.
        articles_read: Articles yielded by the last iteration.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        format: Format = "auto",
        on_error: Callable[[ReadProblem], object] | None = None,
        boilerplate: Iterable[str | re.Pattern[str]] | None = None,
        field_map: FieldMap | None = None,
        exclude: Iterable[str] = (),
        explicit: Iterable[Path] = (),
    ) -> None:
        self.paths = list(paths)
        self.format = format
        self.on_error = on_error
        self.exclude = _patterns(exclude)
        self.explicit = frozenset(explicit)
        self._boilerplate = compile_boilerplate(DEFAULT_BOILERPLATE if boilerplate is None else boilerplate)
        self._field_map = resolve_field_map(field_map)
        self.errors: list[ReadProblem] = []
        self.warnings: list[str] = []
        self.skipped: list[Skipped] = []
        self.files_read = 0
        self.articles_read = 0

    def __repr__(self) -> str:
        return (
            f"<ArticleReader {len(self.paths)} path(s), {self.articles_read} articles read, "
            f"{len(self.errors)} errors>"
        )

    def __iter__(self) -> Iterator[Article]:
        self.files_read = self.articles_read = 0
        for file in self.files():
            for article in self._read_file(file):
                self.articles_read += 1
                yield article

    def files(self) -> Iterator[Path]:
        """The files that iterating reads, in order, without reading them (starts ``errors``,
        ``warnings`` and ``skipped`` afresh and records the skips and unlistable folders).

        Yields:
            Each file's path, as iterating the reader would open them.
        """
        self.errors, self.warnings, self.skipped = [], [], []
        for path in self.paths:
            try:
                is_folder = path.is_dir()
            except OSError as exc:  # a path inside a folder that cannot be entered
                self._report(ReadError(f"cannot be read: {exc.strerror or exc}", path=path))
                continue
            if is_folder:
                yield from self._walk(path, path)
            elif self._keep(path, (path.name, str(path)), default=path not in self.explicit):
                yield path

    def _report(self, error: ReadProblem) -> None:
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def _keep(
        self, path: Path, names: tuple[str, ...], *, default: bool = True, folder: bool = False, corpus: bool = False
    ) -> bool:
        """False (and the skip recorded) when ``path`` is to be passed over."""
        skip: Skipped | None = None
        if default and path.name.startswith("."):
            skip = Skipped(path, "hidden")
        elif pattern := _first_match(self.exclude, names):
            skip = Skipped(path, "exclude", pattern)
        elif default and not folder and (pattern := _first_match(DEFAULT_SKIP, names[:1])):
            skip = Skipped(path, "default", pattern)
        elif corpus and not folder and path.suffix.lower() not in _CORPUS:
            skip = Skipped(path, "corpus")
        if skip is None:
            return True
        self.skipped.append(skip)
        return False

    def _walk(self, folder: Path, root: Path) -> Iterator[Path]:
        """The files under ``folder``, recursively, sorted by name, skips recorded."""
        try:
            entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
        except OSError as exc:
            self._report(ReadError(f"cannot list the folder: {exc.strerror or exc}", path=folder))
            return
        corpus = self.format == "auto" and any(entry.suffix.lower() in _CORPUS for entry in entries)
        for entry in entries:
            try:
                is_folder = entry.is_dir() and not entry.is_symlink()
                is_file = not is_folder and entry.is_file()
            except OSError as exc:  # listed but not entered (read permission without execute)
                self._report(ReadError(f"cannot enter the folder: {exc.strerror or exc}", path=folder))
                return
            if not (is_folder or is_file):
                continue
            names = (entry.name, entry.relative_to(root).as_posix())
            if not self._keep(entry, names, folder=is_folder, corpus=corpus):
                continue
            if is_folder:
                yield from self._walk(entry, root)
            else:
                yield entry

    def _read_file(self, path: Path) -> Iterator[Article]:
        kind = _format_of(path, self.format)
        if kind is None:
            self._report(_unsupported(path, explicit=False))
            return
        try:
            if kind == "jsonl":
                yield from self._read_lines(path)
            elif kind == "csv" or kind == "tsv":
                with path.open("rb") as lines:
                    self.files_read += 1
                    rows = parse_csv(self._decoded_lines(path, lines), path=str(path), kind=kind,
                                     field_map=self._field_map)
                    yield from self._outcomes(rows)
            elif kind == "html" or kind == "feed":
                data = path.read_bytes()
                self.files_read += 1
                if kind == "html":
                    yield from self._outcomes([parse_html(data, path=str(path), gzipped=data[:2] == b"\x1f\x8b")])
                else:
                    yield from self._outcomes(parse_feed(data, path=str(path), warn=self.warnings.append))
            else:
                text = self._decode(path.read_bytes(), path)
                self.files_read += 1
                if kind == "text":
                    yield from self._outcomes([_parse_text_outcome(text, str(path), self._boilerplate)])
                elif kind == "sgml":
                    yield from self._outcomes(parse_sgml(text, path=str(path), warn=self.warnings.append))
                else:
                    yield from self._outcomes(parse_json(text, path=str(path), field_map=self._field_map))
        except OSError as exc:
            self._report(ReadError(f"cannot be read: {exc.strerror or exc}", path=path))

    def _read_lines(self, path: Path) -> Iterator[Article]:
        with path.open("rb") as lines:
            self.files_read += 1
            encoding = _wide_encoding(lines.read(4))
            lines.seek(0)
            if encoding is not None:
                with io.TextIOWrapper(lines, encoding=encoding, errors=_REPLACE, newline="\n") as text:
                    yield from self._read_wide_lines(path, text)
                return
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

    def _decoded_lines(self, path: Path, lines: io.BufferedReader) -> Iterator[str]:
        """The lines of a binary file as text, line ends kept: decoded as :meth:`_decode` does,
        but line by line (UTF-8, or Windows-1252 for a line that is not; a UTF-16/32 byte
        order mark decodes the whole stream), so a large file is never all in memory."""
        encoding = _wide_encoding(lines.read(4))
        lines.seek(0)
        if encoding is not None:
            with io.TextIOWrapper(lines, encoding=encoding, errors="replace", newline="") as text:
                for line in text:
                    yield line.removeprefix("\ufeff")
            return
        warned = False
        for number, raw in enumerate(lines, start=1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                if not warned:
                    self.warnings.append(
                        f"{path}:{number}: not valid UTF-8; decoded as {_FALLBACK} (and any later such lines)"
                    )
                    warned = True
                yield raw.decode(_FALLBACK, errors="replace")

    def _read_wide_lines(self, path: Path, text: io.TextIOWrapper) -> Iterator[Article]:
        """JSON Lines in UTF-16 or UTF-32 (the byte order mark said which), line by line."""
        warned = False
        number = 0
        while True:
            # Decoding happens inside next(); other readers in this thread only run between calls.
            before = getattr(_bad_bytes, "count", 0)
            line = next(text, None)
            if getattr(_bad_bytes, "count", 0) != before and not warned:
                name = _WIDE_NAMES.get(text.encoding, text.encoding)
                self.warnings.append(
                    f"{path}: not valid {name} although it starts with a {name} byte order mark; "
                    "undecodable bytes became U+FFFD"
                )
                warned = True
            if line is None:
                return
            number += 1
            try:
                article = parse_json_line(
                    line.removeprefix("\ufeff"), location=f"{path}:{number}", field_map=self._field_map
                )
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
        encoding = _wide_encoding(data[:4])
        if encoding is not None:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                name = _WIDE_NAMES[encoding]
                self.warnings.append(
                    f"{path}: not valid {name} at byte {exc.start} ({exc.reason}) although it starts "
                    f"with a {name} byte order mark; undecodable bytes became U+FFFD"
                )
                return data.decode(encoding, errors="replace")
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
    exclude: Iterable[str] = (),
) -> ArticleReader:
    """Read the articles in ``paths``: files, directories or glob patterns.

    Nothing is read until the reader is iterated (``Index.add_many`` does); a bad record
    or an unreadable file is a problem in ``reader.errors``, not an exception. The module
    docstring (:mod:`searchkit.ingest`) describes the formats, folders and skipping.

    Args:
        paths: A file, folder or glob pattern (``data/**/*.jsonl``), or several.
        format: ``"auto"`` (by extension, and ``.xml`` by content), or the format of every
            file: ``text``, ``json``, ``jsonl``, ``csv``, ``tsv``, ``html``, ``feed``, ``sgml``.
        on_error: Called with each problem as it is met (it may raise to stop).
        boilerplate: Patterns of lines the text format drops, instead of its own.
        field_map: Per field, the JSON keys or CSV columns to read it from, instead of the
            usual names (``{"headline": ["Title"]}``).
        exclude: Glob patterns of files and folders to skip, besides :data:`DEFAULT_SKIP`
            (which applies to files found in folders).

    Returns:
        A reader: iterate it for :class:`~searchkit.Article` objects.

    Raises:
        ReadError: A path does not exist, or a glob matches nothing.
        UnsupportedFormatError: An unknown ``format``, or a named file whose format cannot
            be told from its extension.
        ArgumentError: ``exclude`` is one string rather than a list of patterns, or holds
            an empty or non-string pattern.

    Examples:
        >>> from pathlib import Path
        >>> _ = Path("feed.jsonl").write_text(
        ...     '{"headline": "Olm bridge reopens", "source": "Harbor Daily", "date": "2024-05-02"}\\n'
        ...     '{"headline": 42}\\n', encoding="utf-8")
        >>> reader = read_articles("feed.jsonl")
        >>> [article.headline for article in reader]
        ['Olm bridge reopens']
        >>> [(error.location, error.field) for error in reader.errors]
        [('feed.jsonl:2', 'headline')]
    """
    if format not in get_args(Format):
        raise UnsupportedFormatError(f"unknown format {format!r}; use one of {', '.join(get_args(Format))}")
    if isinstance(exclude, str):
        raise ArgumentError(f"exclude must be a list of glob patterns, not the string {exclude!r}")
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: dict[Path, None] = {}
    explicit: set[Path] = set()
    for item in given:
        path = Path(item)
        kind = _kind_of(path)
        if kind == "file":
            if _format_of(path, format) is None:
                raise _unsupported(path, explicit=True)
            found[path] = None
            explicit.add(path)
        elif kind is not None:  # a folder, or a path that cannot be looked at (reported when read)
            found[path] = None
            explicit.add(path)
        elif _GLOB.search(str(item)):
            matches = sorted(glob.glob(str(item), recursive=True))
            if not matches:
                raise ReadError(f"the pattern {str(item)!r} matches no files")
            for match in matches:
                found[Path(match)] = None
        else:
            raise ReadError("no such file or directory", path=path)
    return ArticleReader(
        list(found), format=format, on_error=on_error, boilerplate=boilerplate, field_map=field_map,
        exclude=exclude, explicit=explicit,
    )


def _kind_of(path: Path) -> Literal["file", "folder", "unknown"] | None:
    """What is at ``path``: None when nothing; "unknown" when it cannot be looked at."""
    try:
        return "folder" if path.is_dir() else "file" if path.exists() else None
    except PermissionError:
        return "unknown"


def _patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    checked = tuple(patterns)
    for pattern in checked:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ArgumentError(f"exclude patterns must be non-empty strings; got {pattern!r}")
    return checked


def _first_match(patterns: Iterable[str], names: Sequence[str]) -> str | None:
    """The first of ``patterns`` that matches one of ``names`` (case-insensitive)."""
    folded = [name.casefold() for name in names]
    for pattern in patterns:
        wanted = pattern.casefold()
        if any(fnmatch.fnmatchcase(name, wanted) for name in folded):
            return pattern
    return None


def _wide_encoding(start: bytes) -> str | None:
    """The codec named by a UTF-16 or UTF-32 byte order mark at ``start``; else None."""
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            return encoding if encoding in _WIDE_NAMES else None
    return None



def _format_of(path: Path, format: Format) -> FileFormat | None:
    if format != "auto":
        return format
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = "".join(path.suffixes[-2:]).lower()
    kind = EXTENSIONS.get(suffix)
    if suffix == ".xml":
        try:
            with path.open("rb") as file:
                return kind if looks_like_feed(file.read(4096)) else None
        except OSError:
            return kind  # the read error is reported when the file is read
    return kind


def _unsupported(path: Path, *, explicit: bool) -> UnsupportedFormatError:
    suffix = "".join(path.suffixes[-2:]) if path.suffix.lower() == ".gz" else path.suffix
    if path.suffix.lower() == ".xml":
        what = "an .xml file that holds no RSS or Atom feed"
    else:
        what = f"the extension {suffix!r}" if suffix else "a name without an extension"
    formats = [name for name in get_args(Format) if name != "auto"]
    hint = f"pass format={', '.join(repr(f) for f in formats[:-1])} or {formats[-1]!r} to read it" if explicit else "skipped"
    return UnsupportedFormatError(
        f"cannot tell the format from {what} (known: {', '.join(EXTENSIONS)}); {hint}", path=path
    )


def _parse_text_outcome(
    text: str, location: str, boilerplate: Sequence[re.Pattern[str]]
) -> Article | ArticleError:
    try:
        return parse_text(text, location=location, boilerplate=boilerplate)
    except ArticleError as exc:
        return exc
