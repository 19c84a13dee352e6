"""Shared test helpers: where ../shared lives, and how tests that need it skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SEARCHKIT_SHARED", REPO.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent.

    Outside CI a missing ../shared skips with the reason; with CI set it fails instead,
    because CI always has ../shared beside the checkout.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"{path} is absent (real data lives in ../shared beside the checkout)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    return path
