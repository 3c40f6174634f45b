"""Write each data graph of the store back to its Turtle file in data/, so that what stewards changed in the browser
can be reviewed with `git diff data/` and committed: without this, the store and the repository drift apart.

What it promises:
- A file goes with the graph the loader gives it (data/practices.ttl <-> …/graph/data/practices). Every data graph
  of the store must have its file, unless `graphs` names the ones to export (UsageError otherwise, naming them).
- A file whose triples equal its graph's (blank nodes compared up to renaming) is not touched, not even rewritten.
- A changed file keeps its text wherever its records did not change: the header, every comment between records,
  the @prefix lines, the order and layout of unchanged records, byte for byte. A changed record is written again
  where it was, a removed one is taken out, new ones come at the end; those in one fixed layout (subjects sorted,
  rdf:type first, then labels, dct:source last, objects sorted), so the same triples always give the same text.
  Only the prefixes a new record needs are added. A file whose records cannot be told apart (blank node labels
  shared between statements) is written whole in that layout, its header (comments and prefixes) kept. Whatever is
  written is parsed back and must hold exactly the graph, or nothing is written.
- Literals are written as the file spelled them where the store hands them back changed ("0"^^xsd:nonNegativeInteger
  comes back from Oxigraph as "0"^^xsd:integer when the history does not have the graph): no silent datatype change.
- The edits graph (writes.EDITS_GRAPH: records made in the browser or from a sheet) has no file of its own: each of
  its records goes to the file whose graph already describes its subject; a new subject to the file holding the
  most resources of its class (an illustrative one: the file holding most illustrative resources), never into a
  generated file (one that says "do not edit by hand"); a reified statement (rdf:subject X) goes where X goes. A
  record that fits no file stops the export, naming it (UsageError): a guessed file would hide it.
- All or nothing. A file edited by hand since it was loaded (its SHA-256 is not the one loader.loaded_files
  recorded) is refused with Conflict, naming each file and the fixes, unless `force`; then nothing is written. The
  new files are written beside the old ones first; then, if the edits graph was folded, the store's graphs are
  made to hold what the files hold (the folded graphs rewritten, the edits graph dropped) through the write gate —
  validated, recorded in the history, refused if a graph changed since the plan — and only then are the files
  renamed into place. Store and files agree afterwards: `circe-kg load` would change nothing; each file's SHA-256
  is recorded as if it had just been loaded. With `graphs`, the edits graph is left in the store as it is.

Example (the store must not be open elsewhere, e.g. by `circe-kg serve`):

    circe-kg export-graphs --dry-run    # per file: +added / -removed triples, records folded; writes nothing
    circe-kg export-graphs              # then: git diff data/

    from circe_kg.store.open import open_store
    from circe_kg.config import DATA_DIR
    from circe_kg.export_graphs import apply_export, plan_export

    with open_store() as store:
        plan = plan_export(store, DATA_DIR)  # reads only; raises UsageError, RdfSyntaxError
        print(plan.to_text())
        print(apply_export(store, plan, "me").to_text())  # raises Conflict for a refused file
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard, TypeVar

import pyoxigraph as ox

from .binding import AnyTerm, value_of
from .config import history_path
from .errors import CirceError, Conflict, UsageError
from .loader import loaded_files, record_loaded_files
from .namespaces import CIRCE, DCTERMS, PREFIXES, RDF, RDFS, SKOS, XSD, compact, expand
from .rdf_files import ParsedFile, display_name, kind_of_graph, parse_file
from .store import Store
from .writing.gate import EDITS_GRAPH, Change, WriteGate

_TYPE = str(RDF.type)
_ILLUSTRATIVE = str(CIRCE.illustrative)
_REIFIED_SUBJECT = str(RDF.subject)
_GENERATED = re.compile(r"do not edit by hand", re.I)
_FIRST = [str(p) for p in (RDF.type, SKOS.prefLabel, RDFS.label, SKOS.altLabel, DCTERMS.title, SKOS.definition)]
_FIRST += [str(DCTERMS.description), str(RDF.subject), str(RDF.predicate), str(RDF.object)]
_LAST = [str(DCTERMS.source)]
_LOCAL = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?$")
_BARE = {
    str(XSD.boolean): re.compile(r"^(true|false)$"),
    str(XSD.integer): re.compile(r"^[+-]?[0-9]+$"),
    str(XSD.decimal): re.compile(r"^[+-]?[0-9]*\.[0-9]+$"),
}
_WIDTH = 110
_ANY = ox.NamedNode("urn:x-export:value")
_T = TypeVar("_T", bound=AnyTerm)  # a triple's subject or object, its own type kept


# -- graphs compared up to blank-node renaming -------------------------------------------------------------------
def _blank(term: object) -> TypeGuard[ox.BlankNode]:
    return isinstance(term, ox.BlankNode)


def isomorphic(one: Iterable[ox.Triple], other: Iterable[ox.Triple]) -> bool:
    """Whether two graphs are the same up to the names of their blank nodes (RDFC-1.0 per blank-node molecule, a
    set comparison for the rest: fast where most triples are ground, unlike a search over every mapping).

    >>> a, b = ox.BlankNode("a"), ox.BlankNode("b")
    >>> p, x = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/x")
    >>> isomorphic([ox.Triple(x, p, a)], [ox.Triple(x, p, b)]), isomorphic([ox.Triple(x, p, a)], [ox.Triple(a, p, x)])
    (True, False)
    """
    return _Graph.of(one).same_as(_Graph.of(other))


@dataclass
class _Graph:
    """Triples as ground ones (a set) and molecules (the triples joined by blank nodes), each molecule with
    canonical blank nodes (RDFC-1.0) and a key, its canonical text. Two graphs are isomorphic exactly when their
    ground sets and their molecule keys (counted) are equal."""

    ground: set[ox.Triple]
    molecules: list[tuple[str, list[ox.Triple]]]  # sorted by key; blank nodes b{index}c{n}, distinct per molecule

    @classmethod
    def of(cls, triples: Iterable[ox.Triple]) -> _Graph:
        ground: set[ox.Triple] = set()
        linked: list[ox.Triple] = []
        for t in triples:
            (linked.append(t) if _blank(t.subject) or _blank(t.object) else ground.add(t))
        parent: dict[ox.BlankNode, ox.BlankNode] = {}

        def root(node: ox.BlankNode) -> ox.BlankNode:
            while parent.setdefault(node, node) != node:
                node = parent[node]
            return node

        for t in linked:
            nodes = [n for n in (t.subject, t.object) if _blank(n)]
            parent[root(nodes[-1])] = root(nodes[0])
        groups: dict[ox.BlankNode, set[ox.Triple]] = defaultdict(set)
        for t in linked:
            groups[root([n for n in (t.subject, t.object) if _blank(n)][0])].add(t)
        keyed = []
        for group in groups.values():
            dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in group)
            dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
            canonical = [q.triple for q in dataset]
            keyed.append(("\n".join(sorted(str(t) for t in canonical)), canonical))
        keyed.sort(key=lambda item: item[0])
        molecules = []
        for index, (key, canonical) in enumerate(keyed):

            def named(term: _T, index: int = index) -> _T | ox.BlankNode:
                return ox.BlankNode(f"b{index}c{term.value.removeprefix('c14n')}") if _blank(term) else term

            molecules.append((key, [ox.Triple(named(t.subject), t.predicate, named(t.object)) for t in canonical]))
        return cls(ground, molecules)

    def keys(self) -> Counter[str]:
        return Counter(key for key, _ in self.molecules)

    def triples(self) -> list[ox.Triple]:
        return [*self.ground, *(t for _, triples in self.molecules for t in triples)]

    def same_as(self, other: _Graph) -> bool:
        return self.ground == other.ground and self.keys() == other.keys()

    def added_removed(self, before: _Graph) -> tuple[int, int]:
        """Triples in this graph and not in `before`, and the other way round; a molecule counts whole."""
        mine, theirs = self.keys(), before.keys()

        def size(keys: Counter[str]) -> int:
            return sum((key.count("\n") + 1) * n for key, n in keys.items())

        return (
            len(self.ground - before.ground) + size(mine - theirs),
            len(before.ground - self.ground) + size(theirs - mine),
        )

    def records(self) -> tuple[dict[str, tuple[frozenset[ox.Triple], Counter[str]]], Counter[str], bool]:
        """Per IRI subject: its ground triples and the keys of the molecules hanging from it alone; the keys of the
        molecules no IRI points into; and whether every molecule hangs from at most one IRI."""
        ground: dict[str, set[ox.Triple]] = defaultdict(set)
        for t in self.ground:
            ground[value_of(t.subject)].add(t)
        owned: dict[str, Counter[str]] = defaultdict(Counter)
        top: Counter[str] = Counter()
        simple = True
        for key, triples in self.molecules:
            owners = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
            if len(owners) > 1:
                simple = False
            elif owners:
                owned[owners.pop()][key] += 1
            else:
                top[key] += 1
        subjects = set(ground) | set(owned)
        return {s: (frozenset(ground.get(s, ())), owned.get(s, Counter())) for s in subjects}, top, simple


# -- Turtle in one fixed layout ----------------------------------------------------------------------------------
class _Writer:
    """Writes records of one graph as Turtle: prefixed names from `declared` (adding from `candidates` only what is
    needed, in .added), blank nodes referenced once written inline, the others by their canonical label."""

    def __init__(self, triples: Iterable[ox.Triple], declared: dict[str, str], candidates: dict[str, str]) -> None:
        self.by_subject: dict[AnyTerm, list[ox.Triple]] = defaultdict(list)
        refs: Counter[ox.BlankNode] = Counter()
        for t in triples:
            self.by_subject[t.subject].append(t)
            if _blank(t.object):
                refs[t.object] += 1
        self.refs = refs
        self.declared = declared
        self.candidates = sorted(candidates.items(), key=lambda item: (-len(item[1]), item[0]))
        self.added: dict[str, str] = {}
        self.inline = {b for b, n in refs.items() if n == 1}
        while unreached := self.inline - self._reached():  # a cycle of blank nodes cannot be written inline
            self.inline.discard(min(unreached, key=lambda b: b.value))

    def _reached(self) -> set[ox.BlankNode]:
        """The inline blank nodes that some record written on its own leads to."""
        reached: set[ox.BlankNode] = set()
        stack = [s for s in self.by_subject if s not in self.inline]
        while stack:
            for t in self.by_subject.get(stack.pop(), []):
                if _blank(t.object) and t.object in self.inline and t.object not in reached:
                    reached.add(t.object)
                    stack.append(t.object)
        return reached

    @property
    def labelled(self) -> list[ox.BlankNode]:
        """Blank nodes that need a label (referenced more than once, or in a cycle)."""
        return sorted((b for b in self.refs if b not in self.inline), key=lambda b: b.value)

    def iri(self, value: str) -> str:
        in_use = {**self.declared, **self.added}
        for prefix, namespace in sorted(in_use.items(), key=lambda item: -len(item[1])):
            if value.startswith(namespace) and _LOCAL.match(value[len(namespace) :]):
                return f"{prefix}:{value[len(namespace) :]}"
        for prefix, namespace in self.candidates:
            if prefix not in in_use and value.startswith(namespace) and _LOCAL.match(value[len(namespace) :]):
                self.added[prefix] = namespace
                return f"{prefix}:{value[len(namespace) :]}"
        return str(ox.NamedNode(value))

    def term(self, term: AnyTerm, indent: str) -> str:
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.Literal):
            quoted = str(ox.Literal(term.value))  # N-Triples escaping, which Turtle reads as it is
            if term.language:
                return f"{quoted}@{term.language}"
            datatype = term.datatype.value
            if datatype == str(XSD.string):
                return quoted
            bare = _BARE.get(datatype)
            return term.value if bare and bare.match(term.value) else f"{quoted}^^{self.iri(datatype)}"
        if _blank(term) and term in self.inline:
            lines = self._lines(term, indent + "    ")
            if not lines:
                return "[]"
            if not any("\n" in line for line in lines) and len(" ; ".join(lines)) < 80:
                return f"[ {' ; '.join(lines)} ]"
            return f"[\n{indent}    " + f" ;\n{indent}    ".join(lines) + f"\n{indent}]"
        return f"_:{value_of(term)}"

    def predicates(self, subject: AnyTerm, indent: str) -> str:
        """The predicates and objects of `subject`, one predicate a line (continuation lines start with `indent`)."""
        return f" ;\n{indent}".join(self._lines(subject, indent))

    def _lines(self, subject: AnyTerm, indent: str) -> list[str]:
        grouped: dict[str, list[AnyTerm]] = defaultdict(list)
        for t in self.by_subject.get(subject, []):
            grouped[t.predicate.value].append(t.object)

        def rank(predicate: str) -> tuple[int, str]:
            if predicate in _FIRST:
                return _FIRST.index(predicate), ""
            return (len(_FIRST) + 1 + _LAST.index(predicate), "") if predicate in _LAST else (len(_FIRST), predicate)

        lines = []
        for predicate in sorted(grouped, key=rank):
            name = "a" if predicate == _TYPE else self.iri(predicate)
            objects = sorted(grouped[predicate], key=lambda o: self._sort_key(o, indent))
            texts = [self.term(o, indent) for o in objects]
            one_line = f"{name} {' , '.join(texts)}"
            if len(texts) == 1 or (len(indent) + len(one_line) <= _WIDTH and not any("\n" in x for x in texts)):
                lines.append(one_line)
            else:
                lines.append(f"{name} " + f" ,\n{indent}    ".join(texts))
        return lines

    def _sort_key(self, term: AnyTerm, indent: str) -> tuple[int, str, str]:
        if isinstance(term, ox.NamedNode):
            return 0, term.value, ""
        if isinstance(term, ox.Literal):
            return 1, term.language or "", f"{term.value}\0{term.datatype.value}"
        return 2, self.term(term, indent), ""  # written once more for the key: the same text either way

    def block(self, subject: AnyTerm) -> str:
        """One record: `subject p o ; … .` (a blank node nobody points to is written `[] p o ; … .`)."""
        if _blank(subject):
            head = "[]" if subject not in self.refs else f"_:{subject.value}"
        else:
            head = self.iri(value_of(subject))
        return f"{head} {self.predicates(subject, '    ')} ."


# -- the file's text, cut into directives, statements and what lies between ---------------------------------------
_TOKEN = re.compile(  # what can hold a '.' or a bracket that does not count, and what counts
    "|".join(
        (
            r"#[^\n]*",  # a comment
            r"<[^>]*>",  # an IRI
            r'"""(?:[^"\\]|\\.|"(?!""))*"""',
            r"'''(?:[^'\\]|\\.|'(?!''))*'''",
            r'"(?:[^"\\\n]|\\.)*"',
            r"'(?:[^'\\\n]|\\.)*'",
            r"[\[(]",
            r"[\])]",
            r"(?<![\w.-])_:",  # a blank node label
            r"\.(?=[\s#]|$)",  # the end of a statement (a '.' inside a name or number is followed by more)
            r"[\"\']",  # a quote no string pattern closed: the text is cut wrong
        )
    )
)


def _statement_end(text: str, start: int) -> tuple[int, bool]:
    """Where the statement or directive at `start` ends (past its '.', or its IRI for SPARQL-style PREFIX/BASE), and
    whether it uses a blank node label (_:x). Raises ValueError when the text ends first."""
    sparql = re.match(r"(PREFIX|BASE)\b", text[start:], re.I) is not None
    depth, labelled = 0, False
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        if token in "\"'":
            raise ValueError("unclosed string")
        if token.startswith("<") and sparql:
            return match.end(), labelled
        if token in "[(":
            depth += 1
        elif token in "])":
            depth -= 1
        elif token == "_:":
            labelled = True
        elif token == "." and depth == 0:
            return match.end(), labelled
    raise ValueError("a statement without its final '.'")


def _spans(text: str) -> tuple[list[tuple[str, str]], bool]:
    """The text as ("gap" | "directive" | "statement", text) spans that join back into it exactly, and whether any
    statement uses blank node labels. Raises ValueError if a statement cannot be delimited."""
    spans: list[tuple[str, str]] = []
    i = gap = 0
    labelled = False
    while i < len(text):
        if text[i] in " \t\r\n":
            i += 1
        elif text[i] == "#":
            i = text.find("\n", i)
            i = len(text) if i == -1 else i
        else:
            if i > gap:
                spans.append(("gap", text[gap:i]))
            end, uses_labels = _statement_end(text, i)
            directive = re.match(r"(@prefix|@base|PREFIX\b|BASE\b)", text[i:], re.I) is not None
            spans.append(("directive" if directive else "statement", text[i:end]))
            labelled = labelled or uses_labels
            i = gap = end
    if gap < len(text):
        spans.append(("gap", text[gap:]))
    return spans, labelled


def _preamble(spans: list[tuple[str, str]]) -> int:
    """How many spans form the header: up to the last directive before the first statement, or the leading comment
    block when there is no directive."""
    last = -1
    for index, (kind, _) in enumerate(spans):
        if kind == "statement":
            break
        if kind == "directive":
            last = index
    return last + 1


def _comment_block_end(text: str) -> int:
    """Where the comment lines at the start of `text` (after blank lines) end: the header when nothing else is."""
    end = 0
    for match in re.finditer(r"[^\n]*(?:\n|$)", text):
        line = match.group()
        if not line or not (line.startswith("#") or not line.strip()):
            break
        end = match.end() if line.startswith("#") else end
    return end


def _generated(text: str) -> bool:
    """Whether the file's header says it is made by a script ("do not edit by hand")."""
    return bool(_GENERATED.search(text[: _comment_block_end(text[:20000])]))


def _prefixes_of(text: str) -> dict[str, str]:
    parser = ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    for _ in parser:
        pass
    return dict(parser.prefixes or {})


def _parse(text: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.TURTLE, rename_blank_nodes=True)]


def render(old_text: str, triples: Iterable[ox.Triple], file_prefixes: dict[str, str] | None = None) -> str:
    """The Turtle text of `triples` for a file that held `old_text` (promises as in the module docstring).

    The result is checked by parsing it back: it always holds exactly `triples` (up to blank-node renaming).
    Raises CirceError if it could not be made to (a bug: nothing is written then)."""
    desired = _Graph.of(triples)
    try:
        spans, labelled = _spans(old_text)
    except ValueError:
        spans, labelled = [], True
    head = _preamble(spans)
    directives = "".join(text for kind, text in spans[:head] if kind == "directive" or kind == "gap")
    declared = _prefixes_of(directives) if directives.strip() else {}
    candidates = {p: ns for p, ns in (file_prefixes or {}).items() if p not in declared}
    candidates.update({p: ns for p, ns in PREFIXES.items() if p not in declared and p not in candidates})
    attempts = [] if labelled else [_in_place]
    for attempt in [*attempts, _whole]:
        writer = _Writer(desired.triples(), declared, candidates)
        text = attempt(spans, head, directives, desired, writer)
        if text is not None and _Graph.of(_parse(text)).same_as(desired):
            return text
    raise CirceError(
        "the exported Turtle does not read back as the graph it was made from",
        "nothing was written; please report this with the graph (circe-kg dump --graph …)",
    )


def _prefix_lines(writer: _Writer) -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(writer.added.items()))


def _whole(spans: list[tuple[str, str]], head: int, _: str, desired: _Graph, writer: _Writer) -> str:
    """Every record written again, sorted; the header (comments and prefixes before the first record) kept."""
    if head:
        header = "".join(text for _, text in spans[:head]).rstrip() + "\n"
    else:
        leading = spans[0][1] if spans and spans[0][0] == "gap" else ""
        header = leading[: _comment_block_end(leading)].lstrip("\n")
    blocks = _blocks(desired, writer, None)
    body = "\n\n".join(blocks)
    prefixes = _prefix_lines(writer)
    text = header + prefixes
    return (text + ("\n" if text else "") + body + "\n") if body else text


def _blocks(desired: _Graph, writer: _Writer, only: set[str] | None) -> list[str]:
    """Blocks of the IRI subjects (sorted; `only` those) then of the blank nodes nobody points to (sorted by text)
    and, when writing everything, the labelled ones."""
    subjects = sorted({t.subject.value for t in desired.triples() if isinstance(t.subject, ox.NamedNode)})
    blocks = [writer.block(ox.NamedNode(s)) for s in subjects if only is None or s in only]
    if only is None:
        roots = {t.subject for t in desired.triples() if _blank(t.subject) and t.subject not in writer.refs}
        blocks += sorted(writer.block(b) for b in roots)
        blocks += [writer.block(b) for b in writer.labelled if b in writer.by_subject]
    return blocks


def _in_place(spans: list[tuple[str, str]], head: int, directives: str, desired: _Graph, writer: _Writer) -> str | None:
    """Unchanged records keep their text and place; changed ones are written again in place; new ones at the end.
    None when the file's records cannot be told apart (then everything is written again)."""
    wanted, wanted_top, simple = desired.records()
    if not simple or writer.labelled:
        return None
    chunks: list[tuple[str | None, Counter[str]]] = []  # per span: its IRI subject, or the keys of its blank records
    found: dict[str, tuple[set[ox.Triple], Counter[str]]] = {}
    context = directives
    for kind, text in spans:
        if kind == "directive":
            context += "\n" + text
        if kind != "statement":
            chunks.append((None, Counter()))
            continue
        try:
            records, top, one = _Graph.of(_parse(context + "\n" + text)).records()
        except SyntaxError:  # cut in the wrong place: write everything again instead
            return None
        if not one or len(records) > 1 or (records and top):
            return None
        if records:
            ((owner, (ground, keys)),) = records.items()
            have = found.setdefault(owner, (set(), Counter()))
            have[0].update(ground)
            have[1].update(keys)
            chunks.append((owner, Counter()))
        else:
            chunks.append((None, top))
    unchanged = {s for s, (ground, keys) in found.items() if s in wanted and wanted[s] == (frozenset(ground), keys)}
    left = Counter(wanted_top)
    written: set[str] = set()
    out: list[str] = []
    dropped = False
    for (kind, text), (subject, keys) in zip(spans, chunks, strict=True):
        if kind != "statement":
            if dropped and kind == "gap":
                text = text.lstrip(" \t").removeprefix("\n")
                if not out or "".join(out[-4:]).endswith("\n\n"):  # already a blank line before: no second
                    text = re.sub(r"^(?:[ \t]*\n)+", "", text)
            out.append(text)
            dropped = False
            continue
        keep = subject in unchanged if subject else bool(keys) and not keys - left
        if subject is None and keep:
            left -= keys
        if keep:
            out.append(text)
        elif subject and subject in wanted and subject not in written:
            out.append(writer.block(ox.NamedNode(subject)))
            written.add(subject)
        else:
            dropped = True
            continue
        dropped = False
    new = set(wanted) - set(found)
    tail = _blocks(desired, writer, new)
    molecules = dict(desired.molecules)
    roots = []
    for key, n in sorted(left.items()):
        root = next(t.subject for t in molecules[key] if _blank(t.subject) and t.subject not in writer.refs)
        roots += [writer.block(root)] * n
    body = "".join(out)
    if tail or roots:
        body = body.rstrip("\n")
        for block in [*tail, *sorted(roots)]:
            body += ("\n\n" if body else "") + block
    body = body if not body or body.endswith("\n") else body + "\n"
    if writer.added:  # after the last prefix line of the header, or after its comments
        prefixes = _prefix_lines(writer)
        if head:
            header = "".join(text for _, text in spans[:head])
            body = header + "\n" + prefixes.rstrip("\n") + body[len(header) :]
        else:
            cut = _comment_block_end(body)
            body = body[:cut] + prefixes + "\n" + body[cut:].lstrip("\n")
    return body


# -- the plan ----------------------------------------------------------------------------------------------------
@dataclass
class FileExport:
    """One file of the data folder and what exporting its graph would do to it."""

    path: Path
    name: str  # as shown (relative to the checkout when inside it)
    graph: str
    source: bytes  # the file as it is now
    content: list[ox.Triple] = field(default_factory=list)  # what the file (and its graph) will hold
    text: bytes | None = None  # the new file; None: the file already holds its graph
    added: int = 0
    removed: int = 0
    folded: list[str] = field(default_factory=list)  # subjects of the edits graph placed here
    refused: str | None = None  # why it may not be overwritten
    generated: bool = False  # its header says "do not edit by hand"


@dataclass
class ExportPlan:
    data_dir: Path
    files: list[FileExport]
    fold: bool  # whether the edits graph is folded into the files
    bases: dict[str, str]  # graph -> its fingerprint when planned (the fold refuses if one changed since)
    left_alone: list[str] = field(default_factory=list)  # files of the folder that have no data graph in the store
    edits_left: int = 0  # triples of the edits graph not exported (graphs named with --graph)

    @property
    def changed(self) -> list[FileExport]:
        return [f for f in self.files if f.text is not None]

    @property
    def refused(self) -> list[FileExport]:
        return [f for f in self.changed if f.refused]

    def to_text(self) -> str:
        lines = []
        for f in self.changed:
            line = f"{f.name}: +{f.added} / -{f.removed} triples"
            if f.folded:
                line += f"; from the edits graph: {', '.join(f.folded)}"
            if f.refused:
                line += f" — REFUSED: {f.refused}"
            lines.append(line)
            if f.generated:
                lines.append(
                    f'  note: {f.name} says it is generated ("do not edit by hand"): running its script again '
                    "undoes this change, so make it in the script's input too"
                )
        same = len(self.files) - len(self.changed)
        if same:
            lines.append(f"{same} file(s) already hold their graph: left as they are")
        lines += [f"{name}: no data graph in the store: left as it is" for name in self.left_alone]
        if self.edits_left:
            lines.append(
                f"the edits graph holds {self.edits_left} triple(s) that were not exported: export without --graph "
                "to fold them into their files"
            )
        return "\n".join(lines)

    def check(self) -> None:
        """Raise Conflict naming every refused file and how to go on."""
        if not self.refused:
            return
        raise Conflict(
            "\n".join(f"{f.name}: {f.refused}" for f in self.refused)
            + "\nNothing was written: writing the store's graph over it would lose those edits.",
            "keep the store's version: add --force (the file's own edits are lost; git diff shows them); keep the "
            "file's: `circe-kg load FILE` (the store's changes to that graph are lost); keep both: merge the store's "
            f"graph (`circe-kg dump --format turtle --graph {self.refused[0].graph}`) into the file by hand, "
            "then load it",
        )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fresh(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples with new blank nodes, so that they cannot meet another graph's that happen to share a label."""
    fresh: dict[ox.BlankNode, ox.BlankNode] = defaultdict(ox.BlankNode)

    def term(t: _T) -> _T | ox.BlankNode:
        return fresh[t] if _blank(t) else t

    return [ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples]


def _stored_forms(triples: Iterable[ox.Triple]) -> dict[ox.Triple, ox.Triple]:
    """The triples with a typed literal that a store hands back otherwise (Oxigraph keeps "0"^^xsd:nonNegativeInteger
    as "0"^^xsd:integer), as stored form -> the file's triple: a graph read from the store rather than from its kept
    history is then written with the file's own literals, not with a changed datatype."""
    typed = [
        t
        for t in triples
        if isinstance(t.object, ox.Literal)
        and not t.object.language
        and t.object.datatype.value != str(XSD.string)
        and not _blank(t.subject)
    ]
    scratch = ox.Store()
    scratch.extend(ox.Quad(ox.NamedNode(f"urn:x-export:{i}"), _ANY, t.object) for i, t in enumerate(typed))
    stored = {}
    for quad in scratch:
        original = typed[int(quad.subject.value.rpartition(":")[2])]
        if quad.object != original.object:
            stored[ox.Triple(original.subject, original.predicate, quad.object)] = original
    return stored


def plan_export(store: Store, data_dir: Path, graphs: Sequence[str] = (), force: bool = False) -> ExportPlan:
    """What exporting the store's data graphs to the Turtle files of `data_dir` would do; writes nothing.

    `graphs` (graph IRIs): only these, and the edits graph is not folded. `force`: files edited by
    hand since they were loaded are overwritten instead of refused. Raises UsageError (no such folder, no data in
    the store, a graph without its file, an edits-graph record that fits no file) and RdfSyntaxError (a file of
    the folder that does not parse)."""
    if not data_dir.is_dir():
        raise UsageError(
            f"{display_name(data_dir)}: no such folder",
            "give the folder of the data files with --data (default: data/ of the checkout, as `circe-kg load` uses)",
        )
    paths = sorted(data_dir.glob("*.ttl"))
    if not paths:
        raise UsageError(f"{display_name(data_dir)} holds no .ttl files", "give the folder of data/*.ttl with --data")
    present = set(store.named_graphs())
    data_graphs = sorted(g for g in present if kind_of_graph(g) == "data")
    if not data_graphs:
        raise UsageError("the store holds no data graphs: there is nothing to export", "load the data: circe-kg load")
    by_graph: dict[str, ParsedFile] = {}
    path_of: dict[str, Path] = {}
    left_alone = []
    for path in paths:
        parsed = parse_file(path)
        if parsed.graph_iri in by_graph:
            raise UsageError(
                f"{by_graph[parsed.graph_iri].name} and {parsed.name} both load into <{parsed.graph_iri}>",
                "keep one of them in the folder",
            )
        if parsed.graph_iri in present and parsed.kind == "data":
            by_graph[parsed.graph_iri], path_of[parsed.graph_iri] = parsed, path
        else:
            left_alone.append(parsed.name)
    gate = WriteGate(store, history_path(store))
    fold = EDITS_GRAPH in present and EDITS_GRAPH not in by_graph
    selected = _selected(graphs, data_graphs, by_graph, data_dir, fold)
    edits = list(gate.content(EDITS_GRAPH)) if fold else []
    edits_left = len(edits) if graphs else 0
    fold = fold and bool(edits) and not graphs  # an empty edits graph is left as it is
    contents = {}
    for graph in selected:
        stored = _stored_forms(by_graph[graph].triples)
        contents[graph] = [stored.get(t, t) for t in gate.content(graph)]
    generated = {g: _generated(by_graph[g].text) for g in selected}
    assigned: dict[str, list[ox.Triple]] = {}
    folded: dict[str, list[str]] = {}
    if fold:
        assigned, folded = _place(_fresh(edits), contents, generated, data_dir)
    record = loaded_files(store)
    files = []
    for graph in selected:
        parsed = by_graph[graph]
        desired = _Graph.of([*contents[graph], *assigned.get(graph, [])])
        current = _Graph.of(parsed.triples)
        export = FileExport(
            path_of[graph],
            parsed.name,
            graph,
            parsed.source,
            desired.triples(),
            folded=folded.get(graph, []),
            generated=generated[graph],
        )
        if not desired.same_as(current):
            export.text = render(parsed.text, desired.triples(), parsed.prefixes).encode("utf-8")
            export.added, export.removed = desired.added_removed(current)
            export.refused = None if force else _hand_edited(parsed, record.get(graph))
        files.append(export)
    bases = {g: gate.base(g) for g in [*assigned, EDITS_GRAPH]} if fold else {}
    return ExportPlan(data_dir, files, fold, bases, left_alone, edits_left)


def _selected(
    graphs: Sequence[str], data_graphs: list[str], by_graph: dict[str, ParsedFile], data_dir: Path, fold: bool
) -> list[str]:
    folder = display_name(data_dir)
    if graphs:
        chosen = []
        for name in graphs:
            graph = expand(name) or name
            if graph not in data_graphs:
                raise UsageError(f"no data graph <{graph}> in the store", "list the graphs with `circe-kg graphs`")
            if graph == EDITS_GRAPH and fold:
                raise UsageError(
                    f"the edits graph has no file in {folder}: its records are folded into the files they belong to",
                    "export without --graph to fold them",
                )
            if graph not in by_graph:
                raise UsageError(f"graph <{graph}> has no file in {folder}", "check --data, or name another graph")
            chosen.append(graph)
        return sorted(set(chosen))
    unknown = [g for g in data_graphs if g not in by_graph and not (g == EDITS_GRAPH and fold)]
    if unknown:
        raise UsageError(
            f"{len(unknown)} data graph(s) of the store have no file in {folder}: "
            + ", ".join(f"<{g}>" for g in unknown),
            f"name the graphs to export with --graph (repeatable), or give each its file in {folder} "
            "(circe-kg dump --format turtle --graph IRI -o FILE); nothing was written",
        )
    return [g for g in data_graphs if g in by_graph]


def _hand_edited(parsed: ParsedFile, loaded: dict[str, str] | None) -> str | None:
    now = _sha256(parsed.source)
    if loaded is None:
        return (
            "the store has no record of loading this file (loaded by an earlier circe-kg, or from elsewhere), so "
            "edits made to it by hand cannot be ruled out"
        )
    if loaded.get("sha256") == now:
        return None
    if loaded.get("file") and Path(loaded["file"]).name != Path(parsed.name).name:  # another file, same graph
        return (
            f"the store's graph was last loaded from {loaded['file']}, not from this file, which may hold other edits"
        )
    return f"edited by hand since it was loaded (SHA-256 {now[:12]}…, loaded {str(loaded.get('sha256'))[:12]}…)"


def _place(
    edits: list[ox.Triple], contents: dict[str, list[ox.Triple]], generated: dict[str, bool], data_dir: Path
) -> tuple[dict[str, list[ox.Triple]], dict[str, list[str]]]:
    """The edits graph's records, each assigned to a graph (rules in the module docstring), and the subjects placed
    in each graph. Raises UsageError naming the records that fit no file."""
    described: dict[str, Counter[str]] = defaultdict(Counter)  # subject -> graph -> its triples there
    kinds: dict[str, Counter[tuple[str, bool]]] = defaultdict(Counter)  # graph -> (class, illustrative) -> count
    illustrative: Counter[str] = Counter()  # graph -> its illustrative resources
    for graph, triples in contents.items():
        marked = {
            value_of(t.subject) for t in triples if t.predicate.value == _ILLUSTRATIVE and value_of(t.object) == "true"
        }
        for t in triples:
            if isinstance(t.subject, ox.NamedNode):
                described[t.subject.value][graph] += 1
                if t.predicate.value == _TYPE and not generated[graph]:
                    kinds[graph][(value_of(t.object), value_of(t.subject) in marked)] += 1
        if not generated[graph]:
            illustrative[graph] = len(marked)

    def described_in(iri: str) -> str | None:
        if iri not in described:
            return None
        return max(sorted(described[iri]), key=lambda g: described[iri][g])  # where it is described most

    records: dict[str, list[ox.Triple]] = defaultdict(list)  # IRI subject -> its triples, blank nodes included
    loose: list[list[ox.Triple]] = []  # blank-node records no IRI points into
    edits_graph = _Graph.of(edits)
    for t in edits_graph.ground:
        records[value_of(t.subject)].append(t)
    for _, molecule in edits_graph.molecules:
        owners = sorted({t.subject.value for t in molecule if isinstance(t.subject, ox.NamedNode)})
        (records[owners[0]].extend(molecule) if owners else loose.append(molecule))
    home = {s: g for s in records if (g := described_in(s))}
    new = sorted(s for s in records if s not in home)
    reified = {
        s: next((value_of(t.object) for t in records[s] if t.predicate.value == _REIFIED_SUBJECT), None) for s in new
    }
    for subject in [s for s in new if not reified[s]]:
        triples = records[subject]
        if any(t.predicate.value == _ILLUSTRATIVE and value_of(t.object) == "true" for t in triples):
            scores = illustrative
        else:
            classes = [value_of(t.object) for t in triples if t.predicate.value == _TYPE]
            scores = Counter({g: sum(kinds[g][(c, False)] for c in classes) for g in kinds})
        best = max(scores.values(), default=0)
        if best:
            home[subject] = min(g for g in scores if scores[g] == best)
    for subject in [s for s in new if reified[s]]:
        target = reified[subject] or ""
        if found := home.get(target) or described_in(target):
            home[subject] = found
    assigned: dict[str, list[ox.Triple]] = defaultdict(list)
    placed: dict[str, list[str]] = defaultdict(list)
    unplaced = []
    for subject in sorted(records):
        if subject in home:
            assigned[home[subject]] += records[subject]
            placed[home[subject]].append(compact(subject))
        else:
            classes = [compact(value_of(t.object)) for t in records[subject] if t.predicate.value == _TYPE]
            unplaced.append(f"{compact(subject)} ({', '.join(sorted(classes)) or 'no rdf:type'})")
    for molecule in loose:
        anchors = [value_of(t.object) for t in molecule if t.predicate.value == _REIFIED_SUBJECT]
        anchors += sorted(t.object.value for t in molecule if isinstance(t.object, ox.NamedNode))
        anchored = next((g for a in anchors if (g := home.get(a) or described_in(a))), None)
        if anchored is None:
            unplaced.append(f"a blank node ({min(str(t) for t in molecule)} …)")
        else:
            assigned[anchored] += molecule
            placed[anchored].append(f"[…] about {compact(anchors[0])}")
    if unplaced:
        raise UsageError(
            f"{len(unplaced)} record(s) of the edits graph fit no file in {display_name(data_dir)}: "
            + "; ".join(unplaced),
            "give each an rdf:type that resources of a file there already have (or mark it circe:illustrative), or "
            "move it into the right file by hand and load that file; nothing was written",
        )
    return dict(assigned), {g: sorted(set(s)) for g, s in placed.items()}


# -- writing -----------------------------------------------------------------------------------------------------
@dataclass
class ExportResult:
    plan: ExportPlan
    written: list[FileExport]
    change: Change | None  # the write that folded the edits graph into the store's graphs

    def to_text(self) -> str:
        folder = display_name(self.plan.data_dir)
        if not self.written and self.change is None:
            return f"nothing to export: every file in {folder} already holds its graph"
        lines = [f"wrote {len(self.written)} file(s) in {folder}"]
        if self.change is not None:
            lines.append(
                f"the edits graph was folded into the graphs of the files that received its records (version "
                f"{self.change.number} in the history; `circe-kg restore` brings any graph back)"
            )
        lines.append(
            f"next: git diff {folder} — review, then commit. The store holds what the files hold: `circe-kg load` "
            "would change nothing."
        )
        return "\n".join(lines)


def apply_export(store: Store, plan: ExportPlan, agent: str) -> ExportResult:
    """Write the plan: all files or none, and the edits graph folded through the write gate (module docstring).

    Raises Conflict (a refused file, or a graph written since the plan), ValidationFailed (the fold would break
    the shapes), UsageError (a file that cannot be written); nothing is written then."""
    plan.check()
    temporary: dict[Path, Path] = {}

    def remove_partials() -> None:
        for partial in temporary.values():
            partial.unlink(missing_ok=True)

    try:
        for f in plan.changed:
            partial = f.path.with_name(f".{f.path.name}.export-graphs.partial")  # not *.ttl: never loaded
            temporary[f.path] = partial
            with partial.open("wb") as stream:
                stream.write(f.text or b"")
                stream.flush()
                os.fsync(stream.fileno())
    except OSError as error:
        remove_partials()
        raise UsageError(
            f"cannot write {error.filename or display_name(plan.data_dir)}: {error.strerror or error}",
            "check that the folder is writable; nothing was written",
        ) from None
    change = None
    if plan.fold:
        new: dict[str, list[ox.Triple] | None] = {
            f.graph: _fresh(f.content) for f in plan.files if f.graph in plan.bases
        }
        new[EDITS_GRAPH] = None
        try:
            change = WriteGate(store, history_path(store)).commit(new, "export-graphs", agent, expect=plan.bases)
        except BaseException:
            remove_partials()
            raise
    for target, partial in temporary.items():
        os.replace(partial, target)
    if temporary:
        descriptor = os.open(plan.data_dir, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    # Every exported file now holds its graph, as if just loaded: the next export may write it again.
    record_loaded_files(
        store, {f.graph: (f.name, _sha256(f.text if f.text is not None else f.source)) for f in plan.files}
    )
    return ExportResult(plan, plan.changed, change)
