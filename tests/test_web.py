"""The minimal web app: home page counts, and the SPARQL endpoint's protocol, formats and errors."""

import html
import json
import re

import pytest
import rdflib


def test_home_asks_the_transfer_questions_each_a_link_to_its_answer(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="en"' in page and "<main" in page
    listed = page.split('<ul class="questions">')[1].split("</ul>")[0]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', listed)
    assert len(links) == 7, links
    for href, question in links:
        answer = client.get(href.replace("&amp;", "&"))
        assert answer.status_code == 200, href
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", answer.get_data(as_text=True), re.S).group(1)
        assert html.unescape(re.sub(r"<[^>]+>", "", heading)).strip() == html.unescape(question), href


SELECT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.mark.parametrize(
    "accept, mime",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_results_by_accept(client, accept, mime):
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == mime
    assert response.headers["Access-Control-Allow-Origin"] == "*" and "Accept" in response.headers["Vary"]


def test_post_forms_and_direct_query(client):
    direct = client.post("/sparql", data=SELECT, content_type="application/sparql-query")
    form = client.post("/sparql", data={"query": SELECT})
    assert direct.status_code == form.status_code == 200
    count = int(json.loads(direct.data)["results"]["bindings"][0]["n"]["value"])
    assert count > 1000


def test_a_script_on_another_site_may_post_queries_after_a_preflight(client):
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    answer = client.post("/sparql", data={"query": SELECT}, headers={"Origin": "https://example.org"})
    assert (
        answer.headers["Access-Control-Allow-Origin"] == "*"
        and "Access-Control-Allow-Credentials" not in answer.headers
    )
    assert "Access-Control-Allow-Origin" not in client.get("/query", headers={"Origin": "https://example.org"}).headers


@pytest.mark.parametrize(
    "fmt, mime",
    [
        ("turtle", "text/turtle"),
        ("ntriples", "application/n-triples"),
        ("rdfxml", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
    ],
)
def test_construct_results(client, fmt, mime):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/circe-kg/ontology#Transfer> ; ?p ?o }"
    response = client.get("/sparql", query_string={"query": query, "format": fmt})
    assert response.status_code == 200 and response.mimetype == mime
    graph = rdflib.Graph().parse(data=response.data, format={"jsonld": "json-ld", "rdfxml": "xml"}.get(fmt, fmt))
    transfers = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef("https://w3id.org/circe-kg/ontology#Transfer")))
    assert len(transfers) == 3, "the body parses as the format it names, with every transfer"
    assert all(len(set(graph.predicate_objects(t))) > 3 for t in transfers)


def test_syntax_error_is_400_with_position(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "usage-error" and "SPARQL syntax error" in body["message"] and "1:" in body["message"]


def test_updates_are_refused(client, loaded_store):
    before = loaded_store.count()
    for response in (
        client.post("/sparql", data="DROP ALL", content_type="application/sparql-update"),
        client.post("/sparql", data={"update": "DROP ALL"}),
    ):
        assert response.status_code == 403
    assert client.get("/sparql", query_string={"query": "DROP ALL"}).status_code == 400
    assert loaded_store.count() == before


def test_unacceptable_format_is_406(client):
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and "accept one of" in response.get_json()["hint"]


def test_service_description_without_query(client):
    response = client.get("/sparql")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert b"sparql-service-description" in response.data


def test_oversized_request_is_413(client):
    response = client.post("/sparql", data={"query": "#" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_unknown_page_is_404_in_html_for_browsers(client):
    response = client.get("/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404 and b"<h1>404" in response.data


def test_default_and_named_graph_parameters_choose_the_dataset(client):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    transfers = "https://w3id.org/circe-kg/graph/data/transfers"
    union = client.get("/sparql", query_string={"query": query}).get_json()
    only = client.get("/sparql", query_string={"query": query, "default-graph-uri": transfers}).get_json()
    n = lambda answer: int(answer["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert n(only) == 10 < n(union)
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    answer = client.get("/sparql", query_string={"query": named, "named-graph-uri": transfers}).get_json()
    assert [b["g"]["value"] for b in answer["results"]["bindings"]] == [transfers]
    bad = client.get("/sparql", query_string={"query": query, "default-graph-uri": "not an iri"})
    assert bad.status_code == 400


def test_home_shows_at_most_partners_shown_and_links_the_rest(client, monkeypatch):
    from circe_kg.web import home

    assert "more partners are not shown" not in client.get("/").get_data(as_text=True)  # CircE's eight, all
    monkeypatch.setattr(home, "PARTNERS_SHOWN", 3)
    page = client.get("/").get_data(as_text=True)
    assert page.count("<circle ") == 3 and page.split('<ol class="partners">')[1].split("</ol>")[0].count("<li") == 3
    assert "5 more partners are not shown here" in page and 'href="/list/partners"' in page


def test_home_map_draws_europe_and_marks_the_eight_partners(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count("<path d=") > 30 and page.count("<circle ") == 8
    highlighted = re.findall(r'<path d="[^"]+" class="partner-country"[^>]*><title>([^<]+)</title>', page)
    assert len(highlighted) == 8 and "Slovenia" in highlighted, highlighted  # the partners' countries
    assert "world-atlas 2.0.2" in page and 'href="/id/organisation/sos"' in page
    assert "https://" not in page.split('<figure class="map">')[1].split("</figure>")[0]  # nothing fetched
