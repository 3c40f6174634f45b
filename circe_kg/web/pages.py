"""Machine twins: a page that shows data answers the same data as JSON, as datasette's pages do.

`page(template, status, **data)` renders `template` with `data` for a person, or answers `data` as JSON when
the request asks for it: `?format=json`, or an Accept header that prefers application/json to text/html
(werkzeug's `best_match`; no Accept, or `*/*`, is a browser's and gets the page). Both answers have the same
status and `Vary: Accept`. `plain()` says how the values views pass are written in JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

import pyoxigraph as ox
import rdflib
from flask import Response, render_template, request
from flask_babel import LazyString

from ..errors import BadParameter

HTML, JSON = "text/html", "application/json"
FORMATS = ("html", "json")  # the ?format= values every page with a twin answers


def wants_twin(also: Iterable[str] = (), by_format: bool = True) -> bool:
    """True when the request asks for the JSON twin: `?format=json`, or Accept prefers application/json to
    text/html. Raises BadParameter (400) for a `?format=` that is neither html, json nor one of `also` (the
    formats a page serves itself), naming the values allowed — so that a typo is not silently a page.
    `by_format=False`: for a page whose `format` parameter means something else (/query's download format), only
    Accept asks, and `format` is left alone."""
    named = request.args.get("format") if by_format else None
    if named is not None and named not in FORMATS and named not in also:
        allowed = ", ".join(f"format={value}" for value in (*FORMATS, *also))
        raise BadParameter(f"no format {named[:20]!r} for this page", f"use {allowed}, or leave it out")
    if named is not None:
        return named == "json"
    return request.accept_mimetypes.best_match([HTML, JSON]) == JSON


def twin(data: Any, status: int = 200) -> Response:
    """`data` as JSON (see `plain`), with `status` and `Vary: Accept` (the same address also answers a page)."""
    response = Response(json.dumps(plain(data), ensure_ascii=False) + "\n", status=status, mimetype=JSON)
    response.vary.add("Accept")
    return response


def page(template: str, status: int = 200, *, drawing: Mapping[str, Any] | None = None, **data: Any) -> Response:
    """`template` rendered with `data` (and `drawing`), or — when the request asks for it (`wants_twin`) — `data`
    as JSON, with the same `status` either way. `drawing` is what only draws the page (a map's country outlines,
    a module of helpers), left out of the twin so that it holds the data. Raises BadParameter for an unknown
    `?format=`."""
    if wants_twin():
        return twin(data, status)
    return rendered(template, status, **data, **(drawing or {}))


def rendered(template: str, status: int = 200, **data: Any) -> Response:
    """`template` rendered with `data`, with `status` and `Vary: Accept` (the same address also answers JSON)."""
    response = Response(render_template(template, **data), status=status, mimetype=HTML)
    response.vary.add("Accept")
    return response


def plain(value: Any) -> Any:
    """`value` as JSON can hold it, so that a twin says what its page shows:

    - an IRI (rdflib URIRef, pyoxigraph NamedNode) as the IRI; any other RDF term in its N-Triples (N3) form, which
      keeps a literal's language and datatype (`"Milano"@it`, `_:b0`);
    - an object with `to_dict()` (errors, reports, problems) as that dict; a dataclass as a dict of its fields; a
      named tuple as a dict; a list, tuple, set or generator as a list (a set sorted);
    - dates as ISO 8601, `Decimal` as its exact text, an Enum as its value, a path or lazy translated text as text;
    - callables and modules (helpers a template calls, not data) left out, as keys of a dict and items of a list.

    >>> plain({"when": dt.date(2021, 3, 1), "iri": rdflib.URIRef("https://w3id.org/circe-kg/id/x"), "f": len})
    {'when': '2021-03-01', 'iri': 'https://w3id.org/circe-kg/id/x'}
    >>> plain([rdflib.Literal("Milano", lang="it"), {"b", "a"}, Decimal("1.10")])
    ['"Milano"@it', ['a', 'b'], '1.10']
    """
    converted = _convert(value)
    return converted if converted is not _SKIP else None


_SKIP = object()  # what a value that is no data becomes: left out of its dict or list


def _convert(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    for kind, write in _WRITERS:  # first: rdflib's terms are strings too
        if isinstance(value, kind):
            return write(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (types.ModuleType, type)) or callable(value):
        return _SKIP
    if hasattr(value, "to_dict"):
        return _convert(value.to_dict())
    if dataclasses.is_dataclass(value):
        return _mapping({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return _mapping(value._asdict())
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, (set, frozenset)):
        return sorted(_sequence(value), key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return _sequence(value)
    return str(value)


def _mapping(value: Mapping) -> dict[str, Any]:
    out = {}
    for key, item in value.items():
        converted = _convert(item)
        if converted is not _SKIP:
            out[key if isinstance(key, str) else json.dumps(plain(key))] = converted
    return out


def _sequence(value: Iterable) -> list[Any]:
    return [converted for item in value if (converted := _convert(item)) is not _SKIP]


_WRITERS: list[tuple[type | tuple[type, ...], Callable[[Any], Any]]] = [
    ((rdflib.URIRef, ox.NamedNode), lambda term: str(term) if isinstance(term, rdflib.URIRef) else term.value),
    (rdflib.term.Identifier, lambda term: term.n3()),
    ((ox.Literal, ox.BlankNode, ox.Triple, ox.Quad), str),
    ((dt.date, dt.time), lambda day: day.isoformat()),  # datetime is a date
    (Decimal, str),
    (Enum, lambda member: _convert(member.value)),
    ((PurePath, LazyString), str),
]
