"""Reuters-21578 SGML (``.sgm``): a hand-written corpus file, then the real collection.

The real-collection counts are computed here from the raw bytes with plain string
searches (independently of searchkit's scanner) and compared with what the reader gives.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import Index, read_articles
from searchkit.errors import ArticleError, ReadError, SearchkitError
from searchkit.ingest.sgml_format import parse_reuters_date

CORPUS = b"""<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="900" NEWID="1">
<DATE> 3-MAR-1987 09:15:00.25</DATE>
<TOPICS><D>tin</D><D>copper</D></TOPICS>
<PLACES><D>bolivia</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS><D>itc</D></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN> &#5;&#5;&#5;M
&#22;&#22;&#1;f0001&#31;reute</UNKNOWN>
<TEXT>&#2;
<TITLE>HIGHLAND MINES RAISE TIN OUTPUT</TITLE>
<AUTHOR>    by A. Writer, Reuters</AUTHOR>
<DATELINE>    LA PAZ, March 3 - </DATELINE><BODY>Highland mines lifted tin output &lt;by a third> in
the last quarter, the mining board said.
    Copper shipments were steady.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS=NO LEWISSPLIT=TEST NEWID=2>
<DATE>3-MAR-1987  10:00:00.00&#5;&#5;&#5;RM</DATE>
<TOPICS></TOPICS><PLACES><D>usa</D></PLACES><PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>CAF\xc9 CHAIN PLANS SHARE BUYBACK
</TITLE>Blah blah blah.
&#3;
</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="3">
<DATE>4-MAR-1987 605:12:19.12</DATE>
<TEXT TYPE="UNPROC">&#2;
WEEKLY RESERVES TABLE
  Item ............ 1 vs 2
&#3;</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="4">
<DATE>31-MAR-1987 605:12:19.12</DATE>
<TEXT>&#2;<BODY>A body with no title, dated on a garbled time.
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="5">
<DATE>sometime</DATE>
<TEXT><TITLE>BAD DATE</TITLE><BODY>Body.</BODY></TEXT>
</REUTERS>
<REUTERS NEWID="6">
<TEXT><TITLE>NEVER CLOSED</TITLE>
"""


def test_each_reuters_record_is_an_article_with_its_categories(tmp_path: Path) -> None:
    path = tmp_path / "reut2-000.sgm"
    path.write_bytes(CORPUS)
    reader = read_articles(path)
    articles = list(reader)
    assert [a.id for a in articles] == ["reuters-1", "reuters-2", "reuters-4"]
    first, brief, untitled = articles
    assert first.headline == "HIGHLAND MINES RAISE TIN OUTPUT"
    assert first.body == (
        "Highland mines lifted tin output <by a third> in\nthe last quarter, the mining board said.\n"
        "    Copper shipments were steady."
    )
    assert (first.source, first.date) == ("Reuters", dt.date(1987, 3, 3))
    assert first.meta == {
        "newid": 1, "text_type": "NORM", "oldid": 900, "lewissplit": "TRAIN", "cgisplit": "TRAINING-SET",
        "topics_attribute": "YES", "topics": ["tin", "copper"], "places": ["bolivia"], "people": [],
        "orgs": ["itc"], "exchanges": [], "dateline": "LA PAZ, March 3", "author": "by A. Writer, Reuters",
        "published_at": "1987-03-03T09:15:00.250000",
    }
    assert (brief.headline, brief.body, brief.meta["text_type"]) == ("CAFÉ CHAIN PLANS SHARE BUYBACK", "", "BRIEF")
    assert brief.meta["published_at"] == "1987-03-03T10:00:00"
    assert brief.meta["topics_attribute"] == "NO" and brief.meta["lewissplit"] == "TEST"
    assert (untitled.headline, untitled.date) == ("", dt.date(1987, 3, 31))
    assert "published_at" not in untitled.meta
    assert [str(e) for e in reader.errors] == [
        f"{path}:30 NEWID 3: has no TITLE and no BODY (TEXT TYPE=\"UNPROC\": unstructured text); not indexed",
        f"{path}:42 NEWID 5: field 'date': is not a date in the form 26-FEB-1987 15:02:20.00: 'sometime'",
        f"{path}:46: a <REUTERS> record is not closed by </REUTERS>; it was not read",
    ]
    assert [type(e) for e in reader.errors] == [ArticleError, ArticleError, ReadError]
    assert reader.warnings == [
        f"{path}:25: not valid UTF-8; decoded as cp1252",
        f"{path}: 1 record(s) have a title but no body (TYPE=\"BRIEF\" flashes), "
        "indexed with the headline only: NEWID 2",
    ]


def test_reuters_dates() -> None:
    assert parse_reuters_date("26-FEB-1987 15:02:20.00") == dt.datetime(1987, 2, 26, 15, 2, 20)
    assert parse_reuters_date(" 1-MAR-1987 01:41:26.47") == dt.datetime(1987, 3, 1, 1, 41, 26, 470000)
    assert parse_reuters_date("19-OCT-1987 16:00:52.31&#5;&#5;&#5;RM") == dt.datetime(1987, 10, 19, 16, 0, 52, 310000)
    assert parse_reuters_date("31-MAR-1987 605:12:19.12") == dt.date(1987, 3, 31)
    assert parse_reuters_date("31-FOO-1987") is None and parse_reuters_date("31-FEB-1987") is None


def test_a_folder_of_sgm_files_skips_its_notes_and_data_files(tmp_path: Path) -> None:
    (tmp_path / "reut2-000.sgm").write_bytes(CORPUS)
    (tmp_path / "README.txt").write_text("About the collection\n\nIt is old.")
    (tmp_path / "all-places-strings.lc.txt").write_text("bolivia\nusa\n")
    (tmp_path / "lewis.dtd").write_text("<!ELEMENT LEWIS - - (REUTERS*)>")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "story.txt").write_text("A headline\n\nA body.")
    reader = read_articles(tmp_path)
    articles = list(reader)
    assert [a.headline for a in articles[:1]] == ["A headline"], "a subfolder is walked as usual: its .txt is read"
    assert [a.id for a in articles[1:]] == ["reuters-1", "reuters-2", "reuters-4"]
    assert [(s.path.name, s.rule) for s in reader.skipped] == [
        ("README.txt", "default"), ("all-places-strings.lc.txt", "corpus"), ("lewis.dtd", "corpus"),
    ]
    assert str(reader.skipped[1]) == (
        f"{tmp_path / 'all-places-strings.lc.txt'}: skipped, notes or data of the .sgm corpus in its folder, "
        "not articles (name the file to read it)"
    )
    named = read_articles(tmp_path / "all-places-strings.lc.txt")
    assert [a.headline for a in named] == ["bolivia usa"], "a file named explicitly is read"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from([
        b"<REUTERS", b" NEWID=", b'"7"', b"12", b">", b"</REUTERS>", b"<TEXT", b"<TITLE>", b"</TITLE>",
        b"<BODY>", b"</BODY>", b"</TEXT>", b"<DATE>", b"</DATE>", b"29-FEB-1987 25:61:00.00", b"&#2;",
        b"&lt;", b"&#99999999;", b"\xff", b"<D>", b"</D>", b"<TOPICS>", b"</TOPICS>", b"x", b"\n",
    ]), max_size=40).map(b"".join),
))
def test_the_sgml_reader_never_raises_anything_but_searchkit_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.sgm"
    path.write_bytes(data)
    reader = read_articles(path)
    for article in reader:
        assert article.id.startswith("reuters-")
    assert all(isinstance(error, SearchkitError) for error in reader.errors)


# The real collection


def raw_records(folder: Path) -> list[tuple[int, bool, bool]]:
    """(NEWID, has a title, has a body) of every record, by plain string search on the raw bytes."""
    records = []
    for path in sorted(folder.glob("*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for chunk in text.split("<REUTERS ")[1:]:
            newid = int(re.search(r'NEWID="(\d+)"', chunk.split(">", 1)[0]).group(1))  # type: ignore[union-attr]

            def filled(tag: str) -> bool:
                start = chunk.find(f"<{tag}>")
                end = chunk.find(f"</{tag}>")
                inner = re.sub(r"&#\d+;|\s|Reuter", "", chunk[start + len(tag) + 2 : end]) if start >= 0 else ""
                return bool(inner)

            records.append((newid, filled("TITLE"), filled("BODY")))
    return records


@pytest.mark.slow
def test_the_reuters_folder_gives_every_record_with_a_title_or_a_body(tmp_path: Path) -> None:
    folder = shared_path("data", "reuters21578")
    records = raw_records(folder)
    assert len(records) == 21578  # PROVENANCE.md
    wanted = [newid for newid, title, body in records if title or body]
    untitled_unbodied = [newid for newid, title, body in records if not title and not body]
    title_only = [newid for newid, title, body in records if title and not body]
    assert (len(wanted), len(untitled_unbodied), len(title_only)) == (20841, 737, 1798)

    reader = read_articles(folder)
    index = Index.create(tmp_path / "reuters")
    report = index.add_many(reader)
    assert (report.added, report.replaced, report.unchanged) == (len(wanted), 0, 0)
    assert sorted(int(a.id.removeprefix("reuters-")) for a in index.articles()) == sorted(wanted)
    assert [r.location.rsplit(" NEWID ", 1)[1] for r in report.rejected] == [str(n) for n in untitled_unbodied]
    assert {r.reason for r in report.rejected} == {
        'has no TITLE and no BODY (TEXT TYPE="UNPROC": unstructured text); not indexed'
    }
    listed = [int(n) for w in reader.warnings if "title but no body" in w for n in w.split("NEWID ")[1].split(", ")]
    assert listed == title_only
    assert [w for w in reader.warnings if "title but no body" not in w] == [
        f"{folder / 'reut2-017.sgm'}:35578: not valid UTF-8; decoded as cp1252"
    ]
    assert sorted(s.path.name for s in reader.skipped) == sorted(
        p.name for p in folder.iterdir() if p.suffix != ".sgm"
    )
    assert index.search("cocoa", limit=1).total > 0
    bahia = index.get("reuters-1")
    assert bahia is not None and bahia.headline == "BAHIA COCOA REVIEW"
    assert (bahia.date, bahia.meta["topics"], bahia.meta["places"]) == (
        dt.date(1987, 2, 26), ["cocoa"], ["el-salvador", "usa", "uruguay"],
    )
