"""searchkit through its public API only (``Index.create/open``, ``add_many``, ``search``).

Articles go in as the records the corpus gives (mappings of the article's fields), handed
to ``add_many`` whole as a user would hand a big batch: it validates them and reports bad
ones in ``rejected``. Queries use the common syntax (``a AND b``,
``a OR b``, ``"a b"``) with ``sources=``, ``since=``, ``until=``, ``limit=10`` and
``date_interval="month"`` and ``facets=("source", "date")``: the facets the other engines count
(not the story facet, which ``facets=True`` would add). The snippet is the first one of each hit,
rendered as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .base import Result, dir_size
from .queries import Query


class SearchkitEngine:
    name = "searchkit"
    workers: int | None = None  # Index.create's default: worker processes for big writes
    stories = True  # Index.create's default: articles grouped into stories as they are added

    def __init__(self) -> None:
        import searchkit  # imported here so the other engines run without it

        # Index is a lazy attribute: reading it imports the library now, as the other engines
        # import theirs at the top of their modules, so open's time is opening an index.
        searchkit.Index  # noqa: B018
        self.sk = searchkit
        self.idx = None

    def build(self, articles: Iterable[dict], path: Path) -> dict:
        sk = self.sk
        idx = sk.Index.create(Path(path), workers=self.workers, stories=self.stories)
        report = idx.add_many(articles)  # records as they come: validated there, bad ones rejected
        idx.close()
        rejected = getattr(report, "rejected", [])
        return {"docs": getattr(report, "added", None), "bytes": dir_size(path),
                "rejected": len(rejected), "first_rejections": [str(r)[:200] for r in rejected[:3]]}

    def open(self, path: Path) -> None:
        self.idx = self.sk.Index.open(Path(path))

    def search(self, q: Query) -> Result:
        res = self.idx.search(q.text(), sources=list(q.sources) if q.sources else None,
                              since=q.since, until=q.until, limit=10, date_interval="month",
                              facets=("source", "date"))
        ids, snippets = [], []
        for hit in res.hits:
            ids.append(hit.id)
            snippets.append(hit.snippets[0].render("text") if hit.snippets else "")
        sources = {f.value: f.count for f in res.facets.source}
        months = {str(f.value)[:7]: f.count for f in res.facets.date if f.value and f.count}
        return Result(res.total, ids, snippets, sources, months)

    def close(self) -> None:
        if self.idx is not None:
            self.idx.close()
        self.idx = None


class SearchkitOneProcessEngine(SearchkitEngine):
    """searchkit indexing in one process (``workers=1``), to set the workers' gain beside it."""

    name = "searchkit1"
    workers = 1


class SearchkitPlainEngine(SearchkitEngine):
    """searchkit (workers as ``searchkit``) with story clustering switched off, to give the
    stories' share of indexing time: ``Index.create(stories=False)`` (no story counts in the
    workers, nothing clustered; the story file written is empty), as ``benchmarks.news.stories`` does."""

    name = "searchkit-plain"
    stories = False
