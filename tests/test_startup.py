"""Start-up: ``searchkit --help`` and ``--version`` and ``import searchkit`` load none of the
heavy libraries (numpy, Whoosh, pydantic, orjson, opensearch-py, FastAPI), which is what kept
``--help`` at 0.6-0.9 s; the public names are imported on first use (PEP 562).

A behavioural proxy for the start-up time, not a timing: ``python -X importtime`` lists every
module a real process imports. The time itself is measured by ``python -m benchmarks.startup``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import searchkit
from test_cli import clean_env, command_names, console_script

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "whoosh", "pydantic", "pydantic_core", "orjson", "opensearchpy", "fastapi", "uvicorn", "Stemmer")


def imported(*argv: str) -> set[str]:
    """The top-level packages a process running ``python -X importtime ARGV`` imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True,
                          env=clean_env(), cwd=REPO, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("argv", [
    ["-m", "searchkit", "--help"],
    ["-m", "searchkit", "--version"],
    ["CONSOLE_SCRIPT", "--help"],
    ["CONSOLE_SCRIPT", "--version"],
    ["-c", "import searchkit; searchkit.SearchkitError; searchkit.__version__"],
])
def test_help_version_and_import_load_no_heavy_library(argv: list[str]) -> None:
    argv = [console_script() if arg == "CONSOLE_SCRIPT" else arg for arg in argv]
    modules = imported(*argv)
    assert "searchkit" in modules
    assert sorted(modules & set(HEAVY)) == []


def test_every_command_help_loads_no_heavy_library() -> None:
    program = ("import contextlib, io\nfrom searchkit.cli import main\n"
               f"for command in {command_names()!r}:\n"
               "    with contextlib.redirect_stdout(io.StringIO()):\n"
               "        assert main([command, '--help']) == 0\n")
    assert sorted(imported("-c", program) & set(HEAVY)) == []


def test_a_public_name_imports_its_module_on_first_use() -> None:
    program = ("import sys\nimport searchkit\nassert 'numpy' not in sys.modules\n"
               "from searchkit import Index\nimport searchkit.index\n"
               "assert Index is searchkit.index.Index and 'Index' in vars(searchkit)\n")
    assert {"numpy", "whoosh", "pydantic"} <= imported("-c", program)


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in searchkit.__all__:
        assert getattr(searchkit, name) is not None, name
    assert set(searchkit.__all__) <= set(dir(searchkit))
    namespace: dict[str, object] = {}
    exec("from searchkit import *", namespace)
    assert sorted(set(namespace) - {"__builtins__"}) == sorted(searchkit.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'searchkit' has no attribute 'Indx'"):
        searchkit.Indx  # noqa: B018


def test_the_lazy_table_matches_the_imports_type_checkers_read() -> None:
    """Each name under ``if TYPE_CHECKING:`` in ``searchkit/__init__.py`` is in ``_LAZY`` with the
    module it is imported from, and nothing else is: a name added to one but not the other fails."""
    tree = ast.parse((REPO / "searchkit" / "__init__.py").read_text(encoding="utf-8"))
    [guarded] = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    declared = {alias.asname or alias.name: "." * node.level + (node.module or "")
                for node in guarded.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert declared == searchkit._LAZY
    eager = {name for name in searchkit.__all__ if name in vars(sys.modules["searchkit.errors"])}
    assert sorted(set(searchkit.__all__) - eager - {"__version__"}) == sorted(searchkit._LAZY)
