"""Build hook for the optional C kernel (searchkit/_speedups.c); the metadata is in pyproject.toml.

The extension is optional: where no compiler or Python headers exist, the install goes on
without it and searchkit runs the same loop in Python (the index it writes is the same).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("searchkit._speedups", ["searchkit/_speedups.c"], optional=True)])
