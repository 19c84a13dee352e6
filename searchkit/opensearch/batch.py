""":class:`OpenSearchBatch`: several writes to an OpenSearch index, sent together at the end.

The contract of :meth:`searchkit.Index.batch`, on a cluster: ``add``, ``add_many`` and
``delete`` answer at once, with the counts the embedded batch gives (an article is classified
against the index plus what the batch holds so far), but nothing is sent: the writes are kept
in memory. A clean exit from the ``with`` block sends them in bulk requests of
:data:`~searchkit.opensearch.index.BULK_CHUNK` and refreshes the index once; an exception in
the block sends nothing, so the index is as it was.

**What "atomic" means here.** The cluster has no transactions: a bulk request is applied
article by article, and each article is written on its own shard. So the end of a batch is
all-or-nothing from the client's side only: on an exception nothing is sent, and each
article (or deletion) is acknowledged or refused on its own. Searches on other clients may
see the first bulk requests before the last are applied (the index refreshes about every
second). If the cluster fails while the batch is being sent, :meth:`OpenSearchBatch.__exit__`
raises :class:`~searchkit.errors.ClusterError` saying how many writes the cluster
acknowledged before the failure (they are durable), that those of the failed request may or
may not have landed, and that the rest were not sent; :attr:`OpenSearchBatch.report` and
:attr:`OpenSearchBatch.deleted` then count exactly what was acknowledged. Running the same
batch again is safe: an article already written counts ``unchanged``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import BatchError, ClusterError
from ..index import AddReport, Rejection, article_or_rejection, reader_rejections
from ..models import Article
from .index import BULK_CHUNK, MAX_ID_BYTES, Action, OpenSearchIndex

__all__ = ["OpenSearchBatch"]


class OpenSearchBatch:
    """Writes to one :class:`~searchkit.opensearch.OpenSearchIndex` sent together when the
    ``with`` block ends cleanly; made by :meth:`OpenSearchIndex.batch
    <searchkit.opensearch.OpenSearchIndex.batch>`.

    After a clean exit, :attr:`report` says what the batch did to the index: ``added`` and
    ``replaced`` count articles by their state before the batch (an article added and then
    changed in the batch is one article added), ``unchanged`` and ``rejected`` sum the
    calls' reports plus any article the cluster refused; :attr:`deleted` counts the articles
    that were in the index before the batch and are gone.
    """

    def __init__(self, index: OpenSearchIndex):
        self._index = index
        self._thread: int | None = None
        self._started = False
        self._ended = False
        self._buffer: dict[str, Action] = {}  # id -> the last article written to it in the batch
        self._deleting: set[str] = set()  # ids in the index before the batch, deleted in it
        self._before: dict[str, bool] = {}  # id -> in the index before the batch (ids the batch saw)
        self._unchanged = 0
        self._rejected: list[Rejection] = []
        self._source_names: dict[str, str] = {}
        self.report: AddReport | None = None
        """What the batch did, once its block has ended (None before, or after an exception)."""
        self.deleted = 0
        """How many articles of the index the batch deleted, once its block has ended."""

    def __enter__(self) -> OpenSearchBatch:
        if self._started:
            raise BatchError(f"this batch on the index {self._index.url} was already used; "
                             "start a new one with index.batch()")
        self._index._begin_batch(self)
        self._started, self._thread = True, threading.get_ident()
        self._source_names = dict(self._index._source_names)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if not self._started or self._ended:
            return
        self._ended = True
        self._index._end_batch(self)
        if kind is not None:  # nothing was sent; forget the display names its sources taught
            self._index._source_names = self._source_names
            return
        self._send()

    def _open(self) -> None:
        if not self._started or self._ended:
            state = "has ended" if self._ended else "has not started: use it in a with block"
            raise BatchError(f"this batch on the index {self._index.url} {state}")
        if threading.get_ident() != self._thread:
            raise BatchError(f"this batch on the index {self._index.url} belongs to another thread; "
                             "each thread needs its own batch")

    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article when the batch ends."""
        return self.add_many([article])

    def add_many(self, articles: Iterable[Article | Mapping[str, Any]]) -> AddReport:
        """Add articles as :meth:`OpenSearchIndex.add_many` counts them, sent when the batch ends.

        Args:
            articles: Articles or their dicts (records that are not valid articles are rejected).

        Returns:
            What this call will do: ``added``/``replaced``/``unchanged`` against the index plus
            the batch's earlier writes, ``rejected`` for invalid articles.

        Raises:
            BatchError: outside the batch's ``with`` block, or from another thread.
            ClusterError: the cluster could not be asked which articles it has.
        """
        self._open()
        started = time.perf_counter()
        counts = {"added": 0, "replaced": 0, "unchanged": 0}
        rejected: list[Rejection] = []
        chunk: list[tuple[int, Article]] = []
        for number, item in enumerate(articles, start=1):
            article = article_or_rejection(item, number)
            if isinstance(article, Rejection):
                rejected.append(article)
            else:
                chunk.append((number, article))
        known: dict[str, str | None] = {key: None for key in self._deleting}
        written = set(self._buffer)
        for action in self._index._classify(chunk, written, counts, rejected, known=known):
            number, article, outcome = action
            counts[outcome] += 1
            self._before.setdefault(article.id, outcome == "replaced" and article.id not in known)
            self._deleting.discard(article.id)
            self._buffer[article.id] = action
        for _, article in chunk:  # unchanged articles: in the index before, as they are
            if len(article.id.encode("utf-8")) <= MAX_ID_BYTES:
                self._before.setdefault(article.id, True)
        rejected.extend(reader_rejections(articles))
        self._unchanged += counts["unchanged"]
        self._rejected.extend(rejected)
        return AddReport(added=counts["added"], replaced=counts["replaced"], unchanged=counts["unchanged"],
                         rejected=rejected, seconds=round(time.perf_counter() - started, 3))

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id when the batch ends (also ones added earlier in it).

        Args:
            article_ids: One id or several.

        Returns:
            How many of them the index plus the batch's earlier writes hold.

        Raises:
            BatchError: outside the batch's ``with`` block, or from another thread.
            ClusterError: the cluster could not be asked which articles it has.
        """
        self._open()
        wanted = [i for i in ([article_ids] if isinstance(article_ids, str) else article_ids)
                  if isinstance(i, str) and i and len(i.encode("utf-8")) <= MAX_ID_BYTES]
        unseen = sorted({i for i in wanted if i not in self._before})
        self._before.update(dict.fromkeys(self._index._present(unseen), True))
        for article_id in unseen:
            self._before.setdefault(article_id, False)
        count = 0
        for article_id in dict.fromkeys(wanted):
            if self._buffer.pop(article_id, None) is not None:
                count += 1
            elif self._before[article_id] and article_id not in self._deleting:
                count += 1
            if self._before[article_id]:
                self._deleting.add(article_id)
        return count

    def _send(self) -> None:
        """Send the batch: its articles, then its deletions; refresh once."""
        index = self._index
        actions = [(number, article, "replaced" if self._before.get(article.id) else "added")
                   for number, article, _ in self._buffer.values()]
        counts = {"added": 0, "replaced": 0, "unchanged": 0}
        rejected: list[Rejection] = []
        written: set[str] = set()
        deleting = sorted(self._deleting)
        total = len(actions) + len(deleting)
        started = time.perf_counter()
        step = BULK_CHUNK
        try:
            for at in range(0, len(actions), step):
                index._send(actions[at: at + step], written, counts, rejected)
            for at in range(0, len(deleting), step):
                self.deleted += index._bulk_delete(deleting[at: at + step])
        except ClusterError as exc:
            done = counts["added"] + counts["replaced"] + len(rejected) + self.deleted
            self.report = self._final(counts, rejected, started)
            raise ClusterError(
                f"{exc} (the end of a batch: the cluster acknowledged {done} of its {total} writes "
                f"({counts['added']} added, {counts['replaced']} replaced, {self.deleted} deleted) before the "
                "failure and those are durable; the writes of the failed request may or may not have landed, "
                "the rest were not sent; run the batch again once the cluster is back: articles already "
                "written count unchanged)"
            ) from None
        if counts["added"] or counts["replaced"] or self.deleted:
            index.refresh()
        self.report = self._final(counts, rejected, started)

    def _final(self, counts: dict[str, int], rejected: list[Rejection], started: float) -> AddReport:
        return AddReport(added=counts["added"], replaced=counts["replaced"], unchanged=self._unchanged,
                         rejected=[*self._rejected, *rejected], seconds=round(time.perf_counter() - started, 3))
