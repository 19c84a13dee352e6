"""The ``>>>`` examples in searchkit's docstrings (the reference manual shows them) run as
written, each in an empty temporary folder against real indexes.

Each docstring with examples is one test, run by :mod:`doctest` in its module's namespace
plus ``index``: an open index (``indexes/news`` in that folder) holding the 30 bundled
sample articles that ``searchkit demo`` indexes. Examples that make their own index name a
folder under the temporary one.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

import searchkit
from searchkit import Index, read_articles

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def docstring_examples() -> list[doctest.DocTest]:
    """Every docstring of a searchkit module that holds ``>>>`` examples."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = [test for test in finder.find(searchkit) if test.examples and test.name == "searchkit"]
    for info in pkgutil.walk_packages(searchkit.__path__, prefix="searchkit."):
        spec = info.module_finder.find_spec(info.name, None)  # type: ignore[call-arg]
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is None or origin.suffix != ".py" or ">>>" not in origin.read_text(encoding="utf-8"):
            continue
        module = importlib.import_module(info.name)
        found += [test for test in finder.find(module) if test.examples]
    return sorted(found, key=lambda test: test.name)


EXAMPLES = docstring_examples()


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples") / "news"
    with resources.as_file(resources.files("searchkit") / "samples") as samples, Index.create(folder) as index:
        report = index.add_many(read_articles(samples))
    assert (report.added, report.rejected) == (30, [])
    return folder


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_index: Path) -> Iterator[Index]:
    shutil.copytree(sample_index, tmp_path / "indexes" / "news")
    monkeypatch.chdir(tmp_path)
    with Index.open("indexes/news") as index:
        yield index


def test_the_reference_has_examples() -> None:
    names = {test.name for test in EXAMPLES}
    assert {"searchkit", "searchkit.index.Index.search", "searchkit.index.Index.batch", "searchkit.models.Recency.parse",
            "searchkit.query.parse_query", "searchkit.ingest.read_articles"} <= names


@pytest.mark.parametrize("test", EXAMPLES, ids=[test.name.removeprefix("searchkit.") for test in EXAMPLES])
def test_docstring_example_runs(test: doctest.DocTest, in_tmp: Index) -> None:
    test.globs = {**test.globs, "index": in_tmp}
    output: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=output.append)
    assert result.failed == 0, "".join(output)
    assert result.attempted == len(test.examples)
