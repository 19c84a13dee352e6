"""Handing freed heap memory back to the system (:mod:`searchkit.engine.heap`)."""

from __future__ import annotations

import sys

import pytest

from searchkit.engine import heap


def test_trim_after_freeing_memory_is_safe_and_says_whether_it_released_any() -> None:
    blocks = [bytes(1_000) * (n % 7 + 1) for n in range(100_000)]  # ~400 MB of small heap blocks
    del blocks
    assert isinstance(heap.trim(), bool)
    assert isinstance(heap.trim(), bool)  # again at once: nothing left, still fine


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim is Linux-only")
def test_trim_finds_glibc_on_linux() -> None:
    assert heap._TRIM is not None


def test_trim_without_malloc_trim_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_TRIM", None)
    assert heap.trim() is False
