"""Parsing: malformed Turtle gives file, line, column, the offending text and a hint."""

from pathlib import Path

import pytest

from circe_kg.errors import RdfSyntaxError, UsageError
from circe_kg.rdf_files import graph_iri_for, kind_of_graph, parse_file

SYNTAX = Path(__file__).parent / "fixtures" / "syntax"


@pytest.mark.parametrize(
    "name, line, column, words",
    [
        ("unclosed-literal", 2, 81, ["Line jumps", "closing quote"]),
        ("unknown-prefix", 3, 5, ["circe:", "has not been declared", "@prefix circe:"]),
        ("bad-iri", 2, 64, ["IRI", "absolute, with no spaces"]),
        ("bad-language-tag", 2, 83, ["Unexpected character", "hyphens"]),
        ("missing-dot", 3, 1, ["dot is expected", "'.'"]),
    ],
)
def test_syntax_errors_say_where_and_how_to_fix(name, line, column, words):
    with pytest.raises(RdfSyntaxError) as caught:
        parse_file(SYNTAX / f"{name}.ttl")
    error = caught.value
    assert error.file.endswith(f"{name}.ttl")
    assert (error.line, error.column) == (line, column)
    assert error.line_text == (SYNTAX / f"{name}.ttl").read_text().splitlines()[line - 1]
    text = error.to_text()
    assert text.startswith(f"tests/fixtures/syntax/{name}.ttl:{line}:{column}: syntax error")
    for word in words:
        assert word in text
    assert error.status == 400 and error.exit_code == 1


def test_missing_file_and_unknown_type_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        parse_file(tmp_path / "absent.ttl")
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(UsageError, match="unknown file type"):
        parse_file(tmp_path / "x.csv")


def test_non_utf8_file_is_a_syntax_error(tmp_path):
    path = tmp_path / "latin1.ttl"
    path.write_bytes('<http://e/a> <http://e/b> "caf\xe9" .'.encode("latin-1"))
    with pytest.raises(RdfSyntaxError, match="not UTF-8"):
        parse_file(path)


def test_each_file_has_its_own_graph_and_kind(tmp_path):
    shipped = parse_file(Path("ontology/vocabularies.ttl"))
    assert shipped.graph_iri == "https://w3id.org/circe-kg/graph/ontology/vocabularies"
    assert shipped.kind == "ontology"
    outside = tmp_path / "My Upload.ttl"
    outside.write_text('<https://w3id.org/circe-kg/id/x/y> <http://www.w3.org/2004/02/skos/core#prefLabel> "y"@en .')
    parsed = parse_file(outside)
    assert parsed.kind == "data" and parsed.graph_iri == "https://w3id.org/circe-kg/graph/data/my-upload"
    assert kind_of_graph(graph_iri_for(Path("shapes/circe.ttl"), "shapes")) == "shapes"


def test_line_of_finds_the_subject_in_prefixed_and_full_form():
    parsed = parse_file(Path("ontology/vocabularies.ttl"))
    text = parsed.text.splitlines()
    line = parsed.line_of("https://w3id.org/circe-kg/id/concept/monitoring-status/implemented")
    assert text[line - 1].startswith("status:implemented a skos:Concept")
