"""A node of the cluster dies in the middle of a bulk add: nothing acknowledged is lost.

The cluster here is not the shared one: three runner JVMs, one node each, started by this
module on free ports (:class:`opensearch_cluster.LocalCluster` with ``jvm_per_node``), so
one node's process can be killed with SIGKILL, by the pid this module started, while
:meth:`OpenSearchIndex.add_many` is sending bulk requests. The call must either return a
report that is true (every article it counts as added is in the index, nothing missing
unsaid) or raise a :class:`ClusterError` that says what the cluster acknowledged; and the
cluster must be green again with three nodes once the node is started again. A second
writer, whose client talks to the killed node, must get a ClusterError that says what landed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from conftest import require_cluster_tools

from searchkit import Article
from searchkit.errors import ClusterError
from searchkit.index import AddReport, Progress
from searchkit.opensearch import OpenSearchIndex
from searchkit.opensearch.index import BULK_CHUNK

pytestmark = pytest.mark.slow

ARTICLES = 4_000
KILL_AT = 5 * BULK_CHUNK + 1  # read while earlier chunks are in flight, more chunks to come
KILLED_NODE = 3  # not node 1, which the client talks to
HEAP = "384m"  # per JVM
WORDS = ("harbour", "ferry", "council", "budget", "storm", "election", "court", "school", "bridge", "rail",
         "festival", "hospital", "strike", "market", "flood", "museum")


def article(n: int) -> Article:
    first, second, third = (WORDS[(n * k) % len(WORDS)] for k in (1, 3, 7))
    return Article(
        id=f"f{n:05d}",
        headline=f"{first.title()} {second} report number {n}",
        body=f"The {first} and the {second} were discussed on day {n}. Officials said the {third} "
             f"would reopen after {n % 17 + 2} weeks of work. Residents welcomed the news.",
        source=("Harbor Daily", "Valley Gazette", "Coast Courier")[n % 3],
        date=date(2024, 1 + n % 12, 1 + n % 28),
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    require_cluster_tools()
    from opensearch_cluster import ClusterError as StartError
    from opensearch_cluster import LocalCluster

    local = LocalCluster(jvm_per_node=True, heap=HEAP, name="searchkit-faults")
    try:
        local.start()
    except StartError as exc:
        pytest.fail(f"the one-JVM-per-node cluster did not start: {exc}")
    try:
        yield local
    finally:
        local.stop()


def test_a_node_killed_during_add_many_loses_nothing_acknowledged(cluster: object) -> None:
    # Two writers at once, one through node 1 and one through node 3, whose JVM is killed
    # while both are in the middle of add_many: the first is left with a cluster of two nodes,
    # the second with no node to talk to.
    from opensearch_cluster import LocalCluster

    assert isinstance(cluster, LocalCluster)
    pids = [process.pid for process in cluster.processes if process is not None]
    assert len(set(pids)) == 3 and cluster.health()["number_of_nodes"] == 3
    articles = [article(n) for n in range(ARTICLES)]
    others = [article(n) for n in range(ARTICLES, ARTICLES + 3 * BULK_CHUNK)]
    index = OpenSearchIndex.create(f"{cluster.url}/faults", shards=3, replicas=1)
    through_lost = OpenSearchIndex.create(f"{cluster.urls[KILLED_NODE - 1]}/faults-lost", shards=3, replicas=1)
    seen: list[Progress] = []
    killed: list[int] = []
    other_waits, node_killed = threading.Event(), threading.Event()
    other_outcome: list[AddReport | ClusterError] = []

    def feed() -> Iterator[Article]:
        for number, item in enumerate(articles, start=1):
            if number == KILL_AT:
                assert other_waits.wait(timeout=300)
                killed.append(cluster.kill_node(KILLED_NODE))
                node_killed.set()
            yield item

    def other_feed() -> Iterator[Article]:
        for number, item in enumerate(others, start=1):
            if number == 2 * BULK_CHUNK + 1:  # two chunks sent, the third not yet
                other_waits.set()
                node_killed.wait(timeout=300)
            yield item

    def write_others() -> None:
        try:
            other_outcome.append(through_lost.add_many(other_feed()))
        except ClusterError as exc:
            other_outcome.append(exc)

    writer = threading.Thread(target=write_others)
    writer.start()
    outcome: AddReport | ClusterError
    try:
        outcome = index.add_many(feed(), progress=seen.append)
    except ClusterError as exc:
        outcome = exc
    finally:
        node_killed.set()
        writer.join(timeout=300)
    assert killed == [pids[KILLED_NODE - 1]]
    cluster.start_node(KILLED_NODE)  # waits for green with all three nodes
    health = cluster.health()
    assert (health["status"], health["number_of_nodes"], health["unassigned_shards"]) == ("green", 3, 0)

    # Through node 1: a true report (every article it counts as added is there), or a clear error.
    found = [item.id for item in OpenSearchIndex.open(f"{cluster.url}/faults").articles()]
    acknowledged = max((p.added for p in seen), default=0)
    if isinstance(outcome, AddReport):
        assert (outcome.added, outcome.replaced, outcome.unchanged, outcome.rejected) == (ARTICLES, 0, 0, [])
        assert found == [item.id for item in articles]
    else:
        acknowledged = max(acknowledged, said_acknowledged(outcome))
        assert set(found) <= {item.id for item in articles}
    assert acknowledged <= len(found)
    again = index.add_many(articles)  # completes the call; exactly one of each
    assert again.added + again.unchanged == ARTICLES and again.replaced == 0 and again.rejected == []
    assert len(index) == ARTICLES
    harbour = [item.id for item in articles if "harbour" in f"{item.headline} {item.body}".lower()]
    assert index.search("harbour", limit=1).total == len(harbour) > 0

    # Through the killed node: the call cannot go on and says so, with what had landed.
    [lost] = other_outcome
    assert isinstance(lost, ClusterError), lost
    assert str(lost).startswith(f"cannot connect to {cluster.urls[KILLED_NODE - 1]}/faults-lost while "), str(lost)
    landed = said_acknowledged(lost)
    assert landed in (BULK_CHUNK, 2 * BULK_CHUNK)  # the second chunk's request may have been cut off
    recovered = OpenSearchIndex.open(f"{cluster.url}/faults-lost")
    found_others = [item.id for item in recovered.articles()]
    assert found_others[:landed] == [item.id for item in others[:landed]]
    assert set(found_others) <= {item.id for item in others[: 2 * BULK_CHUNK]}  # nothing sent after the failure
    again = recovered.add_many(others)
    assert (again.added + again.unchanged, again.rejected) == (len(others), [])
    assert again.unchanged >= landed and len(recovered) == len(others)
    index.drop()
    recovered.drop()


def said_acknowledged(error: ClusterError) -> int:
    """How many articles a ClusterError from add_many says the cluster acknowledged as added."""
    said = re.search(r"the cluster acknowledged ([\d,]+) added", str(error))
    assert said, str(error)
    return int(said.group(1).replace(",", ""))
