"""FACTS.md Part 3 in the graph: a sample of facts per section, each pinned to the page that states it, the
attribution rule (a practice is a CircE practice only where a page says so), and the figures the truth
issue set as its bar (sourced "addresses" links, the illustrative share of the core records)."""

import rdflib
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from circe_kg.config import DATA_DIR, ONTOLOGY_DIR
from circe_kg.namespaces import CIRCE

ID = rdflib.Namespace("https://w3id.org/circe-kg/id/")
TRUE = rdflib.Literal(True)
SCHEMA = rdflib.Namespace("https://schema.org/")
GP_RECORD = "https://interregeurope.eu/good-practices/circular-fashion-agreement-in-catalonia-first-year-of-action-0"
SOS_6TH = (
    "https://skupnostobcin.si/2019/04/19/sesto-srecanje-deleznikov-v-projektu-circe-posveceno-delu-na-akcijskem-nacrtu/"
)
SOS_5TH = "https://skupnostobcin.si/2018/12/13/na-5-srecanju-deleznikov-o-vrstnem-redu-prioritet-za-krozno-gospodarstvo-v-turizmu/"
ILGIORNALE = (
    "http://www.ilgiornale.it/news/milano/rifiuti-nuovo-piano-regionale-contrasto-traffico-illecito-1731135.html"
)
GRAPH = rdflib.Graph()
for _path in [*sorted(DATA_DIR.glob("*.ttl")), *sorted(ONTOLOGY_DIR.glob("*.ttl"))]:
    GRAPH.parse(_path)


def sources_of_fact(subject, predicate, value) -> set[str]:
    """The pages that state one fact: its own statement's sources, else the resource's."""
    own = {
        str(src)
        for st in GRAPH.subjects(RDF.subject, subject)
        if GRAPH.value(st, RDF.predicate) == predicate and GRAPH.value(st, RDF.object) == value
        for src in GRAPH.objects(st, DCTERMS.source)
    }
    return own or {str(s) for s in GRAPH.objects(subject, DCTERMS.source)}


def illustrative(resource) -> bool:
    return (resource, CIRCE.illustrative, TRUE) in GRAPH


def test_practice_to_problem_links_carry_the_page_that_states_them():  # Part 3 §1
    toast, bread = ID["practice/toast-ale-surplus-bread-beer"], ID["barrier/uk-bread-waste"]
    assert (toast, CIRCE.addresses, bread) in GRAPH
    assert "http://www.hi4csr.com/en/blog/toast-ale-best-thing-since-sliced-bread/" in sources_of_fact(
        toast, CIRCE.addresses, bread
    )
    pact = ID["practice/circular-fashion-pact"]
    collection = ID["barrier/catalonia-low-separate-collection-of-textile-waste"]
    assert GP_RECORD in sources_of_fact(pact, CIRCE.addresses, collection)
    plan, procurement = ID["action/sos-public-procurement-recommendations"], ID["barrier/sos-public-procurement"]
    assert SOS_6TH in sources_of_fact(plan, CIRCE.addresses, procurement)


def test_the_sos_priority_ranking_keeps_its_scores():  # Part 3 §2
    mobility = ID["opportunity/sos-sustainable-mobility-in-destinations"]
    assert GRAPH.value(mobility, CIRCE.priorityRank) == rdflib.Literal("1", datatype=XSD.positiveInteger)
    assert float(GRAPH.value(mobility, CIRCE.priorityScore)) == 7.95
    assert SOS_5TH in sources_of_fact(mobility, CIRCE.priorityScore, GRAPH.value(mobility, CIRCE.priorityScore))
    ranks = sorted(
        int(r)
        for o in GRAPH.subjects(CIRCE.identifiedBy, ID["organisation/sos"])
        for r in GRAPH.objects(o, CIRCE.priorityRank)
    )
    assert ranks == list(range(1, 9))


def test_a_dated_phase_two_fact_is_a_sourced_observation_with_an_editorial_status():  # Part 3 §3
    observation = ID["observation/lower-silesia-food-waste-study-bakery-confectionery-2022-07-28"]
    assert not illustrative(observation)
    assert GRAPH.value(observation, DCTERMS.date) == rdflib.Literal("2022-07-28", datatype=XSD.date)
    assert str(GRAPH.value(observation, DCTERMS.source)) == "http://innowacje.dolnyslask.pl/pl/node/306"
    status = GRAPH.value(observation, CIRCE.status)
    assert any(
        GRAPH.value(m, RDF.subject) == observation and GRAPH.value(m, RDF.object) == status
        for m in GRAPH.subjects(RDF.type, CIRCE.EditorialClassification)
    )


def test_new_instruments_are_named_but_not_claimed_as_circe_instruments():  # Part 3 §4
    erdf = ID["instrument/lombardy-pr-erdf-2021-2027"]
    assert "https://assoambiente.org/entry_p/News/news/13841/our-services.html/P25" in {
        str(s) for s in GRAPH.objects(erdf, DCTERMS.source)
    }
    assert "no source confirms" in str(GRAPH.value(erdf, SKOS.editorialNote)).lower()
    assert (None, CIRCE.addressesInstrument, erdf) not in GRAPH and (None, CIRCE.improves, erdf) not in GRAPH


def test_good_practice_record_fields_of_the_circular_fashion_pact():  # Part 3 §5 and the first correction
    pact = ID["practice/circular-fashion-pact"]
    assert (pact, RDF.type, CIRCE.GoodPractice) in GRAPH
    assert "74,128.23" in str(GRAPH.value(pact, CIRCE.resourcesNeeded))
    assert "103" in str(GRAPH.value(pact, CIRCE.evidenceOfSuccess))


def test_partner_sectors_found_in_part_three_have_their_source():  # Part 3 §6
    lombardy = ID["partnership/circe-lombardy"]
    assert (lombardy, CIRCE.sector, ID["sector/textile"]) in GRAPH
    assert sources_of_fact(lombardy, CIRCE.sector, ID["sector/textile"]) == {
        "https://assoambiente.org/entry_p/News/news/13841/our-services.html/P25"
    }


def test_sos_stakeholder_meetings_and_labels_in_slovene():  # Part 3 §7
    fourth = ID["meeting/sos-stakeholder-meeting-4"]
    assert GRAPH.value(fourth, SCHEMA.startDate) == rdflib.Literal("2018-09-27", datatype=XSD.date)
    slovene = {str(label) for label in GRAPH.objects(None, SKOS.prefLabel) if label.language == "sl"}
    assert "Svet ponovne uporabe" in slovene or any("ponovne uporabe" in label for label in slovene)


def test_corrections_replace_what_earlier_parts_got_wrong():
    triselec = str(GRAPH.value(ID["practice/triselec-sorting-centre"], DCTERMS.description))
    assert "70,000" in triselec and "about 100,000" not in triselec
    end_of_waste = ID["barrier/lombardy-national-end-of-waste-rules"]
    assert not illustrative(end_of_waste)
    assert ILGIORNALE in {str(s) for s in GRAPH.objects(end_of_waste, DCTERMS.source)}
    assert (ID["barrier/lombardy-end-of-waste-deadlock"], None, None) not in GRAPH  # the illustrative twin is retired
    assert "31 de juny" not in " ".join(str(o) for o in GRAPH.objects(None, DCTERMS.date))


def test_a_documented_practice_is_not_claimed_for_circe():
    """'CircE link = guess' rows: the practice's own facts are sourced, the CircE link is left out."""
    fund = ID["practice/london-green-new-deal-fund-circular-businesses"]
    assert not illustrative(fund) and (fund, CIRCE.presentedIn, None) not in GRAPH
    assert (fund, CIRCE.evidenceLevel, None) not in GRAPH
    toast = ID["practice/toast-ale-surplus-bread-beer"]
    assert (toast, CIRCE.presentedIn, ID["project/circe"]) in GRAPH


def test_every_sourced_addresses_link_carries_its_own_source():
    for responder, barrier in GRAPH.subject_objects(CIRCE.addresses):
        if illustrative(responder):
            continue
        statements = [
            st
            for st in GRAPH.subjects(RDF.subject, responder)
            if GRAPH.value(st, RDF.predicate) == CIRCE.addresses
            and GRAPH.value(st, RDF.object) == barrier
            and (st, DCTERMS.source, None) in GRAPH
        ]
        assert statements, f"{responder} addresses {barrier} without a statement that gives its source"


def test_the_bar_the_truth_issue_set():
    """At least 25 addresses links with both ends sourced; at most 25 % of the core records illustrative."""
    sourced_links = [
        (s, o) for s, o in GRAPH.subject_objects(CIRCE.addresses) if not illustrative(s) and not illustrative(o)
    ]
    assert len(sourced_links) >= 25
    core = {
        r
        for cls in (
            "Practice",
            "Barrier",
            "Opportunity",
            "PolicyInstrument",
            "Action",
            "MonitoringObservation",
            "Transfer",
        )
        for kind in GRAPH.transitive_subjects(RDFS.subClassOf, CIRCE[cls])
        for r in GRAPH.subjects(RDF.type, kind)
    }
    assert sum(illustrative(r) for r in core) / len(core) <= 0.25


def test_known_gaps_name_what_they_concern():
    gaps = set(GRAPH.subjects(RDF.type, CIRCE.KnownGap))
    lombardy = [
        g
        for g in gaps
        if GRAPH.value(g, CIRCE.gapAbout) == ID["organisation/regione-lombardia"]
        and GRAPH.value(g, CIRCE.gapProperty) == CIRCE.addressesInstrument
    ]
    assert lombardy
    assert all((g, DCTERMS.source, None) not in GRAPH for g in gaps)  # the editors' record, not a source's
