"""Build hook for the optional C kernels (searchkit/_speedups.c: indexing and snippets; searchkit/_phrases.c:
phrase matching; searchkit/_storykernel.c: placing an article in a story; searchkit/_scoring.c: a query term's weighted
frequencies); the metadata is in pyproject.toml.

The extensions are optional: where no compiler or Python headers exist, the install goes on
without them and searchkit runs the same loops in Python (the index it writes and the results are the same).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("searchkit._speedups", ["searchkit/_speedups.c"], depends=["searchkit/_buffers.h"],
                             optional=True),
                   Extension("searchkit._phrases", ["searchkit/_phrases.c"], optional=True),
                   Extension("searchkit._storykernel", ["searchkit/_storykernel.c"],
                             depends=["searchkit/_centroid.h"], optional=True),
                   Extension("searchkit._scoring", ["searchkit/_scoring.c"], depends=["searchkit/_buffers.h"],
                             optional=True)])
