"""searchkit's OpenSearch backend behind the benchmark's engine interface.

The same documents and queries as :mod:`.searchkit_engine`, into an
:class:`searchkit.OpenSearchIndex` (3 shards, 1 replica) on the cluster whose base URL is
in ``SEARCHKIT_BENCH_OPENSEARCH`` (for instance ``http://127.0.0.1:9201`` from
``python tests/opensearch_cluster.py``). Each collection gets a new index, dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["ENV", "OpenSearchEngine", "available"]

ENV = "SEARCHKIT_BENCH_OPENSEARCH"


def available() -> str | None:
    """None when a cluster is named and opensearch-py imports, else why not."""
    if not os.environ.get(ENV):
        return f"{ENV} names no cluster (e.g. http://127.0.0.1:9201)"
    try:
        import opensearchpy  # noqa: F401
    except ImportError:
        return 'opensearch-py is not installed (pip install -e ".[opensearch]")'
    return None


class OpenSearchEngine:
    name = "opensearch"

    def __init__(self) -> None:
        self._index: Any = None

    def index(self, docs: Mapping[str, tuple[str, str]]) -> None:
        import searchkit

        base = os.environ[ENV].rstrip("/")
        self._index = searchkit.OpenSearchIndex.create(f"{base}/relevance-{uuid.uuid4().hex[:10]}", shards=3, replicas=1)
        articles = [
            searchkit.Article(id=docid, headline=title, body=text) if title else searchkit.Article(id=docid, body=text)
            for docid, (title, text) in docs.items()
            if title.strip() or text.strip()
        ]
        self._index.add_many(articles)

    def search(self, text: str, k: int = 1000) -> list[str]:
        results = self._index.search(text, limit=k, snippets=False, facets=False, suggest_spelling=False)
        return [hit.id for hit in results.hits]

    def close(self) -> None:
        if self._index is not None:
            self._index.drop()
            self._index.close()
