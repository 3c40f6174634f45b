"""/void: the dataset described in VoID and DCAT-AP 3.0 (dataset, distributions for the endpoint and each
dump, licence, publisher, contact point, temporal and spatial coverage, themes) so that a harvester such as
data.europa.eu or a VoID-aware crawler finds the endpoint, the dumps and the URI space on its own.

This describes circe-kg (the publication), not CircE: the figures come from the store, the coverage from
the data (queries/app/dataset-coverage.rq), the statistics from queries/app/void-statistics.rq.
"""

from __future__ import annotations

import rdflib
from flask import Blueprint, Response, render_template, request, url_for
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from ..errors import BadParameter
from ..namespaces import BASE, CIRCE
from .i18n import content_language
from .services import answer, dumps, get_store, remembered

bp = Blueprint("void", __name__)

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
EU = rdflib.Namespace("http://publications.europa.eu/resource/authority/")
IANA = "https://www.iana.org/assignments/media-types/"
DATASET = rdflib.URIRef(BASE + "id/dataset/circe-kg")
SERVICE = rdflib.URIRef(BASE + "id/dataset/circe-kg-sparql")
PUBLISHER = rdflib.URIRef(BASE + "id/organisation/circe-kg-maintainers")
THEMES = {"ENVI": "Environment", "ECON": "Economy and finance", "REGI": "Regions and cities"}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


def _literal(value: object, datatype: rdflib.URIRef | None = None) -> rdflib.Literal:
    return rdflib.Literal(value, datatype=datatype)


def _typed(g: rdflib.Graph, node: rdflib.URIRef, *types: rdflib.URIRef) -> rdflib.URIRef:
    """DCAT-AP's shapes check the class of every linked node without inference, so say it outright."""
    for kind in types:
        g.add((node, RDF.type, kind))
    return node


def description(root: str) -> rdflib.Graph:
    """The VoID + DCAT-AP graph, with this server's absolute addresses under `root` (ends with /)."""
    g = rdflib.Graph()
    for prefix, ns in (
        ("void", VOID),
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("spdx", SPDX),
        ("skos", SKOS),
        ("circe", CIRCE),
    ):
        g.bind(prefix, ns)
    store = get_store()
    endpoint = _typed(g, rdflib.URIRef(root + "sparql"), RDFS.Resource)

    g.add((DATASET, RDF.type, DCAT.Dataset))
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, DCTERMS.title, rdflib.Literal("circe-kg: the CircE knowledge graph", lang="en")))
    g.add((DATASET, DCTERMS.title, rdflib.Literal("circe-kg: il grafo della conoscenza di CircE", lang="it")))
    g.add(
        (
            DATASET,
            DCTERMS.description,
            rdflib.Literal(
                "Linked data about the Interreg Europe project CircE (PGI02398, 2017-2021): partners and regions, "
                "policy instruments, sectors, circular-economy opportunities and barriers, good practices, "
                "action plans, monitoring and transfers. Sourced facts carry dct:source; illustrative examples carry "
                "circe:illustrative true.",
                lang="en",
            ),
        )
    )
    g.add((DATASET, DCTERMS.license, EU["licence/CC_BY_4_0"]))
    g.add((EU["licence/CC_BY_4_0"], RDF.type, DCTERMS.LicenseDocument))
    g.add((DATASET, DCTERMS.publisher, PUBLISHER))
    g.add((PUBLISHER, RDF.type, FOAF.Agent))
    g.add((PUBLISHER, FOAF.name, rdflib.Literal("circe-kg maintainers", lang="en")))
    contact = rdflib.URIRef(BASE + "id/organisation/circe-kg-maintainers#contact")
    g.add((DATASET, DCAT.contactPoint, contact))
    _typed(g, contact, VCARD.Organization, VCARD.Kind)
    g.add((contact, VCARD.fn, rdflib.Literal("circe-kg maintainers")))
    g.add((contact, VCARD.hasURL, rdflib.URIRef(root)))
    g.add((DATASET, DCAT.landingPage, _typed(g, rdflib.URIRef(root), FOAF.Document)))
    g.add((DATASET, DCTERMS.language, _typed(g, EU["language/ENG"], DCTERMS.LinguisticSystem)))
    for code, label in THEMES.items():
        theme = EU[f"data-theme/{code}"]
        g.add((DATASET, DCAT.theme, theme))
        g.add((theme, RDF.type, SKOS.Concept))
        g.add((theme, SKOS.prefLabel, rdflib.Literal(label, lang="en")))
        g.add((theme, SKOS.inScheme, EU["data-theme"]))
    g.add((EU["data-theme"], RDF.type, SKOS.ConceptScheme))
    g.add((EU["data-theme"], DCTERMS.title, rdflib.Literal("Data theme", lang="en")))

    coverage = answer("dataset-coverage").rows
    dates = [(r["start"].value, r["end"].value) for r in coverage if "start" in r and "end" in r]
    if dates:
        period = rdflib.URIRef(str(DATASET) + "#period")
        g.add((DATASET, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, _literal(min(d[0] for d in dates), XSD.date)))
        g.add((period, DCAT.endDate, _literal(max(d[1] for d in dates), XSD.date)))
    for region in sorted({r["region"].value for r in coverage if "region" in r}):
        g.add((DATASET, DCTERMS.spatial, rdflib.URIRef(region)))
        g.add((rdflib.URIRef(region), RDF.type, DCTERMS.Location))

    # Other parties' datasets the graph holds (e.g. ECESP's good practices): subsets with their own credit.
    for row in answer("other-datasets").rows:
        subset = rdflib.URIRef(row["dataset"].value)
        g.add((DATASET, VOID.subset, subset))
        _typed(g, subset, DCAT.Dataset, VOID.Dataset)
        g.add((subset, DCTERMS.title, rdflib.Literal(row["title"].value, lang="en")))
        text = " ".join(row[k].value for k in ("description", "credit") if k in row)
        g.add((subset, DCTERMS.description, rdflib.Literal(text or row["title"].value, lang="en")))
        if "source" in row:  # the platform's own listing
            g.add((subset, DCAT.landingPage, _typed(g, rdflib.URIRef(row["source"].value), FOAF.Document)))
        g.add((subset, VOID.entities, _literal(int(row["records"].value), XSD.integer)))

    # VoID: size, URI space, vocabularies, class partitions, endpoint and dumps, links out.
    triples = remembered("triples in the store", store.count, lambda _: 1)
    g.add((DATASET, VOID.triples, _literal(triples, XSD.integer)))
    g.add((DATASET, VOID.uriSpace, rdflib.Literal(BASE + "id/")))
    g.add((DATASET, VOID.sparqlEndpoint, endpoint))
    g.add((DATASET, VOID.exampleResource, rdflib.URIRef(BASE + "id/transfer/lombardy-to-sos-dispersed-circular-hotel")))
    for vocabulary in (
        "https://w3id.org/circe-kg/ontology#",
        str(SKOS),
        str(DCTERMS),
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/ns/prov#",
    ):
        g.add((DATASET, VOID.vocabulary, rdflib.URIRef(vocabulary)))
    for row in answer("void-statistics").rows:
        partition = rdflib.BNode()
        g.add((DATASET, VOID.classPartition, partition))
        g.add((partition, VOID["class"], rdflib.URIRef(row["class"].value)))
        g.add((partition, VOID.entities, _literal(int(row["entities"].value), XSD.integer)))
    for target in ("http://data.europa.eu/nuts/", "http://data.europa.eu/ux2/nace2/", "https://linkedopendata.eu/"):
        linkset = rdflib.BNode()
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, VOID.subjectsTarget, DATASET))
        g.add((linkset, VOID.objectsTarget, rdflib.URIRef(target)))
        g.add((DATASET, VOID.subset, linkset))

    # DCAT: the SPARQL endpoint as a data service and a distribution.
    g.add((SERVICE, RDF.type, DCAT.DataService))
    g.add((SERVICE, DCTERMS.title, rdflib.Literal("circe-kg SPARQL 1.1 endpoint", lang="en")))
    g.add((SERVICE, DCAT.endpointURL, endpoint))
    g.add((SERVICE, DCAT.endpointDescription, endpoint))
    g.add(
        (
            SERVICE,
            DCTERMS.conformsTo,
            _typed(g, rdflib.URIRef("https://www.w3.org/TR/sparql11-protocol/"), DCTERMS.Standard),
        )
    )
    g.add((SERVICE, DCAT.servesDataset, DATASET))
    g.add((SERVICE, DCTERMS.license, EU["licence/CC_BY_4_0"]))
    sparql_distribution = rdflib.URIRef(str(DATASET) + "#sparql")
    g.add((DATASET, DCAT.distribution, sparql_distribution))
    g.add((sparql_distribution, RDF.type, DCAT.Distribution))
    g.add((sparql_distribution, DCTERMS.title, rdflib.Literal("SPARQL endpoint", lang="en")))
    g.add((sparql_distribution, DCAT.accessURL, endpoint))
    g.add((sparql_distribution, DCAT.accessService, SERVICE))
    g.add((sparql_distribution, DCTERMS.license, EU["licence/CC_BY_4_0"]))

    # DCAT + VoID: one distribution per dump file.
    for info in dumps().manifest():
        url = _typed(g, rdflib.URIRef(root + "dumps/" + info.name), RDFS.Resource)
        distribution = rdflib.URIRef(str(DATASET) + "#" + info.name)
        g.add((DATASET, DCAT.distribution, distribution))
        g.add((DATASET, VOID.dataDump, url))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.title, rdflib.Literal(info.title, lang="en")))
        g.add((distribution, DCAT.accessURL, _typed(g, rdflib.URIRef(root + "dumps/"), RDFS.Resource)))
        g.add((distribution, DCAT.downloadURL, url))
        g.add((distribution, DCAT.mediaType, _typed(g, rdflib.URIRef(IANA + info.mime), DCTERMS.MediaType)))
        if info.compression:
            gzip_type = _typed(g, rdflib.URIRef(IANA + "application/gzip"), DCTERMS.MediaType)
            g.add((distribution, DCAT.compressFormat, gzip_type))
        g.add((distribution, DCAT.byteSize, _literal(info.bytes, XSD.nonNegativeInteger)))
        g.add((distribution, DCTERMS.modified, _literal(info.modified, XSD.dateTime)))
        g.add((distribution, DCTERMS.license, EU["licence/CC_BY_4_0"]))
        checksum = rdflib.URIRef(str(distribution) + "-sha256")
        g.add((distribution, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, _typed(g, SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)))
        g.add((checksum, SPDX.checksumValue, _literal(info.sha256, XSD.hexBinary)))
        g.add((distribution, RDFS.comment, rdflib.Literal(f"{info.triples} triples", lang="en")))
    return g


FORMAT_NAMES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
}


def _wants_page() -> bool:
    """A person's browser: text/html named, and liked at least as much as any RDF format (curl's */* gets RDF)."""
    accept = request.accept_mimetypes
    html = max((q for value, q in accept if value in ("text/html", "application/xhtml+xml")), default=0)
    rdf = max((q for value, q in accept if value in GRAPH_TYPES), default=0)
    return html > 0 and html >= rdf


def _text(g: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef, language: str) -> str:
    """The node's literal for `predicate` in `language`, else in English, else any."""
    values = list(g.objects(node, predicate))
    by_language = {getattr(v, "language", None): str(v) for v in values}
    return by_language.get(language) or by_language.get("en") or (str(values[0]) if values else "")


def _count(g: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> int:
    """The node's integer for `predicate` (its lexical form read as a number); 0 when it has none."""
    return int(str(g.value(node, predicate) or 0))


def _page(graph: rdflib.Graph) -> str:
    """The description for people: what the dataset is, where to get it, what it holds — from the same graph."""
    language = content_language()
    distributions = []
    for d in graph.objects(DATASET, DCAT.distribution):
        download = graph.value(d, DCAT.downloadURL)
        distributions.append(
            {
                "title": _text(graph, d, DCTERMS.title, language),
                "url": str(download or graph.value(d, DCAT.accessURL) or ""),
                "format": str(graph.value(d, DCAT.mediaType) or "").removeprefix(IANA),
                "bytes": graph.value(d, DCAT.byteSize),
                "note": _text(graph, d, RDFS.comment, language),
            }
        )
    classes = sorted(
        (
            (str(graph.value(p, VOID["class"])), _count(graph, p, VOID.entities))
            for p in graph.objects(DATASET, VOID.classPartition)
        ),
        key=lambda pair: -pair[1],
    )
    return render_template(
        "void/dataset.html",
        title=_text(graph, DATASET, DCTERMS.title, language),
        summary=_text(graph, DATASET, DCTERMS.description, language),
        licence=str(graph.value(DATASET, DCTERMS.license) or ""),
        publisher=_text(graph, PUBLISHER, FOAF.name, language),
        endpoint=str(graph.value(DATASET, VOID.sparqlEndpoint) or ""),
        triples=_count(graph, DATASET, VOID.triples),
        uri_space=str(graph.value(DATASET, VOID.uriSpace) or ""),
        distributions=sorted(distributions, key=lambda d: d["title"]),
        classes=classes,
        vocabularies=sorted(str(v) for v in graph.objects(DATASET, VOID.vocabulary)),
        formats={name: url_for("void.description", format=name) for name in FORMAT_NAMES},
    )


@bp.get("/void", endpoint="description")
def description_view() -> Response:
    """The dataset's description: a page for people (a browser asks for text/html), RDF for machines (Turtle
    unless Accept or ?format=ttl|nt|rdf|jsonld names another)."""
    graph = description(request.host_url)
    named = request.args.get("format")
    if named is None and _wants_page():
        response = Response(_page(graph), mimetype="text/html")
    else:
        if named is not None and named not in FORMAT_NAMES:
            raise BadParameter(f"no format {named[:20]!r}", "use format=ttl, nt, rdf or jsonld, or leave it out")
        best = request.accept_mimetypes.best_match(list(GRAPH_TYPES)) if request.accept_mimetypes else None
        mime = FORMAT_NAMES[named] if named else (best or "text/turtle")
        response = Response(graph.serialize(format=GRAPH_TYPES[mime]), mimetype=mime)
    response.headers["Vary"] = "Accept"
    return response
