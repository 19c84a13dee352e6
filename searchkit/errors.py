"""Every error searchkit raises on purpose, in one tree.

::

    SearchkitError                      catch this to catch anything searchkit raises
    ├── ArticleError(ValueError)        one article is invalid: which field, where it came from
    ├── ReadError(ValueError)           a file cannot be read as articles at all
    │   └── UnsupportedFormatError      the file's format is not one searchkit reads
    ├── QueryError(ValueError)          a query cannot be run
    │   ├── QuerySyntaxError            strict parsing failed: says at which character
    │   ├── QueryTooComplexError        the query would cost more than the documented bounds
    │   └── QueryArgumentTypeError(TypeError)  a search argument has the wrong type
    ├── ArticleNotFoundError(KeyError)  no article with that id (``Index.duplicates``...)
    ├── IndexNotFoundError(FileNotFoundError)   no index at that path
    ├── IndexExistsError(FileExistsError)       something is already at that path
    ├── IndexVersionError               the index was made by an incompatible searchkit
    ├── IndexCorruptError               files are missing or damaged (see ``Index.check``)
    ├── IndexLockedError(TimeoutError)  another writer held the lock past the timeout
    ├── IndexClosedError(ValueError)    the Index was closed; open it again to use it
    ├── BatchError(RuntimeError)        a batch used wrongly: nested, shared, or after its end
    ├── ForeignWriterError(PermissionError)  Whoosh's own writer was pointed at a searchkit index
    ├── IndexOptionError(ValueError)    a write option has a wrong value (``commit_every``...)
    ├── IndexWriteError(OSError)        the file system refused a write; nothing more was committed
    │   ├── IndexReadOnlyError(PermissionError)  the index folder cannot be written
    │   └── IndexFullError              no space left on the device holding the index
    ├── UnsafePathError(ValueError)     a path tries to reach outside the folder it names
    ├── ArgumentError(ValueError)       an argument has a value the function does not take
    ├── IndexURLError(ValueError)       an OpenSearch index URL or its settings are malformed
    ├── ClusterError(ConnectionError)   an OpenSearch cluster refused, timed out or failed a request
    │   └── ClusterAuthError            the cluster refused the credentials (401/403)
    └── MissingExtraError(ImportError)  an optional extra (opensearch-py) is not installed

Each error mixes in the builtin a caller would naturally catch, so ``except ValueError``
around a call that validates input keeps working. Messages say what was wrong, where
(file:line, field, query position) and, where there is one, what to do about it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ArticleError",
    "ArticleNotFoundError",
    "BatchError",
    "ClusterAuthError",
    "ClusterError",
    "ForeignWriterError",
    "IndexClosedError",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexFullError",
    "IndexNotFoundError",
    "IndexOptionError",
    "IndexReadOnlyError",
    "IndexURLError",
    "IndexVersionError",
    "IndexWriteError",
    "MissingExtraError",
    "QueryArgumentTypeError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTooComplexError",
    "ReadError",
    "SearchkitError",
    "UnsafePathError",
    "ArgumentError",
    "UnsupportedFormatError",
]


class SearchkitError(Exception):
    """The root of every error searchkit raises on purpose."""


class ArticleError(SearchkitError, ValueError):
    """One article is invalid.

    ``location`` says where it came from (``file.txt``, ``feed.jsonl:17``, ``record 3``)
    and ``field`` which field was wrong, when one was.

    Args:
        reason: What is wrong with it.
        location: Where it came from.
        field: The field at fault.

    Examples:
        >>> str(ArticleError("must be text", location="feed.jsonl:17", field="headline"))
        "feed.jsonl:17: field 'headline': must be text"
    """

    def __init__(self, reason: str, *, location: str | None = None, field: str | None = None):
        self.reason = reason
        self.location = location
        self.field = field
        where = f"{location}: " if location else ""
        what = f"field {field!r}: " if field else ""
        super().__init__(f"{where}{what}{reason}")


class ReadError(SearchkitError, ValueError):
    """A file cannot be read as articles (missing, unreadable, or not articles at all).

    Args:
        reason: What went wrong.
        path: The file (None when no file is concerned).
        line: The line of the file, when one is at fault.
    """

    def __init__(self, reason: str, *, path: Path | str | None = None, line: int | None = None):
        self.reason = reason
        self.path = Path(path) if path is not None else None
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{reason}")


class UnsupportedFormatError(ReadError):
    """The file's format is not one searchkit reads."""


class QueryError(SearchkitError, ValueError):
    """A query cannot be run."""


class QuerySyntaxError(QueryError):
    """Strict parsing failed. ``position`` is the 0-based character offset in the query.

    Args:
        reason: What is wrong (``missing ')'``).
        query: The whole query.
        position: Where, as a 0-based character offset in ``query``.

    Examples:
        >>> print(QuerySyntaxError("missing ')'", query="flood AND (", position=11))
        missing ')' at position 11
          flood AND (
                     ^
    """

    def __init__(self, reason: str, *, query: str, position: int):
        self.reason = reason
        self.query = query
        self.position = position
        # Show at most 30 characters either side, so messages stay short for any query.
        start = max(0, position - 30)
        excerpt = query[start : position + 30]
        lead = "…" if start else ""
        tail = "…" if position + 30 < len(query) else ""
        pointer = " " * (len(lead) + position - start) + "^"
        super().__init__(f"{reason} at position {position}\n  {lead}{excerpt}{tail}\n  {pointer}")


class QueryTooComplexError(QueryError):
    """The query exceeds a documented bound (terms, nesting, expansions, edit distance)."""


class QueryArgumentTypeError(QueryError, TypeError):
    """A search argument has the wrong type (``limit=1.5``); the message names it and what is accepted."""


class ArticleNotFoundError(SearchkitError, KeyError):
    """No live article has the id a call names (``Index.duplicates(article_id)``...).

    ``article_id`` is the id asked for and ``path`` the index; ``except KeyError`` catches it.

    Args:
        article_id: The id asked for.
        path: The index (its folder, or a cluster index's URL).
    """

    def __init__(self, article_id: str, path: Path | str):
        self.article_id = article_id
        self.path = Path(path)
        super().__init__(f"no article with id {article_id!r} in the index {path}; "
                         "list the ids with `searchkit export` or check the id's spelling")

    def __str__(self) -> str:  # KeyError's own str() would show the message in quotes
        return str(self.args[0])


class IndexNotFoundError(SearchkitError, FileNotFoundError):
    """There is no searchkit index at the path.

    Args:
        path: Where an index was looked for.
        hint: What to do, added to the message.
    """

    def __init__(self, path: Path | str, hint: str = ""):
        self.path = Path(path)
        message = f"no searchkit index at {path}"
        super().__init__(f"{message}; {hint}" if hint else message)


class IndexExistsError(SearchkitError, FileExistsError):
    """``Index.create`` found something already at the path.

    Args:
        path: Where the index was to be created.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(
            f"{path} already exists; open it with Index.open, or choose an empty or new folder"
        )


class IndexVersionError(SearchkitError):
    """The index was written by an incompatible version of searchkit."""


class IndexCorruptError(SearchkitError):
    """Index files are missing or damaged."""


class IndexLockedError(SearchkitError, TimeoutError):
    """Another writer held the index's write lock for longer than the timeout.

    Args:
        path: The index.
        timeout: Seconds waited.
        holder: Who holds the lock (``pid N on HOST since TIME``), when known.
    """

    def __init__(self, path: Path | str, timeout: float, holder: str | None = None):
        self.path = Path(path)
        self.timeout = timeout
        self.holder = holder
        by = f" by {holder}" if holder else ""
        super().__init__(
            f"index {path} is locked{by}; waited {timeout:g}s for the write lock. "
            "Retry later or raise lock_timeout"
        )


class IndexClosedError(SearchkitError, ValueError):
    """The :class:`~searchkit.Index` was closed (``close()`` or the end of its ``with``
    block); like a closed file, it cannot be used again: open the index anew.

    Args:
        path: The index's folder.
    """

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"the index {path} is closed; open it again with Index.open({str(path)!r})")


class BatchError(SearchkitError, RuntimeError):
    """A batch was used wrongly: one inside another on the same index, or after it ended."""


class ForeignWriterError(SearchkitError, PermissionError):
    """A writer other than searchkit's (Whoosh's ``ix.writer()``) tried to write a searchkit
    index. It is refused before it writes anything; searchkit's ``Index.add`` writes."""


class IndexOptionError(SearchkitError, ValueError):
    """An option of a write (``add_many``'s ``commit_every``, ``commit_interval``) is wrong."""


class IndexWriteError(SearchkitError, OSError):
    """The file system refused a write to the index. ``path`` is the index folder,
    ``filename`` the file being written and ``errno`` the system's error number. The
    index keeps its last commit: what the write had not committed is dropped.

    Args:
        message: What failed and what to do, naming the file.
        path: The index folder.
        filename: The file being written, when known.
        errno: The system's error number, when known.
    """

    def __init__(self, message: str, *, path: Path | str, filename: str | None, errno: int | None):
        super().__init__(message)
        self.message = message
        self.path = Path(path)
        self.filename = filename
        self.errno = errno

    def __str__(self) -> str:  # OSError's own would show only errno and filename
        return self.message


class IndexReadOnlyError(IndexWriteError, PermissionError):
    """The index folder cannot be written: a read-only file system or no write permission."""


class IndexFullError(IndexWriteError):
    """No space (or quota) left on the device that holds the index."""


class ArgumentError(SearchkitError, ValueError):
    """An argument has a value the function does not take (``Snippet.render``'s ``format``,
    ``read_articles``' ``exclude`` patterns); the message names the argument and what it accepts."""


class UnsafePathError(SearchkitError, ValueError):
    """A user-supplied path or name tries to reach outside the folder it names."""


class IndexURLError(SearchkitError, ValueError):
    """An OpenSearch index URL (``http://host:9200/name``) or a connection setting is malformed."""


class ClusterError(SearchkitError, ConnectionError):
    """An OpenSearch cluster could not serve a request: refused, timed out, red or failed.

    The message names the cluster and index (never credentials), what was being done, and
    what to try.
    """


class ClusterAuthError(ClusterError):
    """The OpenSearch cluster refused the credentials (HTTP 401) or the permission (403)."""


class MissingExtraError(SearchkitError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""
