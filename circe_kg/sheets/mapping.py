"""Other people's spreadsheets: a saved column mapping (a TOML file in mappings/) reads a sheet that was not made
from a template into the same records a template gives, so it passes the same plan, gate and history.

A mapping names the record kind, the named graph and dataset its records go to, the column that gives each
record's ID and source, and for each column: the property it fills and how — text in a language, a value looked
up in a table (`value,iri` CSV), tags split by a table of known tags (each kept as a keyword; the mapped ones also
become the editors' classification, with the table's note), a link to the organisation of that name (made, with
the row's source, where the graph has none), or `ignore` with the reason the report gives.

Promises: `load_mapping(path)` raises UsageError naming the key that is wrong; `parse_mapped(store, reading,
mapping)` returns a Parsed whose rows (and organisations) land every non-empty cell or list it in `ignored` with
why; identical repeated rows are imported once and reported; the same ID with different content is a problem.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .. import queries
from ..errors import UsageError
from ..forms import Field
from ..lemmas import fold
from ..namespaces import CIRCE, DCTERMS, ID, ORG, RDF, RDFS, SKOS, compact, expand
from ..store import Store
from .layout import KINDS, Column, Layout, kind_of
from .reading import Cell, Reading
from .rows import Parsed, Problem, Row

VOID_IN_DATASET = "http://rdfs.org/ns/void#inDataset"
DCAT_DATASET = "http://www.w3.org/ns/dcat#Dataset"
EDITORIAL = str(CIRCE.EditorialClassification)


@dataclass
class Tag:
    tag: str
    property: str | None
    concept: str | None
    note: str


@dataclass
class Rule:
    header: str
    property: str | None = None
    language: str | None = None
    table: dict[str, str] | None = None  # value → IRI ("" where the value maps to nothing)
    notes: dict[str, str] = field(default_factory=dict)  # value → why (for values the table does not map)
    tags: list[Tag] | None = None
    create: str | None = None  # "organisation"
    ignore: str | None = None
    skip: tuple[str, ...] = ()  # placeholder values that mean "no value" (reported)


@dataclass
class Mapping:
    path: Path
    name: str
    kind: str
    graph: str
    id_column: str
    id_pattern: re.Pattern[str]
    id_prefix: str
    source_column: str
    dataset: dict[str, str]
    rules: list[Rule]


def _need(data: dict, key: str, where: str) -> str:
    if not isinstance(data.get(key), str) or not data[key].strip():
        raise UsageError(f"{where}: `{key}` is missing or not text", f'add {key} = "…" (see mappings/README.md)')
    return data[key]


def _iri(text: str, where: str) -> str:
    iri = expand(text)
    if iri is None:
        raise UsageError(f"{where}: {text!r} is not a property or IRI", "write a prefixed name such as dct:source")
    return iri


def _table(path: Path, column: str | None, where: str) -> tuple[dict[str, str], dict[str, str]]:
    """value → IRI (from `column`, default the second) and value → note, from a CSV table with a header."""
    if not path.exists():
        raise UsageError(f"{where}: the table {path} does not exist", "check the path (relative to the mapping file)")
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        fields = reader.fieldnames or []
        rows = list(reader)
    if len(fields) < 2 or (column and column not in fields):
        raise UsageError(
            f"{where}: {path.name} has no column {column or 'of IRIs'}", f"its columns: {', '.join(fields)}"
        )
    target = column or fields[1]
    return {r[fields[0]]: r[target] or "" for r in rows}, {r[fields[0]]: r["note"] for r in rows if r.get("note")}


def _tags(path: Path, header: str, where: str) -> list[Tag]:
    if not path.exists():
        raise UsageError(f"{where}: the table {path} does not exist", "check the path (relative to the mapping file)")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = [r for r in csv.DictReader(stream) if r["column"] == header]
    return [
        Tag(r["tag"], _iri(r["property"], where) if r["property"] else None, r["concept"] or None, r["note"])
        for r in rows
    ]


def load_mapping(path: Path) -> Mapping:
    """Read a mapping file (TOML). Raises UsageError for a file that is missing, not TOML or incomplete."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no mapping file {path}", "name a file in mappings/, e.g. mappings/ecesp.toml") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}", "fix the line named") from None
    where = path.name
    identity = data.get("id") or {}
    rules = []
    for index, column in enumerate(data.get("column", []), 1):
        here = f"{where} [[column]] {index}"
        rule = Rule(_need(column, "header", here))
        if "ignore" in column:
            rule.ignore = _need(column, "ignore", here)
            rules.append(rule)
            continue
        rule.property = _iri(_need(column, "property", here), here)
        rule.language = column.get("language")
        rule.create = column.get("create")
        rule.skip = tuple(column.get("skip", ()))
        if "table" in column:
            rule.table, rule.notes = _table(path.parent / column["table"], column.get("table_column"), here)
        if "tags" in column:
            rule.tags = _tags(path.parent / column["tags"], rule.header, here)
        rules.append(rule)
    return Mapping(
        path=path,
        name=_need(data, "name", where),
        kind=kind_of(_need(data, "kind", where)),
        graph=_iri(_need(data, "graph", where), where),
        id_column=_need(identity, "column", f"{where} [id]"),
        id_pattern=re.compile(identity.get("pattern", "(.+)")),
        id_prefix=identity.get("prefix", ""),
        source_column=_need(data, "source", where),
        dataset={k: str(v) for k, v in (data.get("dataset") or {}).items()},
        rules=rules,
    )


def split_tags(text: str, tags: list[Tag]) -> tuple[list[Tag], list[str]]:
    """The known tags of a comma-separated cell, longest first, so that a tag with commas stays whole; and the
    pieces that are no known tag.

    >>> known = [Tag("Repair, Refurbishment", None, None, ""), Tag("Recycling", None, None, "")]
    >>> [t.tag for t in split_tags("Recycling, Repair, Refurbishment, Other", known)[0]]
    ['Recycling', 'Repair, Refurbishment']
    """
    ordered = sorted(tags, key=lambda t: -len(t.tag))
    found, unknown = [], []
    rest = text.strip()
    while rest:
        match = next((t for t in ordered if rest == t.tag or rest.startswith(t.tag + ",")), None)
        if match is None:
            piece, _, rest = rest.partition(",")
            unknown.append(piece.strip())
        else:
            found.append(match)
            rest = rest[len(match.tag) :]
        rest = rest.lstrip(", ").strip()
    return found, unknown


def _field(path: str, name: str, widget: str) -> Field:
    return Field(key=name, path=path, name=name, help="", group="", widget=widget, required=False, single=False)


def _column(path: str, header: str, widget: str, language: str | None = None) -> Column:
    key = compact(path).strip("<>") + (f"@{language}" if language else "")
    return Column(key, header, _field(path, header, widget), language)


@dataclass
class _Context:
    store: Store
    mapping: Mapping
    parsed: Parsed
    organisations: dict[str, str] = field(default_factory=dict)  # folded English name → IRI (existing)
    made: dict[str, Row] = field(default_factory=dict)  # organisation IRI → its new row


def parse_mapped(store: Store, reading: Reading, mapping: Mapping) -> Parsed:
    """Rows of the mapping's kind (and new organisations) from every table of `reading`."""
    parsed = Parsed()
    context = _Context(store, mapping, parsed)
    for row in queries.run(store, "instances-of-class", {"type": str(ORG.Organization)}).rows:
        if "label" in row:
            context.organisations.setdefault(fold(row["label"].value), row["resource"].value)
    class_iri = KINDS[mapping.kind][0]
    existing = {r["resource"].value for r in queries.run(store, "instances-of-class", {"type": class_iri}).rows}
    seen: dict[str, tuple[str, list]] = {}
    for table in reading.tables:
        headers = {str(c.value).strip(): i for i, c in enumerate(table.headers) if c.value is not None}
        missing = [
            h
            for h in [mapping.id_column, mapping.source_column, *(r.header for r in mapping.rules)]
            if h not in headers
        ]
        if missing:
            parsed.problems.append(
                Problem(
                    f"{table.sheet}!1:1",
                    "",
                    "",
                    f"the sheet has no column {', '.join(repr(m) for m in missing)} "
                    f"that the mapping {mapping.path.name} reads",
                    "choose the file this mapping is for, or fix the mapping's headers",
                )
            )
            continue
        known = {mapping.id_column, mapping.source_column, *(r.header for r in mapping.rules)}
        for header, index in headers.items():
            if header not in known:
                filled = sum(r[index].value is not None for r in table.rows)
                parsed.ignored.append(
                    (
                        table.headers[index].ref,
                        f"a column the mapping does not read: its {filled} value(s) were not imported",
                    )
                )
        layout = _layout(mapping, table.sheet, class_iri)
        for cells in table.rows:
            values = [c.value for c in cells]
            link_cell = cells[headers[mapping.id_column]]
            found = mapping.id_pattern.search(str(link_cell.value or ""))
            ref = f"{table.sheet}!{cells[0].row}:{cells[0].row}"
            if found is None:
                parsed.problems.append(
                    Problem(
                        link_cell.ref,
                        mapping.id_column,
                        str(link_cell.value or ""),
                        "no ID can be read from it",
                        "check the value (the mapping's id pattern)",
                    )
                )
                parsed.refused.append(ref)
                continue
            iri = f"{ID}{mapping.kind}/{mapping.id_prefix}{found.group(1)}"
            if iri in seen:
                first, first_values = seen[iri]
                if first_values == values:
                    parsed.ignored.append(
                        (
                            ref,
                            f"repeats {first} exactly: imported once; its "
                            f"{sum(v is not None for v in values)} cells were not read again",
                        )
                    )
                else:
                    parsed.problems.append(
                        Problem(
                            link_cell.ref,
                            mapping.id_column,
                            str(link_cell.value),
                            f"the same record as {first}, with different content",
                            "keep one of the two rows",
                        )
                    )
                    parsed.refused.append(ref)
                continue
            seen[iri] = (ref, values)
            parsed.rows.append(_row(context, layout, cells, headers, iri, iri not in existing))
    parsed.rows += list(context.made.values())
    return parsed


def _layout(mapping: Mapping, sheet: str, class_iri: str) -> Layout:
    columns = [Column("id", "ID")]
    for rule in mapping.rules:
        if rule.ignore:
            continue
        assert rule.property is not None
        widget = "langtext" if rule.language else "resources" if (rule.table or rule.create) else "text"
        if all(c.key != _key(rule.property, rule.language) for c in columns):
            columns.append(_column(rule.property, rule.header, widget, rule.language))
        if rule.tags:
            for prop in sorted({t.property for t in rule.tags if t.property}):
                if all(compact(prop).strip("<>") != c.key for c in columns):
                    columns.append(_column(prop, f"{rule.header} → {compact(prop)}", "resources"))
    columns.append(_column(str(DCTERMS.source), mapping.source_column, "url"))
    if mapping.dataset.get("iri"):
        columns.append(_column(VOID_IN_DATASET, "dataset", "resources"))
    return Layout(mapping.kind, class_iri, sheet, columns)


def _row(context: _Context, layout: Layout, cells: list[Cell], headers: dict[str, int], iri: str, new: bool) -> Row:
    mapping, parsed = context.mapping, context.parsed
    values: dict[str, list] = {c.key: [] for c in layout.columns if c.key != "id"}
    at: dict[str, Cell] = {"id": cells[headers[mapping.id_column]]}
    extra: list[ox.Triple] = []
    source = ox.NamedNode(str(cells[headers[mapping.source_column]].value).strip())
    values[_key(str(DCTERMS.source))] = [source]
    at[_key(str(DCTERMS.source))] = cells[headers[mapping.source_column]]
    if mapping.dataset.get("iri"):
        values[_key(VOID_IN_DATASET)] = [ox.NamedNode(mapping.dataset["iri"])]
    for rule in mapping.rules:
        cell = cells[headers[rule.header]]
        if cell.value is None:
            continue
        if rule.ignore:
            parsed.ignored.append((cell.ref, f"column {rule.header!r} is not imported: {rule.ignore}"))
            continue
        assert rule.property is not None
        text = str(cell.value).strip()
        key = _key(rule.property, rule.language)
        at[key] = cell
        if text in rule.skip:
            parsed.ignored.append((cell.ref, f"{text!r} means no value here"))
            continue
        if rule.language:
            values[key].append(ox.Literal(text, language=rule.language))
        elif rule.table is not None:
            target = rule.table.get(text)
            if target:
                values[key].append(ox.NamedNode(target))
            elif target == "":
                parsed.ignored.append(
                    (cell.ref, f"{text!r} is not mapped: {rule.notes.get(text, 'no match in the table')}")
                )
            else:
                parsed.problems.append(
                    Problem(
                        cell.ref,
                        rule.header,
                        text,
                        "not in the mapping's table",
                        f"add {text!r} to {rule.header}'s table",
                    )
                )
        elif rule.create == "organisation":
            values[key].append(ox.NamedNode(_organisation(context, text, source)))
        elif rule.tags is not None:
            found, unknown = split_tags(text, rule.tags)
            kept = [t.tag for t in found if t.tag not in rule.skip] + unknown
            values[key] += [ox.Literal(t, language="en") for t in kept]
            for tag in found:
                if tag.property and tag.concept:
                    concept = ox.NamedNode(_iri(tag.concept, rule.header))
                    values[_key(tag.property)].append(concept)
                    at.setdefault(_key(tag.property), cell)
                    extra += _classification(iri, tag, concept, mapping.name)
                elif tag.tag in rule.skip:
                    parsed.ignored.append((cell.ref, f"{tag.tag!r} means no value here"))
        else:
            values[key].append(ox.Literal(text))
    for key in values:
        values[key] = sorted(set(values[key]), key=str)
    return Row(layout, layout.sheet, cells[0].row, iri, new, values, at, graph=mapping.graph, extra=extra)


def _key(path: str, language: str | None = None) -> str:
    return compact(path).strip("<>") + (f"@{language}" if language else "")


def _classification(subject: str, tag: Tag, concept: ox.NamedNode, source_name: str) -> list[ox.Triple]:
    """The editors' classification behind a mapped tag (a named node, so that importing again changes nothing)."""
    assert tag.property is not None
    local = "-".join((subject.rsplit("/", 1)[-1], tag.property.rsplit("#", 1)[-1], concept.value.rsplit("/", 1)[-1]))
    node = ox.NamedNode(f"{ID}statement/{local}")
    return [
        ox.Triple(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(EDITORIAL)),
        ox.Triple(node, ox.NamedNode(str(RDF.subject)), ox.NamedNode(subject)),
        ox.Triple(node, ox.NamedNode(str(RDF.predicate)), ox.NamedNode(tag.property)),
        ox.Triple(node, ox.NamedNode(str(RDF.object)), concept),
        ox.Triple(
            node,
            ox.NamedNode(str(SKOS.note)),
            ox.Literal(f"{tag.note} (mapped from {source_name}'s tag)", language="en"),
        ),
    ]


def _organisation(context: _Context, name: str, source: ox.NamedNode) -> str:
    """The organisation called `name` in the graph, or a new one sourced to the first row that names it."""
    existing = context.organisations.get(fold(name))
    if existing:
        return existing
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:80].strip("-") or "unnamed"
    iri = f"{ID}organisation/{context.mapping.id_prefix}{slug}"
    if iri in context.organisations.values():  # the same name spelt another way ("X - Y", "X, Y")
        return iri
    if iri in context.made:
        names = context.made[iri].values["skos:prefLabel@en"] + context.made[iri].values["skos:altLabel@en"]
        if ox.Literal(name, language="en") not in names:
            context.made[iri].values["skos:altLabel@en"].append(ox.Literal(name, language="en"))
    else:
        layout = Layout(
            "organisation",
            str(ORG.Organization),
            "organisations",
            [
                Column("id", "ID"),
                _column(str(SKOS.prefLabel), "Organisation", "langtext", "en"),
                _column(str(SKOS.altLabel), "Organisation (other spelling)", "langtext", "en"),
                _column(str(DCTERMS.source), "Source", "url"),
            ]
            + ([_column(VOID_IN_DATASET, "dataset", "resources")] if context.mapping.dataset.get("iri") else []),
        )
        values: dict[str, list[ox.NamedNode | ox.Literal]] = {
            "skos:prefLabel@en": [ox.Literal(name, language="en")],
            "skos:altLabel@en": [],
            "dct:source": [source],
        }
        if context.mapping.dataset.get("iri"):
            values[_key(VOID_IN_DATASET)] = [ox.NamedNode(context.mapping.dataset["iri"])]
        context.made[iri] = Row(layout, "organisations", 0, iri, True, values, {}, graph=context.mapping.graph)
    return iri


def dataset_triples(mapping: Mapping) -> list[ox.Triple]:
    """The description of the mapping's dataset (title, publisher, source, licence note), for /void and the pages."""
    d = mapping.dataset
    if not d.get("iri"):
        return []
    node = ox.NamedNode(d["iri"])
    triples = [ox.Triple(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(DCAT_DATASET))]
    for key, prop in (("title", DCTERMS.title), ("description", DCTERMS.description), ("credit", RDFS.comment)):
        if d.get(key):
            triples.append(ox.Triple(node, ox.NamedNode(str(prop)), ox.Literal(d[key], language="en")))
    for key, prop in (("source", DCTERMS.source), ("publisher", DCTERMS.publisher), ("licence", DCTERMS.license)):
        if d.get(key):
            triples.append(ox.Triple(node, ox.NamedNode(str(prop)), ox.NamedNode(d[key])))
    return triples
