"""Benchmark the served SPARQL endpoint: median / p95 latency of three representative queries over HTTP, and
throughput under 1 and 4 concurrent clients, against rdflib's in-memory SPARQL engine running the same
queries in the same run (the baseline).

Run: .venv/bin/python bench/endpoint.py [--requests 30] [--seconds 5]
It starts `circe-kg serve` on 127.0.0.1 over a temporary store, and stops it at the end.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import rdflib
import requests
from timing import timed

from circe_kg import queries
from circe_kg.config import shipped_files

QUERIES = ["transfers", "partners-by-sector", "overview-counts"]  # joins + GROUP_CONCAT, OPTIONAL/UNION, COUNT


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def throughput(action: Callable[[], bool], clients: int, seconds: float) -> tuple[float, int, int]:
    """Requests per second, successes and errors, with `clients` threads looping for `seconds`."""
    done, errors = [0] * clients, [0] * clients
    deadline = time.perf_counter() + seconds

    def loop(index: int) -> None:
        while time.perf_counter() < deadline:
            if action():
                done[index] += 1
            else:
                errors[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return (sum(done) + sum(errors)) / elapsed, sum(done), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    command = Path(sys.executable).parent / "circe-kg"
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CIRCE_KG_STORE": str(Path(folder) / "store")}
        subprocess.run([command, "load"], env=env, check=True, capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [command, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        endpoint = f"http://127.0.0.1:{port}/sparql"
        try:
            for _ in range(100):
                try:
                    requests.get(endpoint, timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            session = requests.Session()
            dataset = rdflib.Dataset(default_union=True)
            for path in shipped_files():
                dataset.graph(rdflib.URIRef(f"urn:bench:{path.stem}")).parse(path)
            texts = {name: queries.get(name).text for name in QUERIES}

            def over_http(text: str) -> bool:
                response = session.post(
                    endpoint, data={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=30
                )
                return response.status_code == 200

            for text in texts.values():  # warm the query workers
                over_http(text)
            print(f"SPARQL endpoint benchmark, median of {args.requests} requests per query")
            print(f"{'query':28} {'HTTP median':>12} {'HTTP p95':>10} {'rdflib median':>14} {'speed-up':>9}")
            for name, text in texts.items():
                ours = timed(lambda t=text: over_http(t), args.requests)
                base = timed(lambda t=text: list(dataset.query(t)), max(5, args.requests // 3))
                median, baseline = statistics.median(ours), statistics.median(base)
                print(
                    f"{name:28} {median * 1000:10.1f}ms {percentile(ours, 0.95) * 1000:8.1f}ms "
                    f"{baseline * 1000:12.1f}ms {baseline / median:8.1f}x"
                )
            mix = list(texts.values())
            counter = iter(range(10**9))

            def next_http() -> bool:
                return over_http(mix[next(counter) % len(mix)])

            def next_rdflib() -> bool:
                list(dataset.query(mix[next(counter) % len(mix)]))
                return True

            print(f"\nthroughput over {args.seconds:g} s, the three queries in turn")
            print(f"{'clients':>7} {'HTTP req/s':>11} {'errors':>7} {'rdflib q/s':>11} {'ratio':>7}")
            for clients in (1, 4):
                rate, _, errors = throughput(next_http, clients, args.seconds)
                base_rate, _, _ = throughput(next_rdflib, clients, args.seconds)
                print(f"{clients:>7} {rate:>11.1f} {errors:>7} {base_rate:>11.1f} {rate / base_rate:>6.1f}x")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
