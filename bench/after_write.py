"""Benchmark the main pages right after a small write, with the answers kept across writes (CIRCE_KG_KEPT_ANSWERS,
the default: lists and one-row-per-resource answers updated for the resources the write can change) and without
(the baseline: every answer asked again of the whole store), measured in the same run, write by write, on the same
store.

For each size it generates synthetic data of CircE's shape (circe_kg.synthetic, seed 1) as bench/scale.py does,
loads the shipped files and bulk-loads the synthetic file into an on-disk store, and makes the web app over it
(the answer cache warms in the background after each write, as it does when served). For each page of
bench/pages.py's PAGES: two visits (its answers computed and cached), then --runs rounds of: a small write through
the app's write gate (bench/scale.py's edit_one_resource: one illustrative practice renamed), the page visited
once; the two modes alternate round by round (the setting read at each write). It prints per page the median and
p95 of the visit right after a write in each mode and the ratio off/on, the cached visit, the writes' median, and
across sizes the growth exponent b of cost ~ size^b.

Run: .venv/bin/python bench/after_write.py --sizes 1e5,1e6 --runs 3 [--pages faceted,truth]
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from pages import PAGES
from scale import SEED, SYNTHETIC_GRAPH, edit_one_resource, median_p95, parse_size

from circe_kg import synthetic
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.rdf_files import parse_file
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from circe_kg.web.services import services_of

MODES = ("off", "on")


def measure(size: int, runs: int, pages: dict[str, str]) -> dict[str, dict[str, list[float]]]:
    """Per page of `pages`: the cached visit, and the visits right after a write in each mode (seconds)."""
    with tempfile.TemporaryDirectory(prefix=f"circe-after-write-{size}-") as tmp:
        folder = Path(tmp)
        data = folder / "synthetic.nt"
        synthetic.write_file(data, synthetic.projects_for(size), SEED)
        store = EmbeddedStore(folder / "store")
        try:
            load_files(store, shipped_files())
            store.replace_graphs({SYNTHETIC_GRAPH: parse_file(data).triples})
            triples = store.count()
            print(f"\n== size {size:g}: {triples:,} triples in the store; {runs} visits after a write per mode ==")
            app = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": str(folder / "dumps")})
            client = app.test_client()
            figures: dict[str, dict[str, list[float]]] = {}
            writes: list[float] = []
            for name, path in pages.items():
                got = figures[name] = {"cached": [], "off": [], "on": []}
                client.get(path)
                started = time.perf_counter()
                assert client.get(path).status_code == 200, path
                got["cached"].append(time.perf_counter() - started)
                for run in range(runs):
                    for mode in MODES if run % 2 == 0 else reversed(MODES):
                        os.environ["CIRCE_KG_KEPT_ANSWERS"] = mode
                        writes.append(edit_one_resource(app, "embedded"))
                        started = time.perf_counter()
                        assert client.get(path).status_code == 200, path
                        got[mode].append(time.perf_counter() - started)
                warmer = services_of(app).answers.warmer
                if warmer is not None:
                    warmer.join()  # the next page starts on a machine the last write's warming has left
                show(name, got)
            print(f"small writes through the gate: median {statistics.median(writes) * 1000:.0f} ms")
            figures["(small write)"] = {"on": writes, "off": writes, "cached": writes}
            figures["(triples)"] = {"on": [float(triples)], "off": [float(triples)], "cached": [float(triples)]}
            return figures
        finally:
            os.environ.pop("CIRCE_KG_KEPT_ANSWERS", None)
            store.close()


def show(name: str, got: dict[str, list[float]]) -> None:
    off, off95 = median_p95(got["off"])
    on, on95 = median_p95(got["on"])
    print(
        f"{name[:48]:48} cached {got['cached'][0] * 1000:7.1f}ms   after a write: off {off * 1000:8.1f}ms "
        f"(p95 {off95 * 1000:8.1f})  on {on * 1000:8.1f}ms (p95 {on95 * 1000:8.1f})  off/on {off / on:6.2f}x",
        flush=True,
    )


def growth(results: dict[int, dict[str, dict[str, list[float]]]], pages: dict[str, str]) -> None:
    sizes = sorted(results)
    if len(sizes) < 2:
        return
    print("\n== growth: b in cost ~ size^b between the smallest and the biggest size (1.0 = linear) ==")
    small, big = results[sizes[0]], results[sizes[-1]]
    span = math.log(big["(triples)"]["on"][0] / small["(triples)"]["on"][0])
    for name in pages:
        exponents = [
            math.log(statistics.median(big[name][mode]) / statistics.median(small[name][mode])) / span for mode in MODES
        ]
        print(f"{name[:48]:48} off b = {exponents[0]:5.2f}   on b = {exponents[1]:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1e4,1e5", help="comma-separated triple counts, e.g. 1e5,1e6")
    parser.add_argument("--runs", type=int, default=3, help="visits after a write per page and mode")
    parser.add_argument("--pages", default="", help="comma-separated parts of page names, e.g. 'faceted,truth' (all)")
    args = parser.parse_args()
    wanted = [part.strip() for part in args.pages.split(",") if part.strip()]
    pages = {name: path for name, path in PAGES.items() if not wanted or any(part in name for part in wanted)}
    if not pages:
        parser.error(f"--pages {args.pages!r} names none of: " + "; ".join(PAGES))
    results = {size: measure(size, args.runs, pages) for size in sorted(parse_size(s) for s in args.sizes.split(","))}
    growth(results, pages)


if __name__ == "__main__":
    main()
