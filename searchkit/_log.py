"""searchkit's logging: one standard :mod:`logging` logger, ``searchkit``, silent by default.

The logger has a :class:`logging.NullHandler`, so nothing is printed until the application
configures logging (``logging.basicConfig(level=logging.INFO)``, for example). Every record
names the index in its message and carries it as ``record.index_path`` for filters.

========  ==========================================================================
Level     What
========  ==========================================================================
INFO      a writer waits for an index's write lock, and when it gets it
INFO      a commit (generation, articles, segments) and a merge of segments
INFO      a search slower than the index's ``slow_search`` threshold (1 s by default)
INFO      a snapshot re-read because a writer replaced files meanwhile (a retry)
WARNING   an article skipped by ``add_many`` (where it came from and which field)
WARNING   a writer gave up waiting for the lock
DEBUG     why an article was skipped (the reason may quote the article's text)
========  ==========================================================================

Article text and credentials never appear at INFO or above. A slow search's record holds
the query (cut to 200 characters), which is what the application was asked to search for.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec

if TYPE_CHECKING:
    from .index import Index, Rejection
    from .models import SearchResults

__all__ = ["logger", "log", "logs_slow_searches", "log_skipped"]

logger = logging.getLogger("searchkit")
logger.addHandler(logging.NullHandler())

_P = ParamSpec("_P")
_QUERY_CHARS = 200


def log(level: int, path: str | os.PathLike[str], message: str, *args: object) -> None:
    """Log ``message % args`` about the index at ``path`` (also set as ``record.index_path``)."""
    if logger.isEnabledFor(level):
        logger.log(level, message, *args, extra={"index_path": os.fspath(path)})


def log_skipped(path: str | os.PathLike[str], rejection: Rejection) -> None:
    """An article ``add_many`` did not index: where from and which field at WARNING, the
    reason (which may quote its text) at DEBUG."""
    where = rejection.location or "an article"
    field = f" (field {rejection.field})" if rejection.field else ""
    log(logging.WARNING, path, "skipped %s%s while adding to %s", where, field, os.fspath(path))
    log(logging.DEBUG, path, "skipped %s while adding to %s: %s", where, os.fspath(path), rejection.reason)


def logs_slow_searches(
    search: Callable[Concatenate[Index, _P], SearchResults],
) -> Callable[Concatenate[Index, _P], SearchResults]:
    """Wrap :meth:`Index.search` to log the searches slower than ``index.slow_search`` seconds."""

    @functools.wraps(search)
    def timed(index: Index, /, *args: _P.args, **kwargs: _P.kwargs) -> SearchResults:
        started = time.perf_counter()
        results = search(index, *args, **kwargs)
        seconds = time.perf_counter() - started
        threshold = index.slow_search
        if threshold is not None and seconds >= threshold:
            query = results.query if len(results.query) <= _QUERY_CHARS else results.query[:_QUERY_CHARS] + "…"
            log(logging.INFO, index.path, "slow search on %s: %.3f s (threshold %.3f s), %d matches for %r",
                index.path, seconds, threshold, results.total, query)
        return results

    return timed
