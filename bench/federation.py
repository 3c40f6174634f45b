"""Benchmark the named questions across three SPARQL endpoints (circe_kg.federation: each query ships what its
patterns match from every endpoint, and Oxigraph answers it) against the same questions on one store holding all
the data — which is also what a hub that harvested the three endpoints answers from (circe-kg harvest writes
them into one store) — measured in the same run on the same data.

Three Oxigraph servers on 127.0.0.1 each hold the reference data (ontology, shapes, taxonomies, regions, sectors)
and one family of synthetic projects (circe_kg.synthetic, seeds 1–3); the first also holds CircE's own data, as
in tests/test_federation.py. At the size "shipped" each family is 2 projects; at a size N, each endpoint holds
about N triples. For each named query that can be asked (its example's values, or none), --runs asks on each
side, alternating; it prints per query the median and p95 of each side, the ratio federation/one store, and the
quads the federation shipped for it, then the medians over all queries.

Run: .venv/bin/python bench/federation.py --sizes shipped,1e5 --runs 3
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from circe_kg import queries, synthetic  # noqa: E402
from circe_kg.config import DATA_DIR, ONTOLOGY_DIR, SHAPES_DIR, shipped_files  # noqa: E402
from circe_kg.federation import FederatedStore, fragments_of, shipping_query  # noqa: E402
from circe_kg.local_servers import OxigraphServer  # noqa: E402
from circe_kg.rdf_files import parse_file  # noqa: E402
from circe_kg.remote_store import RemoteStore  # noqa: E402
from circe_kg.store import EmbeddedStore  # noqa: E402

REFERENCE = [
    *sorted(ONTOLOGY_DIR.glob("*.ttl")),
    *sorted(SHAPES_DIR.glob("*.ttl")),
    *(DATA_DIR / name for name in ("taxonomies.ttl", "regions.ttl", "region-centroids.ttl", "sectors.ttl")),
]


def _graphs(files: list[Path]) -> dict[str, list[ox.Triple]]:
    return {parsed.graph_iri: parsed.triples for parsed in map(parse_file, files)}


def _synthetic(seed: int, projects: int) -> dict[str, list[ox.Triple]]:
    out = io.BytesIO()
    synthetic.write(out, projects=projects, seed=seed)
    triples = [quad.triple for quad in ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES)]
    return {f"https://w3id.org/circe-kg/graph/data/synthetic-{seed}": triples}


def _askable() -> list[tuple[str, dict[str, str]]]:
    asked = []
    for query in queries.available():
        values = query.example_values()
        if any(p.required and p.name not in values for p in query.parameters):
            continue
        asked.append((query.name, values))
    return asked


def _median_p95(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(size: str, runs: int) -> None:
    projects = 2 if size == "shipped" else synthetic.projects_for(int(float(size)))
    with tempfile.TemporaryDirectory(prefix="circe-federation-") as tmp:
        servers = [OxigraphServer(Path(tmp) / f"server-{n}", timeout_s=120) for n in range(3)]
        try:
            whole = EmbeddedStore(None)
            reference = _graphs(REFERENCE)
            own = _graphs([f for f in shipped_files() if f not in REFERENCE])
            held = []
            for n, server in enumerate(servers):
                part = {**reference, **_synthetic(n + 1, projects), **(own if n == 0 else {})}
                remote = RemoteStore(server.query_url, server.update_url, timeout_s=120)
                remote.replace_graphs(part)
                held.append(remote.count())
                whole.replace_graphs(part)
            federation = FederatedStore.connect([s.query_url for s in servers], timeout_s=120)
            print(
                f"\n== {size}: endpoints hold {', '.join(f'{n:,}' for n in held)} quads; one store "
                f"{whole.count():,}; {runs} runs per side =="
            )
            print(f"{'query':32} {'one store':>18} {'federation':>18} {'ratio':>7} {'shipped':>9}")
            ratios, fed_medians, one_medians = [], [], []
            for name, values in _askable():
                times: dict[str, list[float]] = {"one": [], "fed": []}
                for _ in range(runs):
                    for side, store in (("one", whole), ("fed", federation)):
                        started = time.perf_counter()
                        queries.run(store, name, values)
                        times[side].append(time.perf_counter() - started)
                query = queries.get(name)
                fragments = fragments_of(query.text, queries.bind(query, values))
                shipped_rows = federation.query(
                    "SELECT (COUNT(*) AS ?n) WHERE { " + shipping_query(fragments, 10**9) + " }"
                )
                shipped = int(shipped_rows.rows[0]["n"].value)  # type: ignore[union-attr]
                one, fed = _median_p95(times["one"]), _median_p95(times["fed"])
                ratios.append(fed[0] / one[0])
                fed_medians.append(fed[0])
                one_medians.append(one[0])
                print(
                    f"{name:32} {one[0] * 1000:8.1f} /{one[1] * 1000:7.1f} ms {fed[0] * 1000:8.1f} /"
                    f"{fed[1] * 1000:7.1f} ms {fed[0] / one[0]:6.0f}x {shipped:>9,}"
                )
            print(
                f"{'median over queries':32} {statistics.median(one_medians) * 1000:8.1f} ms{'':10}"
                f"{statistics.median(fed_medians) * 1000:8.1f} ms{'':9}{statistics.median(ratios):6.0f}x"
            )
            federation.close()
        finally:
            for server in servers:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="shipped,1e5", help="comma-separated: shipped, or triples per endpoint")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        measure(size.strip(), args.runs)


if __name__ == "__main__":
    main()
