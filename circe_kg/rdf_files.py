"""Reading RDF files: parse with exact positions, name each file's graph, and find where a node is defined.

Parsing uses Oxigraph's parser because it reports line and column precisely; nothing here touches a store.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import PROJECT_ROOT
from .errors import RdfSyntaxError, UsageError
from .namespaces import GRAPH
from .ntriples import NTriples

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
KINDS = ("ontology", "shapes", "data")
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"
_SHAPE_TYPES = ("http://www.w3.org/ns/shacl#NodeShape", "http://www.w3.org/ns/shacl#PropertyShape")

# Parser messages -> what a person should do about them.
# Characters that Turtle lets a prefixed name carry only behind a backslash.
_LOCAL_ESCAPES = re.compile(r"([/~.#?&=!$()*+,;%@'-])")

UTF8_HINT = "save the file as UTF-8 (in most editors: Save as… → Encoding: UTF-8) and try again"
_BOM = codecs.BOM_UTF8

_HINTS = [
    (re.compile(r"not UTF-8", re.I), lambda m: UTF8_HINT),
    (
        re.compile(r"prefix (\S+) has not been declared", re.I),
        lambda m: f"declare the prefix at the top of the file, e.g. `@prefix {m.group(1)} <https://…> .`",
    ),
    (
        re.compile(r"line jumps are not allowed", re.I),
        lambda m: (
            'the string is not closed on this line: add its closing quote, or use """triple quotes""" '
            "for text that spans lines"
        ),
    ),
    (
        re.compile(r"unexpected end of file", re.I),
        lambda m: (
            "something opened here is never closed: a string without its closing quote, or a [ ( { "
            "without its partner, or a missing final '.'"
        ),
    ),
    (
        re.compile(r"dot is expected", re.I),
        lambda m: "the statement before this point needs a '.' at its end (or ';' / ',' to continue it)",
    ),
    (
        re.compile(r"IRI|scheme", re.I),
        lambda m: 'IRIs are written <https://…>: absolute, with no spaces or " < > { } | ^ ` characters',
    ),
    (
        re.compile(r"subtag|language", re.I),
        lambda m: "language tags follow BCP 47: en, it, pt-BR (a hyphen, not an underscore)",
    ),
    (
        re.compile(r"Unexpected character", re.I),
        lambda m: "check the character at the caret; language tags use hyphens (en-GB), not underscores",
    ),
]


def _hint_for(detail: str) -> str | None:
    for pattern, make in _HINTS:
        match = pattern.search(detail)
        if match:
            return make(match)
    return None


def without_bom(data: bytes) -> bytes:
    """`data` without the UTF-8 byte-order mark that some editors (Notepad, Excel) write at the start of a file:
    it is no part of the RDF, and the parsers would take it for a stray character before the first statement.
    Removing it keeps every line number (and every column after the first line's).

    >>> without_bom(b"\\xef\\xbb\\xbf@prefix ex: <http://e/> .")
    b'@prefix ex: <http://e/> .'
    """
    return data[len(_BOM) :] if data.startswith(_BOM) else data


def decode_utf8(data: bytes, name: str) -> str:
    """`data` as text, without a byte-order mark, for a reader that needs the whole text (a form shows it again).

    Raises RdfSyntaxError naming `name`, the line and column of the first byte that is not UTF-8 and how to fix
    it — the same error a file with such a byte gets from `parse_file`."""
    data = without_bom(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise not_utf8_error(name, data, error.start) from None


def not_utf8_error(name: str, data: bytes, position: int) -> RdfSyntaxError:
    """The error for the byte at `position` of `data` that is not UTF-8: its line, its column (in characters)
    and its line as best it can be shown, so that a person finds the character their editor wrote in another
    encoding."""
    start = data.rfind(b"\n", 0, position) + 1
    end = data.find(b"\n", position)
    line_bytes = data[start : len(data) if end == -1 else end]
    line = data.count(b"\n", 0, position) + 1
    column = len(data[start:position].decode("utf-8", errors="replace")) + 1
    detail = (
        f"not UTF-8 text: the byte 0x{data[position]:02X} on this line is not UTF-8 (the file was saved in another "
        "encoding, such as Latin-1 or Windows-1252)"
    )
    text = line_bytes.rstrip(b"\r").decode("utf-8", errors="replace")
    return RdfSyntaxError(name, line, column, detail, text, UTF8_HINT)


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
    triples: NTriples
    prefixes: dict[str, str] = field(default_factory=dict)
    source: bytes = b""  # the file as read, UTF-8 (its checksum is recorded: a byte-order mark stays in it)

    @functools.cached_property
    def text(self) -> str:
        """The file as text without a byte-order mark, made only when a line is looked for (decoding a big file
        takes a while). Bytes that are not UTF-8 can only be in comments here, where the parser skips them: they show as
        U+FFFD."""
        return without_bom(self.source).decode("utf-8", errors="replace")

    def line_of(self, iri: str, as_subject: bool = True, after: int = 0) -> int | None:
        """The first line (after line `after`) where `iri` is written as a subject — at the start of a line, as
        Turtle subjects are — or, with as_subject=False, anywhere; in any spelling the file uses (full IRI or
        prefixed name)."""
        spellings = [f"<{iri}>"]
        for prefix, namespace in self.prefixes.items():
            if namespace and iri.startswith(namespace):
                local = iri[len(namespace) :]
                escaped = _LOCAL_ESCAPES.sub(r"\\\1", local)
                spellings.extend((f"{prefix}:{local}", f"{prefix}:{escaped}"))
        for number, line in enumerate(self.text.splitlines(), start=1):
            if number <= after or line.lstrip().startswith("#"):
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
    rest = graph_iri[len(str(GRAPH)) :] if graph_iri.startswith(str(GRAPH)) else ""
    first = rest.split("/", 1)[0]
    return first if first in (*KINDS, "system") else "data"


def _kind_of_content(path: Path, triples: NTriples) -> str:
    try:
        first = path.resolve().relative_to(PROJECT_ROOT).parts[0]
        if first in KINDS:
            return first
    except (ValueError, IndexError):
        pass
    if triples.contains(_RDF_TYPE, _OWL_ONTOLOGY):
        return "ontology"
    if any(triples.contains(_RDF_TYPE, shape_type) for shape_type in _SHAPE_TYPES):
        return "shapes"
    return "data"


def parse_text(text: str, name: str, rdf_format: ox.RdfFormat = ox.RdfFormat.TURTLE) -> tuple[NTriples, dict[str, str]]:
    """Parse RDF text into triples (a leading byte-order mark is ignored); raise RdfSyntaxError naming `name`,
    line, column and a hint."""
    return parse_bytes(text.removeprefix("\ufeff").encode("utf-8"), name, rdf_format)


def parse_bytes(
    data: bytes, name: str, rdf_format: ox.RdfFormat = ox.RdfFormat.TURTLE
) -> tuple[NTriples, dict[str, str]]:
    """Parse UTF-8 RDF into triples (a leading byte-order mark is ignored); raise RdfSyntaxError naming `name`,
    line, column and a hint — for bytes that are not UTF-8, the line and column of the first such byte."""
    data = without_bom(data)
    # Fresh blank-node ids: two files may both say _:b1, and each load must not merge them.
    parser = ox.parse(input=data, format=rdf_format, without_named_graphs=True, rename_blank_nodes=True)
    try:
        triples = NTriples.of(parser)  # written as it is parsed, never held as Python objects
    except SyntaxError as error:
        raise _syntax_error(name, data, error) from None
    return triples, dict(parser.prefixes or {})


def _syntax_error(name: str, data: bytes, error: SyntaxError) -> RdfSyntaxError:
    detail = re.sub(r"^Parser error (at|between) [^:]*: ", "", error.msg or str(error))
    if re.search(r"utf-8", detail, re.I):
        try:  # the parser says where it gave up; the person needs the first byte their editor got wrong
            data.decode("utf-8")
        except UnicodeDecodeError as not_utf8:
            return not_utf8_error(name, data, not_utf8.start)
    detail = re.sub(r"^(Invalid UTF-8|cannot decode input using UTF-8):? ?", "not UTF-8 text: ", detail)
    line_text = None
    if error.lineno and error.lineno > 0:
        lines = data.split(b"\n", error.lineno)
        if len(lines) >= error.lineno:
            line_text = lines[error.lineno - 1].rstrip(b"\r").decode("utf-8", errors="replace")
    return RdfSyntaxError(name, error.lineno, error.offset, detail, line_text, _hint_for(detail))


DATASET_FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


def parse_dataset_file(path: Path) -> list[ParsedFile]:
    """A backup (N-Quads or TriG, e.g. from `circe-kg dump --format nquads`): one ParsedFile per named graph."""
    name = display_name(path)
    data = without_bom(path.read_bytes())
    parser = ox.parse(input=data, format=DATASET_FORMATS[path.suffix.lower()], rename_blank_nodes=True)
    graphs: dict[str, list[ox.Triple]] = {}
    try:
        for quad in parser:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise RdfSyntaxError(
                    name,
                    None,
                    None,
                    "a triple outside any named graph",
                    hint="every triple of a backup belongs to a named graph",
                )
            graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    except SyntaxError as error:
        raise _syntax_error(name, data, error) from None
    return [
        ParsedFile(f"{name} <{iri}>", iri, kind_of_graph(iri), NTriples.of(triples), dict(parser.prefixes or {}))
        for iri, triples in sorted(graphs.items())
    ]


def parse_file(path: Path, graph_iri: str | None = None) -> ParsedFile:
    """Read and parse one file (a UTF-8 byte-order mark at its start is ignored). Raises RdfSyntaxError (bad
    content, bytes that are not UTF-8) or UsageError (missing / unknown format)."""
    name = display_name(path)
    rdf_format = FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        raise UsageError(f"{name}: unknown file type {path.suffix!r}", "use one of " + ", ".join(sorted(FORMATS)))
    try:
        data = path.read_bytes()  # not decoded: the parser reads UTF-8 itself
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file", "check the path") from None
    triples, prefixes = parse_bytes(data, name, rdf_format)
    kind = _kind_of_content(path, triples)
    return ParsedFile(name, graph_iri or graph_iri_for(path, kind), kind, triples, prefixes, data)
