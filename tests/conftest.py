"""Shared test helpers: where ../shared lives, and how tests that need it skip."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


def require_kernel(built: bool, name: str) -> None:
    """Skip the test (fail it with ``CI`` set) unless the optional C kernel ``name`` is built."""
    if not built:
        reason = f"the C kernel {name} is not built here (no compiler or Python headers when searchkit was installed)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


def require_cluster_tools() -> None:
    """Skip the test (fail it with ``CI`` set) unless a local cluster can start here: Java,
    Maven and opensearch-py."""
    from opensearch_cluster import missing_tools

    reason = missing_tools()
    if reason is None:
        try:
            import opensearchpy  # noqa: F401
        except ImportError:
            reason = 'opensearch-py is not installed (pip install -e ".[opensearch]")'
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """The base URL of a live 3-node OpenSearch 2.19 cluster for this test session.

    Started from Maven Central by tests/opensearch_cluster.py and stopped at the end (only the
    JVM it started, by pid). ``SEARCHKIT_TEST_OPENSEARCH=http://127.0.0.1:9201`` uses a cluster
    that is already running instead. Without Java, Maven or opensearch-py the cluster tests
    skip with the reason; with ``CI`` set they fail instead, and so does a cluster that
    cannot start anywhere.
    """
    from opensearch_cluster import ClusterError, LocalCluster

    given = os.environ.get("SEARCHKIT_TEST_OPENSEARCH")
    if given:
        yield given.rstrip("/")
        return
    require_cluster_tools()
    cluster = LocalCluster()
    try:
        cluster.start()
    except ClusterError as exc:
        pytest.fail(f"the local OpenSearch cluster did not start: {exc}")
    try:
        yield cluster.url
    finally:
        cluster.stop()
