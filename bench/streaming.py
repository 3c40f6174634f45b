"""Benchmark big SPARQL answers: streamed (the default: past SPARQL_STREAM_AFTER_BYTES the worker sends the answer on
in chunks as it is serialised) against whole (the baseline in the same run: the stream threshold set to the cap,
so the worker builds the answer whole and the server sends it in one piece, as before streaming).

For each way it starts a real `circe-kg serve` over the same store (synthetic data of CircE's shape, --triples)
and asks a query whose CSV answer is tens of MB: the median time to the first byte and to the last, and the peak
RSS of the server and of its query workers.

Run: .venv/bin/python bench/streaming.py [--triples 1e5] [--runs 5]
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from circe_kg import synthetic  # noqa: E402
from circe_kg.config import shipped_files  # noqa: E402
from circe_kg.loader import load_files  # noqa: E402
from circe_kg.store import EmbeddedStore  # noqa: E402
from devtools.local_servers import CirceApp  # noqa: E402

QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
CAP = str(1024 * 1024 * 1024)


def fetch(base: str) -> tuple[float, float, int]:
    """Seconds to the first byte and to the last, and the size of the answer."""
    started = time.perf_counter()
    with requests.get(
        base + "sparql", params={"query": QUERY}, headers={"Accept": "text/csv"}, stream=True, timeout=120
    ) as response:
        response.raise_for_status()
        chunks = response.iter_content(64 * 1024)
        size = len(next(chunks))
        first = time.perf_counter() - started
        size += sum(len(chunk) for chunk in chunks)
    return first, time.perf_counter() - started, size


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """VmHWM of the server, and the largest of its children's (the query workers)."""
    server = psutil.Process(pid)

    def hwm(process: psutil.Process) -> float:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    return hwm(server), max((hwm(child) for child in server.children(recursive=True)), default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=float, default=1e5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="circe-streaming-") as tmp:
        folder = Path(tmp)
        data = folder / "synthetic.nt"
        written = synthetic.write_file(data, synthetic.projects_for(int(args.triples)), 1)
        figures = {}
        for way, settings in (("whole (baseline)", {"CIRCE_KG_SPARQL_STREAM_AFTER_BYTES": CAP}), ("streamed", {})):
            app_folder = folder / way.split()[0]
            with EmbeddedStore(app_folder / "store") as store:  # the same data, loaded the way circe-kg loads it
                load_files(store, [*shipped_files(), data])
            app = CirceApp(
                app_folder,
                load=False,
                CIRCE_KG_SPARQL_MAX_RESULT_BYTES=CAP,
                CIRCE_KG_SPARQL_TIMEOUT_S="120",
                **settings,
            )
            try:
                fetch(app.base_url)  # the worker started and its snapshot opened
                runs = [fetch(app.base_url) for _ in range(args.runs)]
                server, worker = peak_rss_mb(app.process.pid)
                figures[way] = (
                    statistics.median(r[0] for r in runs),
                    statistics.median(r[1] for r in runs),
                    runs[0][2],
                    server,
                    worker,
                )
            finally:
                app.stop()
    print(f"{written + 4_000:,} triples; {QUERY} as CSV; median of {args.runs}")
    print(f"{'':18} {'first byte':>11} {'last byte':>10} {'size':>9} {'server RSS':>11} {'worker RSS':>11}")
    for way, (first, last, size, server, worker) in figures.items():
        print(f"{way:18} {first:10.3f}s {last:9.3f}s {size / 1e6:7.1f}MB {server:9.0f}MB {worker:9.0f}MB")
    base, streamed = figures["whole (baseline)"], figures["streamed"]
    print(
        f"streamed vs whole: first byte {base[0] / streamed[0]:.1f}x sooner, last byte {base[1] / streamed[1]:.2f}x, "
        f"worker peak RSS {streamed[4] / base[4]:.2f}x"
    )


if __name__ == "__main__":
    main()
