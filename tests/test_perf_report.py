"""The performance benchmark's indexing ratios round by round (benchmarks/perf/run.py): each
round's builds are paired, not each engine's median with the other's."""

from __future__ import annotations

from benchmarks.perf.run import paired_build_ratios, paired_lines

ENGINES = {
    "fts5": {"build_rounds_s": [2.0, 3.0, 2.5]},
    "searchkit": {"build_rounds_s": [4.0, 5.0, 6.25]},
    "tantivy": {"build_rounds_s": [1.0]},  # built once: no rounds to pair
}


def test_each_round_is_paired_with_the_same_round_of_the_reference() -> None:
    assert paired_build_ratios(ENGINES, "searchkit") == [0.5, 0.6, 0.4]
    assert paired_build_ratios(ENGINES, "tantivy") == []
    assert paired_build_ratios(ENGINES, "fts5") == []
    assert paired_build_ratios(ENGINES, "whoosh") == []


def test_the_report_line_gives_each_round_and_the_median() -> None:
    assert paired_lines(ENGINES) == ["", "Indexing ×FTS5, round by round (articles/s over fts5's build in the same "
                                     "round, a few seconds apart): searchkit 0.50, 0.60, 0.40 (median 0.50)."]
    assert paired_lines({"fts5": {"build_rounds_s": [2.0]}}) == []
