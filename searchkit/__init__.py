"""searchkit: full-text search over news articles.

Read articles from files, add them to an index, search with filters and facets (here
the sample articles that come with searchkit):

>>> import searchkit
>>> from importlib import resources
>>> index = searchkit.Index.create("indexes/example")
>>> with resources.as_file(resources.files("searchkit") / "samples") as samples:
...     report = index.add_many(searchkit.read_articles(samples))
>>> report.added
30
>>> results = index.search("flood damage", sources=["Eastgate Observer"], limit=5)
>>> for hit in results.hits:
...     print(hit.date, hit.headline)
2023-04-11 Olmsdale flood damage estimated at $86.4 million, officials say
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import (
    ArticleError,
    ArticleNotFoundError,
    BatchError,
    ClusterAuthError,
    ClusterError,
    ForeignWriterError,
    IndexClosedError,
    IndexCorruptError,
    IndexExistsError,
    IndexFullError,
    IndexLockedError,
    IndexNotFoundError,
    IndexOptionError,
    IndexReadOnlyError,
    IndexURLError,
    IndexVersionError,
    IndexWriteError,
    MissingExtraError,
    QueryArgumentTypeError,
    QueryError,
    QuerySyntaxError,
    QueryTooComplexError,
    ReadError,
    SearchkitError,
    UnsafePathError,
    ArgumentError,
    UnsupportedFormatError,
)

# Start-up: the errors are light and imported at once; everything else (numpy, Whoosh,
# pydantic behind it) is imported on first use of its name (PEP 562), so `searchkit --help`
# and `import searchkit` stay quick. Type checkers and the reference read the imports below.
if TYPE_CHECKING:
    from .engine.execute import Ranking
    from .engine.writer import WriterOptions
    from .index import AddReport, Batch, CheckReport, Index, IndexStats, Progress, Rejection, check
    from .ingest import ArticleReader, WhooshReader, read_articles, read_whoosh
    from .models import (
        Article, DuplicateRef, Explanation, FacetValue, Facets, Hit, Recency, SearchResults, Snippet, Story,
    )
    from .opensearch import OpenSearchIndex
    from .protocol import SearchIndex, WriteBatch, open_index
    from .query import parse_query

_LAZY: dict[str, str] = {
    "Ranking": ".engine.execute",
    "WriterOptions": ".engine.writer",
    **dict.fromkeys(("AddReport", "Batch", "CheckReport", "Index", "IndexStats", "Progress", "Rejection",
                     "check"), ".index"),
    **dict.fromkeys(("ArticleReader", "WhooshReader", "read_articles", "read_whoosh"), ".ingest"),
    **dict.fromkeys(("Article", "DuplicateRef", "Explanation", "FacetValue", "Facets", "Hit", "Recency",
                     "SearchResults", "Snippet", "Story"), ".models"),
    "OpenSearchIndex": ".opensearch",
    **dict.fromkeys(("SearchIndex", "WriteBatch", "open_index"), ".protocol"),
    "parse_query": ".query",
}


if not TYPE_CHECKING:  # hidden from type checkers, so `searchkit.Indx` stays an error for them

    def __getattr__(name: str) -> object:
        """Import a public name's module on first use and keep the name here (PEP 562)."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AddReport",
    "Article",
    "CheckReport",
    "ArticleError",
    "ArticleNotFoundError",
    "DuplicateRef",
    "Explanation",
    "ArticleReader",
    "Batch",
    "BatchError",
    "ClusterAuthError",
    "ClusterError",
    "FacetValue",
    "Facets",
    "ForeignWriterError",
    "Hit",
    "Index",
    "IndexClosedError",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexFullError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexOptionError",
    "IndexReadOnlyError",
    "IndexStats",
    "IndexURLError",
    "IndexVersionError",
    "IndexWriteError",
    "MissingExtraError",
    "OpenSearchIndex",
    "Progress",
    "QueryArgumentTypeError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTooComplexError",
    "Ranking",
    "ReadError",
    "Recency",
    "Rejection",
    "SearchIndex",
    "SearchResults",
    "SearchkitError",
    "Snippet",
    "Story",
    "WhooshReader",
    "WriteBatch",
    "WriterOptions",
    "UnsafePathError",
    "ArgumentError",
    "UnsupportedFormatError",
    "__version__",
    "check",
    "open_index",
    "parse_query",
    "read_articles",
    "read_whoosh",
]
