"""Edit and create resources in the browser, with forms generated from the shapes (circe_kg/forms.py).
A save goes through the same write gate as every other write: on a violation the form comes back with each
message next to its field, and nothing is stored."""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from .. import queries
from ..binding import value_of
from ..errors import CirceError, Conflict, NotFound, ValidationFailed
from ..forms import Field, fields_for, fill, triples_from_form
from ..namespaces import GRAPH, KIND_PREFIXES, RDF, compact
from ..sheets.layout import KINDS
from ..writing.gate import EDITS_GRAPH
from .auth import form_agent
from .pages import page, wants_twin
from .services import gate, get_store, tokens
from .uris import base, local_href

bp = Blueprint("edit", __name__)
CREATABLE = {kind: class_iri for kind, (class_iri, _) in KINDS.items()}  # every kind a spreadsheet can hold


@bp.context_processor
def _picker() -> dict:
    """The link pickers' words in the reader's language (static/picker.js reads them from the form)."""

    def picker_strings() -> dict[str, str]:
        return {
            "hint": _("Type to search, then choose with the up and down arrows and Enter."),
            "noResults": _("No match"),
            "chosen": _("Chosen"),
            "nothingChosen": _("Nothing chosen yet."),
            "remove": _("Remove %(label)s", label="{label}"),
            "added": _("Added: %(label)s", label="{label}"),
            "removed": _("Removed: %(label)s", label="{label}"),
            "notAChoice": _(
                "“%(text)s” is not one of the choices: pick one from the list, or clear the field.", text="{text}"
            ),
            "results": _("Matches: %(count)s", count="{count}"),
            "highlighted": _("%(option)s, %(index)s of %(count)s", option="{option}", index="{index}", count="{count}"),
        }

    return {"picker_strings": picker_strings}


def _describe(iri: str) -> list:
    return queries.run(get_store(), "resource-description", {"resource": iri}).triples or []


def _class_of(triples: list, iri: str) -> str:
    types = [t.object.value for t in triples if t.subject.value == iri and t.predicate.value == str(RDF.type)]
    editable = [(len(fields_for(get_store(), t, with_choices=False)), t) for t in types]
    editable = [(n, t) for n, t in editable if n]
    if not editable:
        raise NotFound(f"<{iri}> has no edit form", "only resources of a class with shapes can be edited")
    return max(editable)[1]


def _render(
    fields: list[Field],
    title: str,
    action: str,
    status: int = 200,
    message: str | None = None,
    general: list[str] | None = None,
    slug: str | None = None,
    base: str | None = None,
) -> Response:
    """The form, its fields in their groups (each with its values and errors); its twin (?format=json) the same."""
    groups: dict[str, list[Field]] = {}
    for f in fields:
        groups.setdefault(f.group or "", []).append(f)
    enabled = bool(tokens())
    return page(
        "edit/edit.html",
        status,
        groups=groups,
        title=title,
        action=action,
        message=message,
        general=general or [],
        slug=slug,
        base=base,
        writes_enabled=enabled,
    )


def _save(
    iri: str,
    fields: list[Field],
    graph: str,
    keep: list,
    operation: str,
    title: str,
    action: str,
    slug: str | None = None,
    stored: list | None = None,
) -> BaseResponse:
    form = request.form.to_dict(flat=False)
    # The version the form was opened on: a save over a later one is refused, never silently written over it.
    opened_on = request.form.get("base")
    expect = {graph: opened_on} if opened_on is not None else None
    try:
        agent = form_agent()
        new = triples_from_form(fields, form, iri)
        if g.role == "editor":  # held for review, like every editor's write
            number = gate().propose({graph: keep + new}, operation, agent, expect=expect)
            return _render(
                fields, title, action, 202, f"Submitted as draft {number}: a reviewer will publish it.", slug=slug
            )
        change = gate().commit({graph: keep + new}, operation, agent, expect=expect)
    except Conflict:
        _refill(fields, form)
        if not _differences(fields, _describe(iri), iri):  # the same save again (a double click): it is stored
            return _saved_already(iri, graph)
        changed = _now_stored(fields, stored or [], iri)
        return _render(
            fields,
            title,
            action,
            409,
            "Not saved: someone saved this record after you opened it. What you typed is kept below; each field "
            "whose stored value differs from it shows the value stored now. Merge them, then save again.",
            [f"{name}: now stored {value}" for name, value in changed] or None,
            slug,
            base=gate().base(graph),
        )
    except ValidationFailed as failure:
        by_path = {compact(f.path): f for f in fields}
        general = []
        for result in failure.report.results:  # the gate reports warnings only about what this save touched
            target = by_path.get(result.path or "") if result.focus == compact(iri) else None
            text = ("" if result.severity == "Violation" else f"{result.severity} (not a reason): ") + result.message
            text += f" — {result.hint}" if result.hint else ""
            (target.errors.append(text) if target else general.append(f"{result.focus}: {text}"))
        _refill(fields, form)
        return _render(
            fields, title, action, 422, "Not saved: fix the problems marked below.", general, slug, base=opened_on
        )
    except CirceError as error:  # the version the form was opened on stays: a later save is still checked
        _refill(fields, form)
        hint = [error.hint] if error.hint else []
        return _render(fields, title, action, error.status, f"Not saved: {error.message}", hint, slug, base=opened_on)
    page = url_for("linked_data.page", rest=iri[len(base()) + len("id/") :], saved=change.number)
    return redirect(page, code=303)


def _differences(fields: list[Field], stored: list, iri: str) -> list[tuple[Field, str]]:
    """The fields whose value in the store differs from what was typed, each with the stored value in words."""
    now = [Field(**{**f.__dict__, "values": [], "errors": []}) for f in fields]
    fill(now, stored, iri)
    return [
        (typed, "; ".join(v for v, _ in current.values) or "(nothing)")
        for typed, current in zip(fields, now, strict=True)
        if sorted(v for v, _ in typed.values) != sorted(v for v, _ in current.values)
    ]


def _now_stored(fields: list[Field], stored: list, iri: str) -> list[tuple[str, str]]:
    """The fields whose value in the store differs from what was typed, with the stored value (marked on the
    field too)."""
    differ = _differences(fields, stored, iri)
    for typed, shown in differ:
        typed.errors.append(f"Stored now: {shown}")
    return [(typed.name, shown) for typed, shown in differ]


def _saved_already(iri: str, graph: str) -> BaseResponse:
    """The record's page, as after a save: a form sent twice (a double click) finds its values stored already."""
    versions = gate().history.versions(graph)
    extra: dict[str, Any] = {"saved": versions[-1]} if versions else {}  # url_for's values
    return redirect(url_for("linked_data.page", rest=iri[len(base()) + len("id/") :], **extra), code=303)


def _prefill(fields: list[Field]) -> None:
    """Start a new record with the values the link gave, by field (`?circe:observedAction=IRI`): "record a status
    for this action" opens the observation form with its action chosen."""
    for f in fields:
        given = request.args.getlist(compact(f.path))
        if given:
            f.values = [(value, None) for value in given if value]


def _refill(fields: list[Field], form: dict[str, list[str]]) -> None:
    """Show people what they typed, not what is stored, when a save is refused."""
    for f in fields:
        langs = form.get(f"{f.key}.lang", [])
        f.values = [(v, langs[i] if i < len(langs) else None) for i, v in enumerate(form.get(f.key, [])) if v]


@bp.route("/edit/<path:rest>", methods=["GET", "POST"])
def edit(rest: str) -> BaseResponse:
    wants_twin()  # a bad ?format= is refused before anything is written
    iri = base() + "id/" + rest
    triples = _describe(iri)
    if not triples:
        raise NotFound(f"<{iri}> is not in the graph", "check the address")
    fields = fields_for(get_store(), _class_of(triples, iri), request.args.get("lang", "en"))
    title = next(
        (
            t.object.value
            for t in triples
            if t.subject.value == iri and t.predicate.value.endswith("#prefLabel") and t.object.language == "en"
        ),
        compact(iri),
    )
    action = url_for("edit.edit", rest=rest)
    graphs = [r["graph"].value for r in queries.run(get_store(), "resource-graphs", {"resource": iri}).rows]
    graph = next((g for g in graphs if g.startswith(f"{GRAPH}data/")), None)
    if request.method == "GET":
        fill(fields, triples, iri)
        return _render(fields, f"Edit: {title}", action, base=gate().base(graph) if graph else None)
    if graph is None:
        raise NotFound(f"<{iri}> is not in a data graph", "only data can be edited here")
    paths = {f.path for f in fields}
    with gate().exclusive():  # the rest of the graph as it is when written, not as it was a moment before
        keep = [
            t for t in get_store().triples(graph) if not (value_of(t.subject) == iri and t.predicate.value in paths)
        ]
        return _save(iri, fields, graph, keep, "edit", f"Edit: {title}", action, stored=triples)


@bp.route("/new/<kind>", methods=["GET", "POST"])
def create(kind: str) -> BaseResponse:
    wants_twin()  # a bad ?format= is refused before anything is written
    if kind not in CREATABLE:
        raise NotFound(f"cannot create a {kind!r} here", "create one of: " + ", ".join(CREATABLE))
    fields = fields_for(get_store(), CREATABLE[kind], request.args.get("lang", "en"))
    action = url_for("edit.create", kind=kind)
    title = f"New {kind}"
    if request.method == "GET":
        _prefill(fields)
        return _render(fields, title, action, slug="")
    slug = request.form.get("slug", "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,80}", slug):
        return _render(
            fields,
            title,
            action,
            400,
            "Not saved: the short name must be lower-case letters, "
            "digits and hyphens (e.g. milan-food-waste-collection).",
            slug=slug,
        )
    iri = f"{base()}id/{KIND_PREFIXES[kind]}{slug}"  # the spreadsheet's rule (id/action-plan/… for a plan)
    with gate().exclusive():  # two records created at once both land: each is added to the graph as it is then
        return _create(kind, fields, iri, title, action, slug)


def _create(kind: str, fields: list[Field], iri: str, title: str, action: str, slug: str) -> BaseResponse:
    existing = _describe(iri)
    if existing:
        _refill(fields, request.form.to_dict(flat=False))  # what was typed stays, to save under another name
        if not _differences(fields, existing, iri):  # the same form sent twice (a double click): it is stored
            return _saved_already(iri, EDITS_GRAPH)
        return _render(
            fields,
            title,
            action,
            409,
            f"Not saved: {compact(iri)} exists already. What you typed is kept: choose another short name, or "
            "edit the existing record instead.",
            [f"The existing record: {local_href(iri) or iri}"],
            slug=slug,
        )
    store = get_store()
    keep = list(store.triples(EDITS_GRAPH)) if EDITS_GRAPH in store.named_graphs() else []
    keep.append(ox.Triple(ox.NamedNode(iri), ox.NamedNode(str(RDF.type)), ox.NamedNode(CREATABLE[kind])))
    return _save(iri, fields, EDITS_GRAPH, keep, "create", title, action, slug)
