"""Retries that wait: opensearch-py's transport, with a pause before each new attempt.

opensearch-py retries a request that timed out, could not connect, or got one of the
statuses it is told to retry (searchkit: 429, 502, 503, 504), but with one host it sends the
next attempt at once, when a busy cluster needs a moment. :class:`BackoffTransport` waits
:data:`RETRY_BASE` seconds before the first retry, doubling each time up to
:data:`RETRY_CAP` (0.5 s, 1 s, 2 s for the 3 retries of :func:`~.connection.make_client`),
and logs each retry at INFO on the ``searchkit`` logger (the index URL, never credentials).

Only imported once opensearch-py is known to be installed (:func:`~.connection.make_client`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from opensearchpy import Transport

from .._log import log

__all__ = ["RETRY_BASE", "RETRY_CAP", "BackoffTransport"]

RETRY_BASE = 0.5  # seconds before the first retry
RETRY_CAP = 8.0  # the longest wait between two attempts


class BackoffTransport(Transport):
    """opensearch-py's :class:`~opensearchpy.Transport`, waiting before each retry.

    Args:
        hosts: As for :class:`~opensearchpy.Transport`.
        where: The index URL (without credentials) that log records name.
        kwargs: The rest of :class:`~opensearchpy.Transport`'s options.
    """

    def __init__(self, hosts: Any, *, where: str = "", **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self._where = where
        self._retries = threading.local()

    def perform_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send one request, retrying (after a wait) as opensearch-py decides."""
        self._retries.count = 0
        self._retries.request = f"{method} {url.split('?', 1)[0]}"
        return super().perform_request(method, url, *args, **kwargs)

    def mark_dead(self, connection: Any) -> None:
        """Called by the transport before each retry: wait, longer each time."""
        super().mark_dead(connection)
        count = getattr(self._retries, "count", 0)
        self._retries.count = count + 1
        if count >= self.max_retries:  # the last attempt failed: no retry follows
            return
        wait = min(RETRY_BASE * 2**count, RETRY_CAP)
        log(logging.INFO, self._where, "retrying %s on %s in %.1f s (retry %d of %d)",
            getattr(self._retries, "request", "a request"), self._where, wait, count + 1, self.max_retries)
        time.sleep(wait)
