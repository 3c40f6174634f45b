"""Honest summaries everywhere (issue 20, item 1): the site-wide sourced-only switch, kept in the address and a
cookie and honoured by every question page, list, CSV and the dumps listing; the sourced-only dump; "Which
regions are most like mine?" counting each shared thing once, sourced ones first, each with its mark; the
side-by-side page keeping its selection; each mark on the item it belongs to (Flask test client)."""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
import time

import pyoxigraph as ox
import pytest

from circe_kg.web.services import services_of

ID = "https://w3id.org/circe-kg/id/"
SOS, LOMBARDY, SOFIA = (
    ID + "organisation/sos",
    ID + "organisation/regione-lombardia",
    ID + "organisation/sofia-municipality",
)
CATALONIA, LOWER_SILESIA = (
    ID + "organisation/generalitat-de-catalunya",
    ID + "organisation/lower-silesia-marshals-office",
)
ILLUSTRATIVE_BADGE = 'class="badge illustrative"'
# Every page that answers a question or lists records: each has illustrative examples among its answers.
ANSWER_PAGES = [
    "/questions/practices-for-barrier?barrier=" + ID + "concept/kirchherr-2018/market",
    "/questions/transfers",
    "/questions/progress",
    "/questions/gaps",
    "/questions/who-solved?barrier=" + ID + "barrier/sofia-limited-funding-biowaste",
    "/questions/similar-regions?partner=" + SOFIA,
    "/questions/compare?a=" + SOFIA + "&b=" + ID + "organisation/cd2e",
    "/list/barriers",
    "/list/actions",
    "/search?q=biowaste",
]
PREFIXES = """PREFIX circe: <https://w3id.org/circe-kg/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def main(page: str) -> str:
    """The page's own content: the answers, without the choice lists of its form."""
    content = page.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return re.sub(r"<select.*?</select>", "", content, flags=re.S)


def iris(store, sparql: str) -> set[str]:
    return {row[0].value for row in store.query(PREFIXES + sparql)}


# -- 1. The switch: one click, kept in the address and a cookie, honoured everywhere --------------------------


def test_the_switch_is_kept_in_the_links_and_in_a_cookie(app):
    client = app.test_client()
    page = text(client.get("/questions/transfers?sourced=1"))
    assert client.get_cookie("sourced").value == "1"
    links = re.findall(r'href="(/(?:questions|list|dumps|truth)[^"]*)"', main(page))
    assert links and all("sourced=1" in link for link in links if "sourced=0" not in link), links
    assert re.search(r'href="/questions/transfers\?sourced=0"', page), "one click turns it off"
    # Without the parameter, the cookie keeps it: the page and its links stay sourced-only.
    again = text(client.get("/questions/gaps"))
    assert "Sourced answers only" in again and "sourced=1" in again
    assert "Cookie" in client.get("/questions/gaps").headers.get("Vary", "")
    off = text(client.get("/questions/gaps?sourced=0"))
    assert client.get_cookie("sourced") is None
    assert 'href="/truth"' in off and 'href="/questions/gaps?sourced=1">Sourced answers only' in off
    # A reader who never chose gets plain addresses and no cookie.
    fresh = app.test_client()
    plain = text(fresh.get("/questions/gaps"))
    assert fresh.get_cookie("sourced") is None and 'href="/truth"' in plain
    assert "Cookie" not in fresh.get("/questions/gaps").headers.get("Vary", "")


def test_a_get_form_carries_the_switch(client):
    page = text(client.get("/questions/similar-regions?sourced=1"))
    assert '<input type="hidden" name="sourced" value="1">' in page


@pytest.mark.slow
@pytest.mark.parametrize("url", ANSWER_PAGES)
def test_every_question_page_and_list_honours_the_switch(client, url):
    everything = main(text(client.get(url)))
    assert ILLUSTRATIVE_BADGE in everything, "the page has illustrative examples to leave out"
    joiner = "&" if "?" in url else "?"
    sourced = main(text(client.get(url + joiner + "sourced=1")))
    assert ILLUSTRATIVE_BADGE not in sourced, url
    assert "illustrative example — not a CircE record" not in sourced.replace("not shown", "")


def test_the_list_csv_honours_the_switch(client, loaded_store):
    def rows(query: str) -> list[dict[str, str]]:
        body = client.get("/list/practices?format=csv" + query).get_data(as_text=True).lstrip("\ufeff")
        return list(csv.DictReader(io.StringIO(body)))

    every, sourced = rows(""), rows("&sourced=1")
    illustrative = iris(
        loaded_store, "SELECT ?p WHERE { ?p a/rdfs:subClassOf* circe:Practice ; circe:illustrative true }"
    )
    assert illustrative and illustrative <= {row["uri"] for row in every}
    assert not illustrative & {row["uri"] for row in sourced}
    assert len(sourced) == len(every) - len(illustrative)


def _written(app) -> None:
    """Wait for the dumps of this version: they are written in the background (dumps.py), past the 5 s a visit
    waits on a busy machine."""
    dumps, deadline = services_of(app).dumps, time.monotonic() + 180
    while (not dumps.manifest() or dumps.updating) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_the_dumps_listing_honours_the_switch_and_the_checksums_list_every_file(app, client):
    _written(app)
    every = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    assert {d["name"] for d in every if d["sourced_only"]} == {
        "circe-kg-sourced.ttl",
        "circe-kg-sourced.nt.gz",
        "circe-kg-sourced.nq",
        "circe-kg-sourced.jsonld",
    }
    sourced = client.get("/dumps/?sourced=1", headers={"Accept": "application/json"}).get_json()
    assert sourced and all(d["sourced_only"] for d in sourced) and len(sourced) == len(every) - 4
    for entry in sourced:  # with its licence and size, like the others
        assert entry["licence"]["name"] == "CC BY 4.0" and entry["bytes"] > 0 and entry["size"]
    page = text(client.get("/dumps/?sourced=1", headers={"Accept": "text/html"}))
    assert "circe-kg-sourced.nq" in page and 'href="http://localhost/dumps/circe-kg.nq"' not in page
    assert "4 files with illustrative examples are not listed" in page and "--ignore-missing" in page
    sums = client.get("/dumps/SHA256SUMS").get_data(as_text=True)
    assert {line.split("  ", 1)[1] for line in sums.splitlines()} == {d["name"] for d in every}


# -- 2. The sourced-only dump ----------------------------------------------------------------------------------


def _download(client, name: str) -> bytes:
    response = client.get(f"/dumps/{name}")
    body = response.get_data()
    response.close()
    return gzip.decompress(body) if name.endswith(".gz") else body


@pytest.mark.slow
def test_the_sourced_only_dump_has_every_sourced_resource_and_no_illustrative_one(app, client, loaded_store):
    _written(app)
    manifest = {d["name"]: d for d in client.get("/dumps/", headers={"Accept": "application/json"}).get_json()}
    triples = set(ox.parse(_download(client, "circe-kg-sourced.nt.gz"), format=ox.RdfFormat.N_TRIPLES))
    terms = {t.value for triple in triples for t in (triple.subject, triple.object) if isinstance(t, ox.NamedNode)}
    subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
    illustrative = iris(loaded_store, "SELECT DISTINCT ?r WHERE { ?r circe:illustrative true FILTER(isIRI(?r)) }")
    sourced = iris(loaded_store, "SELECT DISTINCT ?r WHERE { ?r dct:source ?s FILTER(isIRI(?r)) }")
    editorial = iris(loaded_store, "SELECT DISTINCT ?c WHERE { ?c a circe:EditorialClassification FILTER(isIRI(?c)) }")
    assert illustrative and sourced and not illustrative & terms
    assert sourced <= subjects and editorial <= subjects
    ours = 'GRAPH ?g { ?o a <http://www.w3.org/2002/07/owl#Ontology> } FILTER(STRSTARTS(STR(?g), "https://w3id.org/circe-kg/"))'
    assert iris(loaded_store, f"SELECT ?o WHERE {{ {ours} }}") <= subjects  # not a server's own ontologies
    # Every statement of the store that touches no illustrative resource is in it, and nothing else.
    everything = set(ox.parse(_download(client, "circe-kg.nt.gz"), format=ox.RdfFormat.N_TRIPLES))
    kept = {
        t
        for t in everything
        if not any(isinstance(x, ox.NamedNode) and x.value in illustrative for x in (t.subject, t.object))
    }
    assert len(triples) == len(kept) == manifest["circe-kg-sourced.nt.gz"]["triples"] < len(everything)
    # The same statements in every format.
    turtle = set(ox.parse(_download(client, "circe-kg-sourced.ttl"), format=ox.RdfFormat.TURTLE))
    assert len(turtle) == len(triples)
    quads = list(ox.parse(_download(client, "circe-kg-sourced.nq"), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == manifest["circe-kg-sourced.nq"]["triples"]
    assert not any(isinstance(q.subject, ox.NamedNode) and q.subject.value in illustrative for q in quads)
    jsonld = _download(client, "circe-kg-sourced.jsonld")
    assert len(set(ox.parse(jsonld, format=ox.RdfFormat.JSON_LD))) == len(triples)


# -- 3. Which regions are most like mine? ------------------------------------------------------------------------


def _ranked(client, partner: str, query: str = "") -> list[tuple[str, str]]:
    """(partner name, the HTML of its answer) in the page's order."""
    page = main(text(client.get(f"/questions/similar-regions?partner={partner}{query}")))
    answers = page.split('<ol class="answers">', 1)[1].split("</ol>\n", 1)[0]
    found = re.findall(r"<li><strong>([^<]+)</strong>(.*?)Side by side", answers, flags=re.S)
    return [(html.unescape(name), answer) for name, answer in found]


def _reasons(answer: str) -> list[tuple[str, str]]:
    """(the reason's text, its mark) for each reason of one answer."""
    found = re.findall(r'<li class="(\w+)">(.*?)</li>', answer, flags=re.S)
    for mark, reason in found:
        assert reason.count('class="badge') == 1 and f'class="badge {mark}"' in reason, reason
    return [(re.sub(r"<[^>]+>", "", reason).split("\n")[0], mark) for mark, reason in found]


def test_similar_regions_gives_each_shared_thing_once_with_its_mark(client):
    ranked = _ranked(client, SOS)
    assert ranked[0][0] == "Lombardy Region", "the sourced transfer between them ranks Lombardy first"
    reasons = _reasons(ranked[0][1])
    assert any(r.startswith("a transfer between you") and m == "sourced" for r, m in reasons), reasons
    # SOS's public-procurement barrier is in a Kirchherr and an EMF category: one kind of barrier, not two.
    kinds = [(r, m) for r, m in reasons if r.startswith("barriers of the same kind")]
    assert len(kinds) == 1 and kinds[0][1] == "editorial", kinds
    assert "Regulatory barriers" in kinds[0][0] and "Regulatory failures" in kinds[0][0]
    for name, answer in ranked:
        texts = [r for r, _ in _reasons(answer)]
        assert len(texts) == len(set(texts)), name
        parts = [p for r in texts if r.startswith("barriers") for p in r.split(":", 1)[1].split("/")]
        assert len(parts) == len(set(parts)), f"{name}: one category in two reasons"


def test_sourced_links_rank_above_illustrative_overlaps(client):
    ranked = dict(_ranked(client, SOFIA))
    names = [name for name, _ in _ranked(client, SOFIA)]
    catalonia = _reasons(ranked["Government of Catalonia"])
    assert catalonia and all(m == "illustrative" for _, m in catalonia), "only illustrative things in common"
    silesia = _reasons(ranked["Marshal's Office of the Lower Silesian Voivodeship"])
    assert any(m == "sourced" for _, m in silesia)
    assert names.index("Marshal's Office of the Lower Silesian Voivodeship") < names.index("Government of Catalonia")
    assert len(catalonia) > sum(m != "illustrative" for _, m in silesia), "more illustrative things do not win"
    # With the switch, the illustrative reasons are gone.
    sourced = dict(_ranked(client, SOFIA, "&sourced=1"))
    assert _reasons(sourced["Government of Catalonia"]) == []


def test_a_sourced_transfer_outweighs_any_number_of_illustrative_overlaps(app):
    """Lombardy's sourced transfer to SOS against a partner sharing everything SOS holds, all of it illustrative,
    and an illustrative transfer besides (the shipped data has no such partner: it is made from SOS's own)."""
    from dataclasses import replace

    from circe_kg.web.questions import holdings, similarity

    with app.test_request_context("/questions/similar-regions"):
        held = holdings()
        sos, lombardy = held[SOS], held[LOMBARDY]
        twin = {kind: [replace(h, illustrative=True) for h in items] for kind, items in sos.items()}
        transfer = {"transfer": ID + "transfer/lombardy-to-sos-dispersed-circular-hotel", "transferLabel": "t"}
        _, sourced_weight = similarity(sos, lombardy, [{**transfer, "illustrative": "false"}], False)
        reasons, twin_weight = similarity(sos, twin, [{**transfer, "transfer": "x", "illustrative": "true"}], False)
        assert len(reasons) > 2 and all(r.mark == "illustrative" for r in reasons)
        assert sourced_weight > twin_weight == 0


def test_compare_keeps_its_selection_and_marks_each_value(client):
    page = text(client.get(f"/questions/compare?a={SOFIA}&b={CATALONIA}"))
    for name, chosen in (("a", SOFIA), ("b", CATALONIA)):
        select = re.search(rf'<select id="{name}".*?</select>', page, flags=re.S).group(0)
        assert re.findall(r'<option value="([^"]*)" selected>', select) == [chosen], name
    table = page.split('<table class="compare">', 1)[1].split("</table>", 1)[0]
    values = re.findall(r'<li class="(\w+)"><a href="[^"]+">([^<]+)</a> (.*?)</li>', table)
    assert values and all(rest.count('class="badge') == 1 and f'class="badge {m}"' in rest for m, _, rest in values)
    marks = {label: m for m, label, _ in values}
    assert marks["Hesitant company culture"] == "illustrative"  # Sofia's illustrative barrier's category
    assert marks["Textile"] == "sourced" and marks["Cultural barriers"] == "editorial"
    only = main(text(client.get(f"/questions/compare?a={SOFIA}&b={CATALONIA}&sourced=1")))
    assert "Hesitant company culture" not in only and ILLUSTRATIVE_BADGE not in only


# -- 4. Each mark on the item it belongs to; an empty sourced-only answer says why --------------------------------


def test_the_transfer_table_marks_each_transfer_on_its_own_row(client):
    page = text(client.get("/questions/transfers"))
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, flags=re.S)
    marks = [re.findall(r'class="badge (\w+)"', transfer) for transfer, _ in rows]
    assert rows and all(len(m) == 1 for m in marks) and {m[0] for m in marks} == {"sourced", "illustrative"}
    for transfer, cells in rows:
        assert 'href="/id/transfer/' in transfer
        assert 'class="badge' not in cells, "the mark is the transfer's, not its practice's"


@pytest.mark.parametrize(
    "url",
    [
        "/questions/practices-for-barrier?barrier=" + ID + "concept/kirchherr-2018/market",
        "/questions/who-solved?barrier=" + ID + "barrier/sofia-limited-funding-biowaste",
    ],
)
def test_answers_carry_their_mark_right_after_what_they_mark(client, url):
    answers = main(text(client.get(url))).split('<ol class="answers">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", answers, flags=re.S)
    assert items
    for item in items:
        assert re.search(r'href="/id/(practice|action)/[^"]+">[^<]+</a> <span class="badge', item), item


def test_an_answer_of_examples_only_says_so_when_they_are_hidden(client):
    url = "/questions/practices-for-barrier?barrier=" + ID + "barrier/sofia-limited-funding-biowaste"
    assert ILLUSTRATIVE_BADGE in main(text(client.get(url)))
    page = main(text(client.get(url + "&sourced=1")))
    assert "Only illustrative examples answer this: none is shown while sourced answers only is on" in page
    show = re.search(r'— <a href="([^"]+)">show them</a>', page).group(1)
    assert "sourced=0" in show and ILLUSTRATIVE_BADGE in main(text(client.get(show.replace("&amp;", "&"))))


def test_a_malformed_switch_is_refused_in_plain_words(client):
    response = client.get("/questions/gaps?sourced=maybe")
    assert response.status_code == 400 and "sourced" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/page/organisation/sofia-municipality", "/truth", "/list/practices"])
def test_every_page_offers_the_switch_in_one_click(app, url):
    client = app.test_client(use_cookies=False)
    page = text(client.get(url))
    off = re.search(r'<p class="site-switch"><a href="([^"]+)">Sourced answers only</a>', page)
    assert off and "sourced=1" in off.group(1)
    turned = text(client.get(html.unescape(off.group(1))))
    assert '<p class="site-switch"><strong>Sourced answers only</strong>' in turned


def test_linked_from_marks_each_item_and_honours_the_switch(app, loaded_store):
    client = app.test_client(use_cookies=False)
    sofia = "https://w3id.org/circe-kg/id/organisation/sofia-municipality"
    illustrative = iris(loaded_store, f"SELECT DISTINCT ?s {{ ?s ?p <{sofia}> . ?s circe:illustrative true }}")
    assert illustrative, "the shipped data links illustrative records to Sofia"
    page = text(client.get("/page/organisation/sofia-municipality"))
    linked = page.split("Linked from</h2>", 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", linked, re.S)
    marked = [item for item in items if 'class="badge illustrative"' in item]
    assert len(marked) == len({i for i in illustrative}) and all("badge sourced" not in item for item in marked)
    only = text(client.get("/page/organisation/sofia-municipality?sourced=1"))
    linked_only = only.split("Linked from</h2>", 1)[1].split("</ul>", 1)[0]
    assert 'class="badge illustrative"' not in linked_only
    assert f"{len(marked)} illustrative example" in only and "Show the illustrative examples too" in only
