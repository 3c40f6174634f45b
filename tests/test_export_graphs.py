"""`circe-kg export-graphs`: the store's data graphs written back to their Turtle files, on real on-disk stores and
copies of data/ in tmp_path (the repository's data/ is never written)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from circe_kg.cli import main
from circe_kg.config import DATA_DIR, ONTOLOGY_DIR, SHAPES_DIR, history_path
from circe_kg.errors import Conflict, UsageError
from circe_kg.export_graphs import apply_export, isomorphic, plan_export, render
from circe_kg.loader import LOADED_FILES, load_files
from circe_kg.store import EmbeddedStore
from circe_kg.writing.gate import EDITS_GRAPH, PROVENANCE_GRAPH, WriteGate

GRAPH = "https://w3id.org/circe-kg/graph/data/"
ID = "https://w3id.org/circe-kg/id/"
PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
ALBERGO = ox.NamedNode(ID + "practice/albergo-diffuso")
SLOVENE_LABEL = ox.Triple(ALBERGO, PREF_LABEL, ox.Literal("Razpršeni hotel", language="sl"))
NEW_PRACTICE = """@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix practice: <https://w3id.org/circe-kg/id/practice/> .
@prefix resolve: <https://w3id.org/circe-kg/id/concept/resolve/> .
practice:ljubljana-re-use-shop a circe:Practice ;
    skos:prefLabel "Re-use shop in Ljubljana"@en , "Center ponovne uporabe"@sl ;
    dct:description "A shop that sells repaired second-hand goods."@en ;
    circe:circularStrategy resolve:share ;
    dct:source <https://example.org/re-use-shop> .
[] a circe:EditorialClassification ; rdf:subject practice:ljubljana-re-use-shop ;
    rdf:predicate circe:circularStrategy ; rdf:object resolve:share ;
    skos:note "Re-use is what ReSOLVE calls share."@en .
"""


def _turtle(text: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)]


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time: an untouched file keeps both."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


@pytest.fixture
def gate(loaded_disk_store: EmbeddedStore) -> WriteGate:
    return WriteGate(loaded_disk_store, history_path(loaded_disk_store))


def _add(gate: WriteGate, graph: str, *triples: ox.Triple) -> None:
    """What the edit form does: the record's whole graph, with the change, through the gate."""
    current = list(gate.store.triples(graph)) if graph in gate.store.named_graphs() else []
    gate.commit({graph: [*current, *triples]}, "edit", "test steward")


# -- (a) nothing changed: nothing written ---------------------------------------------------------------------------
@pytest.mark.slow
def test_an_unchanged_store_leaves_every_file_as_it_is(loaded_disk_store, data_copy):
    before = _files(data_copy)
    plan = plan_export(loaded_disk_store, data_copy)
    assert not plan.changed and len(plan.files) == len(before)
    result = apply_export(loaded_disk_store, plan, "test")
    assert _files(data_copy) == before  # not even rewritten with the same bytes
    assert not result.written and "nothing to export" in result.to_text()


# -- (b) edits written back, folded, and loaded back ----------------------------------------------------------------
@pytest.mark.slow
def test_browser_edits_go_to_their_files_and_load_back_as_the_store_held_them(
    loaded_disk_store, gate, data_copy, tmp_path
):
    store = loaded_disk_store
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)  # an edit of an existing record: in its own graph
    _add(gate, EDITS_GRAPH, *_turtle(NEW_PRACTICE))  # a new record (and a blank node): in the edits graph
    before = _files(data_copy)
    old_practices = (data_copy / "practices.ttl").read_text()

    plan = plan_export(store, data_copy)
    (practices,) = plan.changed
    assert practices.path == data_copy / "practices.ttl"  # not ecesp.ttl, which holds more practices: generated
    assert (practices.added, practices.removed) == (12, 0)  # the label; 6 + 5 triples of the new records
    assert practices.folded == ["[…] about practice:ljubljana-re-use-shop", "practice:ljubljana-re-use-shop"]
    result = apply_export(store, plan, "test")

    assert EDITS_GRAPH not in store.named_graphs()  # folded through the gate, recorded
    assert result.change is not None and "git diff" in result.to_text()
    after = _files(data_copy)
    assert {name for name in after if after[name] != before[name]} == {"practices.ttl"}
    new_practices = (data_copy / "practices.ttl").read_text()
    comments = [line for line in old_practices.splitlines() if line.startswith("#")]
    assert new_practices.startswith(old_practices[: old_practices.index("\n@prefix")])  # the header
    assert [line for line in new_practices.splitlines() if line.startswith("#")] == comments  # and every comment
    assert '"Razpršeni hotel"@sl' in new_practices
    milan = next(block for block in old_practices.split("\n\n") if "practice:milan-door-to-door" in block)
    assert milan in new_practices.split("\n\n")  # an unchanged record keeps its text

    ontology_and_shapes = sorted(ONTOLOGY_DIR.glob("*.ttl")) + sorted(SHAPES_DIR.glob("*.ttl"))
    with EmbeddedStore(tmp_path / "fresh") as fresh:
        load_files(fresh, ontology_and_shapes + sorted(data_copy.glob("*.ttl")))
        data = [g for g in store.named_graphs() if g.startswith(GRAPH)]
        assert [g for g in fresh.named_graphs() if g.startswith(GRAPH)] == data
        for graph in data:
            assert isomorphic(fresh.triples(graph), store.triples(graph)), graph

    again = plan_export(store, data_copy)  # stable: the files now hold the store
    assert not again.changed and not again.fold


def test_a_new_illustrative_record_goes_where_the_illustrative_ones_are(loaded_disk_store, data_copy):
    illustrative = NEW_PRACTICE.split("[]")[0].replace(
        "dct:source <https://example.org/re-use-shop>",
        'circe:illustrative true ; circe:illustrativeNote "An example."@en',
    )
    loaded_disk_store.replace_graphs({EDITS_GRAPH: _turtle(illustrative)})
    (changed,) = plan_export(loaded_disk_store, data_copy).changed
    assert changed.path.name == "illustrative.ttl"


@pytest.mark.slow
def test_a_record_that_fits_no_file_stops_the_export(loaded_disk_store, data_copy):
    stray = f"<{ID}thing/stray> a <https://example.org/Unknown> ; <{PREF_LABEL.value}> 'Stray'@en ."
    loaded_disk_store.replace_graphs({EDITS_GRAPH: _turtle(stray)})
    before = _files(data_copy)
    with pytest.raises(UsageError, match="fit no file") as caught:
        plan_export(loaded_disk_store, data_copy)
    assert "<https://w3id.org/circe-kg/id/thing/stray>" in caught.value.message
    assert "rdf:type" in (caught.value.hint or "")
    assert _files(data_copy) == before


# -- (c) a file edited by hand is not overwritten ---------------------------------------------------------------
@pytest.mark.slow
def test_a_file_edited_by_hand_is_refused_and_nothing_is_written_until_force(loaded_disk_store, gate, data_copy):
    store = loaded_disk_store
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)
    smart = ox.NamedNode(ID + "organisation/regione-lombardia")
    _add(gate, GRAPH + "organisations", ox.Triple(smart, PREF_LABEL, ox.Literal("Lombardija", language="sl")))
    by_hand = data_copy / "organisations.ttl"
    by_hand.write_text(by_hand.read_text() + '\norganisation:regione-lombardia skos:altLabel "RL"@it .\n')
    before = _files(data_copy)
    history = store.count(PROVENANCE_GRAPH)

    plan = plan_export(store, data_copy)
    assert [f.path.name for f in plan.refused] == ["organisations.ttl"]
    assert "REFUSED: edited by hand since it was loaded" in plan.to_text()
    with pytest.raises(Conflict) as caught:
        apply_export(store, plan, "test")
    assert "organisations.ttl: edited by hand" in caught.value.message
    assert "Nothing was written" in caught.value.message and "--force" in (caught.value.hint or "")
    assert _files(data_copy) == before  # practices.ttl neither: all or nothing
    assert store.count(PROVENANCE_GRAPH) == history

    apply_export(store, plan_export(store, data_copy, force=True), "test")
    text = by_hand.read_text()
    assert '"Lombardija"@sl' in text and '"RL"@it' not in text
    assert '"Razpršeni hotel"@sl' in (data_copy / "practices.ttl").read_text()
    assert not plan_export(store, data_copy).changed  # the record now names the exported files


@pytest.mark.slow
def test_a_store_without_a_record_of_its_files_refuses_to_guess(loaded_disk_store, gate, data_copy):
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)
    (loaded_disk_store.path / LOADED_FILES).unlink()
    (refused,) = plan_export(loaded_disk_store, data_copy).refused
    assert refused.path.name == "practices.ttl" and "no record of loading" in (refused.refused or "")


# -- (d) a dry run writes nothing -------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_dry_run_says_what_would_change_and_writes_nothing(runner, loaded_disk_store, gate, data_copy, tmp_path):
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)
    _add(gate, EDITS_GRAPH, *_turtle(NEW_PRACTICE))
    loaded_disk_store.close()
    before = _files(data_copy)
    store_dir = str(tmp_path / "store")
    result = runner.invoke(main, ["export-graphs", "--store", store_dir, "--data", str(data_copy), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "practices.ttl: +12 / -0 triples; from the edits graph:" in result.output
    assert "15 file(s) already hold their graph" in result.output and "dry run: nothing was written" in result.output
    assert _files(data_copy) == before
    with EmbeddedStore(tmp_path / "store") as reopened:
        assert EDITS_GRAPH in reopened.named_graphs()


# -- (e) the command -----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_command_writes_and_says_what_to_do_next(runner, loaded_disk_store, gate, data_copy, tmp_path):
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)
    loaded_disk_store.close()
    args = ["export-graphs", "--store", str(tmp_path / "store"), "--data", str(data_copy)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "practices.ttl: +1 / -0 triples" in result.output and "wrote 1 file(s)" in result.output
    assert "next: git diff" in result.output
    assert runner.invoke(main, args).output.startswith("16 file(s) already hold their graph")


@pytest.mark.slow
def test_the_command_refuses_a_hand_edited_file_with_exit_1(runner, loaded_disk_store, gate, data_copy, tmp_path):
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)
    loaded_disk_store.close()
    practices = data_copy / "practices.ttl"
    practices.write_text(practices.read_text().replace('"BioCanteens#2"@en', '"BioCanteens 2"@en') + "# mine\n")
    before = _files(data_copy)
    args = ["export-graphs", "--store", str(tmp_path / "store"), "--data", str(data_copy)]
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(main, args + extra)
        assert result.exit_code == 1, result.output
        assert "practices.ttl: edited by hand since it was loaded" in result.output and "hint:" in result.output
        assert _files(data_copy) == before
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0
    text = practices.read_text()
    assert '"BioCanteens#2"@en' in text and "BioCanteens 2" not in text  # the store's triples win
    assert text.endswith("# mine\n")  # comments are no triples: kept where they are


@pytest.mark.slow
def test_bad_input_is_a_usage_error_that_writes_nothing(runner, loaded_disk_store, data_copy, tmp_path):
    loaded_disk_store.replace_graphs({GRAPH + "stray": _turtle(f"<{ID}x> <{PREF_LABEL.value}> 'x' .")})
    loaded_disk_store.close()
    before = _files(data_copy)
    store, data = ["--store", str(tmp_path / "store")], ["--data", str(data_copy)]
    cases = [
        ([*store, "--data", str(tmp_path / "nowhere")], "nowhere: no such folder"),
        ([*store, *data], f"1 data graph(s) of the store have no file in {data_copy}: <{GRAPH}stray>"),
        ([*store, *data, "--graph", GRAPH + "stray"], f"graph <{GRAPH}stray> has no file in"),
        ([*store, *data, "--graph", GRAPH + "nothing"], f"no data graph <{GRAPH}nothing>"),
        (["--store", str(tmp_path / "empty"), *data], "the store holds no data graphs"),
    ]
    for args, message in cases:
        result = runner.invoke(main, ["export-graphs", *args])
        assert result.exit_code == 2 and message in result.output and "hint:" in result.output, result.output
    assert _files(data_copy) == before
    named = runner.invoke(main, ["export-graphs", *store, *data, "--graph", GRAPH + "practices"])
    assert named.exit_code == 0 and "nothing to export" in named.output


# -- the Turtle itself -------------------------------------------------------------------------------------------
HEADER = """# A header that must survive.
# Second line.
@prefix ex: <https://example.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

"""


def test_new_records_come_in_one_fixed_layout_with_only_the_prefixes_they_need():
    old = HEADER + "# about b\nex:b a ex:Thing ; skos:prefLabel 'B'@en .\n"
    triples = _turtle(old) + _turtle(
        "@prefix ex: <https://example.org/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "ex:a ex:z ex:o2 , ex:o1 ; <http://purl.org/dc/terms/source> <https://s.example/> ; "
        "skos:prefLabel 'A'@it , 'A'@en ; a ex:Thing ; ex:n [ ex:r true ; ex:q 1 ] ."
    )
    text = render(old, triples)
    assert text == (
        "# A header that must survive.\n"
        "# Second line.\n"
        "@prefix ex: <https://example.org/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix dct: <http://purl.org/dc/terms/> .\n"  # added: the new record needs it
        "\n"
        "# about b\n"
        "ex:b a ex:Thing ; skos:prefLabel 'B'@en .\n"  # unchanged: as it was written
        "\n"
        "ex:a a ex:Thing ;\n"
        '    skos:prefLabel "A"@en , "A"@it ;\n'
        "    ex:n [ ex:q 1 ; ex:r true ] ;\n"
        "    ex:z ex:o1 , ex:o2 ;\n"
        "    dct:source <https://s.example/> .\n"
    )
    assert render(text, _turtle(text)) == text  # what it wrote it keeps


def test_blank_nodes_survive_and_the_same_triples_give_the_same_text():
    old = HEADER + "ex:c ex:p [ ex:q [ ex:r 'deep' ] ] .\n[] ex:about ex:c ; ex:note 'loose' .\n"
    triples = [*_turtle(old), ox.Triple(ox.NamedNode("https://example.org/c"), PREF_LABEL, ox.Literal("C"))]
    text = render(old, triples)
    assert isomorphic(_turtle(text), triples)
    assert "[] ex:about ex:c ; ex:note 'loose' .\n" in text  # unchanged: kept as it was written
    assert render(old, list(reversed(triples))) == text
    shared = "ex:d ex:p _:x . ex:e ex:p _:x . _:x ex:q ex:o ."  # a blank node two records point to: labelled
    labelled = render(HEADER + shared, _turtle(HEADER + shared))
    assert labelled.startswith(HEADER.rstrip("\n")) and isomorphic(_turtle(labelled), _turtle(HEADER + shared))


def test_a_removed_record_takes_its_place_with_it():
    old = HEADER + "ex:a ex:p ex:o .\n\nex:b ex:p ex:o .\n\n# about c\nex:c ex:p ex:o .\n\nex:d ex:p ex:o .\n"
    kept = [t for t in _turtle(old) if t.subject.value[-1] not in "bc"]
    assert render(old, kept) == HEADER + "ex:a ex:p ex:o .\n\n# about c\n\nex:d ex:p ex:o .\n"  # comments stay


def test_a_load_records_each_files_checksum_in_the_store_folder(loaded_disk_store):
    """(loaded_disk_store is a copy of a store folder that load_files filled with the shipped files)"""
    import hashlib

    from circe_kg.loader import loaded_files

    record = loaded_files(loaded_disk_store)
    for path in sorted(DATA_DIR.glob("*.ttl")):
        entry = record[GRAPH + path.stem]
        assert entry == {"file": f"data/{path.name}", "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert (loaded_disk_store.path / LOADED_FILES).exists()  # inside the store's folder: it travels with the store


@pytest.mark.slow
def test_a_write_to_the_store_after_the_plan_stops_the_export_before_any_file_changes(
    loaded_disk_store, gate, data_copy
):
    _add(gate, EDITS_GRAPH, *_turtle(NEW_PRACTICE))
    plan = plan_export(loaded_disk_store, data_copy)
    _add(gate, GRAPH + "practices", SLOVENE_LABEL)  # someone saves a record meanwhile
    before = _files(data_copy)
    with pytest.raises(Conflict, match="changed since"):
        apply_export(loaded_disk_store, plan, "test")
    assert _files(data_copy) == before  # no file, and no partial file left behind
    assert EDITS_GRAPH in loaded_disk_store.named_graphs()
