"""searchkit's :class:`~searchkit.OpenSearchIndex` on a cluster, through the same calls as the
``searchkit`` engine (``add_many``, ``search`` with the same options): the ``opensearch`` engine.

The cluster is the base URL in ``SEARCHKIT_BENCH_OPENSEARCH`` (``--opensearch`` of the
runner sets it), by default the local one at ``http://127.0.0.1:9201`` that
``python tests/opensearch_cluster.py`` starts. ``build`` creates a new index with a unique
name (3 shards, 1 replica, as the tests make them) and writes its URL to ``cluster.json`` in
the engine's index folder, so ``open`` in the query child finds it; :func:`discard` drops it
when the runner removes that folder (and ``build`` drops it itself if indexing fails).
"index MB" is the cluster's store size of the index, primaries and replicas.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from ..relevance.opensearch_engine import ENV
from .searchkit_engine import SearchkitEngine

__all__ = ["DEFAULT_CLUSTER", "OpenSearchEngine", "discard"]

DEFAULT_CLUSTER = "http://127.0.0.1:9201"
_MARKER = "cluster.json"


def cluster_url() -> str:
    """The cluster's base URL: ``SEARCHKIT_BENCH_OPENSEARCH`` or :data:`DEFAULT_CLUSTER`."""
    return (os.environ.get(ENV) or DEFAULT_CLUSTER).rstrip("/")


class OpenSearchEngine(SearchkitEngine):
    """Builds and opens an OpenSearchIndex; searches exactly as :class:`SearchkitEngine` does."""

    name = "opensearch"

    def build(self, articles: Iterable[dict], path: Path) -> dict:
        sk = self.sk
        url = f"{cluster_url()}/sk-perf-{uuid.uuid4().hex[:12]}"
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / _MARKER).write_text(json.dumps({"url": url}))
        idx = sk.OpenSearchIndex.create(url, shards=3, replicas=1)
        try:
            report = idx.add_many(sk.Article(**art) for art in articles)
            size = idx.stats().size_bytes
        except BaseException:
            idx.drop()
            raise
        finally:
            idx.close()
        return {"docs": report.added, "store_bytes": size, "url": url, "rejected": len(report.rejected),
                "first_rejections": [str(r)[:200] for r in report.rejected[:3]]}

    def open(self, path: Path) -> None:
        self.idx = self.sk.OpenSearchIndex.open(json.loads((Path(path) / _MARKER).read_text())["url"])


def discard(path: Path) -> None:
    """Drop the cluster index whose URL ``build`` wrote into ``path``, if any."""
    marker = Path(path) / _MARKER
    if marker.exists():
        import searchkit

        idx = searchkit.OpenSearchIndex.open(json.loads(marker.read_text())["url"])
        idx.drop()
        idx.close()
