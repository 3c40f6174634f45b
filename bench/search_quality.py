"""Benchmark the quality and speed of cross-lingual search (circe_kg.search) over the shipped data.

It measures, for the hand-made query set bench/search_queries.tsv (queries in en, it, ca, es, pl, nl, fr, bg, sl,
each with the resources a policy officer asking it should find in the first 10 results, chosen from the data's
own labels and descriptions, not from search results):

- recall@10 (mean over queries of |expected ∩ top 10| / |expected|) and MRR (mean of 1 / rank of the first
  expected resource in the top 10, 0 when none is there), per language, per query kind (topic, inflection,
  typo, short, long, name) and overall, for each set of matching methods: words; words + lemmas;
  words + lemmas + concepts; and + meaning when circe_kg.search.METHODS offers it — with what each method adds;
- query latency (median and p95 of index.search alone, all methods on, after one warm-up search, --runs passes
  over every query, each search reading its question with the meaning model anew) on the shipped data and, with
  --triples N, after N synthetic triples of CircE's shape (circe_kg.synthetic, seed 1) are added in a named graph,
  with the time to rebuild the index. Reading every
  synthetic passage with the meaning model would take most of an hour on two cores: the model reads --sample of
  them (its speed is printed) and the others get copies of those vectors, so the matrix a question is compared
  with has its full size (the latency is real; what meaning finds among synthetic texts is not).

Where the search does not yet take `lang` / `methods`, or its results have no ranked(), it falls back to
index.search(text, limit=10) and the results' groups in order, counted as the "words" method only.

A benchmark, not a test: it prints tables and exits 0 — except that a malformed query file, or one naming a
resource the store does not hold, stops it with exit code 2.

Run: .venv/bin/python bench/search_quality.py [--triples N] [--runs R] [--queries FILE] [--show N]
"""

from __future__ import annotations

import argparse
import csv
import inspect
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from circe_kg import meaning, queries, synthetic
from circe_kg import search as search_module
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.search import SearchIndex
from circe_kg.store import EmbeddedStore

HERE = Path(__file__).resolve().parent
DEFAULT_QUERIES = HERE / "search_queries.tsv"
ID = "https://w3id.org/circe-kg/id/"
PREFIXES = {
    name: f"{ID}{name}/"
    for name in (
        "practice",
        "barrier",
        "opportunity",
        "action",
        "instrument",
        "organisation",
        "sector",
        "meeting",
        "observation",
        "action-plan",
    )
}
PREFIXES["plan"] = f"{ID}action-plan/"
HEADER = ["language", "query", "kind", "expected", "note"]
KINDS = ("topic", "inflection", "typo", "short", "long", "name")
LIMIT = 10
SYNTHETIC_GRAPH = "https://w3id.org/circe-kg/graph/data/synthetic"


@dataclass(frozen=True)
class Query:
    line: int
    language: str
    text: str
    kind: str
    expected: tuple[str, ...]  # full IRIs
    note: str


class BadQueries(Exception):
    pass


def expand(short: str) -> str:
    prefix, sep, local = short.partition(":")
    if not sep or prefix not in PREFIXES or not local:
        raise BadQueries(f"{short!r}: not prefix:name with a prefix among {', '.join(sorted(PREFIXES))}")
    return PREFIXES[prefix] + local


def shorten(iri: str) -> str:
    for prefix, base in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        if iri.startswith(base) and prefix != "action-plan":
            return f"{prefix}:{iri[len(base) :]}"
    return iri[len(ID) :] if iri.startswith(ID) else iri


def read_queries(path: Path) -> list[Query]:
    """The queries of a TSV file; BadQueries when it is malformed."""
    problems: list[str] = []
    queries: list[Query] = []
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or [c.strip() for c in rows[0]] != HEADER:
        raise BadQueries(f"{path}: the header must be {' TAB '.join(HEADER)}")
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(HEADER):
            problems.append(f"line {number}: {len(row)} columns, not {len(HEADER)}")
            continue
        language, text, kind, expected, note = (c.strip() for c in row)
        if not language or not text:
            problems.append(f"line {number}: no language or no query")
        if kind not in KINDS:
            problems.append(f"line {number}: kind {kind!r} is not one of {', '.join(KINDS)}")
        try:
            iris = tuple(dict.fromkeys(expand(s) for s in expected.split()))
        except BadQueries as error:
            problems.append(f"line {number}: {error}")
            continue
        if not iris:
            problems.append(f"line {number}: no expected resource")
        queries.append(Query(number, language, text, kind, iris, note))
    if problems:
        raise BadQueries("\n".join(problems))
    return queries


def unknown_resources(store: EmbeddedStore, queries: Sequence[Query]) -> dict[str, list[int]]:
    """Expected IRIs that are the subject of no triple in the store, with the lines that name them."""
    named: dict[str, list[int]] = {}
    for query in queries:
        for iri in query.expected:
            named.setdefault(iri, []).append(query.line)
    unknown = {}
    for iri, lines in named.items():
        if not store.query(f"ASK {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}"):
            unknown[iri] = lines
    return unknown


# ---- the search API, new or old ------------------------------------------------------------------------------


class Searcher:
    """index.search with a language and a method set when the search takes them (the ranked hits of
    results.ranked()); otherwise index.search(text, limit) and its groups in order, as the "words" method."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.fallback_reason = ""
        parameters = inspect.signature(index.search).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        if not takes_all and not {"lang", "methods"} <= set(parameters):
            self.fallback_reason = "index.search takes no lang/methods"

    @property
    def fallback(self) -> bool:
        return bool(self.fallback_reason)

    def method_sets(self) -> list[tuple[str, ...]]:
        if self.fallback:
            return [("words",)]
        sets = [("words",), ("words", "lemmas"), ("words", "lemmas", "concepts")]
        if "meaning" in getattr(search_module, "METHODS", ()):
            sets.append(("words", "lemmas", "concepts", "meaning"))
        return sets

    def call(self, text: str, language: str, methods: tuple[str, ...]) -> object:
        """The raw search, the call the latency figures time."""
        if self.fallback:
            return self.index.search(text, limit=LIMIT)
        try:
            return self.index.search(text, limit=LIMIT, lang=language, methods=frozenset(methods))
        except TypeError as error:
            if "lang" not in str(error) and "methods" not in str(error) and "keyword" not in str(error):
                raise
            self.fallback_reason = f"index.search refused lang/methods ({error})"
            return self.index.search(text, limit=LIMIT)

    def hits(self, results: object) -> list[object]:
        ranked = getattr(results, "ranked", None)
        if not self.fallback and callable(ranked):
            hits = list(ranked())
        else:
            if not self.fallback:
                self.fallback_reason = "the results have no ranked()"
            groups = getattr(results, "groups", {}) or {}
            hits = [hit for group in groups.values() for hit in group]
        unique: dict[str, object] = {}
        for hit in hits:
            unique.setdefault(hit.resource, hit)  # type: ignore[attr-defined]
        return list(unique.values())[:LIMIT]

    def top(self, query: Query, methods: tuple[str, ...]) -> list[object]:
        return self.hits(self.call(query.text, query.language, methods))


# ---- figures --------------------------------------------------------------------------------------------------


@dataclass
class Score:
    recall: float
    reciprocal_rank: float


def score(query: Query, ranked: Sequence[str]) -> Score:
    top = list(ranked[:LIMIT])
    found = set(query.expected) & set(top)
    first = next((rank for rank, iri in enumerate(top, start=1) if iri in query.expected), None)
    return Score(len(found) / len(query.expected), 1 / first if first else 0.0)


def mean(values: Iterable[float]) -> float:
    listed = list(values)
    return sum(listed) / len(listed) if listed else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """A plain ASCII table: text left-aligned, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[format_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )

    rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [title] if title else []
    out += [rule, line(cells[0]), rule, *(line(r) for r in cells[1:]), rule]
    return "\n".join(out)


def format_cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def set_name(methods: tuple[str, ...]) -> str:
    return "+".join(methods)


def quality(
    searcher: Searcher, queries: Sequence[Query], method_sets: Sequence[tuple[str, ...]]
) -> dict[tuple[str, ...], list[Score]]:
    scores: dict[tuple[str, ...], list[Score]] = {}
    for methods in method_sets:
        scores[methods] = [
            score(q, [h.resource for h in searcher.top(q, methods)])  # type: ignore[attr-defined]
            for q in queries
        ]
    return scores


def grouped_table(
    title: str,
    label: str,
    key: Callable[[Query], str],
    order: Sequence[str],
    queries: Sequence[Query],
    scores: dict[tuple[str, ...], list[Score]],
) -> str:
    headers = [label, "n"]
    for methods in scores:
        headers += [f"{set_name(methods)} R@10", "MRR"]
    rows = []
    for group in order:
        members = [i for i, q in enumerate(queries) if key(q) == group]
        if not members:
            continue
        row: list[object] = [group, len(members)]
        for per_query in scores.values():
            row += [mean(per_query[i].recall for i in members), mean(per_query[i].reciprocal_rank for i in members)]
        rows.append(row)
    return table(headers, rows, title)


def overall_table(title: str, scores: dict[tuple[str, ...], list[Score]]) -> str:
    rows = []
    previous: tuple[float, float] | None = None
    for methods, per_query in scores.items():
        recall = mean(s.recall for s in per_query)
        mrr = mean(s.reciprocal_rank for s in per_query)
        added = ("", "") if previous is None else (f"{recall - previous[0]:+.3f}", f"{mrr - previous[1]:+.3f}")
        rows.append([set_name(methods), len(per_query), recall, mrr, *added])
        previous = (recall, mrr)
    return table(["methods", "n", "R@10", "MRR", "added R@10", "added MRR"], rows, title)


def latency(searcher: Searcher, queries: Sequence[Query], methods: tuple[str, ...], runs: int) -> list[float]:
    """Seconds of each index.search call, --runs passes over every query, after one warm-up search."""
    searcher.call(queries[0].text, queries[0].language, methods)
    times = []
    for _ in range(runs):
        for query in queries:
            meaning.forget_questions()  # each search pays for reading its question, as a new question does
            start = time.perf_counter()
            searcher.call(query.text, query.language, methods)
            times.append(time.perf_counter() - start)
    return times


def latency_row(label: str, times: Sequence[float], build_s: float) -> list[object]:
    return [
        label,
        len(times),
        statistics.median(times) * 1000,
        percentile(times, 0.95) * 1000,
        max(times) * 1000,
        build_s,
    ]


def show(searcher: Searcher, queries: Sequence[Query], methods: tuple[str, ...], count: int) -> None:
    for query in queries[:count]:
        print(
            f"\n[{query.language}/{query.kind}] {query.text!r} (line {query.line}) — "
            f"expected: {' '.join(shorten(i) for i in query.expected)}"
        )
        hits = searcher.top(query, methods)
        if not hits:
            print("    (nothing found)")
        for rank, hit in enumerate(hits[:5], start=1):
            resource = hit.resource  # type: ignore[attr-defined]
            mark = "*" if resource in query.expected else " "
            extra = ", ".join(f"{name}={getattr(hit, name, None)!r}" for name in ("match", "language", "via"))
            print(f"  {mark}{rank}. {shorten(resource)} — {getattr(hit, 'label', '')!r} [{extra}]")


def fill_synthetic_vectors(store: EmbeddedStore, vectors: meaning.VectorCache, sample: int) -> None:
    """Put a vector in `vectors` for every passage of the store's texts that has none: `sample` of them read by the
    model (timed), the others copies of those."""
    texts = (row["text"].value for row in queries.stream(store, "search-documents"))
    passages = sorted({p for text in texts for p in meaning.chunks(text)})
    keys = [meaning.key(p) for p in passages]
    known = vectors.get(keys)
    missing = [(k, p) for k, p in zip(keys, passages, strict=True) if k not in known]
    if not missing:
        return
    read = missing[:sample]
    start = time.perf_counter()
    matrix = meaning.passages([p for _, p in read])
    seconds = time.perf_counter() - start
    vectors.put({k: matrix[i % len(read)] for i, (k, _) in enumerate(missing)})
    rate = len(read) / seconds
    print(
        f"meaning: {len(missing):,} passages without a vector; the model read {len(read)} in {seconds:.1f} s "
        f"({rate:.0f} passages/s: all of them would take {len(missing) / rate / 60:.0f} min); the rest copy those"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES, help="the query set (TSV)")
    parser.add_argument("--runs", type=int, default=5, help="passes over every query for the latency figures")
    parser.add_argument(
        "--triples",
        type=float,
        default=0,
        help="also time the search after adding about this many synthetic triples (e.g. 1e6)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=256,
        help="synthetic passages the meaning model reads with --triples (the rest copy them)",
    )
    parser.add_argument(
        "--show",
        type=int,
        default=0,
        metavar="N",
        help="print the top 5 results of the first N queries, all methods on",
    )
    args = parser.parse_args()
    runs = max(1, args.runs)

    try:
        queries = read_queries(args.queries)
    except (BadQueries, OSError) as error:
        print(f"bad query file {args.queries}:\n{error}", file=sys.stderr)
        return 2
    if not queries:
        print(f"no queries in {args.queries}", file=sys.stderr)
        return 2

    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    unknown = unknown_resources(store, queries)
    if unknown:
        print(f"{args.queries}: {len(unknown)} expected resource(s) not in the store:", file=sys.stderr)
        for iri, lines in unknown.items():
            print(f"  {shorten(iri)}  (line {', '.join(map(str, lines))})", file=sys.stderr)
        return 2

    scratch = tempfile.TemporaryDirectory(prefix="circe-kg-bench-")
    vectors = meaning.VectorCache(Path(scratch.name) / "vectors.sqlite")
    index = SearchIndex(store, vectors=vectors)
    start = time.perf_counter()
    documents = index.prepare(meaning_timeout=None)
    build_s = time.perf_counter() - start
    searcher = Searcher(index)
    # the first searches settle whether the new API is there (a TypeError or no ranked() switches to the fallback)
    searcher.top(queries[0], searcher.method_sets()[-1])
    method_sets = searcher.method_sets()
    languages = list(dict.fromkeys(q.language for q in queries))
    print(
        f"search quality: {len(queries)} queries from {args.queries.name} in {len(languages)} languages "
        f"({', '.join(f'{lang} {sum(q.language == lang for q in queries)}' for lang in languages)}); "
        f"{store.count():,} triples, {documents:,} texts indexed in {build_s:.2f} s"
    )
    if searcher.fallback:
        print(
            f"NOTE: fallback to the old search API ({searcher.fallback_reason}): index.search(text, limit=10) "
            f"and results.groups in order, counted as the 'words' method only"
        )
    else:
        print(f"methods offered by circe_kg.search.METHODS: {sorted(getattr(search_module, 'METHODS', ()))}")

    scores = quality(searcher, queries, method_sets)
    if searcher.fallback and len(scores) > 1:  # the fallback began during the quality pass: measure again
        method_sets = searcher.method_sets()
        scores = quality(searcher, queries, method_sets)
    print()
    print(grouped_table("(a) per language", "language", lambda q: q.language, languages, queries, scores))
    print()
    print(grouped_table("(b) per query kind", "kind", lambda q: q.kind, KINDS, queries, scores))
    print()
    print(overall_table("(c) overall, and what each method adds to the set before it", scores))

    every = method_sets[-1]
    if args.show:
        print(f"\ntop 5 results, methods {set_name(every)} (* = expected):")
        show(searcher, queries, every, args.show)

    rows = [latency_row("shipped data", latency(searcher, queries, every, runs), build_s)]
    if args.triples:
        triples = int(args.triples)
        projects = synthetic.projects_for(triples)
        start = time.perf_counter()
        store.replace_graphs({SYNTHETIC_GRAPH: synthetic.triples(projects, seed=1)})
        write_s = time.perf_counter() - start
        if meaning.available():
            fill_synthetic_vectors(store, vectors, args.sample)
        start = time.perf_counter()
        documents = index.prepare(meaning_timeout=None)  # the store's generation changed: the index rebuilds
        rebuild_s = time.perf_counter() - start
        print(
            f"\nadded {projects:,} synthetic projects ({store.count(SYNTHETIC_GRAPH):,} triples, written in "
            f"{write_s:.1f} s): {store.count():,} triples, {documents:,} texts, index rebuilt in {rebuild_s:.2f} s"
        )
        rows.append(latency_row(f"+ {triples:,} synthetic triples", latency(searcher, queries, every, runs), rebuild_s))
        print()
        print(
            overall_table(
                f"quality with the synthetic triples (the same queries, {triples:,} triples of noise)",
                quality(searcher, queries, method_sets),
            )
        )
    print()
    print(
        table(
            ["data", "searches", "median ms", "p95 ms", "max ms", "index build s"],
            rows,
            f"(d) latency of index.search, methods {set_name(every)}, {runs} run(s) over every query, "
            "after one warm-up search (index build s: index.prepare(); the first one also pays any one-time "
            "loading)",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
