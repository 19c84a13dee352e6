"""Reading the stored fields of a Whoosh index as articles.

:func:`read_whoosh` opens any Whoosh index folder (made by plain Whoosh, any schema) with
Whoosh's own ``open_dir`` and returns a :class:`WhooshReader`: iterate it for
:class:`~searchkit.models.Article` objects, one stored document at a time, in document
order, skipping deleted documents. Only stored fields can be read back: a field Whoosh
indexed without storing it is gone, so it cannot become part of an article.

Each document's stored fields are mapped to an article as a JSON record is (see
:mod:`.json_format`): ``field_map`` names, per article field, the Whoosh field that holds
it, or several to try in order (``{"headline": "title", "body": ("content", "text")}``); the defaults already take ``title``, ``content``,
``text``, ``url``/``link``, ``date``/``published``... Stored fields that map to no
article field are kept in ``meta``. A Whoosh ``DATETIME`` value becomes the date (its full
timestamp in ``meta["published_at"]``).

Problems are data, as for files: a document that is not a valid article (no headline and
no body, a value of the wrong type) goes to ``reader.errors`` as an
:class:`~searchkit.errors.ArticleError` whose location is ``FOLDER document N`` (Whoosh's
document number) and reading goes on. A folder that holds no Whoosh index of that name
raises :class:`~searchkit.errors.ReadError` at once.

Whoosh keeps its table of contents as Python pickles, and ``open_dir`` unpickles them, so
only read Whoosh folders you trust (searchkit's own indexes are read without unpickling
anything that could run code; see :mod:`searchkit.engine.toc`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ArticleError, ReadError
from ..models import Article
from .json_format import article_from_record, resolve_field_map

__all__ = ["WhooshReader", "read_whoosh"]

_TOC_NAME = re.compile(r"^_(.+)_(\d+)\.toc$")


def _index_names(folder: Path) -> list[str]:
    """The index names whose tables of contents are in ``folder``."""
    return sorted({m.group(1) for name in os.listdir(folder) if (m := _TOC_NAME.match(name))})


class WhooshReader:
    """The stored documents of one Whoosh index, read lazily as articles.

    Iterating reads the index; iterating again reads it again and starts ``errors`` and the
    counters afresh. ``warnings`` and ``skipped`` are always empty (they are there so the
    reader stands wherever an :class:`~searchkit.ingest.ArticleReader` does). Made by
    :func:`read_whoosh`, which checks its arguments.

    Args:
        path: The folder of the Whoosh index.
        indexname: The Whoosh index name (None: ``MAIN``).
        field_map: Per article field, the Whoosh field (or fields, tried in order) holding it.
        on_error: Called with each bad document as it is met.

    Attributes:
        errors: The bad documents met by the last iteration.
        documents_read: Whoosh documents read by the last iteration.
        articles_read: Articles yielded by the last iteration.
    """

    def __init__(
        self,
        path: Path,
        *,
        indexname: str | None = None,
        field_map: Mapping[str, str | Sequence[str]] | None = None,
        on_error: Callable[[ArticleError | ReadError], object] | None = None,
    ) -> None:
        self.path = path
        self.indexname = indexname
        self.on_error = on_error
        self._field_map = resolve_field_map(
            {field: (names,) if isinstance(names, str) else names for field, names in (field_map or {}).items()}
        )
        self.errors: list[ArticleError | ReadError] = []
        self.warnings: list[str] = []
        self.skipped: list[Any] = []
        self.documents_read = 0
        self.articles_read = 0

    def __repr__(self) -> str:
        return f"<WhooshReader {self.path} {self.articles_read} articles read, {len(self.errors)} errors>"

    def _report(self, error: ArticleError | ReadError) -> None:
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def __iter__(self) -> Iterator[Article]:
        import whoosh.index

        self.errors, self.warnings = [], []
        self.documents_read = self.articles_read = 0
        ix = whoosh.index.open_dir(str(self.path), indexname=self.indexname)
        with ix.reader() as reader:
            for docnum in reader.all_doc_ids():
                location = f"{self.path} document {docnum}"
                self.documents_read += 1
                try:
                    stored = reader.stored_fields(docnum)
                except Exception as exc:  # noqa: BLE001 - a damaged document is reported, the rest read
                    self._report(ReadError(f"document {docnum} cannot be read: {exc}", path=self.path))
                    continue
                try:
                    article = article_from_record(stored, location=location, field_map=self._field_map)
                except ArticleError as exc:
                    self._report(exc)
                    continue
                self.articles_read += 1
                yield article


def read_whoosh(
    path: str | os.PathLike[str],
    *,
    field_map: Mapping[str, str | Sequence[str]] | None = None,
    indexname: str | None = None,
    on_error: Callable[[ArticleError | ReadError], object] | None = None,
) -> WhooshReader:
    """Read the stored documents of the Whoosh index in folder ``path`` as articles.

    Only stored fields can be read. The module docstring says how fields are matched.

    Args:
        path: The folder of the Whoosh index.
        field_map: Per article field, the Whoosh field that holds it, or a list of them to
            try in order (``{"headline": "title", "body": ["content", "text"]}``).
        indexname: The Whoosh index name (None: Whoosh's default, ``MAIN``).
        on_error: Called with each bad document as it is met.

    Returns:
        A reader: iterate it for :class:`~searchkit.Article` objects.

    Raises:
        ReadError: ``path`` is not a folder or holds no Whoosh index of that name (the
            message names the index names it does hold).
    """
    import whoosh.index

    folder = Path(path)
    if not folder.is_dir():
        raise ReadError("is not a folder; give the folder of a Whoosh index", path=folder)
    name = indexname or "MAIN"
    if not whoosh.index.exists_in(str(folder), indexname=name):
        names = _index_names(folder)
        hint = (f"it holds Whoosh indexes named {', '.join(repr(n) for n in names)}: give one of them as the index name (indexname=, or --whoosh-index in the CLI)"
                if names else "it holds no Whoosh index (no _NAME_<n>.toc file)")
        raise ReadError(f"holds no Whoosh index named {name!r}; {hint}", path=folder)
    reader = WhooshReader(folder, indexname=name, field_map=field_map, on_error=on_error)
    return reader
