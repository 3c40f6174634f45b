"""The W3C Reconciliation Service API, version 0.2 (the version OpenRefine speaks), at /reconcile.

Contract:
- GET /reconcile: the service manifest (versions, identifier and schema spaces, default types, view, preview,
  suggest). Every GET answer in JSON also comes as JSONP with ?callback=NAME (NAME a JavaScript name).
- POST /reconcile with the form field `queries`, or GET /reconcile?queries=…: a batch
  {"q0": {"query": …, "type": …, "limit": …, "properties": […], "type_strict": …}, …} answered
  {"q0": {"result": [{"id", "name", "type": [{"id", "name"}], "score", "match", "description"}]}, …}.
  A name is matched against the skos:prefLabel and skos:altLabel of each candidate in every language, case and
  accents folded (lemmas.fold); a word no label has is also read as the known word one letter away
  (spelling.Vocabulary). Scores run 0-100: 100 only for a label equal to the query once folded, and `match` is
  true only when exactly one candidate has such a label. Property constraints are checked for shape and do not
  change the scores. An illustrative resource says so at the end of its description.
- Types: practice, barrier, barrier-category, region (NUTS), sector (CircE sectors and NACE items), organisation;
  a class's CURIE or IRI (circe:Practice) names its type too. A query without a type searches all of them. An
  unknown type is refused, except with type_strict "should", where types are preferences the service may not
  have: there an unknown type is left out (the specification's own example batches ask for such types).
- Ids are the app's prefixed names (practice:albergo-diffuso, nuts:ITC4, nace:13); full IRIs are accepted too.
  GET /reconcile/view?id=… sends the reader to the resource's page; GET /reconcile/preview?id=… is a small HTML
  card (no script, nothing loaded from elsewhere) that may be framed by any site.
- GET /reconcile/suggest/entity?prefix=…[&type=…], /suggest/type?prefix=…, /suggest/property?prefix=…:
  {"result": […]}.
- Bad input (JSON that does not parse, a query that is not an object, an unknown field or type, a limit that is
  not a positive whole number, text over MAX_TEXT characters or with control characters other than tab, newline
  and return, which a spreadsheet cell may hold) is a 400 in the app's JSON error shape whatever the client
  accepts, naming the parameter. Every answer carries
  Access-Control-Allow-Origin: * (security.CROSS_ORIGIN).
The labels come from one query (queries/app/reconcile-candidates.rq), indexed once per version of the data
(services.remembered), so a resource written a moment ago is found.

Why: a data steward matches the names in her spreadsheet to circe-kg's identifiers in OpenRefine before she
imports them, instead of looking each one up by hand.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from .. import queries
from ..errors import BadParameter, CirceError, NotFound
from ..lemmas import fold, words
from ..namespaces import CIRCE, ORG, compact, expand
from ..spelling import Vocabulary
from .services import answer, get_store, remembered
from .uris import local_href

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

MAX_TEXT = 1000  # characters of a query, prefix, id or type
MAX_LIMIT = 100  # candidates per query: a larger limit is cut to this
DEFAULT_LIMIT = 5
SUGGEST_LIMIT = 10
MAX_BATCH = 1000  # queries in one batch (OpenRefine sends 10 at a time)
MAX_LIST = 100  # types or properties in one query
MAX_CANDIDATES = 200  # resources sharing most words with a query that are scored in full (and exact ones)
MIN_SCORE = 30  # below this a candidate shares a word or two by chance
CORRECTED = 0.75  # what a word matched only through a spelling correction counts for
DESCRIPTION_CHARS = 240  # of a candidate's description; the preview shows more
PREVIEW_CHARS = 700
PREVIEW_SIZE = {"width": 420, "height": 240}
QUERY_FIELDS = ("query", "type", "limit", "properties", "type_strict")
STRICTNESS = ("any", "should", "all")
CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,63}(?:\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,3}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, newline and return are white space
QUERIES_HINT = 'send queries={"q0": {"query": "Circular Fashion Pact", "type": "practice"}} (a JSON object)'


@dataclass(frozen=True)
class Kind:
    """A type of the service: its id, name, description and the classes that also name it."""

    id: str
    name: str
    description: str
    classes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "description": self.description}


KINDS = {
    kind.id: kind
    for kind in (
        Kind("practice", "Practice", "A practice or good practice (circe:Practice)", (str(CIRCE.Practice),)),
        Kind("barrier", "Barrier", "A barrier to the circular economy (circe:Barrier)", (str(CIRCE.Barrier),)),
        Kind(
            "barrier-category",
            "Barrier category",
            "A category of barriers: Kirchherr 2018, EMF (circe:BarrierCategory)",
            (str(CIRCE.BarrierCategory),),
        ),
        Kind("region", "Region", "A NUTS region (http://data.europa.eu/nuts/code/…)"),
        Kind("sector", "Sector", "A CircE sector (circe:Sector) or a NACE Rev. 2 item", (str(CIRCE.Sector),)),
        Kind(
            "organisation",
            "Organisation",
            "An organisation: partner, stakeholder… (org:Organization)",
            (str(ORG.Organization),),
        ),
    )
}


def _kind_names() -> dict[str, str]:
    """Every way of naming a type, folded: its id, its name, its classes' IRIs and CURIEs."""
    names = {"organization": "organisation"}
    for kind in KINDS.values():
        names[kind.id] = names[fold(kind.name)] = kind.id
        for iri in kind.classes:
            names[fold(iri)] = names[fold(compact(iri))] = kind.id
    return names


KIND_NAMES = _kind_names()


# -- the candidates ---------------------------------------------------------------------------------------------
def key(text: str) -> str:
    """`text` as it is compared: its words folded (case and accents), one space between them."""
    return " ".join(fold(word) for word in words(text))


def entity_id(iri: str) -> str:
    """The id the service gives a resource: its prefixed name (practice:albergo-diffuso), else its IRI."""
    short = compact(iri)
    return iri if short.startswith("<") else short


@dataclass
class Candidate:
    iri: str
    kinds: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # language -> preferred label
    labels: dict[str, str] = field(default_factory=dict)  # folded label (pref and alt, every language) -> text
    description: str = ""  # English
    illustrative: bool = False

    @property
    def id(self) -> str:
        return entity_id(self.iri)

    @property
    def name(self) -> str:
        return self.names.get("en") or next(iter(self.names.values()), "") or next(iter(self.labels.values()), self.id)

    def types(self) -> list[dict[str, str]]:
        return [{"id": kind, "name": KINDS[kind].name} for kind in sorted(self.kinds)]

    def summary(self, length: int) -> str:
        """The English description cut to about `length` characters; " (illustrative)" at the end if it is."""
        text = _shortened(self.description, length)
        return f"{text} (illustrative)".strip() if self.illustrative else text


def _shortened(text: str, length: int) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:") + " …"


class Index:
    """The candidates with their folded labels, looked up by whole label, by word and by the start of a word."""

    def __init__(self, rows: Iterable[queries.Row]) -> None:
        self.candidates: dict[str, Candidate] = {}
        self.by_label: dict[str, set[str]] = {}
        self.by_word: dict[str, set[str]] = {}
        self.vocabulary = Vocabulary()
        for row in rows:
            self._add(row)
        self.words = sorted(self.by_word)  # for the words a prefix begins (suggest)
        self.size = sum(len(c.labels) + 1 for c in self.candidates.values())

    def _add(self, row: queries.Row) -> None:
        iri = row["resource"].value
        candidate = self.candidates.setdefault(iri, Candidate(iri))
        candidate.kinds.add(row["kind"].value)
        candidate.illustrative = candidate.illustrative or (
            "illustrative" in row and row["illustrative"].value == "true"
        )
        if "description" in row and not candidate.description:
            candidate.description = row["description"].value
        label = row.get("label")
        if not isinstance(label, ox.Literal):
            return
        if row["labelKind"].value == "pref":
            candidate.names.setdefault(label.language or "", label.value)
        folded = key(label.value)
        if folded and folded not in candidate.labels:
            candidate.labels[folded] = label.value
            self.by_label.setdefault(folded, set()).add(iri)
            for word in set(folded.split()):
                self.by_word.setdefault(word, set()).add(iri)
            self.vocabulary.add(folded.split())

    def starting(self, prefix: str) -> set[str]:
        """The resources with a label word that begins with `prefix` (folded)."""
        found: set[str] = set()
        for word in self.words[bisect.bisect_left(self.words, prefix) :]:
            if not word.startswith(prefix):
                break
            found |= self.by_word[word]
        return found


def _index() -> Index:
    """The index of this version of the data, built once and kept like an answer (answer_cache.py)."""
    return remembered(
        ("reconcile", "index"),
        lambda: Index(queries.stream(get_store(), "reconcile-candidates")),
        lambda index: index.size,
    )


# -- matching ---------------------------------------------------------------------------------------------------
@dataclass
class Query:
    text: str
    kinds: frozenset[str] | None  # None: every type
    strict: str  # any, should or all
    limit: int


def _forms(index: Index, query_words: list[str]) -> list[dict[str, float]]:
    """Each query word's forms and what a label word equal to each counts for: itself 1, its correction less."""
    forms = []
    for word in query_words:
        correction = None if word in index.vocabulary else index.vocabulary.correct(word)
        forms.append({word: 1.0, **({correction: CORRECTED} if correction else {})})
    return forms


def _label_score(query_key: str, forms: list[dict[str, float]], label: str) -> int:
    """100 for the same folded label; else the mean of the letters' likeness (difflib) and of the words shared."""
    if label == query_key:
        return 100
    label_words = label.split()
    shared = sum(max((weight for form, weight in word.items() if form in label_words), default=0.0) for word in forms)
    words_alike = 2 * shared / (len(forms) + len(label_words))
    letters_alike = SequenceMatcher(None, query_key, label, autojunk=False).ratio()
    return min(99, math.floor(50 * (words_alike + letters_alike)))


def _wanted(candidate: Candidate, query: Query) -> bool:
    if query.kinds is None:
        return True
    return query.kinds <= candidate.kinds if query.strict == "all" else bool(query.kinds & candidate.kinds)


def scored(index: Index, query: Query) -> list[tuple[int, Candidate]]:
    """The candidates of the wanted types that share a word (or a corrected word) with the query, best first."""
    query_key = key(query.text)
    if not query_key:
        return []
    forms = _forms(index, query_key.split())
    searched = [form for word in forms for form in word if len(form) > 2] or [f for word in forms for f in word]
    sharing = Counter(
        iri for form in searched for iri in index.by_word.get(form, ()) if _wanted(index.candidates[iri], query)
    )
    pool = {iri for iri, _ in sharing.most_common(MAX_CANDIDATES)}
    pool |= {iri for iri in index.by_label.get(query_key, ()) if _wanted(index.candidates[iri], query)}
    ranked = []
    for iri in pool:
        candidate = index.candidates[iri]
        score = max(_label_score(query_key, forms, label) for label in candidate.labels)
        if score >= MIN_SCORE:
            ranked.append((score, candidate))
    return sorted(ranked, key=lambda sc: (-sc[0], sc[1].name.casefold(), sc[1].id))


def reconciled(index: Index, query: Query) -> dict[str, list[dict[str, Any]]]:
    ranked = scored(index, query)
    # A match is certain only where one candidate, and no other, has a label equal to the query.
    certain = bool(ranked) and ranked[0][0] == 100 and (len(ranked) == 1 or ranked[1][0] < 100)
    result = []
    for position, (score, candidate) in enumerate(ranked[: query.limit]):
        item = {
            "id": candidate.id,
            "name": candidate.name,
            "type": candidate.types(),
            "score": score,
            "match": certain and position == 0,
        }
        description = candidate.summary(DESCRIPTION_CHARS)
        if description:
            item["description"] = description
        result.append(item)
    return {"result": result}


# -- reading the request ------------------------------------------------------------------------------------------
def _shown(value: Any) -> str:
    """A value from the request as a message shows it: a scalar in JSON (cut short), else what it is."""
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    text = json.dumps(value) if not isinstance(value, int) or abs(value) < 10**40 else "a very large number"
    return text if len(text) <= 60 else text[:60] + "…"


def _text(value: str, name: str) -> str:
    if len(value) > MAX_TEXT:
        raise BadParameter(
            f"{name} is {len(value)} characters long, more than {MAX_TEXT}", f"send at most {MAX_TEXT} characters"
        )
    bad = CONTROL.search(value)
    if bad:
        raise BadParameter(
            f"{name} contains the control character U+{ord(bad.group()):04X}", "remove control characters from it"
        )
    return value


def _limit(value: Any, name: str) -> int:
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or value < 1:
        raise BadParameter(f"{name} must be a positive whole number, got {_shown(value)}", "for example 5")
    return min(int(value), MAX_LIMIT)


def _kind(value: Any, name: str) -> str | None:
    """The type's id; None for a type the service does not have."""
    if not isinstance(value, str):
        raise BadParameter(f"{name} must be a string, got {_shown(value)}", _types_hint())
    text = _text(value, name).strip()
    return KIND_NAMES.get(fold(text)) or KIND_NAMES.get(fold(expand(text) or ""))


def _types_hint() -> str:
    return "the types: " + ", ".join(KINDS) + " (or their class, such as circe:Practice)"


def _kinds(value: Any, strict: str, name: str) -> frozenset[str] | None:
    listed = value if isinstance(value, list) else [value]
    if len(listed) > MAX_LIST:
        raise BadParameter(f"{name} lists {len(listed)} types, more than {MAX_LIST}", _types_hint())
    known = set()
    for position, item in enumerate(listed):
        where = f"{name}[{position}]" if isinstance(value, list) else name
        kind = _kind(item, where)
        if kind is None and strict != "should":
            raise BadParameter(f"{where}: unknown type {_shown(item)}", _types_hint())
        if kind:
            known.add(kind)
    return frozenset(known) or None


def _property_value(value: Any, name: str) -> None:
    if isinstance(value, dict):
        if not isinstance(value.get("id"), str):
            raise BadParameter(f"{name} is an object without an 'id' string", 'write {"id": "…", "name": "…"}')
    elif isinstance(value, str):
        _text(value, name)
    elif not isinstance(value, (int, float)):
        raise BadParameter(f"{name} must be a string, number, boolean or {{'id': …}}", "see the 0.2 query schema")


def _check_properties(value: Any, name: str) -> int:
    """How many property constraints the query has, after checking their shape (they do not change scores)."""
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise BadParameter(f"{name} must be a list of at most {MAX_LIST} objects", 'write [{"pid": "…", "v": "…"}]')
    for position, item in enumerate(value):
        where = f"{name}[{position}]"
        if not isinstance(item, dict) or not isinstance(item.get("pid"), str) or "v" not in item:
            raise BadParameter(
                f"{where} must be an object with 'pid' (a string) and 'v'", 'write {"pid": "…", "v": "…"}'
            )
        _text(item["pid"], where + ".pid")
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        for number, one in enumerate(values[:MAX_LIST]):
            _property_value(one, f"{where}.v" + (f"[{number}]" if isinstance(item["v"], list) else ""))
    return len(value)


def _query(name: str, value: Any) -> Query:
    if not isinstance(value, dict):
        raise BadParameter(f"{name} must be a JSON object, got {_shown(value)}", QUERIES_HINT)
    unknown = sorted(set(value) - set(QUERY_FIELDS))
    if unknown:
        raise BadParameter(
            f"{name} has an unknown field {_shown(unknown[0])}", "a query's fields: " + ", ".join(QUERY_FIELDS)
        )
    text = value.get("query")
    if text is not None and not isinstance(text, str):
        raise BadParameter(f"{name}.query must be a string", QUERIES_HINT)
    constraints = _check_properties(value["properties"], f"{name}.properties") if "properties" in value else 0
    if text is None and not constraints:
        raise BadParameter(f"{name} has neither a query nor properties", QUERIES_HINT)
    strict = value.get("type_strict", "any")
    if strict not in STRICTNESS:
        raise BadParameter(f"{name}.type_strict must be one of {', '.join(STRICTNESS)}", "OpenRefine sends should")
    kinds = _kinds(value["type"], strict, f"{name}.type") if "type" in value else None
    limit = _limit(value["limit"], f"{name}.limit") if "limit" in value else DEFAULT_LIMIT
    return Query(_text(text or "", f"{name}.query"), kinds, strict, limit)


def _batch(raw: str) -> dict[str, Query]:
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadParameter(f"parameter 'queries' is not valid JSON: {str(error)[:200]}", QUERIES_HINT) from None
    if not isinstance(parsed, dict):
        raise BadParameter("parameter 'queries' must be a JSON object of queries, not a list or a value", QUERIES_HINT)
    if len(parsed) > MAX_BATCH:
        raise BadParameter(f"parameter 'queries' holds {len(parsed)} queries, more than {MAX_BATCH}", "send fewer")
    batch = {}
    for name, value in parsed.items():
        where = "queries." + _text(name, "a name in parameter 'queries'")[:60]
        batch[name] = _query(where, value)
    return batch


def _parameter(name: str, required: bool = True) -> str | None:
    value = request.args.get(name)
    if value is None:
        if required:
            raise BadParameter(f"parameter '{name}' is missing", f"add ?{name}=…")
        return None
    return _text(value, f"parameter '{name}'")


def _resource(index: Index) -> Candidate:
    """The candidate named by ?id= (a prefixed name or an IRI)."""
    raw = _parameter("id") or ""
    iri = expand(raw)
    if iri is None:
        raise BadParameter(
            f"parameter 'id' must be a prefixed name or an IRI, got {raw[:60]!r}",
            "use an id from a reconcile answer, such as practice:albergo-diffuso, or the resource's full IRI",
        )
    candidate = index.candidates.get(iri)
    if candidate is None:
        raise NotFound(
            f"{raw[:200]} is not one of the resources this service matches", "use an id from a reconcile answer"
        )
    return candidate


# -- answers ----------------------------------------------------------------------------------------------------
@bp.before_request
def _check_callback() -> None:
    callback = request.args.get("callback")
    if callback is not None and request.method == "GET" and not CALLBACK.fullmatch(callback):
        raise BadParameter(
            "parameter 'callback' must be a JavaScript function name",
            "letters, digits, _ and $, dotted, up to 64 characters a part, such as jQuery123_456",
        )


@bp.errorhandler(CirceError)
def _error(error: CirceError) -> Response:
    """The app's error shape (web/errors.py), in JSON for every client: OpenRefine sends no Accept header."""
    response = jsonify(error.to_dict())
    response.status_code = error.status
    retry_after = getattr(error, "retry_after", None)  # only the errors of a busy endpoint have it
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    body = {"error": error.name.lower().replace(" ", "-"), "status": error.code, "message": error.description}
    response = jsonify(body)
    response.status_code = error.code or 500
    return response


def _json(body: Any) -> Response:
    """`body` as JSON, or as JSONP for a GET with ?callback= (checked in _check_callback)."""
    callback = request.args.get("callback")
    if callback is None or request.method != "GET":
        return jsonify(body)
    text = json.dumps(body, ensure_ascii=True)  # ASCII: U+2028 and U+2029 end a line in older JavaScript
    return Response(f"/**/{callback}({text});", mimetype="text/javascript")


def _manifest() -> dict[str, Any]:
    service = url_for("reconcile.service", _external=True)
    return {
        "versions": ["0.2"],
        "name": "circe-kg: CircE practices, barriers, regions, sectors and organisations",
        "identifierSpace": str(current_app.config["PERSISTENT_BASE"]) + "id/",
        "schemaSpace": str(CIRCE),
        "defaultTypes": [{"id": kind.id, "name": kind.name} for kind in KINDS.values()],
        "view": {"url": url_for("reconcile.view", _external=True) + "?id={{id}}"},
        "preview": {"url": url_for("reconcile.preview", _external=True) + "?id={{id}}", **PREVIEW_SIZE},
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
        },
    }


@bp.route("", methods=["GET", "POST"])
def service() -> Response:
    if "extend" in request.values:
        raise BadParameter("this service does not offer data extension (parameter 'extend')", "send queries=…")
    raw = request.values.get("queries")
    if raw is None:
        if request.method == "POST":
            raise BadParameter("parameter 'queries' is missing", "send it as a form field: " + QUERIES_HINT)
        return _json(_manifest())
    batch = _batch(raw)
    index = _index()
    return _json({name: reconciled(index, query) for name, query in batch.items()})


@bp.get("/view")
def view() -> BaseResponse:
    """The resource's page: /page/… for circe-kg's own resources, /resource?uri=… for a NUTS or NACE one."""
    iri = _resource(_index()).iri
    return redirect(local_href(iri) or url_for("linked_data.any_resource", uri=iri), code=303)


PREVIEW_CSS = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:8px;color:#1a1a1a}"
    "h1{font-size:16px;margin:0 0 4px}p{margin:4px 0}.kind{color:#555;font-size:12px}"
    ".illustrative{background:#fff3cd;border-left:4px solid #b8860b;padding:2px 6px}"
    ".sourced{color:#2d6a2d}"
)
# The preview's own policy: nothing from elsewhere, no script, its one <style> by hash; any site may frame it
# (OpenRefine shows it in an iframe; where frame-ancestors is given, browsers ignore X-Frame-Options).
PREVIEW_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'sha256-" + base64.b64encode(hashlib.sha256(PREVIEW_CSS.encode()).digest()).decode() + "'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",
    ]
)


@bp.get("/preview")
def preview() -> Response:
    candidate = _resource(_index())
    page = render_template(
        "reconcile/reconcile_preview.html",
        candidate=candidate,
        kinds=", ".join(KINDS[kind].name for kind in sorted(candidate.kinds)),
        summary=_shortened(candidate.description, PREVIEW_CHARS),
        view=url_for("reconcile.view", id=candidate.id, _external=True),
        css=PREVIEW_CSS,
    )
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


# -- suggest ----------------------------------------------------------------------------------------------------
def _suggest_limit() -> int:
    raw = _parameter("limit", required=False)
    if raw is None:
        return SUGGEST_LIMIT
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise BadParameter(f"parameter 'limit' must be a positive whole number, got {raw[:40]!r}", "for example 10")
    return _limit(int(raw), "parameter 'limit'")


def _prefix() -> list[str]:
    """The folded words of ?prefix=."""
    return key(_parameter("prefix") or "").split()


def _begins(prefix_words: list[str], text: str) -> bool:
    """True if each prefix word begins a word of `text` (folded), in any order."""
    text_words = key(text).split()
    return all(any(word.startswith(p) for word in text_words) for p in prefix_words)


@bp.get("/suggest/entity")
def suggest_entity() -> Response:
    prefix_words, limit = _prefix(), _suggest_limit()
    raw_type = _parameter("type", required=False)
    kinds = _kinds(raw_type, "any", "parameter 'type'") if raw_type else None
    index = _index()
    found = set.intersection(*(index.starting(p) for p in prefix_words)) if prefix_words else set()
    folded = " ".join(prefix_words)
    ranked = []
    for iri in found:
        candidate = index.candidates[iri]
        if kinds is None or kinds & candidate.kinds:
            labels = [label for label in candidate.labels if _begins(prefix_words, label)]
            ranked.append((not any(label.startswith(folded) for label in labels), len(candidate.name), candidate))
    ranked.sort(key=lambda r: (r[0], r[1], r[2].name.casefold(), r[2].id))
    result = [
        {"id": c.id, "name": c.name, "description": c.summary(DESCRIPTION_CHARS), "notable": c.types()}
        for _, _, c in ranked[:limit]
    ]
    return _json({"result": [{k: v for k, v in item.items() if v != ""} for item in result]})


@bp.get("/suggest/type")
def suggest_type() -> Response:
    prefix_words, limit = _prefix(), _suggest_limit()
    chosen = [kind.to_json() for kind in KINDS.values() if _begins(prefix_words, f"{kind.id} {kind.name}")]
    return _json({"result": chosen[:limit]})


@bp.get("/suggest/property")
def suggest_property() -> Response:
    """The ontology's properties (queries/app/ontology-terms.rq). They are accepted in queries; scores ignore them."""
    prefix_words, limit = _prefix(), _suggest_limit()
    result = []
    for row in answer("ontology-terms", {"lang": "en"}).rows:
        if row["kind"].value == "class":
            continue
        iri = row["term"].value
        name = row["label"].value if "label" in row else iri.rsplit("#", 1)[-1]
        if _begins(prefix_words, f"{name} {iri.rsplit('#', 1)[-1]}"):
            item = {"id": compact(iri), "name": name}
            if "definition" in row:
                item["description"] = _shortened(row["definition"].value, DESCRIPTION_CHARS)
            result.append(item)
    result.sort(key=lambda item: (item["name"].casefold(), item["id"]))
    return _json({"result": result[:limit]})
