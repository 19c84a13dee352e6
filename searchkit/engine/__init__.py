"""The search engine behind :class:`searchkit.Index`: Whoosh storage, searchkit segments.

Everything that knows about Whoosh or the on-disk layout lives in this package; the rest
of searchkit speaks :mod:`searchkit.models`. Modules:

* :mod:`.schema`   the fields, and the same fields in Whoosh's terms
* :mod:`.segfile`  the segment file format (named numpy arrays behind one mmap)
* :mod:`.segment`  building a segment from articles; reading terms, postings, columns
* :mod:`.merge`    merging segments in bounded memory
* :mod:`.store`    the index folder: Whoosh TOC generations, the write lock, write errors
* :mod:`.toc`      reading the table of contents without running code; writing it
* :mod:`.check`    verifying an index: problems, and notes of harmless leftovers
* :mod:`.writer`   adding, replacing and deleting articles; commits
* :mod:`.snapshot` a consistent, refreshable view of the committed segments
"""
