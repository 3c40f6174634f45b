"""Search and the transfer-question pages (Flask test client)."""

import re

import pytest

from circe_kg.search import terms_of


@pytest.mark.parametrize(
    "q, expected",
    [
        ("albergo", "Dispersed hotel (albergo diffuso)"),
        ("ALBERGO", "Dispersed hotel (albergo diffuso)"),
        ("cataluna", "Circular Fashion Pact"),  # matches "Cataluña" in the Spanish label
        ("dolnoslaskie", "Lower Silesia"),  # matches "Dolnośląskie"
        ("krožni", "dispersed circular hotel"),  # Slovene, with its accent
    ],
)
def test_search_is_tolerant_of_case_and_accents(client, q, expected):
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert expected.lower() in page.lower(), q
    assert "<mark>" in page


def test_results_are_grouped_by_kind_and_link_to_pages(client):
    page = client.get("/search", query_string={"q": "procurement"}).get_data(as_text=True)
    headings = re.findall(r"<h2 id=\"kind-\d+\">([^<]+)</h2>", page)
    assert len(headings) >= 2 and any(h.startswith("Barrier") for h in headings)
    assert 'href="/id/barrier/sos-public-procurement"' in page


def test_zero_hits_and_empty_search_suggest_what_to_try(client):
    nothing = client.get("/search", query_string={"q": "qwertyuiop"}).get_data(as_text=True)
    assert "Nothing found" in nothing and "/search?q=" in nothing
    empty = client.get("/search").get_data(as_text=True)
    assert "Try:" in empty


@pytest.mark.parametrize(
    "q", ["<script>alert(1)</script>", '"} ; DROP ALL ; {', "\u202eevil", "NEAR(a b) OR x*", "a" * 199]
)
def test_hostile_searches_are_text(client, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_oversized_search_is_400(client):
    response = client.get("/search", query_string={"q": "x" * 10000}, headers={"Accept": "text/html"})
    assert response.status_code == 400 and b"at most 200 characters" in response.data


def test_fts_syntax_cannot_get_through():
    assert terms_of('a" OR b NEAR(c)') == ['"a"*', '"OR"*', '"b"*', '"NEAR"*', '"c"*']
    assert terms_of("") == []


def test_practices_for_a_barrier_category_show_the_path(client):
    page = client.get("/questions/practices-for-barrier", query_string={"barrier": "kirchherr:regulatory"}).get_data(
        as_text=True
    )
    assert "Path:" in page and "addresses" in page
    assert "selected>Regulatory barriers" in page
    assert "Show the query" in page
    bad = client.get(
        "/questions/practices-for-barrier", query_string={"barrier": "not an iri"}, headers={"Accept": "text/html"}
    )
    assert bad.status_code == 400


def test_transfer_diagram_links_each_arrow_and_partner(client):
    page = client.get("/questions/transfers").get_data(as_text=True)
    assert page.count('class="arrow-line"') == 3 and page.count("<circle ") == 5
    assert 'href="/id/transfer/lombardy-to-sos-dispersed-circular-hotel"' in page
    assert "stroke-dasharray" in page  # illustrative transfers are dashed
    assert "only in the table" not in page


def test_transfer_diagram_draws_the_most_connected_partners_and_the_table_lists_all(client, monkeypatch):
    from circe_kg.web import questions

    monkeypatch.setattr(questions, "DIAGRAM_PARTNERS", 2)
    page = client.get("/questions/transfers").get_data(as_text=True)
    assert page.count("<circle ") == 2 and "3 more are only in the table" in page
    assert page.count('class="arrow-line"') <= 1  # only arrows between drawn partners
    assert page.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 3  # every transfer in the table


def test_progress_shows_bars_and_not_recorded(client):
    page = client.get("/questions/progress").get_data(as_text=True)
    assert "<progress" in page and "Status not recorded" in page


def test_gaps_list_unaddressed_barriers(client):
    page = client.get("/questions/gaps").get_data(as_text=True)
    assert "<h2" in page and "/id/barrier/" in page


def test_unknown_resource_page_suggests_what_to_open(client):
    response = client.get("/page/practice/albergo-difuso", headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "Perhaps you were looking for" in page
    assert 'href="/id/practice/albergo-diffuso"' in page and 'role="search"' in page


def test_who_solved_ranks_matches_nearest_first_with_reasons(client):
    page = client.get(
        "/questions/who-solved", query_string={"barrier": "barrier:sos-public-procurement", "sector": "sector:tourism"}
    ).get_data(as_text=True)
    reasons = re.findall(r"Why: ([^<]*)", page)
    assert reasons and ("addresses this very barrier" in reasons[0] or "works in the same sector" in reasons[0])
    assert "Show the query" in page
    assert "Nobody yet" not in page
    empty = client.get("/questions/who-solved").get_data(as_text=True)
    assert "Why:" not in empty and '<label for="sector">' in empty


def test_similar_regions_and_side_by_side(client):
    page = client.get("/questions/similar-regions", query_string={"partner": "organisation:sos"}).get_data(as_text=True)
    counts = [int(n) for n in re.findall(r"(\d+) things? in common", page)]
    assert len(counts) == 7 and counts == sorted(counts, reverse=True)
    pair = {"a": "organisation:sos", "b": "organisation:regione-lombardia"}
    side = client.get("/questions/compare", query_string=pair)
    text = side.get_data(as_text=True)
    assert side.status_code == 200 and "Association of Municipalities and Towns of Slovenia" in text
    assert "Lombardy Region" in text and '<th scope="row">sector</th>' in text
    bad = client.get(
        "/questions/compare",
        query_string={"a": "organisation:nope", "b": "organisation:sos"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400


def test_resource_pages_say_not_recorded_for_the_fields_a_practice_lacks(client):
    page = client.get("/page/practice/albergo-diffuso").get_data(as_text=True)
    missing = re.findall(r'class="not-recorded"><th scope="row"><a href="[^"]+">([^<]+)', page)
    assert "Potential for transfer" in missing and "Summary" not in missing


def test_show_the_query_lists_the_bound_values(client):
    page = client.get("/questions/practices-for-barrier", query_string={"barrier": "kirchherr:regulatory"})
    link = re.search(r'href="(/query\?query=[^"]+)"', page.get_data(as_text=True)).group(1)
    opened = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "This page bound these parameters" in opened and "kirchherr-2018/regulatory" in opened


def test_regions_have_pages_that_list_what_is_located_there(client):
    page = client.get("/resource", query_string={"uri": "http://data.europa.eu/nuts/code/ES51"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Catalonia</h1>" in text
    assert "Linked from" in text and "/id/organisation/generalitat-de-catalunya" in text
    partner = client.get("/page/organisation/generalitat-de-catalunya").get_data(as_text=True)
    assert 'href="/resource?uri=http%3A%2F%2Fdata.europa.eu%2Fnuts%2Fcode%2FES51"' in partner
    missing = client.get(
        "/resource", query_string={"uri": "http://data.europa.eu/nuts/code/XX99"}, headers={"Accept": "text/html"}
    )
    assert missing.status_code == 404


def test_answers_that_grow_with_the_data_come_in_pages(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LIST_PAGE_SIZE", 2)
    for path in (
        "/questions/progress",
        "/questions/gaps",
        "/questions/practices-for-barrier?barrier=kirchherr:regulatory",
        "/questions/who-solved?sector=sector:textile",
    ):
        first = client.get(path).get_data(as_text=True)
        assert 'rel="next"' in first, path
        next_link = re.search(r'href="([^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
        second = client.get(next_link)
        assert second.status_code == 200 and 'rel="prev"' in second.get_data(as_text=True), path
        assert client.get(path + ("&" if "?" in path else "?") + "page=999").status_code == 400, path


def test_each_fact_on_a_resource_page_cites_its_source(client):
    """Lombardy's facts come from Eurostat, its coordinates from Natural Earth: each row cites the right one."""
    page = client.get("/resource", query_string={"uri": "http://data.europa.eu/nuts/code/ITC4"}).get_data(as_text=True)
    rows = {
        re.sub(r"<[^>]+>", "", m.group(1)).strip(): m.group(2)
        for m in re.finditer(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', page, re.S)
    }
    sources = dict(re.findall(r'<li id="source-(\d+)" value="\d+"><a href="([^"]+)"', page))
    eurostat = next(n for n, iri in sources.items() if "eurostat" in iri)
    natural_earth = next(n for n, iri in sources.items() if "naturalearthdata" in iri)
    assert f'href="#source-{natural_earth}"' in rows["latitude"]
    assert f'href="#source-{eurostat}"' not in rows["latitude"]
    assert f'href="#source-{natural_earth}"' in rows["longitude"]
    assert f'href="#source-{eurostat}"' in rows["Code"]  # skos:notation, in plain words
    assert "for the facts that cite it" in page and "Area-weighted centroid" in page
    assert "statement/itc4-lat" not in page  # the statements are shown as citations, not as "linked from"


def test_an_illustrative_resource_cites_no_source(client):
    page = client.get("/page/action/lombardy-circular-criteria-in-erdf-calls").get_data(as_text=True)
    assert "Illustrative example" in page
    assert 'href="#source-' not in page and "None: this is an illustrative example." in page


def test_long_choice_lists_are_capped_and_each_resource_can_be_asked_about(client, monkeypatch):
    """Past CHOICES_SHOWN a <select> is unusable (14 000 barriers at 10^6 triples): it shows the first ones and
    the chosen one, says how many are left out, and every barrier, sector and partner page asks its questions."""
    from circe_kg.web import answers

    monkeypatch.setattr(answers, "CHOICES_SHOWN", 3)
    chosen = "https://w3id.org/circe-kg/id/barrier/sos-public-procurement"
    page = client.get("/questions/practices-for-barrier", query_string={"barrier": chosen}).get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)"', page)
    assert len(options) == 4 and chosen in options
    assert re.search(r"\d+ more are not listed here", page)
    barrier = client.get("/page/barrier/sos-public-procurement").get_data(as_text=True)
    asked = dict(
        (text, href.replace("&amp;", "&"))
        for href, text in re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', barrier.split("Ask about it")[1])
    )
    assert "Which practices address this barrier?" in asked and "Who already solved my problem?" in asked
    for href in asked.values():
        assert client.get(href).status_code == 200, href
    partner = client.get("/page/organisation/sos").get_data(as_text=True)
    assert "Which regions are most like mine?" in partner.split("Ask about it")[1]
