"""Article-id hashes (searchkit/engine/idhash.py): the C kernel, the numpy version and the
one-string version give the same int64 for every string, whatever its characters."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_kernel
from hypothesis import given
from hypothesis import strategies as st

from searchkit.engine import idhash


def table(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [text.encode("utf-8") for text in strings]
    bounds = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in encoded], out=bounds[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), bounds


@given(st.lists(st.text(max_size=40), max_size=60))
def test_the_kernel_numpy_and_one_string_hashes_agree(strings: list[str]) -> None:
    data, bounds = table(strings)
    reference = idhash._numpy_hash_blob(data, bounds) if strings else np.zeros(0, dtype=np.int64)
    assert idhash.hash_blob(data, bounds).tolist() == reference.tolist()
    assert idhash.hash_ids(strings).tolist() == reference.tolist()
    assert [idhash.hash_id(text) for text in strings] == reference.tolist()


def test_known_values_and_distinct_ids() -> None:
    # FNV-1a 64 of "" and "a" (the published test vectors), as int64.
    assert idhash.hash_id("") == 0xCBF29CE484222325 - (1 << 64)
    assert idhash.hash_id("a") == 0xAF63DC4C8601EC8C - (1 << 64)
    ids = [f"reuters-{n}" for n in range(20_000)] + [f"https://example.org/2024/01/{n:02d}/x.html" for n in range(31)]
    hashes = idhash.hash_ids(ids)
    assert hashes.dtype == np.int64 and np.unique(hashes).size == len(ids)


def test_a_string_outside_the_data_is_refused() -> None:
    require_kernel(idhash._native is not None, "searchkit/_speedups.c")
    assert idhash._native is not None
    with pytest.raises(ValueError, match="outside the data"):
        idhash._native(np.zeros(3, np.uint8), np.array([0, 5], np.int64))
