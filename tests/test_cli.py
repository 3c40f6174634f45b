"""The circe-kg command: each sub-command, its output formats and its exit codes (0 ok, 1 invalid, 2 usage)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from circe_kg.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store_dir(tmp_path):
    return str(tmp_path / "store")


@pytest.fixture
def loaded_dir(runner, store_dir):
    result = runner.invoke(main, ["load", "--store", store_dir])
    assert result.exit_code == 0, result.output
    return store_dir


def test_help_on_every_command(runner):
    for command in ([], ["load"], ["validate"], ["query"], ["dump"], ["serve"], ["graphs"]):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "Exit codes" in runner.invoke(main, ["--help"]).output


@pytest.mark.slow
def test_load_reports_each_graph(runner, store_dir):
    result = runner.invoke(main, ["load", "--store", store_dir])
    assert result.exit_code == 0, result.output
    assert "loaded   data/project.ttl" in result.output and "0 violations" in result.output
    again = runner.invoke(main, ["load", "--store", store_dir])
    assert "replaced data/project.ttl" in again.output
    counts = [line for line in result.output.splitlines() if "the store holds" in line]
    assert counts and counts[0].split("holds ")[1] == again.output.strip().split("holds ")[1]


@pytest.mark.slow
def test_load_of_malformed_turtle_exits_1_and_changes_nothing(runner, loaded_dir):
    before = runner.invoke(main, ["graphs", "--store", loaded_dir]).output
    result = runner.invoke(main, ["load", "--store", loaded_dir, str(FIXTURES / "syntax" / "unknown-prefix.ttl")])
    assert result.exit_code == 1
    assert "unknown-prefix.ttl:3:5: syntax error: The prefix circe: has not been declared" in result.output
    assert "hint:" in result.output
    assert runner.invoke(main, ["graphs", "--store", loaded_dir]).output == before


@pytest.mark.slow
def test_load_of_invalid_data_exits_1_with_the_report(runner, loaded_dir):
    before = runner.invoke(main, ["graphs", "--store", loaded_dir]).output
    result = runner.invoke(main, ["load", "--store", loaded_dir, str(FIXTURES / "shapes" / "unknown-nuts-code.ttl")])
    assert result.exit_code == 1
    assert "unknown-nuts-code.ttl:" in result.output and "did you mean nuts:ITC4?" in result.output
    assert "Nothing was loaded" in result.output
    assert runner.invoke(main, ["graphs", "--store", loaded_dir]).output == before


@pytest.mark.slow
def test_validate_text_json_turtle_and_exit_status(runner):
    ok = runner.invoke(main, ["validate"])
    assert ok.exit_code == 0 and "Conforms. 0 violations" in ok.output
    bad = str(FIXTURES / "shapes" / "wrong-language-tag.ttl")
    text = runner.invoke(main, ["validate", bad])
    assert text.exit_code == 1 and "1 violation" in text.output
    as_json = runner.invoke(main, ["validate", "--format", "json", bad])
    report = json.loads(as_json.output)
    assert as_json.exit_code == 1 and report["violations"] == 1
    assert report["results"][0]["value"] == '"Albergo diffuso"@english'
    turtle = runner.invoke(main, ["validate", "--format", "turtle", bad])
    graph = rdflib.Graph().parse(data=turtle.output, format="turtle")
    assert (
        turtle.exit_code == 1
        and len(list(graph.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#ValidationResult"))))
        == 1
    )


@pytest.mark.slow
def test_validate_warnings_alone_exit_0(runner):
    result = runner.invoke(main, ["validate", str(FIXTURES / "shapes" / "illustrative-without-note.ttl")])
    assert result.exit_code == 0 and "1 warning" in result.output


@pytest.mark.slow
def test_query_formats(runner, loaded_dir, monkeypatch):
    from circe_kg import cli

    monkeypatch.setattr(cli.out, "width", 400)  # the console's width is read once, when circe_kg.cli is imported
    table = runner.invoke(
        main, ["query", "transfers", "--store", loaded_dir, "--param", "to=organisation:sos"], env={"COLUMNS": "400"}
    )
    assert table.exit_code == 0 and "Lombardy Region" in table.output and "1 row(s)" in table.output
    as_json = runner.invoke(main, ["query", "transfers", "--store", loaded_dir, "--format", "json"])
    assert json.loads(as_json.output)["results"]["bindings"]
    csv = runner.invoke(main, ["query", "project-budget", "--store", loaded_dir, "--format", "csv"])
    assert csv.output.splitlines()[0].startswith("project,projectLabel,totalBudget")
    listing = runner.invoke(main, ["query", "--list"])
    assert listing.exit_code == 0 and "practices-for-barrier" in listing.output


@pytest.mark.slow
def test_query_usage_errors_exit_2(runner, loaded_dir):
    unknown = runner.invoke(main, ["query", "transfer", "--store", loaded_dir])
    assert unknown.exit_code == 2 and "no query named 'transfer'" in unknown.output and "transfers" in unknown.output
    bad = runner.invoke(main, ["query", "transfers", "--store", loaded_dir, "--param", "from=not an iri"])
    assert bad.exit_code == 2 and "must be an IRI" in bad.output
    malformed = runner.invoke(main, ["query", "transfers", "--store", loaded_dir, "--param", "from"])
    assert malformed.exit_code == 2
    assert runner.invoke(main, ["query"]).exit_code == 2
    assert runner.invoke(main, ["load", "--nope"]).exit_code == 2


@pytest.mark.slow
def test_dump_formats_round_trip(runner, loaded_dir, tmp_path):
    for fmt, parse_as in (("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")):
        out = tmp_path / f"dump.{fmt}"
        result = runner.invoke(main, ["dump", "--store", loaded_dir, "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert len(rdflib.Graph().parse(out, format=parse_as)) > 1000
    result = runner.invoke(main, ["dump", "--store", loaded_dir, "--graph", "https://w3id.org/circe-kg/graph/nope"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_the_installed_console_command_runs(tmp_path):
    """The real entry point, in a real process, against a real on-disk store."""
    command = Path(sys.executable).parent / "circe-kg"
    env = {**os.environ, "CIRCE_KG_STORE": str(tmp_path / "store")}
    load = subprocess.run([command, "load"], capture_output=True, text=True, env=env, timeout=120)
    assert load.returncode == 0, load.stderr
    answer = subprocess.run(
        [command, "query", "transfers", "--format", "csv"], capture_output=True, text=True, env=env, timeout=60
    )
    assert answer.returncode == 0 and "regione-lombardia" in answer.stdout


@pytest.mark.slow
def test_backup_round_trip_keeps_every_graph_and_the_history(runner, loaded_dir, tmp_path):
    """dump --format nquads, then load that file into an empty store: nothing is lost."""
    import pyoxigraph as ox
    from rdflib.compare import isomorphic

    from circe_kg.store import EmbeddedStore
    from circe_kg.writing.gate import PROVENANCE_GRAPH

    backup = tmp_path / "backup.nq"
    assert runner.invoke(main, ["dump", "--store", loaded_dir, "--format", "nquads", "-o", str(backup)]).exit_code == 0
    fresh = str(tmp_path / "fresh")
    result = runner.invoke(main, ["load", "--store", fresh, str(backup)])
    assert result.exit_code == 0, result.output
    original, restored = EmbeddedStore(Path(loaded_dir)), EmbeddedStore(Path(fresh))
    assert original.named_graphs() == restored.named_graphs()

    def graph(store, iri):
        return rdflib.Graph().parse(
            data=ox.serialize(list(store.triples(iri)), format=ox.RdfFormat.N_TRIPLES), format="nt"
        )

    for iri in original.named_graphs():
        if iri == PROVENANCE_GRAPH:  # the restore itself is recorded on top of the old history
            assert set(graph(original, iri)) < set(graph(restored, iri))
        else:
            assert isomorphic(graph(original, iri), graph(restored, iri)), iri
    original.close()
    restored.close()
