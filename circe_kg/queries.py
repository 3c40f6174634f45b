"""The named queries of `queries/questions/*.rq` (the questions people ask: the competency questions) and
`queries/app/*.rq` (what the app needs to show them: labels, forms, history, search, dataset statistics): read
their header, bind their parameters, run them. A query is asked by its name, wherever it is kept.

Each file opens with a comment header, one `key: value` per line:

    # title: Which practices address a barrier?
    # question: the question in plain words (continuation lines indent)
    # param: barrier iri optional  The barrier (barrier:…) or a barrier category (kirchherr:regulatory)
    # example: circe-kg query practices-for-barrier --param barrier=kirchherr:regulatory
    # answers: CQ3
    # rows: one per ?resource   (each row is about one value of ?resource: a list kept up to date across writes)

Parameters are bound as values of the query's variables (Oxigraph substitutions), never pasted into the
text, so a value can never change what the query means. A bound variable must be in the SELECT
projection (that is how Oxigraph substitutes); an optional one left out stays unbound.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .binding import Term, with_values_in_subqueries
from .config import QUERIES_DIR
from .errors import BadParameter, UnknownQuery, UsageError
from .namespaces import XSD, expand

if TYPE_CHECKING:  # run on any Store the caller gives: the store package reads named queries too
    from .store import QueryResult, Store

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
ROLES = ("questions", "app")  # the folders of queries/, in the order they are listed
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
TYPES = ("iri", "iri-list", "string", "integer", "date", "language")
Values = Mapping[str, str | Sequence[str]]  # a parameter's text, or several for an iri-list
Row = dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]  # one solution: variable -> term (unbound: absent)
MAX_LIST = 5000  # terms in one iri-list parameter: a page asks about what it shows, not the whole graph


@dataclass
class Parameter:
    name: str
    type: str
    required: bool
    description: str


@dataclass
class NamedQuery:
    name: str
    text: str
    title: str = ""
    question: str = ""
    example: str = ""
    answers: str = ""
    parameters: list[Parameter] = field(default_factory=list)
    role: str = ""  # questions or app: the folder it is kept in
    rows: str = ""  # "one per ?resource": each row is about one value of that variable (a list kept across writes)

    @property
    def row_variable(self) -> str | None:
        """The variable each row is about (`# rows: one per ?resource`), or None."""
        found = re.search(r"\?(\w+)", self.rows)
        return found.group(1) if found else None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def example_values(self) -> dict[str, str]:
        """The `--param name=value` pairs of the documented example, read as a shell reads them (quotes too)."""
        words = shlex.split(self.example)
        return dict(w.split("=", 1) for before, w in zip(words, words[1:], strict=False) if before == "--param")


def _parse_header(name: str, text: str, role: str = "") -> NamedQuery:
    query = NamedQuery(name=name, text=text, role=role)
    last_key = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        body = line[1:].rstrip()
        match = re.match(r"^\s?([a-z]+):\s*(.*)$", body)
        if match and match.group(1) in ("title", "question", "param", "example", "answers", "rows"):
            key, value = match.groups()
            last_key = key
            if key == "param":
                parts = value.split(None, 3)
                if len(parts) < 3 or parts[1] not in TYPES or parts[2] not in ("required", "optional"):
                    raise ValueError(
                        f"queries/{role}/{name}.rq: bad param line {value!r}: "
                        f"write 'param: NAME TYPE required|optional DESCRIPTION', TYPE one of {TYPES}"
                    )
                query.parameters.append(
                    Parameter(parts[0], parts[1], parts[2] == "required", parts[3] if len(parts) > 3 else "")
                )
            else:
                setattr(query, key, value)
        elif last_key and last_key != "param" and body.strip():
            setattr(query, last_key, (getattr(query, last_key) + " " + body.strip()).strip())
    return query


@cache
def _load(path: Path, mtime: float) -> NamedQuery:
    return _parse_header(path.stem, path.read_text(encoding="utf-8"), path.parent.name)


def _files(folder: Path) -> list[Path]:
    """Every query file, the questions' first, each folder by name."""
    return [path for role in ROLES for path in sorted((folder / role).glob("*.rq"))]


def available(folder: Path = QUERIES_DIR) -> list[NamedQuery]:
    return [get(p.stem, folder) for p in _files(folder)]


def get(name: str, folder: Path = QUERIES_DIR) -> NamedQuery:
    """The query called `name` (file queries/questions/{name}.rq or queries/app/{name}.rq). Raises UnknownQuery
    with close names."""
    path = None
    if NAME.match(name):  # first: a name that is no name is never looked up as a file
        path = next((folder / role / f"{name}.rq" for role in ROLES if (folder / role / f"{name}.rq").is_file()), None)
    if path is None:
        names = sorted(p.stem for p in _files(folder))
        close = difflib.get_close_matches(name, names, n=3)
        hint = (f"did you mean {', '.join(close)}? " if close else "") + "`circe-kg query --list` shows them all"
        raise UnknownQuery(f"no query named {name!r}", hint)
    return _load(path, path.stat().st_mtime)


def bind(query: NamedQuery, values: Values) -> dict[str, Term | tuple[Term, ...]]:
    """Turn `name=value` text into typed RDF terms, checking names, types and required parameters. An iri-list
    takes a list, or IRIs separated by spaces (as `--param resources="a b"` gives them)."""
    known = {p.name for p in query.parameters}
    for name in values:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise BadParameter(f"query {query.name!r} has no parameter {name!r}", f"its parameters: {listed}")
    bound: dict[str, Term | tuple[Term, ...]] = {}
    for parameter in query.parameters:
        raw = values.get(parameter.name)
        if parameter.type == "iri-list" and raw:
            items = raw.split() if isinstance(raw, str) else list(raw)
            if len(items) > MAX_LIST:
                raise BadParameter(
                    f"parameter {parameter.name!r} lists {len(items)} IRIs, more than {MAX_LIST}",
                    "ask about fewer resources at a time",
                )
            item = Parameter(parameter.name, "iri", True, parameter.description)
            bound[parameter.name] = tuple(dict.fromkeys(_term(item, text) for text in items))
            continue
        if raw is None or raw == "" or (not isinstance(raw, str) and not raw):
            if parameter.required:
                raise BadParameter(
                    f"query {query.name!r} needs --param {parameter.name}=…", parameter.description or None
                )
            continue
        if not isinstance(raw, str):
            raise BadParameter(f"parameter {parameter.name!r} takes one value, got {len(raw)}")
        bound[parameter.name] = _term(parameter, raw)
    return bound


def _term(parameter: Parameter, raw: str) -> ox.NamedNode | ox.Literal:
    if "\x00" in raw:
        raise BadParameter(f"parameter {parameter.name!r} contains a NUL character", "remove it")
    if parameter.type == "iri":
        iri = expand(raw)
        if iri is None:
            raise BadParameter(
                f"parameter {parameter.name!r} must be an IRI, got {raw!r}",
                "write a full https://… IRI or a prefixed name such as barrier:sos-public-procurement",
            )
        try:
            return ox.NamedNode(iri)
        except ValueError as error:
            raise BadParameter(
                f"parameter {parameter.name!r} is not a valid IRI: {error}",
                'IRIs have no spaces or <>"{}|^` characters',
            ) from None
    if parameter.type == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", raw.strip()):
            raise BadParameter(f"parameter {parameter.name!r} must be a whole number, got {raw!r}")
        return ox.Literal(raw.strip(), datatype=ox.NamedNode(str(XSD.integer)))
    if parameter.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
            raise BadParameter(f"parameter {parameter.name!r} must be a date YYYY-MM-DD, got {raw!r}")
        return ox.Literal(raw.strip(), datatype=ox.NamedNode(str(XSD.date)))
    if parameter.type == "language":
        if not LANGUAGE_TAG.match(raw.strip()):
            raise BadParameter(f"parameter {parameter.name!r} must be a language tag such as en or it, got {raw!r}")
        return ox.Literal(raw.strip().lower())
    return ox.Literal(raw)


@dataclass
class Answer:
    """A query's answer as Python values: rows of terms, a boolean, or triples."""

    query: NamedQuery
    variables: list[str]
    rows: list[Row]
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None  # for CONSTRUCT / DESCRIBE
    kept_texts: list[dict[str, str]] | None = field(default=None, repr=False, compare=False)  # see texts()
    # An answer updated across writes (maintained.py): id() of the answer it was made from, the rows of that one
    # it dropped and the rows it added — what a sum over the rows needs to follow it (AnswerCache.folded).
    change: tuple[int, list[Row], list[Row]] | None = field(default=None, repr=False, compare=False)

    def texts(self) -> list[dict[str, str]]:
        """The rows as text (each term's value), made once per answer and shared: callers copy a row before they
        change it. An answer updated across a write (maintained.py) carries the texts of the rows it kept, so
        that pages turn into text only the rows a write changed.

        >>> answer = Answer(get("labels"), ["resource"], [{"resource": ox.NamedNode("https://example.org/a")}])
        >>> answer.texts()
        [{'resource': 'https://example.org/a'}]
        >>> answer.texts() is answer.texts()
        True
        """
        if self.kept_texts is None:
            self.kept_texts = [text_of(row) for row in self.rows]
        return self.kept_texts


def text_of(row: Row) -> dict[str, str]:
    """A row as text: each variable's term by its value."""
    return {k: v.value for k, v in row.items()}


def _execute(store: Store, name: str, values: Values | None) -> tuple[NamedQuery, QueryResult]:
    query = get(name)
    return query, store.query(query.text, bind(query, values or {}))


def run(store: Store, name: str, values: Values | None = None) -> Answer:
    """Run the named query with `values` bound; return its answer."""
    query, result = _execute(store, name, values)
    if isinstance(result, ox.QueryBoolean):
        return Answer(query, [], [], bool(result))
    if isinstance(result, list):
        return Answer(query, [], [], triples=result)
    return Answer(query, [v.value for v in result.variables], list(_rows_of(result)))


def run_for(store: Store, name: str, nodes: Sequence[ox.NamedNode], values: Values | None = None) -> Answer:
    """The rows of a `rows: one per ?x` query about these values of ?x only (bound by VALUES, as parameters are),
    with `values` bound to its parameters.

    Raises UsageError for a query that does not say what its rows are about."""
    query = get(name)
    variable = query.row_variable
    if variable is None:
        raise UsageError(f"query {name!r} does not say what its rows are about", "add the header `# rows: one per ?x`")
    text = with_values_in_subqueries(query.text, variable, nodes)  # the sub-queries asked for these alone too
    result = store.query(text, {**bind(query, values or {}), variable: tuple(nodes)})
    assert isinstance(result, ox.QuerySolutions)
    return Answer(query, [v.value for v in result.variables], list(_rows_of(result)))


def stream(store: Store, name: str, values: Values | None = None) -> Iterator[Row]:
    """The rows of a SELECT query as they come, for a consumer that need not hold them all (the search index
    reads millions at 10^7 triples)."""
    _, result = _execute(store, name, values)
    if isinstance(result, (ox.QueryBoolean, list)):
        raise UsageError(f"query {name!r} is not a SELECT query: it has no rows to stream")
    return _rows_of(result)


def _rows_of(result: ox.QuerySolutions) -> Iterator[Row]:
    variables = [v.value for v in result.variables]
    for solution in result:
        yield {v: solution[v] for v in variables if _recorded(solution[v])}


def _recorded(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> bool:
    """GROUP_CONCAT over nothing is "" on some engines (Virtuoso) and unbound on others (Oxigraph): both
    mean "not recorded", and the data never states an empty string."""
    return term is not None and not (isinstance(term, ox.Literal) and term.value == "" and not term.language)


def serialized(store: Store, name: str, values: dict[str, str] | None, results_format: ox.QueryResultsFormat) -> bytes:
    """Run the named query and write its answer straight in a SPARQL results format (CSV, TSV, JSON, XML);
    a CONSTRUCT query's triples come as Turtle, the one format for them here."""
    _, result = _execute(store, name, values)
    if isinstance(result, list):
        return ox.serialize(result, format=ox.RdfFormat.TURTLE) or b""
    return result.serialize(format=results_format) or b""
