"""Load benchmark: mixed traffic (bench/locustfile.py — pages, search, resource pages, /id/… as Turtle, SPARQL)
from locust, headless, against a real `circe-kg serve` on 127.0.0.1 over the shipped data, for a fixed time:
on the embedded store (the baseline) and on an Oxigraph server, measured in the same run. Prints requests,
failures, requests/s and the p50 / p99 latency of each kind of request, and the server/embedded ratios.

Run: .venv/bin/python bench/load.py [--seconds 60] [--users 8] [--backends embedded,oxigraph-server]
This is a benchmark, not a test: it prints figures and never fails on speed (tests/test_load.py checks that a
short run has no errors).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from devtools.local_servers import CirceApp, LocalServer, OxigraphServer  # noqa: E402

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass
class Stats:
    name: str
    requests: int
    failures: int
    per_second: float
    p50_ms: float
    p99_ms: float


@contextlib.contextmanager
def served_app(backend: str, folder: Path) -> Iterator[str]:
    """The app on `backend` ("embedded" or "oxigraph-server"), over freshly loaded shipped data."""
    started: list[LocalServer] = []
    try:
        server = None
        if backend == "oxigraph-server":
            server = OxigraphServer(folder / "server")
            started.append(server)
        app = CirceApp(folder / "app", server)
        started.append(app)
        yield app.base_url
    finally:
        for process in reversed(started):
            process.stop()


def run_locust(base_url: str, seconds: float, users: int, folder: Path) -> tuple[list[Stats], str]:
    """Run the mixed traffic for `seconds`; the statistics per kind of request (the last row is the total)
    and locust's own output, for when something failed."""
    prefix = folder / "locust"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            base_url.rstrip("/"),
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds:g}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        cwd=folder,
    )
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise RuntimeError(f"locust wrote no statistics (exit {done.returncode}):\n{done.stderr[-3000:]}")
    stats = []
    with stats_file.open(newline="") as rows:
        for row in csv.DictReader(rows):
            if int(row["Request Count"]) == 0:
                continue
            stats.append(
                Stats(
                    row["Name"] if row["Type"] else "all requests",
                    int(row["Request Count"]),
                    int(row["Failure Count"]),
                    float(row["Requests/s"]),
                    float(row["50%"] or 0),
                    float(row["99%"] or 0),
                )
            )
    failures = Path(f"{prefix}_failures.csv")
    # stdout too: bench/locustfile.py prints the first failed requests with what the server said there.
    return stats, done.stdout + done.stderr + (failures.read_text() if failures.exists() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--backends", default="embedded,oxigraph-server")
    args = parser.parse_args()
    results: dict[str, list[Stats]] = {}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"circe-load-{backend}-") as tmp:
            with served_app(backend, Path(tmp)) as base:
                print(f"{backend}: {args.users} users for {args.seconds:g} s against {base}", flush=True)
                results[backend], _ = run_locust(base, args.seconds, args.users, Path(tmp))
    baseline = {s.name: s for s in results.get("embedded", [])}
    print(
        f"\n{'backend':<16} {'request':<22} {'requests':>9} {'failed':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'p50 ×emb':>9}"
    )
    for backend, stats in results.items():
        for s in stats:
            ratio = s.p50_ms / baseline[s.name].p50_ms if s.name in baseline and baseline[s.name].p50_ms else None
            print(
                f"{backend:<16} {s.name:<22} {s.requests:>9} {s.failures:>7} {s.per_second:>8.1f} {s.p50_ms:>8.0f}"
                f" {s.p99_ms:>8.0f} {(f'{ratio:.2f}' if ratio else '-'):>9}"
            )


if __name__ == "__main__":
    main()
