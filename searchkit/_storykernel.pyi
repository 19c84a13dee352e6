"""Type stubs of the optional C loops of story clustering (searchkit/_storykernel.c)."""

from array import array
from collections.abc import Callable, Iterable, Iterator

class Centroid:
    """A story's centroid: term number -> summed weight, in the order the terms came (as a
    dict keeps them), held in two flat arrays (searchkit/_centroid.h)."""

    def __init__(self, terms: Iterable[int] = ..., weights: Iterable[float] = ..., /) -> None: ...
    def get(self, term: int, default: float | None = None, /) -> float | None: ...
    def __getitem__(self, term: int, /) -> float: ...
    def __setitem__(self, term: int, weight: float, /) -> None: ...
    def __delitem__(self, term: int, /) -> None: ...
    def __contains__(self, term: object, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[int]: ...
    def pop(self, term: int, default: float | None = ..., /) -> float | None: ...
    def keys(self) -> list[int]: ...
    def values(self) -> list[float]: ...
    def items(self) -> list[tuple[int, float]]: ...
    def update(self, pairs: Iterable[tuple[int, float]], /) -> None: ...

def vectors(term: object, counts: object, offsets: object, df: object, docs: int, keep: int,
            out_terms: object, out_weights: object, out_offsets: object, /) -> int:
    """StoryClusterer.vectors after the run's terms are numbered: each article's heaviest
    terms and weights written out, ``df`` (int64 per term number) counted up as the articles
    come; returns how many entries were written."""

def place(terms: object, weights: object, offsets: object, first_row: int, next_story: int,
          settings: tuple[int, int, int, float, float, int | None, int],
          story_arrays: tuple[array[int], array[int], array[int], array[int], array[int], array[int], array[float],
                              bytearray],
          row_arrays: tuple[array[int], array[int], array[int], array[int], array[int], array[float], int],
          rings: tuple[array[int], array[int], array[float]], centroids: dict[int, Centroid],
          row_vector: Callable[[int], tuple[array[int], array[float]]], /) -> tuple[list[int], int]:
    """StoryClusterer.place_many after the run's rows are appended: each article's story
    number (a new one from next_story on where none is similar enough), and the next story number."""

def representatives(numbers: object, size: array[int], head: array[int], next: array[int], rep: array[int],
                    vector_start: array[int], terms: array[int], weights: array[float], entry_base: int,
                    centroids: dict[int, Centroid], row_vector: Callable[[int], tuple[array[int], array[float]]],
                    /) -> None:
    """StoryClusterer._update_representatives for the story numbers given: each live story's
    representative row (the member closest to its centroid, the earliest of equals) written
    into ``rep``."""
