"""/void for people and machines: a browser gets a page (what the dataset is, its downloads with sizes, what it
holds, the endpoint), curl and harvesters get the same description as RDF, and ?format= names one."""

import pytest
import rdflib

from circe_kg.web.void import DATASET

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def page_client(client):
    yield client
    client.delete_cookie("lang")


def test_a_browser_gets_a_page_made_from_the_same_description(page_client):
    response = page_client.get("/void", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html" and "Accept" in response.vary
    page = response.get_data(as_text=True)
    rdf = rdflib.Graph().parse(data=page_client.get("/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    title = next(str(t) for t in rdf.objects(DATASET, rdflib.DCTERMS.title) if t.language == "en")
    assert f"<h1>{title}</h1>" in page
    triples = int(rdf.value(DATASET, rdflib.URIRef("http://rdfs.org/ns/void#triples")))
    assert f"{triples:,} statements" in page
    for download in rdf.objects(None, rdflib.DCAT.downloadURL):
        assert f'href="{download}"' in page  # every distribution, linked
    assert "CC BY 4.0" in page and "@prefix" not in page


def test_the_page_speaks_the_reader_s_language(page_client):
    page = page_client.get("/void?lang=it", headers=BROWSER).get_data(as_text=True)
    assert "<h1>circe-kg: il grafo della conoscenza di CircE</h1>" in page and '<html lang="it">' in page


@pytest.mark.parametrize(
    "accept, mime",
    [("*/*", "text/turtle"), (None, "text/turtle"), ("application/ld+json", "application/ld+json")],
)
def test_machines_get_rdf(page_client, accept, mime):
    response = page_client.get("/void", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == mime
    graph = rdflib.Graph().parse(data=response.data, format="json-ld" if mime == "application/ld+json" else "turtle")
    assert (DATASET, rdflib.RDF.type, rdflib.URIRef("http://rdfs.org/ns/void#Dataset")) in graph


@pytest.mark.parametrize(
    "name, mime, parser",
    [
        ("ttl", "text/turtle", "turtle"),
        ("nt", "application/n-triples", "nt"),
        ("rdf", "application/rdf+xml", "xml"),
        ("jsonld", "application/ld+json", "json-ld"),
    ],
)
def test_the_page_links_each_rdf_format(page_client, name, mime, parser):
    page = page_client.get("/void", headers=BROWSER).get_data(as_text=True)
    assert f'href="/void?format={name}"' in page
    response = page_client.get(f"/void?format={name}", headers=BROWSER)  # the link wins over the browser's Accept
    assert response.mimetype == mime and (DATASET, None, None) in rdflib.Graph().parse(
        data=response.data, format=parser
    )


def test_an_unknown_format_is_named_and_refused(page_client):
    response = page_client.get("/void?format=" + "x" * 500, headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 400 and "no format" in body["message"] and len(body["message"]) < 80
    assert "format=ttl" in body["hint"]
