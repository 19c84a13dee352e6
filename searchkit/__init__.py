"""searchkit: full-text search over news articles.

Read articles from files, add them to an index, search with filters and facets::

    import searchkit

    index = searchkit.Index.create("indexes/news")
    report = index.add_many(searchkit.read_articles("articles/"))
    results = index.search("flood damage", sources=["Harbor Daily"], limit=5)
    for hit in results.hits:
        print(hit.headline, hit.snippets[0].render("text"))
"""

from .errors import (
    ArticleError,
    IndexCorruptError,
    IndexExistsError,
    IndexFullError,
    IndexLockedError,
    IndexNotFoundError,
    IndexOptionError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    QueryArgumentTypeError,
    QueryError,
    QuerySyntaxError,
    QueryTooComplexError,
    ReadError,
    SearchkitError,
    UnsafePathError,
    UnsupportedFormatError,
)
from .engine.execute import Ranking
from .index import AddReport, CheckReport, Index, IndexStats, Progress, Rejection, check
from .ingest import ArticleReader, read_articles
from .models import Article, FacetValue, Facets, Hit, SearchResults, Snippet
from .query import parse_query

from ._version import __version__

__all__ = [
    "AddReport",
    "Article",
    "CheckReport",
    "ArticleError",
    "ArticleReader",
    "FacetValue",
    "Facets",
    "Hit",
    "Index",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexFullError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexOptionError",
    "IndexReadOnlyError",
    "IndexStats",
    "IndexVersionError",
    "IndexWriteError",
    "Progress",
    "QueryArgumentTypeError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTooComplexError",
    "Ranking",
    "ReadError",
    "Rejection",
    "SearchResults",
    "SearchkitError",
    "Snippet",
    "UnsafePathError",
    "UnsupportedFormatError",
    "__version__",
    "check",
    "parse_query",
    "read_articles",
]
