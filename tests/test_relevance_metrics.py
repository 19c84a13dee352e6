"""The relevance benchmark's metrics on hand-computed cases, and its collection loaders."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `benchmarks`

from benchmarks.relevance.collections import EXPECTED, Counts, load  # noqa: E402
from benchmarks.relevance.metrics import (  # noqa: E402
    average_precision,
    evaluate,
    mean,
    ndcg,
    precision,
    randomization_test,
    recall,
    t_test,
)
from conftest import shared_path  # noqa: E402

# Five docs retrieved; d6 is relevant but never retrieved, d2 is judged not relevant.
RANKING = ["d1", "d2", "d3", "d4", "d5"]
GRADED = {"d1": 3, "d2": 0, "d3": 2, "d5": 1, "d6": 2}


def test_ndcg_with_graded_gains() -> None:
    # DCG   = 3/log2(2) + 2/log2(4) + 1/log2(6)         = 3 + 1 + 0.386853 = 4.386853
    # ideal = 3/log2(2) + 2/log2(3) + 2/log2(4) + 1/log2(5)
    #       = 3 + 1.261860 + 1 + 0.430677               = 5.692536
    # nDCG  = 4.386853 / 5.692536                        = 0.770632
    assert ndcg(RANKING, GRADED) == pytest.approx(0.7706324135634347, abs=1e-12)


def test_ndcg_cuts_at_k() -> None:
    # Only rank 1 (d1, gain 3) counts at k=1; the ideal at k=1 is also gain 3: 3/3.
    assert ndcg(RANKING, GRADED, k=1) == 1.0
    # d3 at rank 2 and d1 at rank 11: only d3 counts, 2/log2(3) = 1.261860;
    # 1.261860 / 5.692536 = 0.221669
    ranking = ["x0", "d3"] + [f"x{i}" for i in range(1, 9)] + ["d1"]
    assert ndcg(ranking, GRADED) == pytest.approx((2 / math.log2(3)) / 5.692536065216308)


def test_average_precision_counts_relevant_docs_never_retrieved() -> None:
    # Relevant: d1, d3, d5, d6 (4). Hits at ranks 1, 3, 5: 1/1 + 2/3 + 3/5 = 2.266667;
    # divided by 4 relevant (d6 was never retrieved): 0.566667.
    assert average_precision(RANKING, GRADED) == pytest.approx(0.5666666666666667)
    # Relevant a, b, c, d; a at rank 1, b at rank 3, c and d missing: (1 + 2/3) / 4.
    assert average_precision(["a", "x", "b"], dict.fromkeys("abcd", 1)) == pytest.approx(5 / 12)


def test_precision_at_10_divides_by_10_with_fewer_results() -> None:
    # 3 relevant (d1, d3, d5) among only 5 results: 3/10, not 3/5.
    assert precision(RANKING, GRADED) == 0.3
    assert precision([], GRADED) == 0.0


def test_recall_at_100_with_more_than_100_results() -> None:
    # 150 results; relevant docs at ranks 50, 100, 101 and 150, and a fifth never retrieved.
    ranking = [f"n{i}" for i in range(1, 151)]
    judged = {"n50": 1, "n100": 1, "n101": 1, "n150": 1, "missing": 1}
    # In the top 100: n50 and n100 -> 2/5.
    assert recall(ranking, judged) == 0.4
    # AP over all 150: (1/50 + 2/100 + 3/101 + 4/150) / 5 = 0.019274
    assert average_precision(ranking, judged) == pytest.approx(0.019273927392739275)


def test_no_relevant_doc_retrieved_scores_zero() -> None:
    judged = {"a": 2, "b": 0}
    for metric in (ndcg, average_precision, precision, recall):
        assert metric(["b", "x", "y"], judged) == 0.0


def test_ranking_is_cut_at_depth_1000() -> None:
    # The only relevant doc sits at rank 1001: outside the evaluated ranking.
    ranking = [f"n{i}" for i in range(1, 1002)]
    assert average_precision(ranking, {"n1001": 1}) == 0.0
    assert average_precision(ranking, {"n1000": 1}) == pytest.approx(1 / 1000)


def test_a_doc_twice_in_one_ranking_is_an_error() -> None:
    with pytest.raises(ValueError, match="'a' occurs twice"):
        precision(["a", "b", "a"], {"a": 1})


def test_evaluate_scores_judged_queries_and_zero_for_missing_runs() -> None:
    qrels = {
        "1": {"a": 1, "b": 1},  # AP: a at rank 2 -> (1/2) / 2 = 0.25
        "2": {"c": 1},  # no ranking in the run: 0
        "3": {"d": 0},  # nothing relevant (like Cranfield's -1 alone): not scored
    }
    scores = evaluate({"1": ["x", "a"], "3": ["d"]}, qrels)
    assert scores["MAP"] == {"1": 0.25, "2": 0.0}
    assert mean(scores["MAP"]) == 0.125
    assert scores["P@10"] == {"1": 0.1, "2": 0.0}


def test_randomization_test() -> None:
    same = {"q1": 0.5, "q2": 0.2}
    assert randomization_test(same, same) == 1.0
    # Two equal differences (1, 1): of the four sign patterns, (+,+) and (-,-) reach
    # |mean| = 1, so p = 2/4 = 0.5 (sampled: within 0.01 with 100,000 trials).
    assert randomization_test({"q1": 1.0, "q2": 1.0}, {"q1": 0.0, "q2": 0.0}) == pytest.approx(0.5, abs=0.01)
    # Twenty equal differences: only the 2 of 2**20 all-equal patterns reach the mean.
    a, b = {str(i): 1.0 for i in range(20)}, {str(i): 0.0 for i in range(20)}
    assert randomization_test(a, b) < 1e-3
    assert randomization_test(a, b, seed=7) == randomization_test(a, b, seed=7)


def test_t_test() -> None:
    # Differences 1, 2, 3: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.4641 with 2 df: p = 0.0742.
    assert t_test({"1": 1.0, "2": 2.0, "3": 3.0}, {"1": 0.0, "2": 0.0, "3": 0.0}) == pytest.approx(0.0741799, abs=1e-6)
    assert t_test({"1": 0.3, "2": 0.4}, {"1": 0.3, "2": 0.4}) == 1.0


def test_adi_counts() -> None:
    folder = shared_path("data", "ir", "adi")
    adi = load("adi", root=folder.parent)
    assert adi.counts() == Counts(docs=82, queries=35, judgments=170, judged_queries=35) == EXPECTED["adi"]
    assert adi.docs["67"][0] == "a national plan for science abstracting and indexing services ."


def test_cranfield_positional_query_ids_and_grades() -> None:
    folder = shared_path("data", "ir", "cran")
    cran = load("cran", root=folder.parent)
    # Query 3 is cran.qry's third record, labelled .I 004.
    assert cran.queries["3"].startswith("what problems of heat conduction in composite slabs")
    # Codes 2 and 3 become gains 3 and 2; the -1 (source document) is judged, gain 0.
    assert (cran.qrels["1"]["184"], cran.qrels["1"]["12"], cran.qrels["1"]["486"]) == (3, 2, 0)
