"""The one way views reach the app's services: the store, the answers of named queries, the search index, the
dumps, the write gate and its tokens, and the engine for strangers' queries.

`create_app` makes them once, as one frozen `Services`, and keeps it on the app (`install`); a view asks for the
one it needs through a typed accessor (`get_store()`, `gate()`…), so an IDE and mypy can follow it to its class.
`services_of(app)` raises RuntimeError for an app that `create_app` did not make.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app

from ..answer_cache import AnswerCache
from ..dumps import Dumps
from ..endpoint import Engine
from ..queries import Answer
from ..search import SearchIndex
from ..store import Store
from ..writing.gate import WriteGate

T = TypeVar("T")
KEY = "circe_kg"  # the one entry of app.extensions


@dataclass(frozen=True)
class Services:
    """What the app's views share, made once by create_app."""

    store: Store
    answers: AnswerCache  # the answers of named queries, kept per version of the data
    search: SearchIndex
    dumps: Dumps
    gate: WriteGate  # every write goes through it
    tokens: dict[str, tuple[str, str]]  # write token -> (agent name, role); empty: writing is off
    sandbox: Engine  # answers strangers' queries (endpoint.for_store: the engine the store asks for)


def install(app: Flask, services: Services) -> None:
    """Keep `services` on `app`, for the accessors below."""
    app.extensions[KEY] = services


def services_of(app: Flask) -> Services:
    """The services `create_app` kept on `app`. Raises RuntimeError for an app it did not make."""
    found = app.extensions.get(KEY)
    if not isinstance(found, Services):
        raise RuntimeError("this app has no circe-kg services: make it with circe_kg.web.create_app")
    return found


def installed(app: Flask) -> bool:
    """Whether `app` has its services (a bare Flask app, as in a doctest, has none)."""
    return isinstance(app.extensions.get(KEY), Services)


def services() -> Services:
    """The services of the app handling the current request."""
    return services_of(current_app)


def get_store() -> Store:
    return services().store


def gate() -> WriteGate:
    return services().gate


def tokens() -> dict[str, tuple[str, str]]:
    return services().tokens


def search_index() -> SearchIndex:
    return services().search


def dumps() -> Dumps:
    return services().dumps


def sandbox() -> Engine:
    return services().sandbox


def answer(name: str, values: Mapping[str, str | Sequence[str]] | None = None) -> Answer:
    """The answer of queries/{name}.rq, computed once per version of the data (circe_kg.answer_cache)."""
    return services().answers.run(name, values)


def remembered(key: Hashable, compute: Callable[[], T], rows: Callable[[T], int]) -> T:
    """What a page computes from answers (facet counts…), kept like an answer for this version of the data."""
    return services().answers.derived(key, compute, rows)
