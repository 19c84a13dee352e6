"""The ``searchkit`` logger: silent by default; with logging configured, it reports lock
waits, retries, commits, merges, slow searches and skipped input, each naming the index,
and never an article's text at INFO or above."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from news_fixtures import NEWS, make_index
from searchkit import Article, Index, IndexOptionError
from searchkit.engine.store import IndexStore

SECRET_TEXT = "zanzibar-marmalade-confidential"


def records(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[tuple[str, str]]:
    """(level, message) of searchkit's records, with measured seconds written as ``N s``."""
    return [
        (r.levelname, re.sub(r"\d+\.\d+ s\b", "N s", r.getMessage()))
        for r in caplog.records
        if r.name == "searchkit" and r.levelno >= level
    ]


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="searchkit")
    return caplog


def test_the_logger_is_silent_until_the_application_configures_logging(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import logging, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from news_fixtures import NEWS
        from searchkit import Index
        logger = logging.getLogger("searchkit")
        assert [type(h).__name__ for h in logger.handlers] == ["NullHandler"], logger.handlers
        index = Index.create({str(tmp_path / "quiet")!r}, slow_search=0)
        for article in NEWS[:6]:
            index.add(article)  # six commits and a merge
        index.add_many([{{"id": "bad", "body": "{SECRET_TEXT}"}}])
        index.search("council")
        print("done")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")


def test_commits_and_merges(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    index = Index.create(path, refresh_interval=0)
    for article in NEWS[:7]:
        index.add(article)
    index.delete(["river-rises"])
    index.optimize()
    assert records(caplog) == [
        ("INFO", f"committed generation 1 of {path}: 1 articles in 1 segments"),
        ("INFO", f"committed generation 2 of {path}: 2 articles in 2 segments"),
        ("INFO", f"committed generation 3 of {path}: 3 articles in 3 segments"),
        ("INFO", f"committed generation 4 of {path}: 4 articles in 4 segments"),
        ("INFO", f"committed generation 5 of {path}: 5 articles in 5 segments"),
        ("INFO", f"merged 6 segments of {path} into one of 6 articles in N s"),
        ("INFO", f"committed generation 6 of {path}: 6 articles in 1 segments"),
        ("INFO", f"committed generation 7 of {path}: 7 articles in 2 segments"),
        ("INFO", f"committed generation 8 of {path}: 6 articles in 2 segments"),
        ("INFO", f"merged 2 segments of {path} into one of 6 articles in N s"),
        ("INFO", f"committed generation 9 of {path}: 6 articles in 1 segments"),
    ]
    assert {getattr(r, "index_path") for r in caplog.records} == {str(path)}


def test_slow_searches_over_the_threshold(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    make_index(path).close()
    caplog.clear()
    with Index.open(path) as index:  # the default threshold, 1 s, is far above these searches
        assert index.slow_search == 1.0
        index.search("council")
    with Index.open(path, slow_search=None) as index:
        index.search("council")
    assert records(caplog) == []
    with Index.open(path, slow_search=0) as index:
        index.search("council budget", sources=["Valley Gazette"])
        index.search("x" * 300)
    assert records(caplog) == [
        ("INFO", f"slow search on {path}: N s (threshold N s), 1 matches for 'council budget'"),
        ("INFO", f"slow search on {path}: N s (threshold N s), 0 matches for '{'x' * 200}…'"),
    ]


@pytest.mark.parametrize("value", [-1, "1", True, float("nan")])
def test_the_slow_search_threshold_is_checked(tmp_path: Path, value: object) -> None:
    with pytest.raises(IndexOptionError) as caught:
        Index.create(tmp_path / "news", slow_search=value)  # type: ignore[arg-type]
    assert str(caught.value) == f"slow_search must be a number of seconds, 0 or more, or None, not {value!r}"


def test_skipped_input_names_where_but_not_the_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    index = Index.create(path)
    bad = {"id": "bad-date", "headline": f"About {SECRET_TEXT}", "body": SECRET_TEXT, "date": f"{SECRET_TEXT}"}
    report = index.add_many([NEWS[0], bad, 42])  # type: ignore[list-item]
    assert [(r.location, r.field) for r in report.rejected] == [("record 2", "date"), ("record 3", None)]
    assert SECRET_TEXT in report.rejected[0].reason
    assert records(caplog) == [
        ("INFO", f"committed generation 1 of {path}: 1 articles in 1 segments"),
        ("WARNING", f"skipped record 2 (field date) while adding to {path}"),
        ("DEBUG", f"skipped record 2 while adding to {path}: {report.rejected[0].reason}"),
        ("WARNING", f"skipped record 3 while adding to {path}"),
        ("DEBUG", f"skipped record 3 while adding to {path}: {report.rejected[1].reason}"),
    ]
    assert not any(SECRET_TEXT in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


def test_waiting_for_the_write_lock(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    index = make_index(path, NEWS[:1])
    caplog.clear()
    writer = threading.Thread(target=index.add, args=(NEWS[1],))
    with IndexStore.open(path).write_lock(5):
        holder = (path / "MAIN_WRITELOCK").read_text()
        assert holder.startswith(f"pid {os.getpid()} on {socket.gethostname()} since ")
        writer.start()
        time.sleep(0.3)
    writer.join()
    assert records(caplog) == [
        ("INFO", f"waiting for the write lock of {path}, held by {holder}"),
        ("INFO", f"took the write lock of {path} after waiting N s"),
        ("INFO", f"committed generation 2 of {path}: 2 articles in 2 segments"),
    ]


def test_giving_up_on_the_write_lock(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    index = Index.open(make_index(path, NEWS[:1]).path, lock_timeout=0.1)
    caplog.clear()
    with IndexStore.open(path).write_lock(5):
        holder = (path / "MAIN_WRITELOCK").read_text()
        with pytest.raises(TimeoutError):
            index.add(NEWS[1])
    assert records(caplog) == [
        ("INFO", f"waiting for the write lock of {path}, held by {holder}"),
        ("WARNING", f"gave up waiting for the write lock of {path} after N s (held by {holder})"),
    ]


def test_retries_while_a_segment_file_is_missing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    make_index(path, NEWS[:2]).close()
    (segment,) = path.glob("*.skseg")
    segment.unlink()  # as if a writer had just replaced it
    caplog.clear()
    with pytest.raises(Exception) as caught:
        Index.open(path)
    assert records(caplog) == [
        ("INFO", f"re-reading {path} (retry {n}): a writer replaced its files meanwhile ({type(caught.value).__name__})")
        for n in range(1, 20)
    ]


def test_waiting_for_another_thread_of_this_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "news"
    index = Index.open(make_index(path, NEWS[:1]).path, lock_timeout=0.2, refresh_interval=0)
    caplog.clear()
    started, release = threading.Event(), threading.Event()

    def slowly() -> Iterator[Article]:
        started.set()
        release.wait(10)
        yield NEWS[1]

    writer = threading.Thread(target=index.add_many, args=(slowly(),))
    writer.start()
    started.wait(10)
    with pytest.raises(TimeoutError):
        index.add(NEWS[2])
    release.set()
    writer.join()
    assert records(caplog) == [
        ("INFO", f"waiting for the write lock of {path}, held by another thread of this process"),
        ("WARNING", f"gave up waiting for the write lock of {path} after N s"),
        ("INFO", f"committed generation 2 of {path}: 2 articles in 2 segments"),
    ]
