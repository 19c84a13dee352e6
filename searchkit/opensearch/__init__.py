"""searchkit on an OpenSearch cluster: :class:`OpenSearchIndex` (needs ``searchkit[opensearch]``).

One idea per module: :mod:`.connection` (URL, credentials, TLS, errors), :mod:`.mapping`
(fields and analysis from searchkit's schema), :mod:`.translate` (query tree to DSL),
:mod:`.index` (the index class) and :mod:`.batch` (writes sent together). Importing this
package does not import opensearch-py; using an index without it raises :class:`~searchkit.errors.MissingExtraError`.
"""

from .batch import OpenSearchBatch
from .connection import ClusterTarget, is_index_url, parse_index_url
from .index import OpenSearchIndex
from .mapping import BUILTIN_DIFFERENCES, MAPPING_VERSION

__all__ = [
    "BUILTIN_DIFFERENCES",
    "MAPPING_VERSION",
    "ClusterTarget",
    "OpenSearchBatch",
    "OpenSearchIndex",
    "is_index_url",
    "parse_index_url",
]
