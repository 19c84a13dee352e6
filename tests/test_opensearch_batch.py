"""OpenSearchIndex.batch() on a live cluster: what its end reports, one batch per index object,
and a cluster that fails while the batch is sent (a loopback proxy in front of the real
cluster answers 503 from the second bulk request on). What the two backends share is in
test_opensearch_conformance.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from news_fixtures import NEWS
from opensearch_backends import faulty_proxy, temporary_index

from searchkit import Article, BatchError
from searchkit.errors import ClusterError
from searchkit.opensearch import OpenSearchIndex
from searchkit.opensearch.index import BULK_CHUNK

pytestmark = pytest.mark.slow

FIRST, REST = NEWS[:4], NEWS[4:]


@pytest.fixture
def index(opensearch_url: str) -> Iterator[OpenSearchIndex]:
    yield from temporary_index(opensearch_url, FIRST, name="batch")


def test_the_report_counts_what_the_end_of_the_batch_did(index: OpenSearchIndex) -> None:
    changed = FIRST[1].model_copy(update={"body": "The evacuation order was lifted on Tuesday."})
    huge = Article(id="huge-source", headline="Ferry museum", body="It opens.", source="Gazette " * 5000)
    with index.batch() as batch:
        batch.add_many([REST[0], REST[0], changed, FIRST[2], huge, {"id": "no-body"}])
        batch.add(REST[1])
        assert batch.delete([REST[1].id, "river-rises", "budget-draft", "never-there"]) == 3
        assert batch.report is None
    report = batch.report
    assert report is not None
    # REST[0] added (once, though written twice), flood-evacuation replaced, flood-insurance
    # unchanged; REST[1] added and deleted in the batch: never sent.
    assert (report.added, report.replaced, report.unchanged, batch.deleted) == (1, 1, 1, 2)
    assert [r.location for r in report.rejected] == ["record 6", "record 5"]
    assert report.rejected[1].reason.startswith("the cluster refused article 'huge-source': illegal_argument_exception")
    assert sorted(a.id for a in index.articles()) == sorted(["flood-evacuation", "flood-insurance", REST[0].id])


def test_one_batch_at_a_time_per_index_object(index: OpenSearchIndex) -> None:
    refused: list[BaseException] = []

    def second_batch() -> None:
        try:
            with index.batch() as other:
                other.add(REST[1])
        except BatchError as exc:
            refused.append(exc)

    with index.batch() as batch:
        batch.add(REST[0])
        thread = threading.Thread(target=second_batch)
        thread.start()
        thread.join()
        again = OpenSearchIndex.open(index.url)  # another object (as another process) has its own
        with again.batch() as own:
            own.add(REST[2])
        again.close()
    assert [str(e) for e in refused] == [
        f"a batch is open on the index {index.url} in another thread: one batch at a time per OpenSearchIndex; "
        "wait for it to end, or open the index again for a batch of its own"]
    assert sorted(a.id for a in index.articles()) == sorted([*(a.id for a in FIRST), REST[0].id, REST[2].id])


def test_a_cluster_failing_while_the_batch_is_sent(index: OpenSearchIndex, opensearch_url: str) -> None:
    articles = [Article(id=f"n{n:04d}", headline=f"Notice {n}", body=f"Harbour notice {n}.")
                for n in range(BULK_CHUNK + 100)]
    bulks: list[str] = []

    def after_the_first_bulk(method: str, path: str) -> int | None:  # as a cluster losing its nodes
        if "/_bulk" in path:
            bulks.append(path)
            return 503 if len(bulks) > 1 else None
        return None

    name = index.url.rsplit("/", 1)[1]
    with faulty_proxy(opensearch_url, after_the_first_bulk) as proxy:
        through_proxy = OpenSearchIndex.open(f"{proxy}/{name}")
        with pytest.raises(ClusterError) as raised, through_proxy.batch() as batch:
            assert batch.add_many(articles).added == len(articles)
            assert batch.delete(["river-rises"]) == 1
    total = len(articles) + 1
    assert str(raised.value).endswith(
        f"(the end of a batch: the cluster acknowledged {BULK_CHUNK} of its {total} writes ({BULK_CHUNK} added, "
        "0 replaced, 0 deleted) before the failure and those are durable; the writes of the failed request may or "
        "may not have landed, the rest were not sent; run the batch again once the cluster is back: articles "
        "already written count unchanged)")
    assert "HTTP 503" in str(raised.value)
    report = batch.report
    assert report is not None and (report.added, report.replaced, batch.deleted) == (BULK_CHUNK, 0, 0)
    index.refresh()
    assert sorted(a.id for a in index.articles()) == sorted([*(a.id for a in FIRST), *(a.id for a in articles[:BULK_CHUNK])])
    # Running the batch again on the healthy cluster finishes it; what landed counts unchanged.
    with index.batch() as again:
        repeat = again.add_many(articles)
        again.delete(["river-rises"])
    assert (repeat.added, repeat.unchanged) == (100, BULK_CHUNK)
    assert again.report is not None and (again.report.added, again.deleted) == (100, 1)
    assert len(index) == 3 + len(articles)
