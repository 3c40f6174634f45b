"""Benchmark the named questions three ways over the same data, in the same run: across three SPARQL endpoints
(circe_kg.store.federated: each query ships what its patterns match from every endpoint, and Oxigraph answers it), on
a hub that harvested the three (circe_kg.harvest: each part published as an N-Quads dump with a DCAT-AP catalogue
on 127.0.0.1, checked, validated against the shapes and written through the write gate; the time to harvest is
printed), and on one store holding all the data (the baseline).

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
import functools
import hashlib
import http.server
import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from circe_kg import queries, synthetic  # noqa: E402
from circe_kg.config import DATA_DIR, ONTOLOGY_DIR, SHAPES_DIR, shipped_files  # noqa: E402
from circe_kg.harvest import Limits, harvest, source_of  # noqa: E402
from circe_kg.loader import load_files  # noqa: E402
from circe_kg.rdf_files import parse_file  # noqa: E402
from circe_kg.store import EmbeddedStore  # noqa: E402
from circe_kg.store.federated import FederatedStore  # noqa: E402
from circe_kg.store.remote import RemoteStore  # noqa: E402
from circe_kg.writing.gate import WriteGate  # noqa: E402
from devtools.local_servers import OxigraphServer  # noqa: E402

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


class _Files(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".ttl": "text/turtle", ".nq": "application/n-quads"}

    def log_message(self, *args: object) -> None:
        pass


def _published(folder: Path, parts: list[dict[str, list[ox.Triple]]]) -> tuple[http.server.HTTPServer, list[str]]:
    """Each part as an N-Quads dump with a DCAT-AP catalogue (its SHA-256 listed), served on 127.0.0.1."""
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Files, directory=str(folder)))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{site.server_address[1]}/"
    catalogues = []
    for n, part in enumerate(parts):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g, ts in part.items() for t in ts]
        dump = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        (folder / f"part-{n}.nq").write_bytes(dump)
        (folder / f"part-{n}.ttl").write_text(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix spdx: <http://spdx.org/rdf/terms#> .\n"
            f"<#d> a dcat:Dataset ; dcat:distribution <#dump> . <#dump> a dcat:Distribution ;\n"
            f"  dcat:downloadURL <{base}part-{n}.nq> ;\n"
            "  dcat:mediaType <https://www.iana.org/assignments/media-types/application/n-quads> ;\n"
            "  spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ;\n"
            f"    spdx:checksumValue '{hashlib.sha256(dump).hexdigest()}' ] .\n"
        )
        catalogues.append(f"part{n}={base}part-{n}.ttl")
    return site, catalogues


def _harvested(folder: Path, catalogues: list[str]) -> tuple[EmbeddedStore, float]:
    """A hub (on disk, holding the shipped ontology, shapes and reference data, as `circe-kg load` leaves it) that
    harvested every catalogue; the seconds it took."""
    hub = EmbeddedStore(folder / "hub")
    load_files(hub, REFERENCE)
    gate = WriteGate(hub, folder / "hub-history")
    started = time.perf_counter()
    for text in catalogues:
        harvest(gate, source_of(text), Limits(allow_private=True, max_bytes=2**33, max_time_s=3600))
    return hub, time.perf_counter() - started


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


def _ms(figures: tuple[float, float]) -> str:
    """A median / p95 pair in milliseconds, 18 characters wide."""
    return f"{figures[0] * 1000:8.1f} /{figures[1] * 1000:7.1f} ms"


def measure(size: str, runs: int) -> None:
    projects = 2 if size == "shipped" else synthetic.projects_for(int(float(size)))
    with tempfile.TemporaryDirectory(prefix="circe-federation-") as tmp:
        servers = [OxigraphServer(Path(tmp) / f"server-{n}", timeout_s=120) for n in range(3)]
        try:
            whole = EmbeddedStore(None)
            reference = _graphs(REFERENCE)
            own = _graphs([f for f in shipped_files() if f not in REFERENCE])
            held, parts = [], []
            for n, server in enumerate(servers):
                part = {**reference, **_synthetic(n + 1, projects), **(own if n == 0 else {})}
                remote = RemoteStore(server.query_url, server.update_url, timeout_s=120)
                remote.replace_graphs(part)
                held.append(remote.count())
                whole.replace_graphs(part)
                parts.append(part)
            federation = FederatedStore.connect([s.query_url for s in servers], timeout_s=120)
            site, catalogues = _published(Path(tmp), parts)
            hub, harvest_s = _harvested(Path(tmp), catalogues)
            site.shutdown()
            print(
                f"\n== {size}: endpoints hold {', '.join(f'{n:,}' for n in held)} quads; one store "
                f"{whole.count():,}; the hub harvested the three in {harvest_s:.1f} s ({hub.count():,} quads, "
                f"ontology and shapes included); {runs} runs per side =="
            )
            heads = ("one store", "harvested hub", "federation")
            print(f"{'query':32} " + " ".join(f"{h:>18}" for h in heads) + f" {'ratio':>7} {'shipped':>9}")
            ratios, fed_medians, one_medians, hub_medians = [], [], [], []
            for name, values in _askable():
                times: dict[str, list[float]] = {"one": [], "hub": [], "fed": []}
                for _ in range(runs):
                    for side, store in (("one", whole), ("hub", hub), ("fed", federation)):
                        started = time.perf_counter()
                        queries.run(store, name, values)
                        times[side].append(time.perf_counter() - started)
                query = queries.get(name)
                shipped = len(federation.shipped(query.text, queries.bind(query, values)))
                one, on_hub, fed = (_median_p95(times[side]) for side in ("one", "hub", "fed"))
                ratios.append(fed[0] / one[0])
                fed_medians.append(fed[0])
                one_medians.append(one[0])
                hub_medians.append(on_hub[0])
                print(f"{name:32} {_ms(one)} {_ms(on_hub)} {_ms(fed)} {fed[0] / one[0]:6.0f}x {shipped:>9,}")
            print(
                f"{'median over queries':32} {statistics.median(one_medians) * 1000:8.1f} ms{'':9} "
                f"{statistics.median(hub_medians) * 1000:8.1f} ms{'':9} "
                f"{statistics.median(fed_medians) * 1000:8.1f} ms{'':9} {statistics.median(ratios):6.0f}x"
            )
            federation.close()
            hub.close()
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
