"""Relevance benchmark: searchkit and BM25 peers on classic IR test collections.

Run ``python -m benchmarks.relevance.run`` from the repository root; see ``run.py``.
"""
