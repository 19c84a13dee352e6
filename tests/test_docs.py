"""The reference manual: MkDocs + mkdocstrings build it from the README (the guide, whose
examples tests/test_readme.py runs) and the docstrings, with warnings as errors, and it
covers every public name."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


def sections(doc: str | None) -> dict[str, list[str]]:
    """The Google-style sections of a docstring as the reference reads them (griffe, the parser
    mkdocstrings uses with mkdocs.yml's ``docstring_style``): kind -> the names it lists."""
    import griffe

    logging.getLogger("griffe").setLevel(logging.ERROR)  # "no type for parameter": types come from the signature
    found: dict[str, list[str]] = {}
    for section in griffe.Docstring(inspect.cleandoc(doc or ""), lineno=1, parser="google").parsed:
        items = section.value if isinstance(section.value, list) else [section.value]
        names = [str(getattr(item, "name", None) or getattr(item, "annotation", None) or "") for item in items]
        found.setdefault(section.kind.value, []).extend(name.lstrip("*") for name in names)
    return found


def raised_on_purpose(function: Callable[..., Any]) -> list[str]:
    """The exception classes a function's own body raises by name (not a bare re-raise, not in
    nested functions)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return []
    [tree] = ast.parse(source).body
    raised: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(child, ast.Raise) and child.exc is not None:
                target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(target, ast.Name) and target.id[:1].isupper():
                    raised.append(target.id)
            visit(child)

    visit(tree)
    return sorted(set(raised))


def public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public function of ``searchkit.__all__`` and every public method its classes define."""
    for name in PUBLIC:
        obj = getattr(searchkit, name)
        if not inspect.isclass(obj):
            if callable(obj):
                yield name, obj
            continue
        for attribute, value in vars(obj).items():
            function = getattr(value, "__func__", value)
            if not attribute.startswith("_") and inspect.isfunction(function):
                yield f"{name}.{attribute}", function


def missing_sections(name: str, function: Callable[..., Any]) -> list[str]:
    """What the docstring of a public callable lacks: a parameter not in Parameters (or Args),
    a Returns (or Yields) section for a value, a Raises entry for an error raised on purpose."""
    found = sections(function.__doc__)
    signature = inspect.signature(function)
    params = [p for p in signature.parameters if p not in ("self", "cls")]
    missing = [f"{name}: parameter {p!r} not in Parameters" for p in params if p not in found.get("parameters", [])]
    returns = signature.return_annotation
    if returns not in (None, "None", inspect.Signature.empty) and not ({"returns", "yields"} & set(found)):
        missing.append(f"{name}: no Returns section")
    listed = found.get("raises", [])
    missing += [f"{name}: raises {error} but Raises does not list it" for error in raised_on_purpose(function)
                if error not in listed]
    return missing


def test_every_public_callable_documents_parameters_returns_and_raises() -> None:
    problems = [problem for name, function in public_callables() for problem in missing_sections(name, function)]
    assert problems == []


def test_every_class_documents_its_fields_and_constructor() -> None:
    """A model's fields, a dataclass's fields and a constructor's parameters are named in the class
    docstring's Attributes or Parameters section (mkdocs.yml merges ``__init__`` into the class)."""
    problems = []
    for name in PUBLIC:
        cls = getattr(searchkit, name)
        if not inspect.isclass(cls):
            continue
        found = sections(cls.__doc__)
        documented = set(found.get("attributes", [])) | set(found.get("parameters", []))
        wanted: list[str] = list(getattr(cls, "model_fields", {}))
        if dataclasses.is_dataclass(cls):
            wanted += [field.name for field in dataclasses.fields(cls)]
        elif "__init__" in vars(cls) and not getattr(cls, "_is_protocol", False):
            init = vars(cls)["__init__"]
            documented |= set(sections(init.__doc__).get("parameters", []))
            wanted += [p.name for p in inspect.signature(init).parameters.values()
                       if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        problems += [f"{name}.{field}" for field in dict.fromkeys(wanted) if field not in documented]
    assert problems == []


def test_the_walker_finds_what_a_docstring_lacks() -> None:
    def undocumented(path: str, *, limit: int = 3) -> int:
        """Count things."""
        if limit < 0:
            raise ValueError("limit")
        return limit

    def documented(path: str, *, limit: int = 3) -> int:
        """Count things.

        Args:
            path: where.
            limit: how many.

        Returns:
            The count.

        Raises:
            ValueError: a negative limit.
        """
        if limit < 0:
            raise ValueError("limit")
        return limit

    assert missing_sections("f", undocumented) == [
        "f: parameter 'path' not in Parameters", "f: parameter 'limit' not in Parameters", "f: no Returns section",
        "f: raises ValueError but Raises does not list it",
    ]
    assert missing_sections("f", documented) == []


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
