"""Dereferenceable URIs: /id/… answers 303 See Other to /page/… (HTML) or /data/….{ttl,nt,rdf,jsonld} (RDF),
chosen by Accept; /ontology serves the ontology document or its HTML documentation.

JSON-LD is compact (serialization.jsonld_document): short keys a plain JSON reader can use ("prefLabel",
"source", "circe:partner") and compact IRIs ("practice:albergo-diffuso"). Its context is one document, served at
/context.jsonld (absolute: this server's root + "context.jsonld"; the JSON-LD dump embeds the same context):
the project's prefixes and short names for the common terms. A resource's JSON-LD names it by that URL in
"@context". `Accept: application/json` gets the same JSON-LD (303 to /data/….jsonld, which then answers with
Content-Type application/json rather than application/ld+json, and Vary: Accept).

A resource's page (/page/…, /resource?uri=…) has a machine twin (web/pages.py): `?format=json` or Accept preferring
application/json to text/html gives what the page shows as plain JSON — its facts by name with their sources and
marks, what links to it (`incoming`, with `incoming_marks` in the same order). /ontology's documentation has one at
`?format=json` only: there Accept: application/json is the ontology's JSON-LD.

Resource IRIs live under the persistent base (config PERSISTENT_BASE, default https://w3id.org/circe-kg/);
this server answers for them at the same path, so https://w3id.org/circe-kg/id/x is /id/x here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from .. import queries
from ..binding import AnyTerm, value_of
from ..errors import NotAcceptable, NotFound
from ..forms import Field, fields_for
from ..namespaces import CIRCE, DCTERMS, RDF, SKOS, compact
from ..serialization import BY_EXTENSION, BY_MIME, JSONLD_CONTEXT, RDF_TYPES, jsonld_document, serialize
from .errors import shown
from .i18n import pick_label
from .pages import page as data_page
from .pages import rendered, twin, wants_twin
from .services import get_store
from .timeline import progress_of
from .uris import ONTOLOGY_IRI, base, local_href

VOID_IN_DATASET = "http://rdfs.org/ns/void#inDataset"
bp = Blueprint("linked_data", __name__)

HTML_TYPES = ["text/html", "application/xhtml+xml"]
JSON = "application/json"  # a plain JSON client: given the JSON-LD, which is compact enough to read as JSON
JSONLD = "application/ld+json"


def _wanted() -> str:
    """html or an RDF media type, from Accept (HTML wins ties, as browsers send */* too); application/json is
    answered as JSON-LD."""
    offered = HTML_TYPES + [t.mime for t in RDF_TYPES] + [JSON]
    if not request.accept_mimetypes:
        return "html"  # no Accept: a person with a simple client, or a crawler
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        raise NotAcceptable(
            "none of the media types in Accept is offered for this resource", "accept one of: " + ", ".join(offered)
        )
    return "html" if best in HTML_TYPES else JSONLD if best == JSON else best


def context_url() -> str:
    """The absolute URL of the JSON-LD context document on this server, which the JSON-LD documents name."""
    return url_for("linked_data.context", _external=True)


def _jsonld_type() -> str:
    """application/json for a client that prefers it to application/ld+json (a plain JSON client), else the
    JSON-LD type: the same document either way."""
    return JSON if request.accept_mimetypes.best_match([JSONLD, JSON]) == JSON else JSONLD


def _rdf_response(triples: list[ox.Triple], mime: str, first: str) -> Response:
    """`triples` in the RDF media type `mime`; JSON-LD compact, naming /context.jsonld, with `first` on top."""
    if mime != JSONLD:
        return Response(serialize(triples, BY_MIME[mime].format), mimetype=mime)
    response = Response(jsonld_document(triples, context_url(), first), mimetype=_jsonld_type())
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/context.jsonld")
def context() -> Response:
    """The JSON-LD context of every JSON-LD document here: the project's prefixes and the common terms' short
    names. Public and cacheable: JSON-LD processors fetch it to expand what they read."""
    response = Response(json.dumps({"@context": JSONLD_CONTEXT}, indent=2, ensure_ascii=False) + "\n", mimetype=JSONLD)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _description(iri: str) -> list[ox.Triple]:
    answer = queries.run(get_store(), "resource-description", {"resource": iri})
    return answer.triples or []


def _not_in_graph(iri: str) -> tuple[str, str]:
    """What a 404 for `iri` says (the IRI cut short when long) and its hint, in the reader's language."""
    return _("<%(iri)s> is not in the graph", iri=shown(iri)), _("check the address, or search from the home page")


def _not_found(iri: str, mime: str) -> Response:
    message, hint = _not_in_graph(iri)
    if mime == "html" or mime not in BY_MIME:
        raise NotFound(message, hint)
    if mime == JSONLD:
        body, ctype = json.dumps({"error": "not-found", "message": message}), _jsonld_type()
    elif mime == "application/rdf+xml":
        body, ctype = f'<?xml version="1.0"?>\n<!-- {message} -->\n<rdf:RDF xmlns:rdf="{RDF}"/>\n', mime
    else:
        body, ctype = f"# {message}\n", mime
    response = Response(body, status=404, mimetype=ctype)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/id/<path:rest>")
def resource(rest: str) -> BaseResponse:
    iri = base() + "id/" + rest
    wanted = _wanted()
    if not _description(iri):
        return _not_found(iri, wanted)
    if wanted == "html":
        target = url_for("linked_data.page", rest=rest)
    else:
        target = url_for("linked_data.data", rest=rest, extension=BY_MIME[wanted].extension)
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/data/<path:rest>.<extension>")
def data(rest: str, extension: str) -> Response:
    rdf_type = BY_EXTENSION.get(extension)
    iri = base() + "id/" + rest
    if rdf_type is None:
        raise NotFound(_("no format “.%(extension)s”", extension=shown(extension)), _("use .ttl, .nt, .rdf or .jsonld"))
    triples = _description(iri)
    if not triples:
        return _not_found(iri, rdf_type.mime)
    response = _rdf_response(triples, rdf_type.mime, iri)
    response.headers["Link"] = f'<{iri}>; rel="describedby"'
    return response


@dataclass
class Value:
    text: str
    href: str | None = None
    language: str | None = None
    external: bool = False
    cites: list[int] = field(default_factory=list)  # numbers of the sources that state it
    editorial: str | None = None  # the editors' classification: what their judgement rests on
    own_source: bool = False  # True: cites the fact's own source; False: the record's (or none)
    # What the page's mark says of it (for the twin): "editorial", "sourced", "illustrative", or None (not recorded,
    # or a source itself); of a record that links here, its mark ("sourced", "illustrative" or "").
    standing: str | None = None


@dataclass
class Source:
    number: int
    iri: str
    note: str | None = None  # how the value was made from the source, for a fact's own source
    derived_from: str | None = None
    of_fact: bool = False  # True: it backs one fact; False: the whole record (the resource's dct:source)


def _sources(iri: str, record_sources: list[str]) -> tuple[list[Source], dict[tuple[str, str], list[int]]]:
    """The sources of a resource's facts, numbered for citation: the record's own (dct:source on the resource,
    backing every fact), then any fact's own (an rdf:Statement with dct:source, queries/questions/fact-sources.rq) —
    and, per fact (property, value in N-Triples), the numbers of the sources it cites instead of the record's."""
    listed = [Source(n, source) for n, source in enumerate(record_sources, start=1)]
    by_fact: dict[tuple[str, str], list[int]] = {}
    for row in queries.run(get_store(), "fact-sources", {"resource": iri}).rows:
        note = row["note"].value if "note" in row else None
        derived = row["derivedFrom"].value if "derivedFrom" in row else None
        source = next(
            (
                s
                for s in listed
                if s.of_fact and (s.iri, s.note, s.derived_from) == (row["source"].value, note, derived)
            ),
            None,
        )
        if source is None:
            source = Source(len(listed) + 1, row["source"].value, note, derived, of_fact=True)
            listed.append(source)
        cited = by_fact.setdefault((row["property"].value, str(row["value"])), [])
        if source.number not in cited:
            cited.append(source.number)
    return listed, by_fact


@dataclass
class Row:
    property_label: str
    property_iri: str
    values: list[Value] = field(default_factory=list)
    missing: bool = False
    href: str | None = None  # where the property is explained (the plain view's link), else its IRI
    others: list[Value] = field(default_factory=list)  # the plain view's texts in other languages, folded away


def _label_of(triples: list[ox.Triple], node: ox.NamedNode | ox.BlankNode, predicate: str) -> str | None:
    """The label in the reader's language, else English, else any."""
    labels = {
        t.object.language: t.object.value
        for t in triples
        if t.subject == node and t.predicate.value == predicate and isinstance(t.object, ox.Literal)
    }
    return pick_label(labels, g.get("lang", "en"))[0] if labels else None


def _value(triples: list[ox.Triple], term: AnyTerm) -> Value:
    if isinstance(term, ox.Literal):
        return Value(term.value, language=term.language)
    if isinstance(term, ox.BlankNode):
        parts = [f"{compact(t.predicate.value)} {value_of(t.object)}" for t in triples if t.subject == term]
        return Value("; ".join(parts) or "(blank node)")
    labels = {
        t.object.language: t.object.value
        for t in triples
        if t.subject == term and t.predicate.value == str(SKOS.prefLabel) and isinstance(t.object, ox.Literal)
    }
    label, fell_back = pick_label(labels, g.get("lang", "en")) if labels else (None, False)
    language = "en" if fell_back and labels.get("en") == label else None  # named in English: say so (lang="en")
    iri = value_of(term)
    href = local_href(iri)
    if href is None and not iri.startswith(("http://", "https://")):
        # javascript:, data: and other schemes are shown, never linked: a link is something to follow safely.
        return Value(label or compact(iri), language=language)
    return Value(label or compact(iri), href or iri, language=language, external=href is None)


def _marks(resources: list[str]) -> list[str]:
    """Each resource's mark, in order: "illustrative", "sourced" (it cites a source) or "" (neither: a concept of
    a vocabulary, a meeting the project records…) — for lists another query draws, such as "linked from"."""
    if not resources:
        return []
    rows = queries.run(get_store(), "truth-marks", {"resource": " ".join(sorted(set(resources)))}).rows
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["resource"].value, set()).add(row["mark"].value)
    return [next((m for m in ("illustrative", "sourced") if m in found.get(r, set())), "") for r in resources]


@bp.get("/page/<path:rest>")
def page(rest: str) -> Response:
    return _page(base() + "id/" + rest, rest)


@bp.get("/resource")
def any_resource() -> BaseResponse:
    """The page of a resource that lives under another authority's URI but is described here (NUTS regions)."""
    iri = request.args.get("uri", "")
    if iri.startswith(base() + "id/"):
        return redirect(url_for("linked_data.page", rest=iri[len(base()) + 3 :]), code=303)
    if not iri.startswith(("http://", "https://")):
        raise NotFound(
            _("give the resource's URI as ?uri=…"), _("for example ?uri=http://data.europa.eu/nuts/code/ITC4")
        )
    return _page(iri, None)


def _page(iri: str, rest: str | None) -> Response:
    triples = _description(iri)
    if not triples:
        raise NotFound(*_not_in_graph(iri))
    subject = ox.NamedNode(iri)
    record_sources = [
        value_of(t.object) for t in triples if t.subject == subject and t.predicate.value == str(DCTERMS.source)
    ]
    sources, fact_sources = _sources(iri, record_sources)
    record_cites = [s.number for s in sources if not s.of_fact]
    editorial = {
        (row["property"].value, str(row["value"])): row["note"].value if "note" in row else ""
        for row in queries.run(get_store(), "editorial-facts", {"resource": iri}).rows
    }
    illustrative = any(t.subject == subject and t.predicate.value == str(CIRCE.illustrative) for t in triples)
    rows: dict[str, Row] = {}
    for t in triples:
        if t.subject != subject or t.predicate.value in (str(SKOS.prefLabel), str(CIRCE.illustrative)):
            continue
        label = _label_of(triples, t.predicate, "http://www.w3.org/2000/01/rdf-schema#label")
        row = rows.setdefault(t.predicate.value, Row(label or compact(t.predicate.value), t.predicate.value))
        value = _value(triples, t.object)
        if t.predicate.value != str(DCTERMS.source):
            own = fact_sources.get((t.predicate.value, str(t.object)))
            value.cites, value.own_source = (own, True) if own else (record_cites, False)
            value.editorial = editorial.get((t.predicate.value, str(t.object)))
            if value.editorial is not None and (t.predicate.value, str(t.object)) not in fact_sources:
                value.cites = []  # the editors' judgement: the record's source does not state it
            value.standing = _standing(value, illustrative)
        row.values.append(value)
    # The fields the shapes give this kind of resource, where the graph has nothing: say so.
    types = [value_of(t.object) for t in triples if t.subject == subject and t.predicate.value == str(RDF.type)]
    fields = [f for kind in types for f in fields_for(get_store(), kind, g.get("lang", "en"), with_choices=False)]
    for expected in fields:
        if expected.path not in rows and expected.path not in (str(SKOS.prefLabel), str(CIRCE.illustrative)):
            rows[expected.path] = Row(expected.name, expected.path, [Value(_("not recorded"))], missing=True)
    labels = {
        t.object.language: t.object.value
        for t in triples
        if t.subject == subject and t.predicate.value == str(SKOS.prefLabel) and isinstance(t.object, ox.Literal)
    }
    incoming = queries.run(get_store(), "resource-incoming", {"resource": iri}).rows
    changes = queries.run(get_store(), "resource-last-change", {"resource": iri}).rows
    last_change = {k: v.value for k, v in changes[0].items()} if changes else None
    title, title_fallback = pick_label(labels, g.get("lang", "en")) if labels else (compact(iri), False)
    partner = any(r["property"].value == str(CIRCE.partner) for r in incoming)
    # A practice is a CircE record only where a source ties it to the project (circe:presentedIn).
    practice = bool({str(CIRCE.Practice), str(CIRCE.GoodPractice)} & set(types))
    circe_link = any(t.subject == subject and t.predicate.value == str(CIRCE.presentedIn) for t in triples)
    # A record of another party's dataset (e.g. ECESP's good practices) says so, whatever its class.
    dataset = next(
        (value_of(t.object) for t in triples if t.subject == subject and t.predicate.value == VOID_IN_DATASET), None
    )
    as_data = request.args.get("view") == "data"  # the graph as it is: every property, by its IRI
    incoming_marks = _marks([r["subject"].value for r in incoming])
    return data_page(
        "linked_data/resource.html",
        iri=iri,
        rest=rest,
        as_data=as_data,
        groups=[] if as_data else _plain_groups(triples, subject, list(rows.values()), fields, labels),
        record_cites=record_cites,
        other_view=_view_url(iri, rest, None if as_data else "data"),
        partner_page=(
            url_for("partner.page", slug=rest.split("/", 1)[1])
            if partner and rest and rest.startswith("organisation/") and rest.count("/") == 1
            else None
        ),
        title=title,
        title_fallback=title_fallback,
        labels=labels,
        rows=sorted(rows.values(), key=lambda r: (r.missing, r.property_label)),
        illustrative=illustrative,
        sources=sources,
        dct_source=str(DCTERMS.source),
        incoming=[
            Value(
                r["subjectLabel"].value if "subjectLabel" in r else compact(r["subject"].value),
                local_href(r["subject"].value) or r["subject"].value,
                standing=mark,
            )
            for r, mark in zip(incoming, incoming_marks, strict=True)
        ],
        incoming_marks=incoming_marks,
        incoming_properties=[
            r["propertyLabel"].value if "propertyLabel" in r else compact(r["property"].value) for r in incoming
        ],
        formats=RDF_TYPES,
        last_change=last_change,
        questions=_questions_about(iri, types, partner),
        practice=practice,
        circe_link=circe_link,
        dataset=dataset,
        dataset_title=_title_of(dataset) if dataset else None,
        timeline=progress_of(iri, types),  # an action's observations, or each of a plan's actions'
        standing=_record_standing(illustrative, dataset, practice, circe_link),  # the twin's; the page's badge
    )


def _standing(value: Value, illustrative: bool) -> str | None:
    """What the page's Sources column says of a fact: the editors', cited sources, an illustrative record's."""
    if value.editorial is not None:
        return "editorial"
    return "sourced" if value.cites else "illustrative" if illustrative else None


def _record_standing(illustrative: bool, dataset: str | None, practice: bool, circe_link: bool) -> str | None:
    """The record's badge on its page: "illustrative", "sourced" (a CircE practice: a source ties it to the
    project), "documented" (another party's dataset's record, or a practice no source ties to CircE), or None."""
    if illustrative:
        return "illustrative"
    if dataset or (practice and not circe_link):
        return "documented"
    return "sourced" if practice else None


def _view_url(iri: str, rest: str | None, view: str | None) -> str:
    """This page's address in plain words (view None) or as data (view "data")."""
    if rest is not None:
        return url_for("linked_data.page", rest=rest, view=view)
    return url_for("linked_data.any_resource", uri=iri, view=view)


# What the plain view leaves to "Show as data": the name (the page's title), the class, the sources (listed under
# Sources), the markers the badges show, and bookkeeping between vocabulary terms.
PLUMBING = frozenset(
    {
        str(RDF.type),
        str(SKOS.prefLabel),
        str(DCTERMS.source),
        str(CIRCE.illustrative),
        VOID_IN_DATASET,
        "http://www.w3.org/2000/01/rdf-schema#isDefinedBy",
        str(SKOS.topConceptOf),
    }
)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _plain_names() -> dict[str, str]:
    """Names in plain words for the common properties of other vocabularies that no shape names (the shapes'
    sh:name comes first), in the reader's language."""
    return {
        str(DCTERMS.description): _("Summary"),
        str(SKOS.altLabel): _("Also known as"),
        str(SKOS.note): _("Note"),
        str(SKOS.definition): _("Definition"),
        str(SKOS.scopeNote): _("Scope note"),
        str(SKOS.editorialNote): _("Editors' note"),
        str(SKOS.notation): _("Code"),
        str(SKOS.broader): _("Broader concept"),
        str(SKOS.narrower): _("Narrower concept"),
        str(SKOS.inScheme): _("In the scheme"),
        str(SKOS.hasTopConcept): _("Top concepts"),
        str(SKOS.exactMatch): _("Same as elsewhere"),
        str(SKOS.closeMatch): _("Close match elsewhere"),
        "http://www.w3.org/2002/07/owl#sameAs": _("Same as"),
        "http://www.w3.org/2000/01/rdf-schema#seeAlso": _("See also"),
        str(DCTERMS.coverage): _("Coverage"),
        str(DCTERMS.language): _("Language"),
        str(DCTERMS.date): _("Date"),
        str(DCTERMS.title): _("Title"),
        str(DCTERMS.spatial): _("Place"),
        "https://schema.org/keywords": _("Keywords"),
        "https://schema.org/startDate": _("Start date"),
        "https://schema.org/endDate": _("End date"),
    }


@dataclass
class Group:
    """A group of facts in the plain view, as the edit forms group their fields (sh:group)."""

    name: str
    rows: list[Row] = field(default_factory=list)


def _plain_groups(
    triples: list[ox.Triple], subject: ox.NamedNode, rows: list[Row], fields: list[Field], labels: dict[str | None, str]
) -> list[Group]:
    """The facts in plain words: each property by the name the edit forms give it (or a plain name, or its label
    in the reader's language), grouped and ordered as the forms are; texts in the reader's language where the
    graph has them; the plumbing (PLUMBING, alternative names that repeat the name) left to the data view."""
    language = g.get("lang", "en")
    shaped: dict[str, Field] = {}
    for f in fields:
        shaped.setdefault(f.path, f)
    plain = _plain_names()
    others = [r.property_iri for r in rows if r.property_iri not in shaped and r.property_iri not in plain]
    named = _field_names(others, language)
    names = {n.casefold() for n in labels.values()}
    groups: dict[str, Group] = {f.group or _("Other facts"): Group(f.group or _("Other facts")) for f in fields}
    other = groups.setdefault(_("Other facts"), Group(_("Other facts")))
    for row in rows:
        iri = row.property_iri
        if iri in PLUMBING:
            continue
        values = row.values
        if iri == str(SKOS.altLabel):
            values = [v for v in values if v.text.casefold() not in names]
        values, in_others = _in_language(values, language)
        if not values:
            continue
        if iri in shaped:
            name, group = shaped[iri].name, groups[shaped[iri].group or _("Other facts")]
        else:
            found = named.get(iri) or plain.get(iri) or _label_of(triples, ox.NamedNode(iri), RDFS_LABEL)
            name, group = found or compact(iri), other
        group.rows.append(Row(name, iri, values, row.missing, href=local_href(iri), others=in_others))
    order = {f.path: n for n, f in enumerate(fields)}
    for group in groups.values():
        group.rows.sort(key=lambda r: (r.missing, order.get(r.property_iri, len(order)), r.property_label.casefold()))
    return [group for group in groups.values() if group.rows]


def _in_language(values: list[Value], language: str) -> tuple[list[Value], list[Value]]:
    """The values to show: of the texts in several languages, those in the reader's language, else in English,
    else all; values that are not texts in a language always. And the texts left, in other languages."""
    texts = [v for v in values if v.language and not v.href]
    wanted = [v for v in texts if v.language == language] or [v for v in texts if v.language == "en"] or texts
    return [v for v in values if v not in texts or v in wanted], [v for v in texts if v not in wanted]


def _field_names(properties: list[str], language: str) -> dict[str, str]:
    """The names the edit forms give these properties for some class (queries/app/field-names.rq), in the reader's
    language, else in English."""
    if not properties:
        return {}
    names: dict[str, str] = {}
    for lang in dict.fromkeys([language, "en"]):
        rows = queries.run(get_store(), "field-names", {"resource": properties, "lang": lang}).rows
        for row in rows:
            names.setdefault(row["resource"].value, row["label"].value)
    return names


def _title_of(iri: str) -> str:
    """A dataset's English title (dct:title), or its short name."""
    for t in queries.run(get_store(), "resource-description", {"resource": iri}).triples or []:
        if value_of(t.subject) == iri and t.predicate.value == str(DCTERMS.title):
            return value_of(t.object)
    return compact(iri)


def _questions_about(iri: str, types: list[str], partner: bool) -> list[tuple[str, str]]:
    """The transfer questions this resource can be asked about, each with its page's address: the way to ask
    about one barrier, sector or partner among thousands, which no choice list can hold."""
    asked = []
    if str(CIRCE.Barrier) in types or str(CIRCE.BarrierCategory) in types:
        asked.append(
            (_("Which practices address this barrier?"), url_for("questions.practices_for_barrier", barrier=iri))
        )
    if str(CIRCE.Barrier) in types:
        asked.append((_("Who already solved my problem?"), url_for("questions.who_solved", barrier=iri)))
    if str(CIRCE.Sector) in types:
        asked.append((_("Who already solved my problem?"), url_for("questions.who_solved", sector=iri)))
    if partner:
        asked.append((_("Which regions are most like mine?"), url_for("questions.similar_regions", partner=iri)))
    return asked


@bp.get("/ontology")
def ontology() -> Response | str:
    """The ontology document: RDF for machines, its documentation (a section per term) for people, and that
    documentation's twin at ?format=json (Accept: application/json is the ontology's JSON-LD, as for resources)."""
    as_twin = "format" in request.args and wants_twin()
    wanted = "html" if as_twin else _wanted()
    if wanted == "html":
        answer = queries.run(get_store(), "ontology-terms", {"lang": g.get("lang", "en")})  # falls back to en
        terms = [
            {
                "iri": row["term"].value,
                "anchor": row["term"].value.rsplit("#", 1)[-1],
                "kind": row["kind"].value,
                "label": row["label"].value if "label" in row else "",
                "definition": row["definition"].value if "definition" in row else "",
                "parents": [compact(x) for x in row["parents"].value.split()] if "parents" in row else [],
                "domains": [compact(x) for x in row["domains"].value.split()] if "domains" in row else [],
                "ranges": [compact(x) for x in row["ranges"].value.split()] if "ranges" in row else [],
            }
            for row in answer.rows
        ]
        data: dict[str, Any] = {"terms": terms, "formats": RDF_TYPES, "ontology_iri": ONTOLOGY_IRI}
        return twin(data) if as_twin else rendered("linked_data/ontology.html", **data)
    store = get_store()
    graph = next(g for g in store.named_graphs() if g.endswith("/graph/ontology/circe"))
    response = _rdf_response(list(store.triples(graph)), wanted, ONTOLOGY_IRI)
    response.headers["Vary"] = "Accept"
    return response
