"""Benchmark circe-kg at scale: synthetic data of CircE's shape (circe_kg.synthetic, fixed seed) at several sizes,
on the embedded on-disk store, on an Oxigraph server (through RemoteStore) and, as the baseline measured in the
same run, on rdflib's in-memory graph. For each size it measures:

1. bulk load of the synthetic N-Triples file (seconds, triples/s: parsed as the loader parses a file, into
   N-Triples text, and written as the embedded store writes a big graph, by the bulk loader on every core into a
   new generation; POSTed to the server), the product's
   own `circe-kg load` of it on the embedded store (parse, validate against the shapes, write atomically),
   store size on disk, peak RSS (this process and the server process), and the full SHACL validation of the
   whole store (up to 1e6 triples);
2. the latency of every named query with its example parameters (median and p95 of --runs) on each backend
   (rdflib only up to --rdflib-max triples: its engine is very slow on big graphs);
3. the latency of the main pages (bench/pages.py's PAGES) through the Flask test client, embedded and server:
   the median of repeated visits (answers from the cache), in `first_visit_s` the first (nothing cached, the
   search index built), and `after a write`: the first visit right after one resource is renamed;
4. throughput: the app served by waitress (8 threads) and driven by locust (bench/locustfile.py's mixed traffic)
   with 1, 4 and 16 users for --seconds: requests/s, error rate, p50 and p99;
5. growth: for each figure, the exponent b of cost ~ size^b fitted across the sizes (1.0 = linear).

It prints a table per size and the growth exponents, and writes scale.csv, scale.json and scale.png (the plot
needs matplotlib) to --out.

Run: .venv/bin/python bench/scale.py --sizes 1e4,1e5,1e6 --runs 5 --out bench/results
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import faulthandler
import itertools
import json
import logging
import math
import re
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # circe_kg and devtools of this checkout
from load import run_locust  # noqa: E402
from pages import PAGES  # noqa: E402
from timing import timed  # noqa: E402

from circe_kg import queries, synthetic  # noqa: E402
from circe_kg.config import shipped_files  # noqa: E402
from circe_kg.loader import load_files  # noqa: E402
from circe_kg.namespaces import PREFIXES  # noqa: E402
from circe_kg.rdf_files import kind_of_graph, parse_file  # noqa: E402
from circe_kg.store import EmbeddedStore  # noqa: E402
from circe_kg.store.remote import RemoteStore  # noqa: E402
from circe_kg.validation import validate_state  # noqa: E402
from circe_kg.web import create_app  # noqa: E402
from circe_kg.web.services import services_of  # noqa: E402
from devtools.local_servers import OxigraphServer, free_port  # noqa: E402

SEED = 1
SYNTHETIC_GRAPH = "https://w3id.org/circe-kg/graph/data/synthetic"
EDIT_GRAPH = "https://w3id.org/circe-kg/graph/data/benchmark-edit"
EDITED = "https://w3id.org/circe-kg/id/synthetic/benchmark-edit"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
CIRCE_PRACTICE = "https://w3id.org/circe-kg/ontology#Practice"
CIRCE_ILLUSTRATIVE = "https://w3id.org/circe-kg/ontology#illustrative"
CIRCE_ILLUSTRATIVE_NOTE = "https://w3id.org/circe-kg/ontology#illustrativeNote"
EDITS = itertools.count(1)
SKIPPED_QUERIES = ("history", "resource-last-change")  # they read the history, which a bulk load does not write
VALIDATION_MAX = 1_000_000  # pyshacl-turbo: about 100 ms per 1000 triples, and an rdflib copy in memory
CONCURRENCY = (1, 4, 16)
BACKENDS = ("embedded", "server", "rdflib")


@dataclass
class Figure:
    """One measured figure at one size on one backend."""

    size: int  # the size asked for (triples)
    triples: int  # synthetic triples actually generated
    group: str  # load, query, page, throughput
    measure: str
    backend: str
    value: float  # median (seconds), or a rate, or megabytes
    unit: str
    p95: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, math.ceil(0.95 * (len(ordered) - 1)))]


def folder_megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def own_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def process_peak_rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def parse_size(text: str) -> int:
    return int(float(text))


# ---- data and backends ------------------------------------------------------------------------------------
def generate(size: int, folder: Path) -> tuple[Path, int]:
    path = folder / f"synthetic-{size}.nt"
    progress(f"generating about {size:,} synthetic triples (seed {SEED})")
    written = synthetic.write_file(path, synthetic.projects_for(size), SEED)
    progress(f"  {written:,} triples, {path.stat().st_size / 1e6:.0f} MB")
    return path, written


@contextlib.contextmanager
def embedded_backend(folder: Path, data: Path, record: Callable[..., None]) -> Iterator[EmbeddedStore]:
    progress("embedded: loading the shipped files, then bulk-loading the synthetic file")
    store = EmbeddedStore(folder / "store")
    try:
        load_files(store, shipped_files())

        def bulk_load() -> None:  # parsed as the loader parses, written as the store writes a big graph (store.py)
            store.replace_graphs({SYNTHETIC_GRAPH: parse_file(data).triples})

        record("load", "bulk load", "embedded", timed(bulk_load, 1)[0], "s")
        record("load", "size on disk", "embedded", folder_megabytes(folder / "store"), "MB")
        progress("embedded: `circe-kg load` of the same file into another store (parse, validate, write)")
        with EmbeddedStore(folder / "product") as product:
            load_files(product, shipped_files())
            record("load", "circe-kg load", "embedded", timed(lambda: load_files(product, [data]), 1)[0], "s")
        shutil.rmtree(folder / "product")
        yield store
    finally:
        store.close()


@contextlib.contextmanager
def server_backend(folder: Path, data: Path, record: Callable[..., None]) -> Iterator[RemoteStore]:
    progress("server: starting oxigraph serve, loading the shipped files, posting the synthetic file (GSP)")
    with OxigraphServer(folder / "oxigraph") as server:
        remote = RemoteStore(server.query_url, server.update_url)
        try:
            load_files(remote, shipped_files())
            base = server.query_url.rsplit("/", 1)[0]

            def post() -> None:
                with data.open("rb") as body:
                    response = requests.post(
                        f"{base}/store",
                        params={"graph": SYNTHETIC_GRAPH},
                        data=body,
                        headers={"Content-Type": "application/n-triples"},
                        timeout=3600,
                    )
                response.raise_for_status()

            record("load", "bulk load", "server", timed(post, 1)[0], "s")
            record("load", "size on disk", "server", folder_megabytes(folder / "oxigraph" / "db"), "MB")
            remote.server_pid = server.process.pid  # type: ignore[attr-defined,union-attr]
            yield remote
        finally:
            remote.close()


def rdflib_backend(data: Path, record: Callable[..., None]) -> rdflib.Dataset:
    progress("rdflib: parsing the shipped files and the synthetic file in memory")
    dataset = rdflib.Dataset(default_union=True)
    for path in shipped_files():
        dataset.graph(rdflib.URIRef(f"urn:bench:{path.stem}")).parse(path)
    graph = dataset.graph(rdflib.URIRef(SYNTHETIC_GRAPH))
    record("load", "bulk load", "rdflib", timed(lambda: graph.parse(data, format="nt"), 1)[0], "s")
    return dataset


def validation_seconds(store: EmbeddedStore) -> float:
    """Full SHACL validation of the store's state, as a load validates it."""
    state = {iri: list(store.triples(iri)) for iri in store.named_graphs() if kind_of_graph(iri) != "system"}
    return timed(lambda: validate_state(state), 1)[0]


# ---- queries and pages ------------------------------------------------------------------------------------
def as_rdflib(term: ox.NamedNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    return rdflib.Literal(term.value, lang=term.language, datatype=None if term.language else term.datatype.value)


def with_prefixes(text: str) -> str:
    """The query with the PREFIXes circe-kg's stores add (rdflib knows none of them) that it does not declare."""
    declared = set(re.findall(r"PREFIX\s+([\w-]*):", text, flags=re.IGNORECASE))
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p not in declared) + text


class OverBudget(Exception):
    pass


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise OverBudget in the main thread after `seconds` (rdflib's engine is pure Python, so this interrupts
    it; a query that blows up would otherwise run for minutes and take gigabytes). rdflib swallows exceptions
    raised while it evaluates a FILTER (a bare `except:`), so the alarm repeats every 50 ms until one gets out;
    Ctrl-C is turned into the same repeating alarm, raising KeyboardInterrupt."""
    interrupted = False

    def expired(*_: object) -> None:
        raise KeyboardInterrupt() if interrupted else OverBudget()

    def ctrl_c(*_: object) -> None:
        nonlocal interrupted
        interrupted = True
        signal.setitimer(signal.ITIMER_REAL, 0.01, 0.05)

    previous_alarm = signal.signal(signal.SIGALRM, expired)
    previous_int = signal.signal(signal.SIGINT, ctrl_c)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGINT, previous_int)


def query_latency(
    stores: dict[str, Any],
    dataset: rdflib.Dataset | None,
    runs: int,
    rdflib_budget: float,
    budget: float,
    skip: dict[tuple[str, str], str],
    record: Callable[..., None],
) -> list[str]:
    """Median and p95 of each named query on each store (and on rdflib). A query whose first run takes over
    `budget` seconds on a store, or fails, goes into `skip` and is not run again on that store."""
    failures = []
    for query in queries.available():
        if query.name in SKIPPED_QUERIES:
            continue
        progress(f"  query {query.name}")
        values = query.example_values()
        for backend, store in stores.items():
            if (backend, query.name) in skip:
                continue
            started = time.perf_counter()
            try:
                queries.run(store, query.name, values)  # warm up, and probe the cost
            except Exception as error:  # the server's time limit, mostly
                failures.append(f"{backend} failed on {query.name}: {type(error).__name__}: {str(error)[:120]}")
                skip[(backend, query.name)] = "failed"
                continue
            first = time.perf_counter() - started
            if first > budget:  # measured once; not repeated, here nor at bigger sizes
                failures.append(f"{backend} took {first:.1f} s on {query.name}: measured once (--budget {budget:g})")
                skip[(backend, query.name)] = "over budget"
                record("query", query.name, backend, first, "s", extra={"runs": 1, "over_budget": True})
                continue
            median, p95 = median_p95(timed(lambda s=store, q=query, v=values: queries.run(s, q.name, v), runs))
            record("query", query.name, backend, median, "s", p95)
        if dataset is None:
            continue
        bound = queries.bind(query, values)
        if any(isinstance(term, tuple) for term in bound.values()):  # initBindings takes one value a variable
            failures.append(f"rdflib not measured on {query.name}: it cannot bind a list of IRIs")
            continue
        init = {name: as_rdflib(term) for name, term in bound.items()}
        text = with_prefixes(query.text)
        try:
            with time_budget(rdflib_budget * runs):
                median, p95 = median_p95(timed(lambda t=text, i=init: list(dataset.query(t, initBindings=i)), runs))
            record("query", query.name, "rdflib", median, "s", p95)
        except OverBudget:
            failures.append(f"rdflib gave up on {query.name}: over {rdflib_budget:g} s a run")
        except Exception as error:  # rdflib's engine cannot run some valid queries; say so, don't stop
            failures.append(f"rdflib failed on {query.name}: {type(error).__name__}: {str(error)[:120]}")
    return failures


def page_latency(
    app: Any, backend: str, runs: int, budget: float, skip: dict[str, str], record: Callable[..., None]
) -> None:
    """Median and p95 of each page of PAGES. A page whose first render takes over `budget` seconds or fails is
    added to `skip` (name -> why) and not repeated; pages already in `skip` are not rendered at all. Run the
    server backend first: its query time limit bounds a runaway page, the embedded store's cannot."""
    client = app.test_client()
    writes: list[float] = []

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (backend, path, response.status_code)

    for name, path in PAGES.items():
        if name in skip or (backend, name) in skip:
            continue
        started = time.perf_counter()
        try:
            get(path)  # warm caches (search index, templates), and probe the cost
        except AssertionError as error:
            skip[name] = f"HTTP {error.args[0][2]} on {backend}"
            continue
        except Exception as error:  # TESTING propagates the page's exception: report it, measure the others
            skip[name] = f"{type(error).__name__} on {backend}: {str(error)[:120]}"
            continue
        first = time.perf_counter() - started
        if first > budget:  # on the server: skip it on the embedded store too, which cannot interrupt it
            skip[name if backend == "server" else (backend, name)] = (
                f"first render {first:.1f} s on {backend} (over --budget {budget:g} s)"
            )
            record("page", name, backend, first, "s", extra={"runs": 1, "over_budget": True})
            continue
        median, p95 = median_p95(timed(lambda p=path: get(p), runs))  # repeated visits: answers from the cache
        record("page", name, backend, median, "s", p95, extra={"first_visit_s": first})
        writes.append(edit_one_resource(app, backend))
        record("after a write", name, backend, timed(lambda p=path: get(p), 1)[0], "s")
    if writes:
        median, p95 = median_p95(writes)
        record(
            "write",
            "small write (4 triples; embedded: through the gate)",
            backend,
            median,
            "s",
            p95,
            extra={"runs": len(writes)},
        )


def edit_one_resource(app: Any, backend: str) -> float:
    """A steward's small edit, as a form's save makes it: one illustrative practice (4 triples, in a graph of its
    own) renamed. On the embedded store it goes through the app's write gate — validated for the records it can
    affect, recorded in the history — on the server straight to the store (the gate validates a SPARQL server's
    state in full: bench/writes.py measures that). Returns its seconds. The next visit is the first of this
    version of the data: the search index catches up, the kept answers are updated for what the write changed."""
    practice = ox.NamedNode(EDITED)
    label = ox.Literal(f"Benchmark edit {next(EDITS)}", language="en")
    note = ox.Literal("Edited by bench/scale.py.", language="en")
    triples = [
        ox.Triple(practice, ox.NamedNode(RDF_TYPE), ox.NamedNode(CIRCE_PRACTICE)),
        ox.Triple(practice, ox.NamedNode(SKOS_PREF_LABEL), label),
        ox.Triple(practice, ox.NamedNode(CIRCE_ILLUSTRATIVE), ox.Literal("true", datatype=ox.NamedNode(XSD_BOOLEAN))),
        ox.Triple(practice, ox.NamedNode(CIRCE_ILLUSTRATIVE_NOTE), note),
    ]
    started = time.perf_counter()
    if backend == "embedded":
        services_of(app).gate.commit({EDIT_GRAPH: triples}, "benchmark", "bench/scale.py")
    else:
        services_of(app).answers.store.replace_graphs({EDIT_GRAPH: triples})
        services_of(app).answers.notice_write()
    return time.perf_counter() - started


def predict_over_budget(
    figures: list[Figure], triples: int, budget: float, skip: dict[str, dict[Any, str]], notes: list[str], size: int
) -> None:
    """Skip the queries and pages whose time at the largest smaller size, grown as size^1.5, would pass
    `budget`: the embedded store cannot interrupt a query, and one such page can take an hour at 1e6. (From the
    largest size only: a guess from the smallest one skipped pages that took 1-3 s.)"""
    latest: dict[tuple[str, str, str], Figure] = {}
    for f in figures:
        if f.group not in ("query", "page") or f.backend == "rdflib" or f.triples >= triples:
            continue
        key3 = (f.group, f.backend, f.measure)
        if key3 not in latest or f.triples > latest[key3].triples:
            latest[key3] = f
    for f in latest.values():
        guess = f.value * (triples / f.triples) ** 1.5
        key = (f.backend, f.measure)
        kind = "queries" if f.group == "query" else "pages"
        if guess > budget and key not in skip[kind]:
            why = f"predicted {guess:.0f} s from {f.value:.2f} s at {f.size:g} (grown as size^1.5)"
            skip[kind][key] = why
            notes.append(f"{size:g}: {f.group} {f.measure!r} skipped on {f.backend}: {why}")


# ---- throughput -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    from waitress import create_server

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)


def throughput(app: Any, backend: str, seconds: float, record: Callable[..., None]) -> None:
    """Locust's mixed traffic (bench/locustfile.py: pages, search, resource pages, /id/ as Turtle, SPARQL) from 1,
    4 and 16 users for `seconds` each: requests/s, error rate, p50 and p99."""
    with served(app) as base, tempfile.TemporaryDirectory(prefix="circe-locust-") as folder:
        for clients in CONCURRENCY:
            stats, output = run_locust(base, seconds, clients, Path(folder))
            total = stats[-1]
            if total.failures:  # say why, not only how many (bench/locustfile.py prints the first ones)
                said = [line for line in output.splitlines() if line.startswith("failed: ")][:5]
                progress(f"  {backend}, {clients} clients: {total.failures} failed\n    " + "\n    ".join(said))
            record(
                "throughput",
                f"mixed, {clients} clients",
                backend,
                total.per_second,
                "req/s",
                extra={
                    "requests": total.requests,
                    "errors": total.failures,
                    "p50_ms": total.p50_ms,
                    "p99_ms": total.p99_ms,
                    "error_rate": total.failures / total.requests if total.requests else 1.0,
                },
            )


# ---- one size ---------------------------------------------------------------------------------------------
def measure_size(
    size: int, args: argparse.Namespace, figures: list[Figure], notes: list[str], skip: dict[str, dict[Any, str]]
) -> None:
    with tempfile.TemporaryDirectory(prefix=f"circe-scale-{size}-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        data, triples = generate(size, folder)

        def record(
            group: str,
            measure: str,
            backend: str,
            value: float,
            unit: str,
            p95: float | None = None,
            extra: dict[str, Any] | None = None,
        ) -> None:
            figures.append(Figure(size, triples, group, measure, backend, value, unit, p95, extra or {}))

        embedded = stack.enter_context(embedded_backend(folder / "embedded", data, record))
        remote = stack.enter_context(server_backend(folder / "server", data, record))
        # Validated before rdflib's copy of the data exists: circe-kg's own process never holds one, and its
        # millions of Python objects slow the garbage collections in between (10^6: 14.0 s alone, 16.6 s beside it).
        if size <= VALIDATION_MAX:
            progress("full SHACL validation of the embedded store")
            record("load", "full SHACL validation", "embedded", validation_seconds(embedded), "s")
        else:
            notes.append(f"{size:g}: full SHACL validation skipped (>{VALIDATION_MAX:g})")
        dataset: rdflib.Dataset | None = rdflib_backend(data, record)
        for figure in [f for f in figures if f.size == size and f.measure in ("bulk load", "circe-kg load")]:
            record("load", f"{figure.measure} rate", figure.backend, triples / figure.value, "triples/s")
        if size > args.rdflib_max:
            dataset = None
            notes.append(f"{size:g}: rdflib queries skipped (> {args.rdflib_max:g} triples; its engine is too slow)")

        predict_over_budget(figures, triples, args.budget, skip, notes, size)
        progress("query latency")
        notes.extend(
            f"{size:g}: {failure}"
            for failure in query_latency(
                {"server": remote, "embedded": embedded},
                dataset,
                args.runs,
                args.rdflib_budget,
                args.budget,
                skip["queries"],
                record,
            )
        )
        dataset = None

        slow_pages = dict(skip["pages"])  # over budget at a smaller size: its cost only grows
        for backend, store in (("server", remote), ("embedded", embedded)):
            app = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": str(folder / f"dumps-{backend}")})
            stack.callback(services_of(app).sandbox.close)
            progress(f"page latency, {backend}")
            page_latency(app, backend, args.runs, args.budget, slow_pages, record)
            warmer = services_of(app).answers.warmer  # the last page's edit: let it finish, then measure
            if warmer is not None:
                warmer.join()
            progress(f"throughput, {backend} (waitress, {args.seconds:g} s per concurrency level)")
            throughput(app, backend, args.seconds, record)

        notes.extend(
            f"{size:g}: page {name!r} not repeated: {why}"
            for name, why in slow_pages.items()
            if name not in skip["pages"]
        )
        skip["pages"].update(slow_pages)
        record("load", "peak RSS, this process", "embedded", own_peak_rss_mb(), "MB")
        server_rss = process_peak_rss_mb(remote.server_pid)  # type: ignore[attr-defined]
        if server_rss is not None:
            record("load", "peak RSS, server process", "server", server_rss, "MB")
        progress(f"done with {size:g}; stopping the server and removing {folder}")


# ---- reporting --------------------------------------------------------------------------------------------
def shown(figure: Figure | None) -> str:
    if figure is None:
        return "-"
    if figure.unit == "s":
        return f"{figure.value * 1000:.1f}ms"
    if figure.unit == "req/s":
        rate = figure.extra.get("error_rate", 0)
        return f"{figure.value:.1f}/s" + (f" ({rate:.0%} err)" if rate else "")
    return f"{figure.value:,.0f}{figure.unit if figure.unit == 'MB' else ''}"


def ratio(a: Figure | None, b: Figure | None) -> str:
    return f"{a.value / b.value:.2f}x" if a and b and b.value else "-"


def print_table(size: int, figures: list[Figure], runs: int) -> None:
    mine = [f for f in figures if f.size == size]
    if not mine:
        return
    print(f"\n== size {size:g}: {mine[0].triples:,} synthetic triples (+ shipped), medians of {runs} runs ==")
    print(
        "   rdflib/emb = how many times faster embedded is than rdflib (costs); server/emb = server cost over "
        "embedded (for rates: server rate over embedded)"
    )
    print(
        f"{'group':10} {'measure':44} {'embedded':>16} {'server':>16} {'rdflib':>12} {'rdflib/emb':>10} "
        f"{'server/emb':>10}"
    )
    keys = list(dict.fromkeys((f.group, f.measure) for f in mine))
    for group, measure in keys:
        by = {f.backend: f for f in mine if (f.group, f.measure) == (group, measure)}
        e, s, r = by.get("embedded"), by.get("server"), by.get("rdflib")
        vs_rdflib = ratio(r, e) if e and e.unit in ("s", "MB") else ratio(e, r)
        print(
            f"{group:10} {measure[:44]:44} {shown(e):>16} {shown(s):>16} {shown(r):>12} {vs_rdflib:>10} "
            f"{ratio(s, e):>10}"
        )


def growth(figures: list[Figure]) -> list[dict[str, Any]]:
    """Least-squares slope b of log(value) = a + b·log(triples) for each figure measured at 2+ sizes."""
    fits = []
    for key in dict.fromkeys((f.group, f.measure, f.backend, f.unit) for f in figures):
        points = [
            (math.log(f.triples), math.log(f.value))
            for f in figures
            if (f.group, f.measure, f.backend, f.unit) == key and f.value > 0
        ]
        if len(points) < 2:
            continue
        mean_x = statistics.fmean(x for x, _ in points)
        mean_y = statistics.fmean(y for _, y in points)
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else float("nan")
        fits.append({"group": key[0], "measure": key[1], "backend": key[2], "unit": key[3], "exponent": slope})
    return fits


def print_growth(fits: list[dict[str, Any]]) -> None:
    if not fits:
        print("\n(growth exponents need two sizes or more)")
        return
    print("\n== growth: b in cost ~ size^b across the sizes (1.0 = linear, 0 = flat; for rates, 0 = constant) ==")
    for fit in fits:
        flag = "  <-- superlinear" if fit["unit"] == "s" and fit["exponent"] > 1.2 else ""
        print(f"{fit['group']:10} {fit['measure'][:44]:44} {fit['backend']:9} b = {fit['exponent']:5.2f}{flag}")


def write_outputs(
    out: Path, figures: list[Figure], fits: list[dict[str, Any]], notes: list[str], args: argparse.Namespace
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "scale.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["size", "triples", "group", "measure", "backend", "value", "unit", "p95", "extra"])
        for f in figures:
            writer.writerow(
                [
                    f.size,
                    f.triples,
                    f.group,
                    f.measure,
                    f.backend,
                    f.value,
                    f.unit,
                    "" if f.p95 is None else f.p95,
                    json.dumps(f.extra) if f.extra else "",
                ]
            )
    (out / "scale.json").write_text(
        json.dumps(
            {
                "seed": SEED,
                "runs": args.runs,
                "seconds": args.seconds,
                "sizes": args.sizes,
                "notes": notes,
                "figures": [asdict(f) for f in figures],
                "growth": fits,
            },
            indent=2,
        )
    )
    print(f"\nwrote {out / 'scale.csv'} and {out / 'scale.json'}")
    plot(out / "scale.png", figures)


def plot(path: Path, figures: list[Figure]) -> None:
    try:
        import matplotlib
    except ImportError:
        print("install matplotlib for the plot: .venv/bin/pip install matplotlib")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(pick: Callable[[Figure], bool]) -> list[tuple[int, float]]:
        return sorted((f.triples, f.value) for f in figures if pick(f))

    lines: dict[str, list[tuple[int, float]]] = {}
    for backend in BACKENDS:
        lines[f"bulk load ({backend})"] = series(lambda f, b=backend: f.measure == "bulk load" and f.backend == b)
    lines["circe-kg load (embedded)"] = series(lambda f: f.measure == "circe-kg load")
    lines["full SHACL validation"] = series(lambda f: f.measure == "full SHACL validation")
    for page in ("home", "search 'procurement'", "transfer diagram", "faceted list of practices"):
        lines[f"page {page} (embedded)"] = series(lambda f, p=page: f.measure == p and f.backend == "embedded")
    for backend in BACKENDS:
        medians = {}
        for size in sorted({f.triples for f in figures}):
            values = [f.value for f in figures if f.group == "query" and f.backend == backend and f.triples == size]
            if values:
                medians[size] = statistics.median(values)
        lines[f"median named query ({backend})"] = sorted(medians.items())
    figure, axes = plt.subplots(figsize=(9, 6))
    for number, (label, points) in enumerate(lines.items()):
        if points:  # ten colours in the cycle: the line style tells the next ten apart
            axes.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                label=label,
                linestyle=("-", "--", ":")[number // 10 % 3],
            )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("synthetic triples")
    axes.set_ylabel("seconds")
    axes.set_title("circe-kg: cost vs size (log-log)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1e4,1e5", help="comma-separated triple counts, e.g. 1e4,1e5,1e6")
    parser.add_argument("--runs", type=int, default=5, help="runs per query and page (median, p95)")
    parser.add_argument("--seconds", type=float, default=5, help="seconds per throughput measurement")
    parser.add_argument(
        "--rdflib-max",
        type=parse_size,
        default=100_000,
        help="run the rdflib query baseline only up to this many triples (default 1e5)",
    )
    parser.add_argument(
        "--rdflib-budget",
        type=float,
        default=10,
        help="seconds per run an rdflib query may take before it is given up (default 10)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=20,
        help="a query or page whose first run takes longer is measured once, then skipped on that "
        "backend, at this size and bigger ones (default 20 s)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 PID prints where a slow run is
    args.sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
    figures: list[Figure] = []
    notes: list[str] = []
    skip: dict[str, dict[Any, str]] = {"pages": {}, "queries": {}}  # what was over budget at a smaller size
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N" under load is expected
    try:
        for size in args.sizes:
            measure_size(size, args, figures, notes, skip)
            print_table(size, figures, args.runs)
    except KeyboardInterrupt:
        progress("interrupted: reporting what was measured")
    finally:
        fits = growth(figures)
        print_growth(fits)
        for note in notes:
            print(note)
        if figures:
            write_outputs(args.out, figures, fits, notes, args)


if __name__ == "__main__":
    main()
