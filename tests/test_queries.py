"""Named queries: documented headers, bound parameters, and answers checked against the sourced facts."""

import re

import pyoxigraph as ox
import pytest

from circe_kg import queries
from circe_kg.errors import BadParameter, UnknownQuery
from circe_kg.store import EmbeddedStore

ALL = queries.available()
NAMES = [q.name for q in ALL]


@pytest.mark.parametrize("query", ALL, ids=NAMES)
def test_header_documents_the_question_and_its_parameters(query):
    assert query.title and query.question and query.example and query.answers, query.name
    assert query.example.startswith(f"circe-kg query {query.name}")
    projected = set(re.findall(r"\?(\w+)", query.text.split("WHERE", 1)[0]))
    for parameter in query.parameters:
        assert parameter.name in projected, f"{query.name}: parameter ?{parameter.name} must be projected"
        assert parameter.description
    example = query.example_values()
    for name in example:
        assert query.parameter(name), f"{query.name}: example uses unknown parameter {name}"
    queries.bind(query, example)


@pytest.mark.parametrize("query", ALL, ids=NAMES)
def test_every_query_parses_and_runs(loaded_store, query):
    placeholder = {"language": "en", "integer": "1", "date": "2020-01-01", "string": "none"}
    required = {
        p.name: placeholder.get(p.type, "https://w3id.org/circe-kg/id/x/none") for p in query.parameters if p.required
    }
    answer = queries.run(loaded_store, query.name, required)
    assert answer.variables or answer.boolean is not None or answer.triples is not None
    if not required:
        assert answer.rows, f"{query.name} answers nothing on the shipped data"


@pytest.mark.parametrize("query", ALL, ids=NAMES)
def test_the_documented_example_answers(loaded_store, query):
    answer = queries.run(loaded_store, query.name, query.example_values())
    assert answer.rows or answer.triples, query.example


def _values(answer, variable):
    return [row[variable].value for row in answer.rows if variable in row]


def test_transfer_lombardy_to_sos(loaded_store):
    answer = queries.run(loaded_store, "transfers", {"to": "organisation:sos"})
    sourced = [r for r in answer.rows if r["illustrative"].value == "false"]
    assert len(sourced) == 1
    (row,) = sourced
    assert row["from"].value.endswith("/organisation/regione-lombardia")
    assert "albergo diffuso" in row["practiceLabel"].value.lower()
    assert "Cohesion" in row["instrumentLabel"].value
    assert "skupnostobcin.si/2019/04/19" in row["sources"].value


def test_textile_sector_is_catalonia_and_gelderland(loaded_store):
    answer = queries.run(loaded_store, "partners-by-sector", {"sector": "sector:textile"})
    partners = set(_values(answer, "partnerLabel"))
    assert any("Catalonia" in p for p in partners) and any("Gelderland" in p for p in partners)
    outputs = {r["outputLabel"].value for r in answer.rows if "outputLabel" in r and r["illustrative"].value == "false"}
    assert any("Fashion Pact" in o for o in outputs)
    assert any("extile" in o for o in outputs if "Pact" not in o)


def test_sos_instrument_is_the_cohesion_op_priority_axis_9(loaded_store):
    answer = queries.run(loaded_store, "instruments-by-partner", {"partner": "organisation:sos"})
    sourced = [r for r in answer.rows if r.get("illustrative") and r["illustrative"].value == "false"]
    assert sourced and all("Cohesion" in r["instrumentLabel"].value for r in sourced)
    assert any("9" in r["priorityAxes"].value for r in sourced)


def test_partners_without_a_sourced_instrument_show_only_illustrative_candidates(loaded_store):
    answer = queries.run(loaded_store, "instruments-by-partner")
    partners = set(_values(answer, "partner"))
    assert len(partners) == 8
    for row in answer.rows:
        if "instrument" in row and not row["partner"].value.endswith("/organisation/sos"):
            assert row["illustrative"].value == "true", row


def test_budget_facts(loaded_store):
    answer = queries.run(loaded_store, "project-budget", {"project": "project:circe"})
    row = answer.rows[0]
    assert float(row["totalBudget"].value) == 1892771.00
    assert float(row["erdfContribution"].value) == 1608855.35
    assert float(row["cofinancingRate"].value) == 0.85
    budgets = {r["partnerLabel"].value: float(r["partnerBudget"].value) for r in answer.rows if "partnerBudget" in r}
    assert 224945.70 in budgets.values()


def test_procurement_barrier_is_addressed_by_sos(loaded_store):
    answer = queries.run(loaded_store, "practices-for-barrier", {"barrier": "barrier:sos-public-procurement"})
    sourced = [r for r in answer.rows if r["illustrative"].value == "false"]
    assert sourced and all(r["partner"].value.endswith("/organisation/sos") for r in sourced)


def test_category_query_reaches_barriers_in_the_category(loaded_store):
    answer = queries.run(loaded_store, "practices-for-barrier", {"barrier": "kirchherr:regulatory"})
    assert answer.rows
    assert {r["barrier"].value for r in answer.rows} == {
        "https://w3id.org/circe-kg/id/concept/kirchherr-2018/regulatory"
    }


def test_gap_list_has_only_unaddressed_barriers(loaded_store):
    gaps = queries.run(loaded_store, "barriers-without-practice")
    addressed = {r["addressed"].value for r in queries.run(loaded_store, "practices-for-barrier").rows}
    assert gaps.rows
    assert not {r["barrier"].value for r in gaps.rows} & addressed


def test_latest_status_is_the_latest_observation(loaded_store):
    progress = queries.run(loaded_store, "action-plan-progress")
    history = queries.run(loaded_store, "monitoring-history")
    latest: dict[str, tuple[str, str]] = {}
    for row in history.rows:  # ordered by date
        latest[row["action"].value] = (row["date"].value, row["status"].value)
    observed = [r for r in progress.rows if "status" in r]
    assert observed
    for row in observed:
        assert (row["statusDate"].value, row["status"].value) == latest[row["action"].value]
    assert any("status" not in r for r in progress.rows), "some actions should show 'not recorded'"


def test_sourced_and_illustrative_are_counted_apart(loaded_store):
    answer = queries.run(loaded_store, "sourced-vs-illustrative")
    total = {r["class"].value.rsplit("#", 1)[-1]: r for r in answer.rows}
    assert int(total["Practice"]["sourced"].value) >= 10
    assert int(total["MonitoringObservation"]["sourced"].value) >= 2  # dated phase-2 facts (FACTS.md Part 3 §3)
    assert int(total["MonitoringObservation"]["illustrative"].value) > 0


def test_unknown_query_names_suggest_close_ones():
    with pytest.raises(UnknownQuery) as caught:
        queries.get("transfer")
    assert "transfers" in caught.value.hint
    for hostile in ("../pyproject", "transfers.rq", "TRANSFERS", "a/b", ""):
        with pytest.raises(UnknownQuery):
            queries.get(hostile)


def test_parameters_are_checked():
    query = queries.get("transfers")
    with pytest.raises(BadParameter, match="no parameter 'nope'"):
        queries.bind(query, {"nope": "x"})
    with pytest.raises(BadParameter, match="must be an IRI"):
        queries.bind(query, {"from": "Lombardy"})
    with pytest.raises(BadParameter, match="needs --param barrier"):
        queries.bind(queries.get("same-category-practices"), {})
    with pytest.raises(BadParameter, match="not a valid IRI"):
        queries.bind(query, {"from": "https://example.org/a b"})


@pytest.mark.parametrize(
    "hostile",
    [
        'x" } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o',
        "https://w3id.org/circe-kg/id/organisation/sos> } UNION { ?s ?p ?o",
        "organisation:sos' OR '1'='1",
    ],
)
def test_parameters_with_quotes_and_sparql_cannot_change_the_query(loaded_store, hostile):
    before = loaded_store.count()
    try:
        answer = queries.run(loaded_store, "transfers", {"from": hostile})
    except BadParameter:
        return  # refused as not an IRI: also fine
    assert answer.rows == []
    assert loaded_store.count() == before


def test_an_iri_list_binds_one_row_per_resource(loaded_store):
    """labels.rq asks about several resources at once: each IRI a row of the VALUES block, the language shared."""
    answer = queries.run(
        loaded_store,
        "labels",
        {
            "resource": ["nuts:ITC4", "kirchherr:regulatory", "nuts:ITC4", "https://w3id.org/circe-kg/id/x/none"],
            "lang": "it",
        },
    )
    assert {(r["resource"].value.rsplit("/", 1)[-1], r["label"].value) for r in answer.rows} == {
        ("ITC4", "Lombardia"),
        ("regulatory", "Ostacoli normativi"),
    }
    spaced = queries.run(loaded_store, "labels", {"resource": "nuts:ITC4 kirchherr:regulatory", "lang": "it"})
    assert len(spaced.rows) == 2
    query = queries.get("labels")
    with pytest.raises(BadParameter, match="must be an IRI"):
        queries.bind(query, {"resource": ["nuts:ITC4", 'x" } ; DROP ALL ; {'], "lang": "it"})
    with pytest.raises(BadParameter, match="more than"):
        queries.bind(query, {"resource": ["nuts:ITC4"] * (queries.MAX_LIST + 1), "lang": "it"})
    with pytest.raises(BadParameter, match="takes one value"):
        queries.bind(query, {"resource": "nuts:ITC4", "lang": ["it", "en"]})
    with pytest.raises(BadParameter, match="language tag"):
        queries.bind(query, {"resource": "nuts:ITC4", "lang": "it'; DROP"})


def test_a_string_parameter_is_a_literal_not_query_text():
    store = EmbeddedStore(None)
    store.replace_graphs(
        {
            "https://w3id.org/circe-kg/graph/data/t": [
                ox.Triple(
                    ox.NamedNode("https://w3id.org/circe-kg/id/x/a"),
                    ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                    ox.Literal('"} DROP ALL {"', language="en"),
                )
            ]
        }
    )
    query = queries.NamedQuery(
        "t", "SELECT ?s ?label WHERE { ?s ?p ?label }", parameters=[queries.Parameter("label", "string", True, "label")]
    )
    bound = queries.bind(query, {"label": '"} DROP ALL {"'})
    assert bound["label"] == ox.Literal('"} DROP ALL {"')


def test_the_queries_are_kept_by_role_and_named_once():
    """queries/questions/ holds the competency questions (their header answers a CQ), queries/app/ what the app
    needs to show them; a name is asked without its folder and means one file."""
    from circe_kg.config import QUERIES_DIR

    assert not list(QUERIES_DIR.glob("*.rq")), "every query is in questions/ or app/"
    files = sorted(QUERIES_DIR.glob("*/*.rq"))
    assert {p.parent.name for p in files} == set(queries.ROLES)
    assert len({p.stem for p in files}) == len(files), "a name means one file"
    for query in queries.available():
        assert query.answers.startswith("CQ") == (query.role == "questions"), query.name
    assert queries.get("practices-for-barrier").role == "questions" and queries.get("labels").role == "app"
    assert (QUERIES_DIR / "README.md").is_file()
