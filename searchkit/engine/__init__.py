"""The search engine behind :class:`searchkit.Index`: Whoosh storage, searchkit segments.

Everything that knows about Whoosh or the on-disk layout lives in this package; the rest
of searchkit speaks :mod:`searchkit.models`. Modules:

* :mod:`.schema`   the fields, and the same fields in Whoosh's terms
* :mod:`.segfile`  the segment file format (named numpy arrays behind one mmap)
* :mod:`.segment`  building a segment file from articles (``SegmentBuilder``); reading one
  (``SegmentReader``: terms, postings, columns)
* :mod:`.merge`    merging segments in bounded memory
* :mod:`.store`    the index folder: Whoosh TOC generations, the write lock, write errors;
  ``SearchkitSegment``, a segment's record in the table of contents, ``GuardSegment``, the
  record an index without segments lists (it refuses Whoosh's writer), and ``SearchkitCodec``
* :mod:`.toc`      reading the table of contents without running code; writing it
* :mod:`.check`    verifying an index: problems, and notes of harmless leftovers
* :mod:`.writer`   adding, replacing and deleting articles; commits (:class:`~.writer.ArticleWriter`)
* :mod:`.snapshot` a consistent, refreshable view of the committed segments (one
  :class:`~.snapshot.LoadedSegment` per segment: its reader, its record, its live documents)
* :mod:`.execute`  running a query tree: matching documents and BM25F scores, in numpy
* :mod:`.search`   one search: match, filter, count facets, sort, page, build the hits
* :mod:`.facets`   source counts and the date histogram
* :mod:`.fuzzy`    close terms for fuzzy words (edit distance, letter counts)
* :mod:`.suggest`  did-you-mean respellings of a query that found little
* :mod:`.feedback` pseudo-relevance feedback (RM3) for ``search(feedback=True)``
* :mod:`.notes`    notes that explain an empty result (unknown sources, stop words)
* :mod:`.stories`   grouping articles into news stories as they are added (the clustering)
* :mod:`.storyfile` the stories of each generation on disk (written before the commit point),
  for writers (``StoryLog``) and readers (``StoryTable``)
* :mod:`.storylist` reading stories: an article's story, lists, the story facet, collapse
* :mod:`.codec`    Whoosh's read side over searchkit segments, so Whoosh's own ``open_dir``,
  searcher and parsers read a searchkit index (one module per codec role: ``terms``,
  ``postings``, ``documents``, ``empty`` for the guard segment, and ``weighting``: searchkit's
  BM25F for Whoosh's searcher);
  Whoosh's writers are refused
"""
