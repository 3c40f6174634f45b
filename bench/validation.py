"""Benchmark the validation gate: full SHACL validation of the shipped graph and of the graph grown with
synthetic illustrative practices (≈10⁴ and ≈10⁵ extra triples), and the latency of one small write through
the gate (validate + record + apply), with a plain store write (no gate) as the baseline in the same run.

Run: .venv/bin/python bench/validation.py [--runs 5] [--sizes 1000 10000]
The synthetic practices are generated in memory, marked illustrative, and never written to data/.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyoxigraph as ox
from timing import median_seconds

from circe_kg.config import shipped_files
from circe_kg.loader import parse_all
from circe_kg.store import EmbeddedStore
from circe_kg.validation import validate_state
from circe_kg.writing.gate import WriteGate

ID = "https://w3id.org/circe-kg/id/"
CIRCE = "https://w3id.org/circe-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
REGIONS = ["ITC4", "ES51", "PL51", "NL22", "UKI", "FRE", "BG411", "SI0"]
SECTORS = ["textile", "plastics", "biomass", "tourism", "built-environment", "raw-materials"]


def synthetic_practices(count: int) -> list[ox.Triple]:
    """`count` illustrative practices, 10 triples each, valid against the shapes."""
    n, lit = ox.NamedNode, ox.Literal
    triples = []
    for i in range(count):
        practice = n(f"{ID}practice/synthetic-{i}")
        triples += [
            ox.Triple(practice, n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), n(CIRCE + "Practice")),
            ox.Triple(practice, n(SKOS + "prefLabel"), lit(f"Synthetic practice {i}", language="en")),
            ox.Triple(practice, n(SKOS + "prefLabel"), lit(f"Pratica sintetica {i}", language="it")),
            ox.Triple(
                practice, n("http://purl.org/dc/terms/description"), lit(f"Benchmark record {i}.", language="en")
            ),
            ox.Triple(
                practice, n(CIRCE + "illustrative"), lit("true", datatype=n("http://www.w3.org/2001/XMLSchema#boolean"))
            ),
            ox.Triple(practice, n(CIRCE + "illustrativeNote"), lit("Synthetic, for benchmarks.", language="en")),
            ox.Triple(
                practice, n(CIRCE + "inRegion"), n("http://data.europa.eu/nuts/code/" + REGIONS[i % len(REGIONS)])
            ),
            ox.Triple(practice, n(CIRCE + "sector"), n(f"{ID}sector/{SECTORS[i % len(SECTORS)]}")),
            ox.Triple(practice, n(CIRCE + "addresses"), n(f"{ID}concept/kirchherr-2018/market")),
            ox.Triple(practice, n(CIRCE + "practiceOwner"), n(f"{ID}organisation/regione-lombardia")),
        ]
    return triples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="synthetic practices to add")
    args = parser.parse_args()
    parsed = parse_all(shipped_files())
    shipped = {p.graph_iri: p.triples for p in parsed}
    base = sum(len(t) for t in shipped.values())
    print(f"validation benchmark, median of {args.runs} runs")
    print(f"{'graph':42} {'triples':>9} {'validate':>10} {'per 1k triples':>15}")
    seconds = median_seconds(lambda: validate_state(shipped), args.runs)
    print(f"{'shipped data':42} {base:>9} {seconds:>9.2f}s {seconds / base * 1000 * 1000:>13.1f}ms")
    for size in args.sizes:
        state = dict(shipped)
        state["https://w3id.org/circe-kg/graph/data/synthetic"] = synthetic_practices(size)
        total = sum(len(t) for t in state.values())
        report = validate_state(state)
        assert report.conforms, report.summary()
        seconds = median_seconds(lambda s=state: validate_state(s), args.runs)
        print(
            f"{f'shipped + {size} synthetic practices':42} {total:>9} {seconds:>9.2f}s "
            f"{seconds / total * 1000 * 1000:>13.1f}ms"
        )

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "store")
        gate = WriteGate(store, Path(folder) / "history")
        gate.commit(shipped, "load", "bench", allow_kinds=("ontology", "shapes", "data"))
        small = synthetic_practices(1)
        graph = "https://w3id.org/circe-kg/graph/data/bench-write"
        gated = median_seconds(lambda: gate.commit({graph: small}, "PUT", "bench"), args.runs)
        plain = median_seconds(lambda: store.replace_graphs({graph: small}), args.runs)
        print(
            f"\none small write (10 triples) on the shipped store: through the gate {gated * 1000:.0f} ms, "
            f"plain store write {plain * 1000:.1f} ms (the gate costs {gated / plain:.0f}x: whole-graph validation)"
        )
        store.close()


if __name__ == "__main__":
    main()
