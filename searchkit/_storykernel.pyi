"""Type stubs of the optional C loops of placing an article in a story (searchkit/_storykernel.c)."""

from array import array
from collections.abc import Callable

def candidates(terms: object, vector: object, count: int, day: int, dated: bool, width: int, listings: array[int],
               listed: array[int], listed_weight: array[float], lo: array[int], hi: array[int], sizes: array[int],
               centroids: dict[int, dict[int, float]], length: array[float], rescored: int, /) -> list[int]:
    """The stories StoryClusterer._best_story compares in full, the best first."""

def join(centroid: dict[int, float] | None, terms: object, weights: object, norm2: float, number: int, width: int,
         listings: array[int], listed: array[int], listed_weight: array[float], /) -> float:
    """The terms added to the centroid (None: a first member), the new ones listed; the new norm2."""

def products(vector: object, terms: object, centroid: dict[int, float] | None, head_terms: array[int] | None,
             head_weights: array[float] | None, /) -> list[float]:
    """The products StoryClusterer._best_story sums: the vector's weights times the centroid's
    (None: the head's vector) for the same terms, 0.0 where absent."""

def best(terms: object, vector: object, count: int, day: int, dated: bool, width: int, listings: array[int],
         listed: array[int], listed_weight: array[float], lo: array[int], hi: array[int], sizes: array[int],
         centroids: dict[int, dict[int, float]], length: array[float], rescored: int, first: array[int],
         heads: array[int], head_vector: Callable[[int], tuple[array[int], array[float]]], join_similarity: float,
         undated_similarity: float, missing_day: int, /) -> int | None:
    """The story StoryClusterer._best_story chooses, or None (defined before Python 3.12 only:
    it sums the products as sum() of floats does there)."""

def vectors(term: object, counts: object, offsets: object, df: object, docs: int, logs: object, keep: int,
            /) -> list[tuple[list[int], list[float]]]:
    """StoryClusterer.vectors after the run's terms are numbered: each article's heaviest
    terms and weights, ``df`` (int64 per term number) counted up as the articles come."""
