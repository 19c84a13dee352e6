"""CSV and TSV articles (``.csv``, ``.tsv``), one article per row, read with :mod:`csv`.

The first row names the columns. Columns map to article fields through the same aliases
as JSON keys (:data:`~.json_format.DEFAULT_FIELD_MAP`: ``title``, ``content``,
``publication``, ``date``, ``url``...; ``field_map=`` or the CLI's ``--map
field=column`` changes them); every other non-empty cell is kept in ``meta`` under its
column name (``author``, ``year``...). Empty cells are absent values. A column with an
empty name (the row number pandas writes as the first column) is dropped.

``.csv`` is comma-separated, ``.tsv`` tab-separated; fields may be quoted and span lines
(standard CSV quoting). Files are streamed row by row: memory stays flat however large the
file. A cell may hold up to :data:`MAX_CELL` characters.

Problems are per row and located ``file.csv:LINE (row N)``, where LINE is the line the row
starts on and N counts data rows from 1: a row with more cells than the header has, a row
that is not valid CSV, a value of the wrong form (a date that is not one). A file without
a header row is a :class:`~searchkit.errors.ReadError`, as is a header that names the same
column twice.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Literal

from ..errors import ArticleError, ReadError
from ..models import Article
from .json_format import DEFAULT_FIELD_MAP, FieldMap, article_from_record

__all__ = ["DELIMITERS", "MAX_CELL", "parse_csv"]

MAX_CELL = 16 * 1024 * 1024
DELIMITERS: dict[Literal["csv", "tsv"], str] = {"csv": ",", "tsv": "\t"}

if csv.field_size_limit() < MAX_CELL:
    csv.field_size_limit(MAX_CELL)


class _Lines:
    """Iterates text lines for :func:`csv.reader`, counting them so rows can be located."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


def parse_csv(
    lines: Iterable[str],
    *,
    path: str,
    kind: Literal["csv", "tsv"] = "csv",
    field_map: FieldMap = DEFAULT_FIELD_MAP,
) -> Iterator[Article | ArticleError | ReadError]:
    """The articles of one CSV/TSV file given as lines (with their line ends), row by row."""
    counted = _Lines(lines)
    rows = csv.reader(counted, delimiter=DELIMITERS[kind], strict=False)
    header: list[str] | None = []
    while header is not None and not any(cell.strip() for cell in header):  # skip leading blank lines
        try:
            header = next(rows, None)
        except csv.Error as exc:
            yield ReadError(f"the header row is not valid {kind.upper()}: {exc}", path=path, line=counted.count)
            return
    if header is None:
        yield ReadError(f"is empty; a {kind.upper()} file needs a header row naming its columns", path=path)
        return
    names = [cell.strip().lstrip("\ufeff") for cell in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            yield ReadError(
                f"the header names the column {name!r} twice; rename one (every column needs its own name)",
                path=path, line=counted.count,
            )
            return
        seen.add(name)
    number = 0
    while True:
        start = counted.count + 1
        try:
            row = next(rows, None)
        except csv.Error as exc:
            number += 1
            yield ArticleError(f"is not valid {kind.upper()}: {exc}", location=f"{path}:{start} (row {number})")
            continue
        if row is None:
            return
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        number += 1
        location = f"{path}:{start} (row {number})"
        if len(row) > len(names):
            yield ArticleError(
                f"has {len(row)} cells but the header names {len(names)} columns "
                "(an unquoted delimiter in a value?)",
                location=location,
            )
            continue
        record = {name: cell for name, cell in zip(names, row) if name and cell.strip()}
        try:
            yield article_from_record(record, location=location, field_map=field_map)
        except ArticleError as exc:
            yield exc
