"""What every engine adapter provides, and the result every search returns.

An engine module defines a class with::

    build(articles, path) -> dict     # index every article into a new index at ``path``
    open(path) -> None                # open an existing index for searching
    search(query) -> Result           # the same work for every engine, see below
    close() -> None

The work per query is identical: the top 10 articles by relevance (headline weighted 3x,
body and background 1x where the engine allows it), one highlighted snippet from the
body of each of the 10, and facet counts over ALL matching articles by source and by
month (``"YYYY-MM"``; undated articles are not counted in the month facet).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .queries import Query


@dataclass
class Result:
    total: int
    ids: list[str]
    snippets: list[str]
    sources: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)


def dir_size(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Baseline:
    """Not an engine: reads the same articles and tokenizes their text in Python.

    Gives the indexing figures a base: no engine can index faster than the corpus can be
    produced and split into words in the same process.
    """

    name = "baseline"
    _WORD = re.compile(r"\w+")

    def build(self, articles: Iterable[dict], path: Path) -> dict:
        tokens = chars = 0
        for art in articles:
            for text in (art["headline"], art["body"], *art["background"]):
                tokens += len(self._WORD.findall(text.lower()))
                chars += len(text)
        Path(path).mkdir(parents=True, exist_ok=True)
        return {"tokens": tokens, "chars": chars}

    def open(self, path: Path) -> None:
        raise NotImplementedError("the baseline has nothing to search")


ENGINES = {
    "fts5": "benchmarks.perf.fts5_engine:Fts5Engine",
    "whoosh": "benchmarks.perf.whoosh_engine:WhooshEngine",
    "searchkit": "benchmarks.perf.searchkit_engine:SearchkitEngine",
    "searchkit1": "benchmarks.perf.searchkit_engine:SearchkitOneProcessEngine",
    "searchkit-plain": "benchmarks.perf.searchkit_engine:SearchkitPlainEngine",
    "tantivy": "benchmarks.perf.tantivy_engine:TantivyEngine",
    "opensearch": "benchmarks.perf.opensearch_engine:OpenSearchEngine",
    "baseline": "benchmarks.perf.base:Baseline",
}


def make_engine(name: str):
    module, _, cls = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module), cls)()


__all__ = ["Baseline", "ENGINES", "Query", "Result", "dir_size", "make_engine"]
