"""Benchmark: load, validate and query the shipped graph; medians of N runs, with ratios against a baseline
measured in the same run (rdflib's in-memory graph and SPARQL engine).

Run: .venv/bin/python bench/load_validate.py [--runs 5] [--json bench/results/load_validate.json]
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pyoxigraph as ox
import rdflib
from timing import median_seconds

from circe_kg import queries
from circe_kg.config import shipped_files
from circe_kg.loader import load_files, parse_all, validate_state
from circe_kg.store import EmbeddedStore


def as_rdflib(term: ox.NamedNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    return rdflib.Literal(term.value, lang=term.language, datatype=None if term.language else term.datatype.value)


def rdflib_dataset() -> rdflib.Dataset:
    dataset = rdflib.Dataset(default_union=True)
    for path in shipped_files():
        dataset.graph(rdflib.URIRef(f"urn:bench:{path.stem}")).parse(path)
    return dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    rows: list[tuple[str, float, float | None]] = []  # (what, ours, baseline)
    failures: list[str] = []

    files = shipped_files()
    rows.append(
        (
            "parse shipped files (oxigraph parser | rdflib)",
            median_seconds(lambda: parse_all(files), args.runs),
            median_seconds(rdflib_dataset, args.runs),
        )
    )

    def full_load() -> None:
        with tempfile.TemporaryDirectory() as folder:
            store = EmbeddedStore(Path(folder) / "store")
            load_files(store, files)
            store.close()

    rows.append(("load into a new on-disk store, validation included", median_seconds(full_load, args.runs), None))

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "store")
        load_files(store, files)
        rows.append(
            (
                "reload everything into the loaded store (replace)",
                median_seconds(lambda: load_files(store, files), args.runs),
                None,
            )
        )
        state = {iri: list(store.triples(iri)) for iri in store.named_graphs()}
        rows.append(
            ("full SHACL validation of the graph", median_seconds(lambda: validate_state(state), args.runs), None)
        )
        dataset = rdflib_dataset()
        for query in queries.available():
            values = query.example_values()
            init = {name: as_rdflib(term) for name, term in queries.bind(query, values).items()}
            ours = median_seconds(lambda q=query, v=values: queries.run(store, q.name, v), args.runs)
            try:
                baseline = median_seconds(
                    lambda q=query, i=init: list(dataset.query(q.text, initBindings=i)), args.runs
                )
            except Exception as error:  # rdflib's engine cannot run some valid queries; say so, don't stop
                failures.append(f"rdflib failed on {query.name}: {type(error).__name__}: {error}")
                baseline = None
            rows.append((f"query {query.name}", ours, baseline))
        triples = store.count()
        store.close()

    print(f"circe-kg benchmark: {triples} triples in {len(files)} files, median of {args.runs} runs")
    print(f"{'what':62} {'circe-kg':>10} {'rdflib':>10} {'speed-up':>9}")
    for what, ours, baseline in rows:
        ratio = f"{baseline / ours:8.1f}x" if baseline else "        -"
        base = f"{baseline * 1000:8.1f}ms" if baseline else "         -"
        print(f"{what:62} {ours * 1000:8.1f}ms {base} {ratio}")
    for failure in failures:
        print(failure)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "triples": triples,
                    "runs": args.runs,
                    "rows": [{"what": w, "seconds": o, "baseline_seconds": b} for w, o, b in rows],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
