"""RSS 2.0 and Atom feeds (fixtures written for these tests)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import read_articles
from searchkit.errors import ArticleError, ReadError, SearchkitError, UnsupportedFormatError
from searchkit.ingest.feed_format import html_to_text

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Fenland Evening Post</title>
  <link>https://fenpost.example/</link>
  <description>News from the fens</description>
  <item>
    <title>Sluice gates replaced before the winter floods</title>
    <link>https://fenpost.example/2024/10/02/sluice-gates</link>
    <guid isPermaLink="false">fenpost-8812</guid>
    <pubDate>Wed, 02 Oct 2024 07:45:00 +0100</pubDate>
    <dc:creator>Sam Okafor</dc:creator>
    <category>Environment</category>
    <category>Floods</category>
    <description>New gates are in.</description>
    <content:encoded><![CDATA[<p>Engineers fitted four new sluice gates at Denver Mill this week.</p>
<p>The old gates, <b>built in 1959</b>, leaked &amp; jammed.<br>They are now scrap.</p>
<script>track()</script>]]></content:encoded>
  </item>
  <item>
    <title>Ferry timetable changes</title>
    <link>https://fenpost.example/2024/10/03/ferry</link>
    <pubDate>Thu, 03 Oct 2024 09:00:00 GMT</pubDate>
    <description>&lt;p&gt;The winter timetable starts on Monday.&lt;/p&gt;</description>
  </item>
  <item>
    <link>https://fenpost.example/2024/10/04/empty</link>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>The Hill Farmer</title>
  <link href="https://hillfarmer.example/"/>
  <id>urn:uuid:5a8c2e0e-0000-4000-8000-000000000001</id>
  <updated>2024-03-09T12:00:00Z</updated>
  <entry>
    <title type="html">Lambing season &lt;em&gt;starts early&lt;/em&gt;</title>
    <link rel="alternate" href="https://hillfarmer.example/posts/lambing"/>
    <id>urn:uuid:5a8c2e0e-0000-4000-8000-000000000002</id>
    <updated>2024-03-09T11:30:00Z</updated>
    <author><name>Rhian Evans</name></author>
    <category term="farming"/>
    <summary>Short teaser.</summary>
    <content type="html">&lt;p&gt;Mild weather brought the first lambs a fortnight early.&lt;/p&gt;&lt;p&gt;Farmers say the grass is ready.&lt;/p&gt;</content>
  </entry>
</feed>
"""


def test_rss_items_are_articles(tmp_path: Path) -> None:
    path = tmp_path / "fenpost.rss"
    path.write_text(RSS, encoding="utf-8")
    reader = read_articles(path)
    articles = list(reader)
    assert [a.headline for a in articles] == ["Sluice gates replaced before the winter floods", "Ferry timetable changes"]
    gates, ferry = articles
    assert gates.body == (
        "Engineers fitted four new sluice gates at Denver Mill this week.\n\n"
        "The old gates, built in 1959, leaked & jammed.\nThey are now scrap."
    )
    assert (gates.source, gates.url, gates.date) == (
        "Fenland Evening Post", "https://fenpost.example/2024/10/02/sluice-gates", dt.date(2024, 10, 2),
    )
    assert gates.meta == {
        "categories": ["Environment", "Floods"], "author": "Sam Okafor", "guid": "fenpost-8812",
        "feed_url": "https://fenpost.example/", "published_at": "2024-10-02T06:45:00+00:00",
    }
    assert ferry.body == "The winter timetable starts on Monday."
    assert [str(e) for e in reader.errors] == [f"{path} item 3: has no title and no content or summary; not indexed"]
    assert [type(e) for e in reader.errors] == [ArticleError]
    again = list(read_articles(path))
    assert [a.id for a in again] == [a.id for a in articles], "ids are stable (from the item links)"


def test_atom_entries_are_articles(tmp_path: Path) -> None:
    path = tmp_path / "farmer.atom"
    path.write_text(ATOM, encoding="utf-8")
    [entry] = list(read_articles(path))
    assert entry.headline == "Lambing season starts early"
    assert entry.body == "Mild weather brought the first lambs a fortnight early.\n\nFarmers say the grass is ready."
    assert (entry.source, entry.url, entry.date) == (
        "The Hill Farmer", "https://hillfarmer.example/posts/lambing", dt.date(2024, 3, 9),
    )
    assert entry.meta["categories"] == ["farming"] and entry.meta["author"] == "Rhian Evans"


def test_xml_files_are_read_when_they_hold_a_feed(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(ATOM, encoding="utf-8")
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?><urlset><url><loc>https://a.example/</loc></url></urlset>')
    reader = read_articles(tmp_path)
    assert [a.headline for a in reader] == ["Lambing season starts early"]
    assert [str(e) for e in reader.errors] == [
        f"{tmp_path / 'sitemap.xml'}: cannot tell the format from an .xml file that holds no RSS or Atom feed "
        "(known: .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .html.gz, .htm.gz, .rss, .atom, .xml, .sgm, "
        ".sgml); skipped"
    ]
    assert [type(e) for e in reader.errors] == [UnsupportedFormatError]
    forced = read_articles(tmp_path / "sitemap.xml", format="feed")
    assert list(forced) == []
    assert [type(e) for e in forced.errors] == [ReadError]
    assert str(forced.errors[0]).startswith(f"{tmp_path / 'sitemap.xml'}: is not an RSS or Atom feed")


def test_a_malformed_feed_is_read_as_far_as_it_goes_and_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "cut.rss"
    path.write_text(RSS.split("<item>\n    <title>Ferry")[0], encoding="utf-8")  # cut off mid-channel
    reader = read_articles(path)
    assert [a.headline for a in reader] == ["Sluice gates replaced before the winter floods"]
    assert len(reader.warnings) == 1 and reader.warnings[0].startswith(f"{path}: the feed is not well-formed (")


def test_html_to_text() -> None:
    assert html_to_text("<div><h2>Title</h2>Line one<br/>line   two<style>p{}</style></div><ul><li>a</li><li>b</li></ul>") == (
        "Title\n\nLine one\nline two\n\na\n\nb"
    )
    assert html_to_text("Fish &amp; chips") == "Fish & chips"


def test_a_missing_extra_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "fenpost.rss"
    path.write_text(RSS, encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "feedparser.py").write_text("raise ImportError('No module named feedparser')\n")
    done = subprocess.run(
        [sys.executable, "-m", "searchkit", "index", str(path), "--index", str(tmp_path / "news"), "--quiet"],
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(blocker), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert done.stderr == (
        "searchkit index: reading RSS and Atom feeds needs feedparser, which is not installed "
        "(No module named feedparser); pip install 'searchkit[feeds]'\n"
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"<rss version='2.0'>", b"<channel>", b"<item>", b"</item>", b"<title>", b"</title>",
                              b"<feed xmlns='http://www.w3.org/2005/Atom'>", b"<entry>", b"</entry>", b"<link>",
                              b"javascript:x", b"<pubDate>", b"Mon, 99 Foo 2024", b"</pubDate>", b"<updated>",
                              b"9999-99-99T99:99:99Z", b"</updated>", b"&bogus;", b"<![CDATA[<p>x", b"]]>",
                              b"\xff", b"\x00", b"<content:encoded>", b"words"]), max_size=40).map(b"".join),
))
def test_the_feed_reader_never_raises_anything_but_searchkit_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.rss"
    path.write_bytes(data)
    reader = read_articles(path)
    list(reader)
    assert all(isinstance(error, SearchkitError) for error in reader.errors)
