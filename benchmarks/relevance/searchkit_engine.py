"""searchkit behind the benchmark's engine interface, with the library's defaults.

Each doc becomes ``searchkit.Article(id=..., headline=title, body=text)`` (no headline
when the title is empty, as in NPL); docs with neither title nor text (Cranfield 471
and 995) are left out, since no query can match them. Queries go to
``Index.search(text, limit=k, snippets=False, facets=False)`` as raw text: every other
choice (analysis, query parsing, field weights, ranking) is searchkit's default, which
is what this benchmark measures. The index lives in a temporary directory.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["SearchkitEngine", "available"]


def available() -> str | None:
    """None when ``searchkit.Index`` can be used, else why not (for the report)."""
    try:
        searchkit = importlib.import_module("searchkit")
    except ImportError as exc:
        return f"searchkit does not import: {exc}"
    missing = [name for name in ("Index", "Article") if not hasattr(searchkit, name)]
    return f"searchkit has no {' or '.join(missing)} yet" if missing else None


class SearchkitEngine:
    """A searchkit index built with ``Index.create`` and searched with defaults."""

    name = "searchkit"

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="relevance-searchkit-")
        self._index: Any = None

    def index(self, docs: Mapping[str, tuple[str, str]]) -> None:
        searchkit: Any = importlib.import_module("searchkit")  # the API is the spec, not yet typed here
        self._index = searchkit.Index.create(Path(self._dir.name))
        articles = [
            searchkit.Article(id=docid, headline=title, body=text) if title else searchkit.Article(id=docid, body=text)
            for docid, (title, text) in docs.items()
            if title.strip() or text.strip()
        ]
        self._index.add_many(articles)

    def search(self, text: str, k: int = 1000) -> list[str]:
        results = self._index.search(text, limit=k, snippets=False, facets=False)
        return [hit.id for hit in results.hits]

    def close(self) -> None:
        """Close the index when it can be closed, and remove its directory."""
        close = getattr(self._index, "close", None)
        if callable(close):
            close()
        self._dir.cleanup()
