"""The search page at ``/`` in a real headless Chromium (Debian's ``chromium``), driven by
Playwright against a real server on loopback.

Without chromium or Playwright these tests skip, saying why; with ``CI`` set they fail
instead (``.ci/run`` installs chromium). ``SEARCHKIT_SCREENSHOT=docs/serve-page.png``
also saves the README's screenshot there.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from news_fixtures import NEWS, make_index
from searchkit import Article, Index
from searchkit.server import ServerSettings, create_app

CHROMIUM = os.environ.get("SEARCHKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _require_browser() -> Any:
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright is not installed (pip install playwright; no browser download is needed)"
        sync_playwright = None
    if reason is None and not CHROMIUM:
        reason = "no chromium on PATH (apt-get install chromium; .ci/run does)"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser tests cannot run: {reason}")
        pytest.skip(reason)
    return sync_playwright


HOSTILE = Article(
    id="hostile-markup",
    headline='<img src=x onerror="window.pwned=1"> Harbour <b>bold</b> claims',
    body='The letter read <script>window.pwned = 2</script> and ended with <a href="javascript:1">a link</a>.\n\n'
         "A second paragraph & more.",
    source="Harbor Daily",
    date=date(2023, 12, 5),
)


class SlowIndex:
    """The real index, except that a search for exactly "river" answers after 1.5 s: an old
    answer that arrives after a newer one."""

    def __init__(self, index: Index):
        self._index = index

    def search(self, query: str = "", **options: Any) -> Any:
        if query == "river":
            time.sleep(1.5)
        return self._index.search(query, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)

    def __len__(self) -> int:
        return len(self._index)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Index]]:
    index = make_index(tmp_path_factory.mktemp("page") / "news", [*NEWS, HOSTILE])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(SlowIndex(index), ServerSettings()), host="127.0.0.1", port=port,
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", index
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, site: tuple[str, Index]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.set_default_timeout(10_000)
    yield opened
    context.close()
    assert problems == []


def hit_ids(page: Any) -> list[str]:
    return [href.split("article=")[1] for href in page.eval_on_selector_all(".hit h2 a", "els => els.map(e => e.getAttribute('href'))")]


def status(page: Any) -> str:
    text: str = page.text_content("#status")
    return text


def wait_status(page: Any, text: str) -> None:
    page.wait_for_function("t => document.getElementById('status').textContent === t", arg=text)


def test_typing_shows_the_hits_with_highlights(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/")
    wait_status(page, "11 results")
    page.locator("#q").press_sequentially("flood", delay=40)
    wait_status(page, "3 results for “flood”")
    assert hit_ids(page) == ["flood-insurance", "flood-evacuation", "river-rises"]
    assert page.locator(".hit").nth(0).locator("mark").all_text_contents() == ["flooded", "flooded"]
    assert page.url == base + "/?q=flood"
    assert page.get_by_label("Search the articles").input_value() == "flood"


def test_a_late_answer_never_overwrites_a_newer_one(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/")
    wait_status(page, "11 results")
    page.locator("#q").fill("river")  # answered after 1.5 s
    page.wait_for_timeout(400)  # past the debounce: the "river" request is out
    page.locator("#q").press_sequentially(" bank", delay=20)
    wait_status(page, "3 results for “river bank”")
    page.wait_for_timeout(1800)  # the "river" answer has had time to arrive
    assert status(page) == "3 results for “river bank”"
    assert hit_ids(page) == ["river-footpath", "bank-museum", "river-rises"]


def test_ticking_outlets_changes_the_total_and_keeps_the_others_listed(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/")
    wait_status(page, "11 results")
    outlets = page.locator("#sources label")
    assert outlets.all_inner_texts() == ["Harbor Daily\n4", "Valley Gazette\n4", "The Lantern Post\n2"]
    page.get_by_role("checkbox", name="Valley Gazette").check()
    wait_status(page, "4 results")
    assert page.url == base + "/?source=Valley+Gazette"
    assert outlets.all_inner_texts() == ["Harbor Daily\n4", "Valley Gazette\n4", "The Lantern Post\n2"]
    page.get_by_role("checkbox", name="The Lantern Post").check()  # multi-select
    wait_status(page, "6 results")
    assert page.get_by_role("checkbox", name="Harbor Daily").is_checked() is False
    page.go_back()
    wait_status(page, "4 results")
    assert page.get_by_role("checkbox", name="The Lantern Post").is_checked() is False


def test_dragging_across_date_bars_filters_a_range(page: Any, site: tuple[str, Index]) -> None:
    base, index = site
    page.goto(base + "/")
    wait_status(page, "11 results")
    weeks = index.search("", limit=1).facets.date
    bars = page.locator("#histogram .bar")
    assert bars.count() == len(weeks) == 20
    first, last = bars.nth(5).bounding_box(), bars.nth(13).bounding_box()
    page.mouse.move(first["x"] + first["width"] / 2, first["y"] + first["height"] - 5)
    page.mouse.down()
    page.mouse.move(first["x"] + 30, first["y"] + 40, steps=4)
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] - 5, steps=6)
    page.mouse.up()
    since = date.fromisoformat(str(weeks[5].value))
    until = date.fromisoformat(str(weeks[13].value)) + timedelta(days=6)
    expected = index.search("", since=since, until=until, limit=1).total
    assert (since, until, expected) == (date(2024, 1, 1), date(2024, 3, 3), 4)
    wait_status(page, "4 results")
    assert page.url == f"{base}/?since={since}&until={until}"
    assert [i for i in range(bars.count()) if bars.nth(i).get_attribute("aria-pressed") == "true"] == list(range(5, 14))
    assert bars.count() == 20  # the histogram ignores its own filter: every week stays drawn
    # one click is one week; the keyboard does the same
    bars.nth(14).click()
    wait_status(page, "2 results")
    assert set(hit_ids(page)) == {"river-rises", "flood-evacuation"}
    page.get_by_role("button", name="Clear dates").click()
    wait_status(page, "11 results")
    bars.nth(7).focus()
    page.keyboard.press("Enter")
    wait_status(page, "1 result")
    assert hit_ids(page) == ["budget-draft"]


def test_more_results_follows_the_cursor(page: Any, site: tuple[str, Index]) -> None:
    base, index = site
    page.goto(base + "/?sort=oldest")
    wait_status(page, "11 results")
    assert page.locator("#sort").input_value() == "oldest"
    expected = [hit.id for hit in index.search("", sort="oldest", limit=11).hits]
    assert hit_ids(page) == expected[:10]
    page.get_by_role("button", name="More results").click()
    page.wait_for_function("() => document.querySelectorAll('.hit').length === 11")
    assert hit_ids(page) == expected
    assert page.locator("#more").is_hidden()


def test_opening_an_article_and_going_back(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/?q=leopard")
    wait_status(page, "1 result for “leopard”")
    page.locator(".hit h2 a").click()
    dialog = page.get_by_role("dialog")
    page.wait_for_function("() => document.getElementById('article-title').textContent !== 'Loading…'")
    assert dialog.get_by_role("heading", level=2).inner_text() == NEWS[6].headline
    assert page.url == base + "/?q=leopard&article=leopard-cubs"
    assert dialog.locator("#article-text").inner_text() == NEWS[6].body
    page.keyboard.press("Escape")
    page.wait_for_url(base + "/?q=leopard")
    assert dialog.is_hidden()
    page.go_forward()  # the article is in the history: forward opens it again
    page.wait_for_function("() => document.getElementById('article').open")


def test_markup_in_an_article_is_shown_as_text(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/?q=letter")
    wait_status(page, "1 result for “letter”")
    hit = page.locator(".hit")
    assert hit.locator("h2").inner_text() == HOSTILE.headline
    assert "<script>window.pwned = 2</script>" in hit.locator(".snippet").inner_text()
    assert page.locator(".hits img, .hits script, .hits b, .hits a[href^='javascript']").count() == 0
    hit.locator("h2 a").click()
    page.wait_for_function("() => document.getElementById('article-title').textContent !== 'Loading…'")
    assert page.locator("#article-title").inner_text() == HOSTILE.headline
    assert page.locator("#article-text p").all_inner_texts() == [
        'The letter read <script>window.pwned = 2</script> and ended with <a href="javascript:1">a link</a>.',
        "A second paragraph & more.",
    ]
    assert page.locator("#article img, #article script, #article b").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_did_you_mean_link(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/?q=flod")
    wait_status(page, "No results for “flod”")
    link = page.get_by_role("link", name="floods")
    link.click()
    wait_status(page, "3 results for “floods”")
    assert page.url == base + "/?q=floods"
    page.go_back()
    wait_status(page, "No results for “flod”")
    assert page.locator("#q").input_value() == "flod"


def test_keyboard_and_phone_width(page: Any, site: tuple[str, Index]) -> None:
    base, _ = site
    page.goto(base + "/")
    wait_status(page, "11 results")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to results"
    page.locator("#q").focus()
    page.keyboard.type("budget")
    page.keyboard.press("Enter")
    wait_status(page, "2 results for “budget”")
    page.get_by_role("checkbox", name="The Lantern Post").focus()
    page.keyboard.press("Space")
    wait_status(page, "1 result for “budget”")
    assert page.get_by_role("search").count() == 1 and page.get_by_role("status").count() == 1
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert page.locator("#q").bounding_box()["width"] > 200


def test_screenshot(page: Any, site: tuple[str, Index], tmp_path: Path) -> None:
    base, _ = site
    page.set_viewport_size({"width": 1100, "height": 720})
    page.goto(base + "/?q=river+OR+flood+OR+budget&source=Harbor+Daily&source=Valley+Gazette&since=2024-01-01&until=2024-03-10")
    wait_status(page, "4 results for “river OR flood OR budget”")
    page.wait_for_timeout(200)
    target = Path(os.environ.get("SEARCHKIT_SCREENSHOT") or tmp_path / "page.png")
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
