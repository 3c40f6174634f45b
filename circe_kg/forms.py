"""Edit forms generated from the SHACL shapes: the fields of a class (queries/app/form-fields.rq), their widgets,
the current values of a resource, and the triples a submitted form stands for.

A property shape with a sh:name becomes a field; its widget follows from the shape: rdf:langString → text
with a language, xsd:date → date, sh:in → a choice of those values, sh:class / sh:or of classes → a choice
of existing resources, true-only sh:in → a checkbox, dct:source → a web address. Properties without a field
are left exactly as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import queries
from .binding import value_of
from .errors import UsageError
from .namespaces import DCTERMS, RDF, XSD, compact
from .store import Store

LANG_STRING = str(RDF.langString)
DEFAULT_LANGUAGES = ["en", "it", "ca", "es", "pl", "nl", "fr", "bg", "sl", "de"]


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class Field:
    key: str  # the HTML name prefix
    path: str
    name: str
    help: str
    group: str
    widget: str  # langtext, date, number, choice, resources, checkbox, url, text
    required: bool
    single: bool
    languages: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    values: list[tuple[str, str | None]] = field(default_factory=list)  # (value, language)
    errors: list[str] = field(default_factory=list)


def _value(row: queries.Row, key: str) -> str:
    term = row.get(key)
    return term.value if term is not None else ""


def fields_for(store: Store, class_iri: str, lang: str = "en", with_choices: bool = True) -> list[Field]:
    """The form fields of a class; `with_choices=False` skips the choice lists (for pages that only read)."""
    rows = queries.run(store, "form-fields", {"type": class_iri, "lang": lang}).rows
    fields: dict[str, Field] = {}
    for row in rows:
        path = _value(row, "path")
        if path in fields:
            continue
        datatype, value_class = _value(row, "datatype"), _value(row, "valueClass")
        classes = [value_class] if value_class else _value(row, "alternativeClasses").split()
        allowed = _value(row, "allowedValues").split()
        if allowed == ["true"]:
            widget = "checkbox"
        elif allowed:
            widget = "choice"
        elif classes:
            widget = "resources"
        elif datatype == LANG_STRING:
            widget = "langtext"
        elif datatype == str(XSD.date):
            widget = "date"
        elif datatype in (str(XSD.decimal), str(XSD.integer)):
            widget = "number"
        elif path == str(DCTERMS.source):
            widget = "url"
        else:
            widget = "text"
        choices: list[Choice] = []
        if not with_choices:
            pass
        elif widget == "choice":
            choices = [Choice(v, _label(store, v)) for v in allowed]
        elif widget == "resources":
            for cls in classes:
                for r in queries.run(store, "instances-of-class", {"type": cls}).rows:
                    label = r["label"].value if "label" in r else compact(r["resource"].value)
                    if r["illustrative"].value == "true":
                        label += " (illustrative)"
                    choices.append(Choice(r["resource"].value, label))
        max_count = _value(row, "maxCount")
        fields[path] = Field(
            key=f"f{len(fields)}",
            path=path,
            name=_value(row, "name"),
            help=_value(row, "description"),
            group=_value(row, "groupLabel"),
            widget=widget,
            required=bool(_value(row, "minCount")),
            single=max_count == "1",
            languages=sorted(
                _value(row, "languages").split() or DEFAULT_LANGUAGES,
                key=lambda x: DEFAULT_LANGUAGES.index(x) if x in DEFAULT_LANGUAGES else 99,
            ),
            choices=choices,
        )
    return list(fields.values())


def _label(store: Store, iri: str) -> str:
    triples = queries.run(store, "resource-description", {"resource": iri}).triples or []
    labels = {
        t.object.language: t.object.value
        for t in triples
        if value_of(t.subject) == iri and t.predicate.value.endswith("#prefLabel") and isinstance(t.object, ox.Literal)
    }
    return labels.get("en") or compact(iri)


def fill(fields: list[Field], triples: list[ox.Triple], subject: str) -> None:
    """Put the resource's current values into its fields."""
    by_path = {f.path: f for f in fields}
    for t in triples:
        if value_of(t.subject) != subject or t.predicate.value not in by_path:
            continue
        term = t.object
        language = term.language if isinstance(term, ox.Literal) else None
        by_path[t.predicate.value].values.append((value_of(term), language))


def triples_from_form(fields: list[Field], form: Mapping[str, list[str]], subject: str) -> list[ox.Triple]:
    """The triples a submitted form stands for (only for the form's own fields)."""
    node = ox.NamedNode(subject)
    out: list[ox.Triple] = []

    def add(path: str, term: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(node, ox.NamedNode(path), term))

    for f in fields:
        values = [v.strip() for v in form.get(f.key, []) if v.strip()]
        try:
            if f.widget == "langtext":
                languages = form.get(f"{f.key}.lang", [])
                texts = form.get(f.key, [])
                for text, language in zip(texts, languages, strict=False):
                    if text.strip():
                        add(f.path, ox.Literal(text.strip(), language=language or "en"))
            elif f.widget == "checkbox":
                if values:
                    add(f.path, ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean))))
            elif f.widget == "date":
                for v in values:
                    add(f.path, ox.Literal(v, datatype=ox.NamedNode(str(XSD.date))))
            elif f.widget == "number":
                for v in values:
                    add(f.path, ox.Literal(v, datatype=ox.NamedNode(str(XSD.decimal))))
            elif f.widget in ("choice", "resources", "url"):
                for v in values:
                    add(f.path, ox.NamedNode(v))
            else:
                for v in values:
                    add(f.path, ox.Literal(v))
        except ValueError as error:  # e.g. a web address that is not an IRI
            f.errors.append(f"not a valid value: {error}")
    if any(f.errors for f in fields):
        raise UsageError("some fields could not be read", "see the messages next to the fields")
    return out
