"""The one way views reach the store, and the answers of named queries (cached per version of the data)."""

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from flask import current_app

from ..queries import Answer
from ..store import Store

T = TypeVar("T")


def get_store() -> Store:
    return current_app.extensions["circe_store"]  # type: ignore[no-any-return]


def answer(name: str, values: Mapping[str, str | Sequence[str]] | None = None) -> Answer:
    """The answer of queries/{name}.rq, computed once per version of the data (circe_kg.answer_cache)."""
    return current_app.extensions["circe_answers"].run(name, values)  # type: ignore[no-any-return]


def remembered(key: Hashable, compute: Callable[[], T], rows: Callable[[T], int]) -> T:
    """What a page computes from answers (facet counts…), kept like an answer for this version of the data."""
    return current_app.extensions["circe_answers"].derived(key, compute, rows)  # type: ignore[no-any-return]
