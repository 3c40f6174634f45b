"""Does every page still answer at 10^7 triples? Synthetic data of CircE's shape (circe_kg.synthetic, seed 1)
is loaded into the embedded on-disk store after the shipped files by `circe-kg load` (parsed, validated, written
atomically; its time and peak RSS are reported), a real `circe-kg serve` is started on
it, and every main page (bench/pages.py's PAGES), every faceted list with its last page, a resource page,
/void, the SPARQL endpoint and /id/ as Turtle are asked for twice: the first visit (nothing cached) and the
second (answers from the cache). It prints the status, the seconds of each visit and the server's peak RSS,
and writes them to --out/large.json.

Run: .venv/bin/python bench/large.py [--triples 1e7] [--data FILE.nt] [--keep FOLDER]
This is a benchmark, not a test: it reports what answered and how fast, and never fails on speed. Baseline in
the same run: /questions/, a page that runs no query.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from pages import BASELINE, PAGES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from circe_kg import synthetic  # noqa: E402
from circe_kg.store import EmbeddedStore  # noqa: E402
from devtools.local_servers import CirceApp  # noqa: E402

SYNTHETIC_GRAPH = "https://w3id.org/circe-kg/graph/data/synthetic"
LISTS = ("practices", "barriers", "opportunities", "instruments", "actions")
MORE_PAGES = {
    "search 'textile'": "/search?q=textile",
    "resource page (a synthetic practice)": None,  # found in the data: see synthetic_practice()
    "/void": "/void",
    "SPARQL: 10 labels": "/sparql?query="
    + requests.utils.quote("SELECT ?s ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } LIMIT 10"),
    "SPARQL: count every triple": "/sparql?query="
    + requests.utils.quote("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"),
    "/id/ as Turtle": "/id/practice/albergo-diffuso",
}


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill_store(folder: Path, data: Path) -> tuple[int, float, float]:
    """The shipped files, then the synthetic file, each by `circe-kg load` as an operator would load them
    (parsed, validated against the shapes, written atomically): the store's size, the synthetic load's seconds
    and its peak RSS in MB."""
    cli = Path(sys.executable).parent / "circe-kg"
    env = {**os.environ, "CIRCE_KG_STORE": str(folder / "store")}
    subprocess.run([cli, "load"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run([cli, "load", str(data)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"`circe-kg load {data}` failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the biggest child: this load
    progress(f"circe-kg load: {seconds:.0f} s, peak RSS {peak_mb:,.0f} MB; {done.stdout.strip()}")
    store = EmbeddedStore(folder / "store")
    try:
        return len(store._store), seconds, peak_mb
    finally:
        store.close()


def synthetic_practice(data: Path) -> str:
    with data.open() as lines:
        for line in lines:
            found = re.match(r"<https://w3id.org/circe-kg/id/synthetic/(practice/[^>]+)> ", line)
            if found:
                return "/page/synthetic/" + found.group(1)
    raise SystemExit("no synthetic practice in " + str(data))


def visit(base: str, path: str, timeout: float) -> tuple[int | str, float, int]:
    started = time.perf_counter()
    try:
        response = requests.get(
            base + path.lstrip("/"),
            timeout=timeout,
            headers={"Accept": "text/turtle"} if path.startswith("/id/") else {},
        )
        return response.status_code, time.perf_counter() - started, len(response.content)
    except requests.RequestException as error:
        return type(error).__name__, time.perf_counter() - started, 0


def last_page(base: str, path: str, timeout: float) -> str | None:
    """The list's last page, read from its pager (a list that grows is paginated)."""
    page = requests.get(base + path.lstrip("/"), timeout=timeout).text
    numbers = [int(n) for n in re.findall(r"[?&](?:amp;)?page=(\d+)", page)]
    return f"{path}?page={max(numbers)}" if numbers else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=float, default=1e7, help="about how many synthetic triples")
    parser.add_argument("--data", type=Path, help="an N-Triples file from `circe-kg generate`, instead")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a page may take before it is given up")
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="circe-large-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        data = args.data
        if data is None:
            data = folder / "synthetic.nt"
            progress(f"generating about {args.triples:,.0f} triples")
            synthetic.write_file(data, synthetic.projects_for(int(args.triples)), 1)
        load_s = load_peak_mb = None
        if not (folder / "store").exists():
            progress(f"loading {data}")
            triples, load_s, load_peak_mb = fill_store(folder, data)
        else:
            store = EmbeddedStore(folder / "store")
            triples = len(store._store)
            store.close()
        progress(f"{triples:,} triples in the store; starting circe-kg serve")
        pages = {"baseline (no query)": BASELINE, **PAGES, **MORE_PAGES}
        pages["resource page (a synthetic practice)"] = synthetic_practice(data)
        app = CirceApp(folder / "app", load=False, CIRCE_KG_STORE=str(folder / "store"))
        rows = []
        try:
            pages.update({f"list of {name}": f"/list/{name}" for name in LISTS})

            def visit_twice(name: str, path: str) -> None:
                first = visit(app.base_url, path, args.timeout)
                second = visit(app.base_url, path, args.timeout)
                rows.append(
                    {
                        "page": name,
                        "path": path,
                        "status": first[0],
                        "first_s": first[1],
                        "second_status": second[0],
                        "second_s": second[1],
                        "bytes": first[2],
                    }
                )
                progress(f"{name}: {first[0]} {first[1]:.2f} s, then {second[0]} {second[1]:.2f} s")

            for name, path in pages.items():
                visit_twice(name, path)
            for name in LISTS:  # after the first pages, whose first visits the pager's reading would warm
                last = last_page(app.base_url, f"/list/{name}", args.timeout)
                if last:
                    visit_twice(f"list of {name}, last page", last)
            rss = peak_rss_mb(app.process.pid)
        finally:
            app.stop()
    answered = sum(1 for r in rows if r["status"] == 200 and r["second_status"] == 200)
    if load_s is not None:
        print(f"\n`circe-kg load` of the synthetic file: {load_s:.0f} s, peak RSS {load_peak_mb:,.0f} MB")
    print(f"\n{triples:,} triples, embedded on-disk store, `circe-kg serve`; peak RSS of the server {rss:,.0f} MB")
    print(f"{'page':48} {'status':>6} {'first visit':>12} {'second':>9} {'second / baseline':>18}")
    baseline = rows[0]["second_s"]
    for r in rows:
        print(
            f"{r['page']:48} {r['status']!s:>6} {r['first_s']:11.2f}s {r['second_s']:8.3f}s "
            f"{r['second_s'] / baseline:17.1f}x"
        )
    print(f"{answered} of {len(rows)} pages answered 200 on both visits")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "large.json").write_text(
        json.dumps(
            {
                "triples": triples,
                "load_s": load_s,
                "load_peak_rss_mb": load_peak_mb,
                "server_peak_rss_mb": rss,
                "pages": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {args.out / 'large.json'}")


if __name__ == "__main__":
    main()
