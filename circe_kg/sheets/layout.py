"""The layout of one class's sheet, read from the shapes: an ID column, then one column per form field in the
forms' order (one per language for multilingual text), with what each column accepts.

Promises: `kind_of("practices")`, `kind_of("circe:Practice")` and `kind_of("Practice")` all give "practice";
`layout_for(store, "practice")` gives the same columns in every language except for the headers, and
`Layout.column_for(header)` finds a column by its header in any interface language, by its property's short name
(`skos:prefLabel (en)`) or by the key the template writes. Raises UsageError for a class the sheets do not know,
naming the ones they do.

>>> kind_of("circe:Barrier"), kind_of("Opportunities")
('barrier', 'opportunity')

The forms and the sheets read the same fields (forms.fields_for), so a class gains a column where it gains a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import UsageError
from ..forms import DEFAULT_LANGUAGES, Choice, Field, fields_for
from ..lemmas import fold
from ..namespaces import CIRCE, ID, KIND_PREFIXES, ORG, compact, expand
from ..store import Store

# kind → (class, sheet name). The kinds are the IRI prefixes of docs/MODEL.md.
KINDS: dict[str, tuple[str, str]] = {
    "practice": (str(CIRCE.Practice), "Practices"),
    "barrier": (str(CIRCE.Barrier), "Barriers"),
    "opportunity": (str(CIRCE.Opportunity), "Opportunities"),
    "organisation": (str(ORG.Organization), "Organisations"),
    "instrument": (str(CIRCE.PolicyInstrument), "Instruments"),
    "plan": (str(CIRCE.ActionPlan), "Action plans"),
    "action": (str(CIRCE.Action), "Actions"),
    "observation": (str(CIRCE.MonitoringObservation), "Observations"),
    "transfer": (str(CIRCE.Transfer), "Transfers"),
    "meeting": (str(CIRCE.Meeting), "Meetings"),
}
ALIASES = {"organization": "organisation", "action-plan": "plan", "policy-instrument": "instrument"}
ID_HEADER = "ID"
SEPARATOR = "; "  # between the values of a cell that holds several
REQUIRED_MARK = " *"
ILLUSTRATIVE_SUFFIX = " (illustrative)"


def kind_of(name: str) -> str:
    """The kind a person means by `name`: a kind, its plural, its sheet name, a class's short name or IRI."""
    text = name.strip()
    iri = expand(text) if ":" in text else None
    for kind, (class_iri, sheet) in KINDS.items():
        if iri == class_iri or text.casefold() in (sheet.casefold(), class_iri.rsplit("#", 1)[-1].casefold()):
            return kind
    key = re.sub(r"[\s_]+", "-", text.casefold())
    key = ALIASES.get(key, key)
    for candidate in (key, key[:-1] if key.endswith("s") else key, key[:-3] + "y" if key.endswith("ies") else key):
        if candidate in KINDS:
            return candidate
    raise UsageError(
        f"no sheet for {name!r}",
        "name one of: " + ", ".join(KINDS) + " (or a class such as circe:Practice)",
    )


@dataclass(frozen=True)
class Column:
    """One column: the ID (field None) or a field, in one language for multilingual text."""

    key: str  # what the template writes in the hidden key row: "id", "skos:prefLabel@en", "circe:sector"
    header: str
    field: Field | None = None
    language: str | None = None

    @property
    def required(self) -> bool:
        return self.field is not None and self.field.required and self.language in (None, "en")

    @property
    def many(self) -> bool:
        """Several values fit in one cell, separated by SEPARATOR."""
        return self.field is not None and not self.field.single and self.field.widget != "langtext"


@dataclass
class Layout:
    kind: str
    class_iri: str
    sheet: str
    columns: list[Column]
    by_label: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # path → folded label → IRIs

    def column_for(self, header: str, aliases: dict[str, Column] | None = None) -> Column | None:
        """The column a header names (any interface language, the key, or `prefix:name (lang)`)."""
        wanted = _normal(header)
        for column in self.columns:
            if wanted in (_normal(column.header), _normal(column.key)):
                return column
        return (aliases or {}).get(wanted)

    def resolve(self, column: Column, text: str) -> tuple[str | None, list[str]]:
        """The IRI a cell's label, short name or IRI stands for in a link column: (iri, []) when it is one
        resource, (None, near labels) when it is none or several."""
        assert column.field is not None
        choices = column.field.choices
        iri = expand(text) if re.fullmatch(r"[a-z][\w-]*:\S+|<\S+>|https?://\S+", text.strip()) else None
        if iri is not None and any(c.value == iri for c in choices):
            return iri, []
        found = self.by_label.get(column.field.path, {}).get(fold(without_mark(text)), set())
        if len(found) == 1:
            return next(iter(found)), []
        if len(found) > 1:
            return None, sorted(compact(i) for i in found)
        return None, _near(text, [c.label for c in choices])


def _normal(header: str) -> str:
    text = header.strip()
    if text.endswith(REQUIRED_MARK.strip()):
        text = text[: -len(REQUIRED_MARK.strip())]
    return " ".join(fold(text).split())


def without_mark(label: str) -> str:
    return label[: -len(ILLUSTRATIVE_SUFFIX)] if label.endswith(ILLUSTRATIVE_SUFFIX) else label


def _near(text: str, labels: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(text, labels, n=3, cutoff=0.6)


def languages_for(field_: Field, lang: str) -> list[str]:
    """English first (it is required), then the reader's language, then the others the shape allows."""
    allowed = field_.languages or DEFAULT_LANGUAGES
    first = ["en"] + ([lang] if lang != "en" and lang in allowed else [])
    return first + [x for x in allowed if x not in first]


def layout_for(store: Store, kind: str, lang: str = "en", with_choices: bool = True) -> Layout:
    """The sheet of `kind` (a name kind_of accepts) with headers in `lang` (English where a name is missing)."""
    kind = kind_of(kind)
    class_iri, sheet = KINDS[kind]
    columns = [Column("id", ID_HEADER)]
    by_label: dict[str, dict[str, set[str]]] = {}
    for f in fields_for(store, class_iri, lang, with_choices=with_choices):
        short = compact(f.path)
        if f.widget == "langtext":
            for language in languages_for(f, lang):
                columns.append(Column(f"{short}@{language}", f"{f.name} ({language})", f, language))
        else:
            columns.append(Column(short, f.name, f))
        if f.choices:
            by_label[f.path] = _labels(f.choices)
    for column in columns:
        if column.required:
            object.__setattr__(column, "header", column.header + REQUIRED_MARK)
    return Layout(kind, class_iri, sheet, columns, by_label)


def _labels(choices: list[Choice]) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for choice in choices:
        labels.setdefault(fold(without_mark(choice.label)), set()).add(choice.value)
    return labels


def new_iri(kind: str, english_name: str) -> str:
    """The IRI a new row gets: the kind's namespace and a slug of its English name (the edit form's rule:
    lower-case letters, digits and hyphens, at most 80).

    >>> new_iri("practice", "Città Circolare — Milano!")
    'https://w3id.org/circe-kg/id/practice/citta-circolare-milano'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", fold(english_name)).strip("-")[:80].strip("-") or "unnamed"
    return f"{ID}{KIND_PREFIXES[kind]}{slug}"
