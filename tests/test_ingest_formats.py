"""format="auto" over a folder holding every format, and the CLI's --format choices."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
from test_cli import cli
from test_ingest_feed import ATOM, RSS
from test_ingest_html import PAGE
from test_ingest_sgml import CORPUS

from searchkit import read_articles


def write_every_format(folder: Path) -> None:
    folder.mkdir()
    (folder / "a-story.txt").write_text("Allotments open\n\nThe new allotments opened on Friday.")
    (folder / "b-wire.jsonl").write_text('{"title": "Pier repaired", "text": "The pier is open again."}\n')
    (folder / "c-dump.json").write_text('[{"title": "Market moves", "text": "Stalls move to the square."}]')
    (folder / "d-table.csv").write_text("title,content\nBus fares frozen,Fares stay the same next year.\n")
    (folder / "e-table.tsv").write_text("title\tcontent\nLibrary hours longer\tOpen until eight.\n")
    (folder / "f-page.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (folder / "g-feed.xml").write_text(ATOM)
    (folder / "h-feed.rss").write_text(RSS)
    (folder / "sgml").mkdir()
    (folder / "sgml" / "reut2-000.sgm").write_bytes(CORPUS)
    (folder / "sgml" / "lewis.dtd").write_text("<!ELEMENT LEWIS - - (REUTERS*)>")


def test_auto_reads_each_file_by_its_extension_or_content(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_every_format(folder)
    reader = read_articles(folder)
    assert [a.headline for a in reader] == [
        "Allotments open", "Pier repaired", "Market moves", "Bus fares frozen", "Library hours longer",
        "Last crossing for the river ferry", "Lambing season starts early",
        "Sluice gates replaced before the winter floods", "Ferry timetable changes",
        "HIGHLAND MINES RAISE TIN OUTPUT", "CAFÉ CHAIN PLANS SHARE BUYBACK", "",
    ]
    sgm = folder / "sgml" / "reut2-000.sgm"
    assert [str(e).split(": ")[0] for e in reader.errors] == [
        f"{folder / 'h-feed.rss'} item 3", f"{sgm}:30 NEWID 3", f"{sgm}:42 NEWID 5", f"{sgm}:46",
    ]
    assert [(s.path.name, s.rule) for s in reader.skipped] == [("lewis.dtd", "corpus")]


def test_cli_format_reads_any_extension_and_summarises_skips(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "reut2-000.sgm").write_bytes(CORPUS)
    (tmp_path / "corpus" / "all-places-strings.lc.txt").write_text("bolivia\nusa\n")
    done = cli("index", str(tmp_path / "corpus"), "--index", str(tmp_path / "news"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "  skipped 1 path: 1 notes and data beside .sgm files\n" in done.stdout
    (tmp_path / "export.dat").write_text("title,content\nBus fares frozen,Fares stay the same next year.\n")
    unknown = cli("index", str(tmp_path / "export.dat"), "--index", str(tmp_path / "news"))
    assert unknown.returncode == 1
    assert unknown.stderr.endswith("pass --format text, json, jsonl, csv, tsv, html, feed or sgml to read it\n")
    forced = cli("index", str(tmp_path / "export.dat"), "--index", str(tmp_path / "news"), "--format", "csv",
                 "--json", "--quiet")
    assert forced.returncode == 0, forced.stderr
    assert orjson.loads(forced.stdout)["added"] == 1
    wrong = cli("index", str(tmp_path / "export.dat"), "--format", "xml")
    assert wrong.returncode == 2 and "invalid choice: 'xml'" in wrong.stderr
