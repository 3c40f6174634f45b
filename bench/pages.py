"""Benchmark the policy officers' pages: median render time of each main page through the Flask app over the
shipped data, and its ratio to a page that runs no query (/questions/), measured in the same run — on a first
visit (the answer cache empty, as after a write) and on a repeated one (answers from the cache).

Run: .venv/bin/python bench/pages.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import replace

from timing import timed

from circe_kg.answer_cache import AnswerCache
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from circe_kg.web.services import install, services_of

PAGES = {
    "home": "/",
    "search 'procurement'": "/search?q=procurement",
    "resource page (albergo diffuso)": "/page/practice/albergo-diffuso",
    "practices for a barrier category": "/questions/practices-for-barrier?barrier=kirchherr:regulatory",
    "transfer diagram": "/questions/transfers",
    "action-plan progress": "/questions/progress",
    "barriers with no practice": "/questions/gaps",
    "who already solved my problem": "/questions/who-solved?sector=sector:textile&barrier=kirchherr:market",
    "which regions are most like mine": "/questions/similar-regions?partner=organisation:sos",
    "two partners side by side": "/questions/compare?a=organisation:sos&b=organisation:regione-lombardia",
    "faceted list of practices": "/list/practices",
    "faceted list, filtered": "/list/practices?source=sourced",
    "how much of this is true (/truth)": "/truth",
    "practices for a barrier category, sourced only": "/questions/practices-for-barrier?barrier=kirchherr:regulatory"
    "&sourced=1",
    "practices for a barrier category, in Italian": "/questions/practices-for-barrier?barrier=kirchherr:regulatory"
    "&lang=it",
    "faceted list of practices, in Italian": "/list/practices?lang=it",
}
BASELINE = "/questions/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(store=store, config={"DUMPS_DIR": folder, "SPARQL_WORKERS": 1})
        client = app.test_client()

        def get(path: str) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        for path in [BASELINE, *PAGES.values()]:  # warm caches (search index, templates)
            get(path)
        baseline = statistics.median(timed(lambda: get(BASELINE), args.runs))
        print(
            f"page render times through the Flask app, median of {args.runs}; baseline {BASELINE} "
            f"(no query) {baseline * 1000:.1f} ms"
        )
        print(f"{'page':46} {'first visit':>12} {'x baseline':>11} {'repeated':>9} {'p95':>9} {'x baseline':>11}")

        def first_visit(path: str) -> None:
            install(app, replace(services_of(app), answers=AnswerCache(store)))  # as after a write: nothing cached
            get(path)

        for name, path in PAGES.items():
            cold = statistics.median(timed(lambda p=path: first_visit(p), args.runs))
            times = sorted(timed(lambda p=path: get(p), args.runs))
            median = statistics.median(times)
            p95 = times[min(len(times) - 1, int(0.95 * (len(times) - 1)))]
            print(
                f"{name:46} {cold * 1000:10.1f}ms {cold / baseline:10.1f}x {median * 1000:7.1f}ms "
                f"{p95 * 1000:7.1f}ms {median / baseline:10.1f}x"
            )
        services_of(app).sandbox.close()


if __name__ == "__main__":
    main()
