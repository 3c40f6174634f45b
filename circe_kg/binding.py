"""Parameters bound into a query by a VALUES block at the top of its outermost WHERE group — the one way every
backend binds them. SPARQL servers have no pre-bound variables, and Oxigraph plans a VALUES block better than its
own pre-bound ones. The values are RDF terms written by Oxigraph's serialiser, never user text pasted into the
query; tests/test_backends.py checks that every named query means the same bound this way as with Oxigraph's
substitutions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from .errors import UsageError

Term = ox.NamedNode | ox.Literal
# What a triple's subject, and what its object may be, as pyoxigraph types them (RDF 1.2 triple terms included).
SubjectTerm = ox.NamedNode | ox.BlankNode | ox.Triple
AnyTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def value_of(term: AnyTerm) -> str:
    """The IRI, blank node label or lexical form of `term` (its `.value`), so that a triple's parts can be read
    without each caller ruling out triple terms. Raises AttributeError for an RDF 1.2 triple term, which has none.

    >>> value_of(ox.Literal("18000.00")), value_of(ox.NamedNode("http://example.org/p"))
    ('18000.00', 'http://example.org/p')
    """
    if isinstance(term, ox.Triple):
        raise AttributeError(f"the triple term {term} has no value")
    return term.value


# Just enough of SPARQL's lexical structure to find the outermost WHERE group, or a keyword, without being fooled
# by braces or words inside comments, strings and IRIs — as Oxigraph's lexer reads them: a comment ends at \n
# *or* \r, a short string cannot hold either, an IRI no character up to the space.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\r\n]*)
  | (?P<long_string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<open>\{) | (?P<close>\})
  | (?P<word>[A-Za-z_][\w-]*)
  | (?P<other>.)
""",
    re.VERBOSE | re.DOTALL,
)

# Oxigraph performs SERVICE calls (and an update's LOAD) itself, over HTTP: a stranger's query could make the
# server send requests into its own network (127.0.0.1, the cloud metadata address…), and LOAD would put the
# answer in a graph to read back. tests/test_fuzz.py found both (a local canary received the calls). So the
# public endpoint refuses SERVICE, and the write gate SERVICE and LOAD.


def remote_call_in(sparql: str, keywords: tuple[str, ...] = ("SERVICE",)) -> str | None:
    """The first of `keywords` (upper case) that `sparql` uses as a keyword, or None: a word outside comments,
    strings and IRIs that is not a variable (?service) nor part of a prefixed name (service:x, x:service).
    Refusing a query that only looks like it calls out is fine.

    >>> remote_call_in("SELECT * WHERE { SERVICE <http://e/sparql> { ?s ?p ?o } }")
    'SERVICE'
    >>> remote_call_in("SELECT ?service WHERE { ?service a <http://e/Service> }  # no SERVICE call") is None
    True
    """
    for token in _TOKEN.finditer(sparql):
        if token.lastgroup == "word" and token.group().upper() in keywords:
            start, end = token.span()
            if (start == 0 or sparql[start - 1] not in "?$:") and sparql[end : end + 1] != ":":
                return token.group().upper()
    return None


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first of them outside comments, strings and IRIs ("" if none).

    >>> query_form("# ASK is only a word here\\nPREFIX ex: <http://e/ask#> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    """
    for token in _TOKEN.finditer(sparql):
        if token.lastgroup == "word" and token.group().upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return token.group().upper()
    return ""


def _outermost_where_group(sparql: str) -> int:
    """The offset just after the `{` that opens the query's outermost WHERE group."""
    depth, previous_word, form, opened = 0, "", "", 0
    for token in _TOKEN.finditer(sparql):
        kind = token.lastgroup
        if kind == "word":
            word = token.group().upper()
            if depth == 0 and not form and word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = word
            previous_word = word
        elif kind == "open":
            if depth == 0:
                opened += 1
                if form == "CONSTRUCT" and opened == 1 and previous_word == "WHERE":
                    break  # CONSTRUCT WHERE { … }: its one group is also the template, which takes no VALUES
                # `WHERE {` always; without the keyword, the first group of SELECT/ASK/DESCRIBE (a CONSTRUCT's
                # first group is its template).
                if previous_word == "WHERE" or (form in ("SELECT", "ASK", "DESCRIBE") and opened == 1):
                    return token.end()
            depth += 1
            previous_word = ""
        elif kind == "close":
            depth -= 1
            previous_word = ""
        elif kind in ("long_string", "string", "iri", "other") and not token.group().isspace():
            previous_word = ""
    raise UsageError(
        "cannot bind parameters: the query has no WHERE group", "write the query with an explicit WHERE { … }"
    )


def with_values(sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None) -> str:
    """`sparql` with each parameter bound by a VALUES block at the top of its outermost WHERE group. A parameter
    bound to several terms (an iri-list) gives one row per term, so the query answers for each of them.

    >>> import pyoxigraph as ox
    >>> bound = with_values("ASK { ?s ?p ?o }", {"s": [ox.NamedNode("http://e/a"), ox.NamedNode("http://e/b")]})
    >>> "VALUES (?s) { (<http://e/a>) (<http://e/b>) }" in bound
    True
    """
    if not substitutions:
        return sparql
    columns = [list(terms) if isinstance(terms, (list, tuple)) else [terms] for terms in substitutions.values()]
    # N-Triples syntax, escaped by Oxigraph
    return with_rows(sparql, list(substitutions), [[str(t) for t in row] for row in itertools.product(*columns)])


def with_rows(sparql: str, names: Sequence[str], rows: Sequence[Sequence[str | None]]) -> str:
    r"""`sparql` with `names` bound by a VALUES block of `rows` (terms in N-Triples syntax, None: UNDEF) at the top
    of its outermost WHERE group — for rows that are not every combination of their columns' values.

    >>> with_rows("SELECT * WHERE { ?s ?p ?o }", ["s", "p"], [["<http://e/a>", None]])
    'SELECT * WHERE {\n  VALUES (?s ?p) { (<http://e/a> UNDEF) }\n ?s ?p ?o }'
    """
    variables = " ".join(f"?{name}" for name in names)
    block = " ".join("(" + " ".join("UNDEF" if term is None else term for term in row) + ")" for row in rows)
    at = _outermost_where_group(sparql)
    return f"{sparql[:at]}\n  VALUES ({variables}) {{ {block} }}\n{sparql[at:]}"


def with_values_in_subqueries(sparql: str, name: str, terms: Sequence[Term]) -> str:
    r"""`sparql` with `?name` also bound by VALUES inside each sub-query that projects it plainly — one without
    LIMIT or OFFSET whose GROUP BY, if it has one, groups by it — and inside each UNION branch that binds it in a
    triple pattern of its own, so that a query asked for a few resources is evaluated for those alone: Oxigraph
    evaluates a sub-query, and a UNION, whole before joining it with the outer VALUES (a UNION of three
    branches asked for 4 of 10^5 resources: 146 ms against 1 ms, bench/README.md). The answer is the same: the
    outer VALUES (`with_values`) would drop the other rows in the join. Nothing is added under a sub-query that
    does not project ?name plainly (its ?name is another variable), under EXISTS or MINUS, or in a branch that
    also has OPTIONAL or MINUS of its own, or binds ?name by BIND (those could leave ?name unbound, or bind it
    apart, before it is joined). A sub-query that is one UNION whose every branch is bound gets no VALUES of its
    own besides: Oxigraph then evaluates the branches whole again (5 ms against 495 ms in list-instruments).
    Used on the app's own `# rows: one per ?x` queries, which tests/test_maintained_lists.py checks against
    their whole answers after random writes.

    >>> from circe_kg import queries
    >>> kept = queries.get("action-plan-progress")  # its latest observation per action is a sub-query
    >>> bound = with_values_in_subqueries(kept.text, "action", [ox.NamedNode("https://w3id.org/circe-kg/id/a")])
    >>> bound.count("VALUES (?action)")
    1
    >>> union = "SELECT * WHERE { { ?r a ?k } UNION { ?p <http://e/p> ?r } UNION { ?x ?y ?z } }"
    >>> with_values_in_subqueries(union, "r", [ox.NamedNode("http://e/a")]).count("VALUES (?r)")
    2
    """
    tokens = [t for t in _TOKEN.finditer(sparql) if t.lastgroup != "comment" and not t.group().isspace()]
    closing = _closing_braces(tokens)
    inserts: list[int] = []
    blocked = [False]  # per open group: whether ?name there may not be the outer one (or may be unbound)
    next_group_blocked: bool | None = None  # set by a sub-query's SELECT for the group of its WHERE
    for index, token in enumerate(tokens):
        kind = token.lastgroup
        if kind == "open":
            before = tokens[index - 1].group().upper() if index else ""
            shut = blocked[-1] or before in ("EXISTS", "MINUS") or bool(next_group_blocked)
            next_group_blocked = None
            blocked.append(shut)
            after = closing.get(index, len(tokens)) + 1
            branch = before == "UNION" or (after < len(tokens) and tokens[after].group().upper() == "UNION")
            if branch and not shut and _binds_at_top(tokens, index, closing[index], name):
                inserts.append(token.end())
        elif kind == "close":
            blocked.pop()
        elif kind == "word" and token.group().upper() == "SELECT" and len(blocked) > 1:
            at = _pushable(tokens, index, name)
            if at is not None and not blocked[-1] and not _union_of_bound_branches(tokens, at, closing, name):
                inserts.append(at)
            next_group_blocked = at is None
    rows = " ".join(f"({term})" for term in terms)
    for at in sorted(set(inserts), reverse=True):
        sparql = f"{sparql[:at]}\n  VALUES (?{name}) {{ {rows} }}\n{sparql[at:]}"
    return sparql


def _closing_braces(tokens: list[re.Match[str]]) -> dict[int, int]:
    """For each `{` token's index, the index of the `}` that closes it."""
    closing, opened = {}, []
    for index, token in enumerate(tokens):
        if token.lastgroup == "open":
            opened.append(index)
        elif token.lastgroup == "close" and opened:
            closing[opened.pop()] = index
    return closing


def _union_of_bound_branches(tokens: list[re.Match[str]], opened_at: int, closing: dict[int, int], name: str) -> bool:
    """Whether the group whose `{` ends at offset `opened_at` holds nothing but one UNION of groups, each
    binding ?name at its top (_binds_at_top)."""
    index = next(i for i, t in enumerate(tokens) if t.lastgroup == "open" and t.end() == opened_at)
    end, branch = closing.get(index, len(tokens)), index + 1
    while branch < end and tokens[branch].lastgroup == "open" and _binds_at_top(tokens, branch, closing[branch], name):
        after = closing[branch] + 1
        if after == end:
            return branch > index + 1
        if tokens[after].group().upper() != "UNION":
            return False
        branch = after + 1
    return False


def _binds_at_top(tokens: list[re.Match[str]], opening: int, closing: int, name: str) -> bool:
    """Whether the group between tokens[opening] and tokens[closing] has ?name in a triple pattern of its own
    (not nested, not in parentheses), no OPTIONAL or MINUS of its own and no BIND to ?name."""
    depth = parens = 0
    binds = False
    for index in range(opening + 1, closing):
        token = tokens[index]
        text = token.group()
        depth += token.lastgroup == "open"
        depth -= token.lastgroup == "close"
        if depth:
            continue
        parens += text == "("
        parens -= text == ")"
        if token.lastgroup == "word" and text.upper() in ("OPTIONAL", "MINUS", "SERVICE", "SELECT"):
            return False
        if text in "?$" and index + 1 < closing and tokens[index + 1].group() == name:
            if parens:  # in an expression: BIND(… AS ?name) binds it apart from the patterns
                if tokens[index - 1].group().upper() == "AS":
                    return False
            else:
                binds = True
    return binds


def _pushable(tokens: list[re.Match[str]], select: int, name: str) -> int | None:
    """Where VALUES for ?name go in the sub-query whose SELECT is tokens[select]: after its WHERE's `{`; or None."""
    projected, parens, index = False, 0, select + 1
    while index < len(tokens) and not (tokens[index].lastgroup == "word" and tokens[index].group().upper() == "WHERE"):
        text = tokens[index].group()
        parens += text == "("
        parens -= text == ")"
        if parens == 0 and text in "?$" and index + 1 < len(tokens) and tokens[index + 1].group() == name:
            projected = True
        if tokens[index].lastgroup == "open":
            return None  # SELECT … { without WHERE: not a form this handles
        index += 1
    if not projected or index + 1 >= len(tokens) or tokens[index + 1].lastgroup != "open":
        return None
    opened = tokens[index + 1].end()
    depth, tail = 0, index + 1  # the sub-query's group, then what follows it up to the brace that closes it
    while tail < len(tokens):
        kind = tokens[tail].lastgroup
        depth += kind == "open"
        depth -= kind == "close"
        if depth < 0:
            break
        tail += 1
    after = _after_group(tokens, index + 1)  # the sub-query's modifiers: GROUP BY, ORDER BY, LIMIT, OFFSET
    words = [t.group().upper() for t in tokens[after:tail] if t.lastgroup in ("word", "other")]
    if "LIMIT" in words or "OFFSET" in words:
        return None
    if "GROUP" in words:
        grouped = [tokens[i + 1].group() for i in range(after, tail - 1) if tokens[i].group() in "?$"]
        if name not in grouped:
            return None
    return opened


def _after_group(tokens: list[re.Match[str]], opening: int) -> int:
    """The index just after the `}` that closes the group opened at tokens[opening]."""
    depth = 0
    for index in range(opening, len(tokens)):
        kind = tokens[index].lastgroup
        depth += kind == "open"
        depth -= kind == "close"
        if depth == 0:
            return index + 1
    return len(tokens)
