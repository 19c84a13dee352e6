"""One version: written once in ``searchkit/_version.py`` and read everywhere else.

The package metadata (``pyproject.toml``'s dynamic version), the installed distribution,
``searchkit.__version__`` and ``searchkit --version`` all report the same string, and no
other file in the repository spells it out.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
import warnings
from pathlib import Path

from searchkit import __version__
from searchkit._version import __version__ as defined
from test_cli import cli

REPO = Path(__file__).resolve().parent.parent


def test_the_version_is_a_release_number() -> None:
    assert __version__ is defined
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc|\.dev|\.post)\d+)?", __version__)


def test_pyproject_reads_the_version_from_the_package() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "searchkit._version.__version__"}
    from setuptools.config.pyprojecttoml import read_configuration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # setuptools marks parts of pyproject support as beta
        built = read_configuration(REPO / "pyproject.toml")
    assert built["project"]["version"] == __version__


def test_the_installed_distribution_has_the_version() -> None:
    assert importlib.metadata.version("searchkit") == __version__


def test_the_console_script_prints_the_version() -> None:
    for program in (None, [sys.executable, "-m", "searchkit"]):
        done = cli("--version", program=program)
        assert (done.returncode, done.stdout, done.stderr) == (0, f"searchkit {__version__}\n", "")


def test_no_other_file_spells_out_the_version() -> None:
    spelled = [
        str(path.relative_to(REPO))
        for folder in ("searchkit", "tests", "benchmarks", "docs")
        for path in sorted((REPO / folder).rglob("*"))
        if path.is_file()
        and path.suffix in {".py", ".md", ".toml", ".txt", ".html", ".js", ".json", ".cfg"}
        and f'"{__version__}"' in path.read_text(encoding="utf-8", errors="replace")
    ]
    for name in ("pyproject.toml", "README.md"):
        if f'"{__version__}"' in (REPO / name).read_text(encoding="utf-8"):
            spelled.append(name)
    assert spelled == ["searchkit/_version.py"]
