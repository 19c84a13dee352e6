"""How well searchkit finds the article body in real web pages.

    python -m benchmarks.extraction [--data ../shared/data/article-extraction] [--worst 5]

Reads each saved page of the article-extraction benchmark (90 pages from about 90 sites,
see its PROVENANCE.md) with searchkit's own reader (``read_articles``, trafilatura
underneath) and compares the body it would index with the body a person marked, by the
benchmark's measure: tokens are ``\\w+`` runs; each text is the multiset of its 4-token
shingles; per page tp/fp/fn are the shingles matched, extra and missing, normalised to
sum to 1; precision and recall are the means over pages of tp/(tp+fp) and tp/(tp+fn)
(both 1 when nothing is extra or missing, 0 when nothing matched); F1 = 2PR/(P+R).
A page searchkit reports as "no article found" counts as an empty body. The body is
compared alone, as searchkit indexes it (the headline is its own field);
``--with-headline`` compares headline + body instead.
"""

from __future__ import annotations

import argparse
import platform
import re
import time
from collections import Counter
from pathlib import Path

import orjson

from searchkit.ingest import read_articles

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "article-extraction"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[str]:
    tokens = _TOKEN.findall(text or "")
    return Counter(" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def tp_fp_fn(true: str, predicted: str) -> tuple[float, float, float]:
    want, got = shingles(true), shingles(predicted)
    tp = fp = fn = 0.0
    for key in want.keys() | got.keys():
        tp += min(want[key], got[key])
        fp += max(0, got[key] - want[key])
        fn += max(0, want[key] - got[key])
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def precision_recall(tp: float, fp: float, fn: float) -> tuple[float, float]:
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    if tp == 0:
        return 0.0, 0.0
    return tp / (tp + fp), tp / (tp + fn)


def measure(data: Path, *, with_headline: bool = False) -> dict[str, object]:
    """Precision, recall, F1 and the per-page figures over every page of ``data``."""
    truth = orjson.loads((data / "ground-truth.json").read_bytes())
    pages = []
    started = time.perf_counter()
    for key in sorted(truth):
        reader = read_articles(data / "html" / f"{key}.html.gz")
        articles = list(reader)
        body = ""
        if articles:
            body = articles[0].body
            if with_headline and articles[0].headline:
                body = f"{articles[0].headline}\n\n{body}"
        precision, recall = precision_recall(*tp_fp_fn(truth[key]["articleBody"], body))
        pages.append({"key": key, "url": truth[key]["url"], "precision": precision, "recall": recall,
                      "found": bool(articles), "errors": [str(e) for e in reader.errors]})
    seconds = time.perf_counter() - started
    precision = sum(float(p["precision"]) for p in pages) / len(pages)
    recall = sum(float(p["recall"]) for p in pages) / len(pages)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pages": pages, "precision": precision, "recall": recall, "f1": f1, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--worst", type=int, default=5, help="list the N pages with the lowest F1")
    parser.add_argument("--with-headline", action="store_true", help="compare headline + body, not the body alone")
    args = parser.parse_args()
    import trafilatura

    result = measure(args.data, with_headline=args.with_headline)
    pages: list[dict[str, object]] = result["pages"]  # type: ignore[assignment]
    print(f"article-extraction: {len(pages)} pages from {args.data}")
    print(f"searchkit read_articles (trafilatura {trafilatura.__version__}), "
          f"{platform.python_version()} on {platform.machine()}, {result['seconds']:.1f}s")
    print(f"body F1 {result['f1']:.3f}  precision {result['precision']:.3f}  recall {result['recall']:.3f}")
    missed = [p for p in pages if not p["found"]]
    print(f"pages with no article found: {len(missed)}")

    def f1(page: dict[str, object]) -> float:
        p, r = float(page["precision"]), float(page["recall"])  # type: ignore[arg-type]
        return 2 * p * r / (p + r) if p + r else 0.0

    for page in sorted(pages, key=f1)[: args.worst]:
        print(f"  F1 {f1(page):.3f} P {float(page['precision']):.3f} R {float(page['recall']):.3f}  {page['url']}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
