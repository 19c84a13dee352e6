"""``searchkit index`` over real folders: skipped names, ``--exclude``, folders it cannot enter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest
from test_cli import clean_env, console_script, run
from test_ingest_files import without_root_powers, write

FOLDER = {
    "README.TXT": "Consists of 2225 documents\n\nfrom five areas.",
    "PROVENANCE.md": "# Where this came from",
    "business/001.txt": "Shares rise\n\nMarkets rallied.",
    "business/drafts/002.txt": "Draft story\n\nNot ready.",
    "sport/001.txt": "Cup final tonight\n\nThe teams meet at eight.",
    ".DS_Store": "junk",
}


def test_index_skips_notes_and_excluded_paths_and_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "news", FOLDER)
    index = tmp_path / "index"
    code, out, err = run(capsys, "index", str(tmp_path / "news"), "--index", str(index), "--exclude", "drafts")
    assert (code, err) == (0, "")
    news = tmp_path / "news"
    first, *rest = out.splitlines()
    assert first.startswith(f"{index}: added 2, replaced 0, unchanged 0, rejected 0 in ")
    assert rest == [
        "  skipped 4 paths: 2 not articles by name, 1 by --exclude, 1 hidden",
        f"    {news / '.DS_Store'}: hidden (the name starts with '.')",
        f"    {news / 'PROVENANCE.md'}: not an article by its name (default skip pattern 'PROVENANCE*'; "
        "name the file to read it)",
        f"    {news / 'README.TXT'}: not an article by its name (default skip pattern 'README*'; "
        "name the file to read it)",
        f"    {news / 'business' / 'drafts'}: matches the exclude pattern 'drafts'",
    ]
    code, out, _ = run(capsys, "index", str(news), "--index", str(index), "--json", "--exclude", "drafts")
    assert code == 0
    assert orjson.loads(out)["skipped"] == [
        {"path": str(news / ".DS_Store"), "rule": "hidden", "pattern": None,
         "reason": "hidden (the name starts with '.')"},
        {"path": str(news / "PROVENANCE.md"), "rule": "default", "pattern": "PROVENANCE*",
         "reason": "not an article by its name (default skip pattern 'PROVENANCE*'; name the file to read it)"},
        {"path": str(news / "README.TXT"), "rule": "default", "pattern": "README*",
         "reason": "not an article by its name (default skip pattern 'README*'; name the file to read it)"},
        {"path": str(news / "business" / "drafts"), "rule": "exclude", "pattern": "drafts",
         "reason": "matches the exclude pattern 'drafts'"},
    ]


def test_index_reads_a_readme_named_on_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "news", FOLDER)
    code, out, _ = run(capsys, "index", str(tmp_path / "news" / "README.TXT"), "--index", str(tmp_path / "index"))
    assert code == 0 and out.startswith(f"{tmp_path / 'index'}: added 1, ")
    assert "skipped" not in out


def test_index_excludes_several_patterns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "news", FOLDER)
    code, out, _ = run(
        capsys, "index", str(tmp_path / "news"), "--index", str(tmp_path / "index"), "--json",
        "--exclude", "business/*", "--exclude", "sport",
    )
    data = orjson.loads(out)
    assert (code, data["added"]) == (0, 0)
    assert [(Path(s["path"]).relative_to(tmp_path / "news").as_posix(), s["rule"]) for s in data["skipped"]] == [
        (".DS_Store", "hidden"),
        ("PROVENANCE.md", "default"),
        ("README.TXT", "default"),
        ("business/001.txt", "exclude"),
        ("business/drafts", "exclude"),
        ("sport", "exclude"),
    ]


def test_index_reports_folders_it_cannot_enter_and_indexes_the_rest(tmp_path: Path) -> None:
    write(tmp_path / "news", {**FOLDER, "world/001.txt": "Summit opens\n\nLeaders met."})
    (tmp_path / "out").mkdir()
    closed, listed = tmp_path / "news" / "business", tmp_path / "news" / "sport"
    closed.chmod(0o000)
    listed.chmod(0o444)
    try:
        done = subprocess.run(
            [*without_root_powers(), console_script(), "index", str(tmp_path / "news"), "--json",
             "--index", str(tmp_path / "out" / "index")],
            capture_output=True, text=True, check=False, timeout=120, env=clean_env(),
        )
    finally:
        closed.chmod(0o755)
        listed.chmod(0o755)
    assert (done.returncode, done.stderr) == (0, ""), "exit code as for an unreadable file"
    data = orjson.loads(done.stdout)
    assert (data["added"], data["rejected"]) == (
        1,
        [
            {"location": str(closed), "reason": "cannot list the folder: Permission denied", "field": None},
            {"location": str(listed), "reason": "cannot enter the folder: Permission denied", "field": None},
        ],
    )
