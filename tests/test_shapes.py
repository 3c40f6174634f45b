"""Every shape fires on a small broken example (one fixture per rule), and the shipped data conforms.

Each fixture in fixtures/shapes/ starts with `# expect: TEXT` (found in the result's message, shape or
hint) and `# severity: Violation|Warning`. Fixtures are validated in the context of the shipped graph, as
`circe-kg load` would validate them.
"""

from pathlib import Path

import pytest

from circe_kg.loader import validate_files

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = sorted((FIXTURES / "shapes").glob("*.ttl"))
FIXTURE_IRIS = ("fixture", "ITC9")


def _header(path: Path, key: str) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{path.name} has no '# {key}:' line")


def test_shipped_data_conforms(loaded_store):
    report = validate_files(loaded_store, [])
    assert report.conforms, report.to_text()
    assert report.results == [], report.to_text()


@pytest.mark.slow
@pytest.mark.parametrize("fixture", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_rule_fires_on_its_fixture(loaded_store, fixture):
    expect, severity = _header(fixture, "expect"), _header(fixture, "severity")
    report = validate_files(loaded_store, [fixture])
    matching = [
        r
        for r in report.results
        if expect in " ".join(filter(None, (r.message, r.shape, r.hint))) and r.severity == severity
    ]
    assert matching, f"expected a {severity} mentioning {expect!r}:\n{report.to_text()}"
    # Only the fixture's own resources are blamed, never the shipped data.
    assert all(any(tag in r.focus for tag in FIXTURE_IRIS) for r in report.results), report.to_text()
    # The report points at the file and line where the focus node is defined.
    located = matching[0]
    assert located.file and located.file.endswith(fixture.name) and located.line, report.to_text()
    assert fixture.read_text().splitlines()[located.line - 1].split()[0] in located.focus
    assert report.conforms == (severity != "Violation")


def test_class_hierarchy_is_honoured(loaded_store):
    """sh:class circe:Practice accepts a circe:GoodPractice: the ontology is the class hierarchy."""
    report = validate_files(loaded_store, sorted((FIXTURES / "valid").glob("*.ttl")))
    assert report.conforms and not report.results, report.to_text()


@pytest.mark.slow
def test_hints_name_allowed_values_and_close_matches(loaded_store):
    report = validate_files(loaded_store, [FIXTURES / "shapes" / "partnership-bad-role.ttl"])
    (result,) = [r for r in report.results if "partnerRole" in (r.path or "")]
    assert result.hint == "use one of: role:lead-partner, role:project-partner"
    assert result.value == "role:chief"
    report = validate_files(loaded_store, [FIXTURES / "shapes" / "unknown-nuts-code.ttl"])
    assert any(r.hint and "did you mean nuts:ITC4?" in r.hint for r in report.results), report.to_text()
    report = validate_files(loaded_store, [FIXTURES / "shapes" / "unknown-class.ttl"])
    assert [r.hint for r in report.results] == ["did you mean circe:Practice?"], report.to_text()
    report = validate_files(loaded_store, [FIXTURES / "shapes" / "invalid-date.ttl"])
    assert any(r.hint and 'e.g. "2018-04-10"^^xsd:date' in r.hint for r in report.results), report.to_text()


@pytest.mark.slow
def test_report_text_groups_by_focus_node_with_a_summary(loaded_store):
    report = validate_files(loaded_store, [FIXTURES / "shapes" / "observation-bad-status.ttl"])
    text = report.to_text()
    assert "tests/fixtures/shapes/observation-bad-status.ttl:" in text
    assert "observation:fixture-status" in text
    assert text.splitlines()[-1].startswith("Does not conform: 1 violation, 0 warnings, 0 infos")
    as_json = report.to_dict()
    assert as_json["violations"] == 1 and as_json["results"][0]["value"] == "status:done"


@pytest.mark.slow
def test_shapes_split_over_the_cores_give_the_same_report(loaded_store, monkeypatch):
    """Big data is checked by several threads, each with part of the shapes (validation.PARALLEL_FROM_TRIPLES):
    the same results, hints and files as one thread, in one standard report with one sh:ValidationReport."""
    from rdflib import BNode

    from circe_kg import validation
    from circe_kg.namespaces import RDF, SH

    def results(report: validation.Report) -> list[tuple]:
        return sorted(
            (
                r.severity,
                r.focus,
                r.message,
                r.path or "",
                r.value or "",
                r.shape or "",
                r.hint or "",
                r.file or "",
                r.line or 0,
            )
            for r in report.results
        )

    monkeypatch.setattr(validation, "PARALLEL_FROM_TRIPLES", 10**12)
    one = validate_files(loaded_store, BROKEN)
    monkeypatch.setattr(validation, "PARALLEL_FROM_TRIPLES", 0)
    monkeypatch.setattr(validation.os, "cpu_count", lambda: 3)  # three batches, even on a smaller machine
    batches: list = []
    check = validation.CompiledShapes.validate

    def spy(self, data, **options):  # which shapes each call to the engine checks
        batches.append(options["use_shapes"])
        return check(self, data, **options)

    monkeypatch.setattr(validation.CompiledShapes, "validate", spy)
    split = validate_files(loaded_store, BROKEN)
    assert len(batches) == 3 and all(batches) and len({s for b in batches for s in b}) == sum(map(len, batches))
    assert len(one.results) > len(BROKEN) and results(split) == results(one)
    assert split.conforms is one.conforms is False
    graph = split.graph
    (report,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert len(list(graph.objects(report, SH.result))) == len(one.results)
    assert [str(c) for c in graph.objects(report, SH.conforms)] == ["false"]
    # each result a node of its own (two batches' reports may use the same blank-node labels)
    assert len({r for r in graph.objects(report, SH.result) if isinstance(r, BNode)}) == len(one.results)
