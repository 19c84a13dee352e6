"""Handing freed heap memory back to the operating system.

glibc's ``malloc`` keeps memory that Python and numpy have freed in its arenas, so a
process's resident size stays at its high-water mark after a big temporary (a segment
written, a merge) is gone, and the next one adds to it. :func:`trim` asks glibc to return
what it can (``malloc_trim(0)``); elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

__all__ = ["can_trim", "trim"]


def _find_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        function = libc.malloc_trim  # glibc only: musl has no malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Callable[[int], int] = function
    return trim


_TRIM = _find_trim()


def can_trim() -> bool:
    """Whether :func:`trim` does anything here (glibc's ``malloc_trim`` was found)."""
    return _TRIM is not None


def trim() -> bool:
    """Return freed heap memory to the operating system; True when glibc released some
    (False when there was none to release, or on a system without ``malloc_trim``)."""
    return bool(_TRIM(0)) if _TRIM is not None else False
