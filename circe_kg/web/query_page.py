"""The SPARQL query page at /query (Yasgui, from this server: no CDN).

The page works without JavaScript: the examples of `queries/*/*.rq` are listed with their text and a
permalink each, and the form posts the query to /sparql. With JavaScript, `static/query.js` turns the
editor area into Yasqe (the editor of Yasgui) and shows results with Yasr's table. The Yasgui build
comes from the npm registry, served by `vendor.py`.

A permalink is `/query?query=<urlencoded text>`; `/query?example=NAME` opens a named example.

Without JavaScript, "Show the results here" (`/query?query=…&run=1`) runs the query on the server, through the
same checks and killable workers as /sparql, and shows the answer as a table of plain values (42, Milan; a small
`en` for a language, the datatype on hover; an IRI by its prefixed name, linked) — or the error in plain words,
with its hint. Below the editor, snippets send the current query from curl, Python (SPARQLWrapper), R (httr) and
JavaScript (fetch), each with the endpoint's absolute URL and the query written as a literal of that language;
query.js refreshes them from POST /query/snippets as the query is edited.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import gettext as _

from .. import queries
from ..binding import query_form
from ..endpoint.sandbox import GRAPH_FORMATS, SOLUTION_FORMATS
from ..errors import CirceError, NotAcceptable, ResultTooLarge
from ..namespaces import RDF, XSD, compact
from . import vendored
from .pages import rendered, twin, wants_twin
from .query_rules import check_query
from .services import sandbox
from .uris import local_href

bp = Blueprint("query_page", __name__)

DEFAULT_EXAMPLE = "overview-counts"
MAX_QUERY_CHARS = 100_000
MAX_SHOWN_ROWS = 500  # a page, not a download: the form's "Run query" gives the whole answer as a file
PLAIN_DATATYPES = {str(XSD.string), str(RDF.langString)}
SOLUTIONS_JSON = "application/sparql-results+json"
GRAPH_NTRIPLES = "application/n-triples"
# What SPARQL servers (a backend's answers are forwarded) also call these two formats.
ALSO_CALLED = {"application/json": SOLUTIONS_JSON, "text/plain": GRAPH_NTRIPLES}


def permalink(text: str) -> str:
    """The local URL that reopens this page with `text` in the editor."""
    return url_for("query_page.page", query=text)


# -- Results shown by the server (no JavaScript needed) ----------------------------------------------------------


@dataclass
class Cell:
    """One value of an answer as a person reads it: the plain text, a link for an IRI, the language as a small
    marker, the datatype (prefixed) for a tooltip — never the typed-literal syntax."""

    text: str
    href: str | None = None
    language: str | None = None
    datatype: str | None = None


@dataclass
class Results:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell | None]] = field(default_factory=list)
    count: int = 0  # rows in the answer; at most MAX_SHOWN_ROWS of them are in `rows`
    boolean: bool | None = None  # the answer of an ASK


def cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Cell:
    """How a term of an answer is shown (see Cell)."""
    if isinstance(term, ox.NamedNode):
        short = compact(term.value)
        href = local_href(term.value) or (term.value if term.value.startswith(("http://", "https://")) else None)
        return Cell(term.value if short.startswith("<") else short, href)
    if isinstance(term, ox.Literal):
        datatype = None if term.datatype.value in PLAIN_DATATYPES else compact(term.datatype.value).strip("<>")
        return Cell(term.value, language=term.language, datatype=datatype)
    if isinstance(term, ox.BlankNode):
        return Cell("_:" + term.value)
    return Cell(str(term))  # an RDF 1.2 triple term, in its N-Triples form


def _parsed(mime: str, body: bytes) -> Results:
    """The answer `body` in `mime` (SPARQL results or an RDF graph) as rows of cells, the first MAX_SHOWN_ROWS.
    Raises NotAcceptable for a format this page cannot read (a SPARQL server's own choice)."""
    mime = ALSO_CALLED.get(mime, mime)
    if mime not in GRAPH_FORMATS and mime not in SOLUTION_FORMATS:
        raise NotAcceptable(
            _("the SPARQL server answered in %(mime)s, which this page cannot show", mime=mime or "?"),
            _("use “Run query” to download the answer as a file"),
        )
    if mime in GRAPH_FORMATS:
        triples = list(ox.parse(body, format=GRAPH_FORMATS[mime]))
        shown: list[list[Cell | None]] = [
            [cell(t.subject), cell(t.predicate), cell(t.object)] for t in triples[:MAX_SHOWN_ROWS]
        ]
        return Results([_("subject"), _("predicate"), _("object")], shown, len(triples))
    answer = ox.parse_query_results(body, format=SOLUTION_FORMATS[mime])
    if isinstance(answer, ox.QueryBoolean):
        return Results(boolean=bool(answer))
    columns = [variable.value for variable in answer.variables]
    rows: list[list[Cell | None]] = []
    count = 0
    for solution in answer:
        count += 1
        if count <= MAX_SHOWN_ROWS:
            rows.append([None if solution[name] is None else cell(solution[name]) for name in columns])
    return Results(columns, rows, count)


def run(text: str) -> Results:
    """Run `text` as /sparql would (the same checks, the same killable workers and limits) and read the answer.
    Raises the CirceError /sparql would answer with, or ResultTooLarge for an answer the endpoint would stream
    (over its first part, 1 MiB): a page shows an answer, a download holds one."""
    check_query(text)
    graph = query_form(text) in ("CONSTRUCT", "DESCRIBE")  # one format asked: a server cannot answer in the other
    reply = sandbox().run(text, None if graph else SOLUTIONS_JSON, GRAPH_NTRIPLES if graph else None)
    if reply.rest is not None:
        getattr(reply.rest, "close", lambda: None)()  # gives the worker back: nobody will read the rest
        raise ResultTooLarge(
            _("the answer is too large to show on this page"),
            _("add LIMIT to the query, or use “Run query” to download the whole answer as a file"),
        )
    return _parsed(reply.mime, reply.body)


# -- Snippets: the current query from other people's code ------------------------------------------------------


@dataclass(frozen=True)
class Snippet:
    key: str  # curl, python, r, javascript
    title: str
    code: str


def python_string(text: str) -> str:
    """`text` as a Python string literal: triple-quoted as written when that is exact, else repr()."""
    plain = all(c.isprintable() or c in "\n\t" for c in text)
    if plain and "\\" not in text and '"""' not in text and not text.endswith('"'):
        return '"""' + text + '"""'
    return repr(text)


def r_string(text: str) -> str:
    """`text` as an R string literal: double quotes, `\\` and `"` escaped; line breaks stay (R allows them)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\0", "")
    return f'"{escaped}"'


def javascript_string(text: str) -> str:
    """`text` as a JavaScript expression: a JSON string, or one per line joined with newlines (readable, exact)."""
    lines = [json.dumps(line, ensure_ascii=False) for line in text.split("\n")]
    lines = [line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") for line in lines]
    if len(lines) == 1:
        return lines[0]
    return "[\n" + "".join(f"  {line},\n" for line in lines) + '].join("\\n")'


def _accept(text: str) -> str:
    """The answer format a snippet asks for: CSV for a table, SPARQL JSON for yes or no, Turtle for a graph."""
    form = query_form(text)
    if form in ("CONSTRUCT", "DESCRIBE"):
        return "text/turtle"
    return SOLUTIONS_JSON if form == "ASK" else "text/csv"


def curl_snippet(endpoint: str, text: str) -> str:
    """curl posting the query form-encoded (curl encodes `&`, `=`, line breaks), quoted for a POSIX shell."""
    return (
        f"curl {shlex.quote(endpoint)} \\\n"
        f"  -H {shlex.quote('Accept: ' + _accept(text))} \\\n"
        f"  --data-urlencode {shlex.quote('query=' + text)}\n"
    )


def python_snippet(endpoint: str, text: str) -> str:
    """SPARQLWrapper, POSTing the query; prints each row (a dict of plain values), the yes/no, or the Turtle."""
    form = query_form(text)
    fmt = "TURTLE" if form in ("CONSTRUCT", "DESCRIBE") else "JSON"
    head = (
        f"from SPARQLWrapper import {fmt}, POST, SPARQLWrapper\n\n"
        f"sparql = SPARQLWrapper({json.dumps(endpoint)})\n"
        "sparql.setMethod(POST)\n"
        f"sparql.setReturnFormat({fmt})\n"
        f"sparql.setQuery({python_string(text)})\n"
    )
    if fmt == "TURTLE":
        return head + 'print(sparql.queryAndConvert().decode("utf-8"))\n'
    if form == "ASK":
        return head + 'print(sparql.queryAndConvert()["boolean"])\n'
    return head + (
        'for row in sparql.queryAndConvert()["results"]["bindings"]:\n'
        '    print({name: term["value"] for name, term in row.items()})\n'
    )


def r_snippet(endpoint: str, text: str) -> str:
    """httr, POSTing the query form-encoded; reads a table as CSV, yes/no from JSON, a graph as Turtle text."""
    accept = _accept(text)
    read = {
        "text/csv": 'results <- read.csv(text = content(response, as = "text", encoding = "UTF-8"))\nprint(results)',
        SOLUTIONS_JSON: 'print(jsonlite::fromJSON(content(response, as = "text", encoding = "UTF-8"))$boolean)',
        "text/turtle": 'cat(content(response, as = "text", encoding = "UTF-8"))',
    }[accept]
    return (
        "library(httr)\n\n"
        f"query <- {r_string(text)}\n"
        f'response <- POST({r_string(endpoint)}, body = list(query = query), encode = "form",\n'
        f'                 accept("{accept}"))\n'
        "stop_for_status(response)\n"
        f"{read}\n"
    )


def javascript_snippet(endpoint: str, text: str) -> str:
    """fetch, POSTing the query form-encoded (URLSearchParams); for a module or the browser's console."""
    accept = _accept(text)
    read = {
        "text/csv": "console.log(await response.text());",
        SOLUTIONS_JSON: "console.log((await response.json()).boolean);",
        "text/turtle": "console.log(await response.text());",
    }[accept]
    return (
        f"const query = {javascript_string(text)};\n"
        f"const response = await fetch({json.dumps(endpoint)}, {{\n"
        '  method: "POST",\n'
        f'  headers: {{ Accept: "{accept}" }},\n'
        "  body: new URLSearchParams({ query }),\n"
        "});\n"
        "if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);\n"
        f"{read}\n"
    )


def snippets(endpoint: str, text: str) -> list[Snippet]:
    """The snippets that send `text` to the SPARQL endpoint at the absolute URL `endpoint`."""
    return [
        Snippet("curl", "curl", curl_snippet(endpoint, text)),
        Snippet("python", "Python (SPARQLWrapper)", python_snippet(endpoint, text)),
        Snippet("r", "R (httr)", r_snippet(endpoint, text)),
        Snippet("javascript", "JavaScript (fetch)", javascript_snippet(endpoint, text)),
    ]


def endpoint_url() -> str:
    """The SPARQL endpoint's absolute URL, as a program elsewhere reaches it."""
    return url_for("sparql.endpoint", _external=True)


# -- Routes ------------------------------------------------------------------------------------------------------


@bp.get("/query")
def page() -> Response:
    """The query page; its twin (Accept preferring application/json: here `format` is the download's, sent to
    /sparql by "Run query") has the examples, the query, the answer shown (columns, rows of cells, count) or the
    error, and the snippets."""
    examples = queries.available()
    by_name = {q.name: q for q in examples}
    text = request.args.get("query")
    selected = request.args.get("example", "")
    if text is None:
        chosen = by_name.get(selected) or by_name.get(DEFAULT_EXAMPLE) or (examples[0] if examples else None)
        text = chosen.text if chosen else ""
        selected = chosen.name if chosen else ""
    elif selected not in by_name:
        selected = ""
    text = text[:MAX_QUERY_CHARS]
    results, error = None, None
    if request.args.get("run") and text.strip():
        try:
            results = run(text)
        except CirceError as refused:
            error = refused
    version = vendored.version("yasgui")
    data = dict(
        examples=examples,
        query_text=text,
        selected=selected,
        permalink=permalink,
        current_permalink=permalink(text),
        yasgui_version=version,
        results=results,
        error=error,
        endpoint_url=endpoint_url(),
        snippets=snippets(endpoint_url(), text),
    )
    status = error.status if error else 200
    return twin(data, status) if wants_twin(by_format=False) else rendered("query_page/query.html", status, **data)


@bp.post("/query/snippets")
def snippet_texts() -> Response:
    """The snippets for the posted `query` (form field), as {key: code}: query.js keeps the page's current."""
    text = request.form.get("query", "")[:MAX_QUERY_CHARS]
    return jsonify({s.key: s.code for s in snippets(endpoint_url(), text)})
