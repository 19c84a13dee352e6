"""Canonical article URLs (searchkit.urls)."""

from __future__ import annotations

import pytest

from searchkit.urls import canonical_url, is_web_url

CANONICAL = "https://news.example/world/ferry-line"


@pytest.mark.parametrize(
    "variant",
    [
        CANONICAL,
        "HTTPS://News.Example/world/ferry-line",
        "https://news.example/world/ferry-line/",
        "https://news.example/world/ferry-line#top",
        "https://news.example:443/world/ferry-line",
        "https://news.example./world/ferry-line",
        "https://news.example/world/ferry-line?utm_source=rss&utm_campaign=x&UTM_MEDIUM=y",
        "https://news.example/world/ferry-line?fbclid=1&gclid=2&ref=home",
        " https://news.example/world/ferry-line ",
    ],
)
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == CANONICAL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example", "https://news.example/"),
        ("https://news.example/", "https://news.example/"),
        ("http://news.example:8080/a/", "http://news.example:8080/a"),
        ("http://news.example:80/a", "http://news.example/a"),
        ("https://news.example/a?b=2&a=1&utm_x=3", "https://news.example/a?a=1&b=2"),
        ("https://news.example/a?page=", "https://news.example/a?page="),
        ("https://news.example/Case/Kept", "https://news.example/Case/Kept"),
    ],
)
def test_canonical_forms(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://news.example/a", True),
        ("HTTP://news.example", True),
        ("ftp://news.example/a", False),
        ("news.example/a", False),
        ("/relative/path", False),
        ("https://", False),
        ("https://news.example:99999/a", False),
        ("https://news.example:port/a", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_is_web_url(text: str, expected: bool) -> None:
    assert is_web_url(text) is expected
