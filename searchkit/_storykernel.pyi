"""Type stubs of the optional C loops of story clustering (searchkit/_storykernel.c)."""

from array import array
from collections.abc import Callable

def vectors(term: object, counts: object, offsets: object, df: object, docs: int, logs: object, keep: int,
            out_terms: object, out_weights: object, out_offsets: object, /) -> int:
    """StoryClusterer.vectors after the run's terms are numbered: each article's heaviest
    terms and weights written out, ``df`` (int64 per term number) counted up as the articles
    come; returns how many entries were written."""

def place(terms: object, weights: object, offsets: object, first_row: int, next_story: int,
          settings: tuple[int, int, int, float, float, int | None, int, int],
          story_arrays: tuple[array[int], array[int], array[int], array[int], array[int], array[int], array[int],
                              array[int], array[float], array[float], bytearray],
          row_arrays: tuple[array[int], array[int], array[int], array[int], array[int], array[float], int],
          rings: tuple[array[int], array[int], array[float]], centroids: dict[int, dict[int, float]],
          term_keys: list[int], row_vector: Callable[[int], tuple[array[int], array[float]]], /) -> tuple[list[int], int]:
    """StoryClusterer.place_many after the run's rows are appended: each article's story
    number (a new one from next_story on where none is similar enough), and the next story number."""
