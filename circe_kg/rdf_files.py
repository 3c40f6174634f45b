"""Reading RDF files: parse with exact positions, name each file's graph, and find where a node is defined.

Parsing uses Oxigraph's parser because it reports line and column precisely; nothing here touches a store.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import PROJECT_ROOT
from .errors import RdfSyntaxError, UsageError
from .namespaces import GRAPH

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
KINDS = ("ontology", "shapes", "data")
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_OWL_ONTOLOGY = ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")
_SHAPE_TYPES = {ox.NamedNode("http://www.w3.org/ns/shacl#NodeShape"),
                ox.NamedNode("http://www.w3.org/ns/shacl#PropertyShape")}

# Parser messages -> what a person should do about them.
# Characters that Turtle lets a prefixed name carry only behind a backslash.
_LOCAL_ESCAPES = re.compile(r"([/~.#?&=!$()*+,;%@'-])")

_HINTS = [
    (re.compile(r"prefix (\S+) has not been declared", re.I),
     lambda m: f"declare the prefix at the top of the file, e.g. `@prefix {m.group(1)} <https://…> .`"),
    (re.compile(r"line jumps are not allowed", re.I),
     lambda m: "the string is not closed on this line: add its closing quote, or use \"\"\"triple quotes\"\"\" "
               "for text that spans lines"),
    (re.compile(r"unexpected end of file", re.I),
     lambda m: "something opened here is never closed: a string without its closing quote, or a [ ( { "
               "without its partner, or a missing final '.'"),
    (re.compile(r"dot is expected", re.I),
     lambda m: "the statement before this point needs a '.' at its end (or ';' / ',' to continue it)"),
    (re.compile(r"IRI|scheme", re.I),
     lambda m: "IRIs are written <https://…>: absolute, with no spaces or \" < > { } | ^ ` characters"),
    (re.compile(r"subtag|language", re.I),
     lambda m: "language tags follow BCP 47: en, it, pt-BR (a hyphen, not an underscore)"),
    (re.compile(r"Unexpected character", re.I),
     lambda m: "check the character at the caret; language tags use hyphens (en-GB), not underscores"),
]


def _hint_for(detail: str) -> str | None:
    for pattern, make in _HINTS:
        match = pattern.search(detail)
        if match:
            return make(match)
    return None


def display_name(path: Path) -> str:
    """A path as people should see it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


@dataclass
class ParsedFile:
    """One file's triples, the named graph they go to, its kind (ontology / shapes / data) and its text."""

    name: str
    graph_iri: str
    kind: str
    triples: list[ox.Triple]
    prefixes: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def line_of(self, iri: str, as_subject: bool = True) -> int | None:
        """The line where `iri` is written as a subject — at the start of a line, as Turtle subjects are —
        or, with as_subject=False, anywhere; in any spelling the file uses (full IRI or prefixed name)."""
        spellings = [f"<{iri}>"]
        for prefix, namespace in self.prefixes.items():
            if namespace and iri.startswith(namespace):
                local = iri[len(namespace):]
                escaped = _LOCAL_ESCAPES.sub(r"\\\1", local)
                spellings.extend((f"{prefix}:{local}", f"{prefix}:{escaped}"))
        for number, line in enumerate(self.text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            for spelling in spellings:
                if as_subject and line.startswith(spelling) and _ends_token(line, len(spelling)):
                    return number
                if not as_subject and _contains_token(line, spelling):
                    return number
        return None


def _ends_token(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] in "_-\\:%/")


def _contains_token(line: str, spelling: str) -> bool:
    start = line.find(spelling)
    while start != -1:
        if _ends_token(line, start + len(spelling)) and (start == 0 or not line[start - 1].isalnum()):
            return True
        start = line.find(spelling, start + 1)
    return False


def graph_iri_for(path: Path, kind: str) -> str:
    """Shipped files keep their place (graph/data/practices); other files go to graph/{kind}/{stem}."""
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(PROJECT_ROOT)
        if relative.parts and relative.parts[0] in KINDS:
            return str(GRAPH) + str(relative.with_suffix("")).replace("\\", "/")
    except ValueError:
        pass
    return f"{GRAPH}{kind}/{_slug(path.stem)}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "upload"


def kind_of_graph(graph_iri: str) -> str:
    """ontology, shapes, data or system (the history), read from the graph IRI (anything else counts as data)."""
    rest = graph_iri[len(str(GRAPH)):] if graph_iri.startswith(str(GRAPH)) else ""
    first = rest.split("/", 1)[0]
    return first if first in (*KINDS, "system") else "data"


def _kind_of_content(path: Path, triples: list[ox.Triple]) -> str:
    try:
        first = path.resolve().relative_to(PROJECT_ROOT).parts[0]
        if first in KINDS:
            return first
    except (ValueError, IndexError):
        pass
    if any(t.predicate == _RDF_TYPE and t.object == _OWL_ONTOLOGY for t in triples):
        return "ontology"
    if any(t.predicate == _RDF_TYPE and t.object in _SHAPE_TYPES for t in triples):
        return "shapes"
    return "data"


def parse_text(text: str, name: str,
               rdf_format: ox.RdfFormat = ox.RdfFormat.TURTLE) -> tuple[list[ox.Triple], dict[str, str]]:
    """Parse RDF text into triples; raise RdfSyntaxError naming `name`, line, column and a hint."""
    # Fresh blank-node ids: two files may both say _:b1, and each load must not merge them.
    parser = ox.parse(input=text.encode("utf-8"), format=rdf_format, without_named_graphs=True,
                      rename_blank_nodes=True)
    try:
        triples = [quad.triple for quad in parser]
    except SyntaxError as error:
        detail = re.sub(r"^Parser error (at|between) [^:]*: ", "", error.msg or str(error))
        lines = text.splitlines()
        line_text = lines[error.lineno - 1] if error.lineno and 0 < error.lineno <= len(lines) else None
        raise RdfSyntaxError(name, error.lineno, error.offset, detail, line_text, _hint_for(detail)) from None
    return triples, dict(parser.prefixes or {})


DATASET_FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


def parse_dataset_file(path: Path) -> list[ParsedFile]:
    """A backup (N-Quads or TriG, e.g. from `circe-kg dump --format nquads`): one ParsedFile per named graph."""
    name = display_name(path)
    text = path.read_text(encoding="utf-8")
    parser = ox.parse(input=text.encode("utf-8"), format=DATASET_FORMATS[path.suffix.lower()], rename_blank_nodes=True)
    graphs: dict[str, list[ox.Triple]] = {}
    try:
        for quad in parser:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise RdfSyntaxError(name, None, None, "a triple outside any named graph",
                                     hint="every triple of a backup belongs to a named graph")
            graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    except SyntaxError as error:
        lines = text.splitlines()
        line_text = lines[error.lineno - 1] if error.lineno and 0 < error.lineno <= len(lines) else None
        raise RdfSyntaxError(name, error.lineno, error.offset, error.msg, line_text, _hint_for(error.msg)) from None
    return [ParsedFile(f"{name} <{iri}>", iri, kind_of_graph(iri), triples, dict(parser.prefixes or {}), "")
            for iri, triples in sorted(graphs.items())]


def parse_file(path: Path, graph_iri: str | None = None) -> ParsedFile:
    """Read and parse one file. Raises RdfSyntaxError (bad content) or UsageError (missing / unknown format)."""
    name = display_name(path)
    rdf_format = FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        raise UsageError(f"{name}: unknown file type {path.suffix!r}",
                         "use one of " + ", ".join(sorted(FORMATS)))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file", "check the path") from None
    except UnicodeDecodeError as error:
        raise RdfSyntaxError(name, None, None, f"not UTF-8 text ({error.reason} at byte {error.start})",
                             hint="save the file as UTF-8") from None
    triples, prefixes = parse_text(text, name, rdf_format)
    kind = _kind_of_content(path, triples)
    return ParsedFile(name, graph_iri or graph_iri_for(path, kind), kind, triples, prefixes, text)
