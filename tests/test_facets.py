"""Faceted lists: filters in the URL, counts on every value, CSV of the current list, clear errors."""

import csv
import io

import pytest

from circe_kg.errors import BadParameter
from circe_kg.facets import facet

TEXTILE = "https://w3id.org/circe-kg/id/sector/textile"
MARKET = "https://w3id.org/circe-kg/id/concept/kirchherr-2018/market"


@pytest.mark.parametrize("kind", ["practices", "barriers", "opportunities", "instruments", "actions"])
def test_every_list_renders_with_facets_and_counts(client, kind):
    page = client.get(f"/list/{kind}").get_data(as_text=True)
    assert "<fieldset><legend>" in page and 'class="count">(' in page and "Download as CSV" in page


def test_filters_narrow_the_list_and_stay_in_the_url(client):
    everything = client.get("/list/practices").get_data(as_text=True)
    textile = client.get("/list/practices", query_string={"sector": TEXTILE}).get_data(as_text=True)
    assert textile.count("<li><a href=") < everything.count("<li><a href=")
    assert f'value="{TEXTILE}" checked' in textile
    assert "Circular Fashion Pact" in textile


def test_a_barrier_category_reaches_its_sub_barriers(client):
    page = client.get("/list/barriers", query_string={"category": MARKET}).get_data(as_text=True)
    assert "4 results" in page or "results" in page
    assert "cd2e" in page.lower() or "low virgin" in page.lower()


def test_source_facet_separates_facts_from_examples(client):
    sourced = client.get("/list/practices", query_string={"source": "sourced"}).get_data(as_text=True)
    assert "badge illustrative" not in sourced.split('class="results"')[1]


def test_csv_is_the_current_list(client):
    response = client.get("/list/practices", query_string={"sector": TEXTILE, "format": "csv"})
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and all("Textile" in row["sector"] for row in rows)


@pytest.mark.parametrize("query", [{"sector": "nope"}, {"colour": "red"}, {"source": "<script>"}])
def test_unknown_facets_and_values_are_400_with_a_message(client, query):
    response = client.get("/list/practices", query_string=query, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["message"]
    assert client.get("/list/nothing", headers={"Accept": "text/html"}).status_code == 404


def test_counts_ignore_the_facets_own_selection():
    rows = [{"resource": "a", "label": "A", "illustrative": "false", "sector": "s1", "sectorLabel": "S1"},
            {"resource": "b", "label": "B", "illustrative": "true", "sector": "s2", "sectorLabel": "S2"}]
    items, facets = facet(rows, {"sector": ["s1"]})
    assert [i.resource for i in items] == ["a"]
    sector = next(f for f in facets if f.name == "sector")
    assert {v.value: v.count for v in sector.values} == {"s1": 1, "s2": 1}
    with pytest.raises(BadParameter):
        facet(rows, {"sector": ["s3"]})
