"""The optional C kernels (``searchkit/*.c``): whether one is built, and the switch that turns
them all off.

Each kernel replaces a loop that also exists in Python or numpy, which stays as the reference
and the fallback: where no compiler or Python headers existed at install time, or where the
environment sets ``SEARCHKIT_PURE_PYTHON`` (to anything but ``0``), the Python versions run,
and the index, the scores, the snippets and the stories are the same either way.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

__all__ = ["native", "pure_python"]


def pure_python() -> bool:
    """Whether ``SEARCHKIT_PURE_PYTHON`` asks for the Python versions of the kernels."""
    return os.environ.get("SEARCHKIT_PURE_PYTHON", "") not in ("", "0")


def native(module: str, name: str) -> Any:
    """``name`` from the kernel module ``searchkit.<module>``, or None: not built (or built
    before it had ``name``), or switched off by :func:`pure_python`."""
    if pure_python():
        return None
    try:
        loaded = importlib.import_module(f"searchkit.{module}")
    except ImportError:
        return None
    return getattr(loaded, name, None)
