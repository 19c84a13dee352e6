"""The reference manual: MkDocs + mkdocstrings build it from the README (the guide, whose
examples tests/test_readme.py runs) and the docstrings, with warnings as errors, and it
covers every public name."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import searchkit

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "docs" / "reference.md"
PUBLIC = [name for name in searchkit.__all__ if name != "__version__"]


def mkdocs_or_skip() -> None:
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError:
        reason = 'MkDocs is not installed (pip install -e ".[docs]")'
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


def test_the_reference_lists_every_public_name() -> None:
    listed = re.findall(r"^::: searchkit\.(\w+)$", REFERENCE.read_text(encoding="utf-8"), flags=re.M)
    assert sorted(set(listed) & set(PUBLIC)) == sorted(PUBLIC)
    assert len(listed) == len(set(listed))


def test_every_public_name_and_method_has_a_docstring() -> None:
    missing = []
    for name in PUBLIC:
        obj = getattr(searchkit, name)
        doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
        if not (doc or "").strip():
            missing.append(name)
        if not inspect.isclass(obj):
            continue
        for attribute, value in vars(obj).items():
            if attribute.startswith("_"):
                continue
            function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if inspect.isfunction(function) and not (function.__doc__ or "").strip():
                missing.append(f"{name}.{attribute}")
    assert missing == []


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    mkdocs_or_skip()
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "WARNING" in line or "ERROR" in line] == []
    guide = (site / "index.html").read_text(encoding="utf-8")
    assert "Use it as a library" in guide and "index.batch()" in guide
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    for name in PUBLIC:
        assert f'id="searchkit.{name}"' in reference, name
    for method in ("batch", "close", "search", "add_many", "create", "open"):
        assert f'id="searchkit.Index.{method}"' in reference, method
    assert not (site / "hooks.py").exists()
