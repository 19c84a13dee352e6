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
    UnsupportedFormatError,
)
from .engine.execute import Ranking
from .engine.writer import WriterOptions
from .index import AddReport, Batch, CheckReport, Index, IndexStats, Progress, Rejection, check
from .ingest import ArticleReader, WhooshReader, read_articles, read_whoosh
from .models import Article, Explanation, FacetValue, Facets, Hit, Recency, SearchResults, Snippet
from .opensearch import OpenSearchIndex
from .protocol import SearchIndex, open_index
from .query import parse_query

from ._version import __version__

__all__ = [
    "AddReport",
    "Article",
    "CheckReport",
    "ArticleError",
    "ArticleNotFoundError",
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
    "WhooshReader",
    "WriterOptions",
    "UnsafePathError",
    "UnsupportedFormatError",
    "__version__",
    "check",
    "open_index",
    "parse_query",
    "read_articles",
    "read_whoosh",
]
