"""Performance benchmark: indexing and query speed of searchkit beside SQLite FTS5, plain
Whoosh and tantivy, on the real corpora and on seeded scaled corpora made of their text.

Run ``python -m benchmarks.perf.run`` from the repository root; see ``benchmarks/README.md``.
Modules: ``corpus`` (articles), ``queries`` (the query mix), ``base`` (the engine interface),
one ``*_engine`` module per engine, ``worker`` (the child process), ``run`` (the runner).
"""
