"""Benchmark the write gate's small writes at scale, with incremental validation off (the baseline: the whole store
validated at every write) and on (CIRCE_KG_INCREMENTAL_VALIDATION, the default: only the records a write can
affect), measured in the same run, write by write, on the same store.

For each size it generates synthetic data of CircE's shape (circe_kg.synthetic, seed 1, N-Triples) in a temp
folder, drops the triples it repeats (see --keep-duplicates) and loads it with the shipped files into a fresh
on-disk store with `load_files` (parse, validate, write, and the history beside the store that the gate reads
graphs' contents from: config.history_path). Through a `WriteGate(store, history_path(store))`, as the CLI and the
web app make it, it then measures the latency of:

1. small write: a steward's form save, a new stakeholder organisation (6 triples: type, English name, the shipped
   organisation it is a stakeholder of, its NUTS region, illustrative and its note) added to the edits graph
   (writes.EDITS_GRAPH: its content as the gate reads it, plus the new triples); a new IRI at every run;
2. small edit: the English name of a record of the edits graph changed;
3. refused write: a small write whose record breaks a shape (circe:memberCount as text), refused with
   ValidationFailed (nothing is written);
4. wide write: a skos:altLabel added, in the edits graph, to a sector the synthetic records point at often
   (sector:plastics; a SPARQL COUNT says how many triples point at it): a write about a node many records
   reference, but through a property no shape reads;
5. wide reach: the sector's class (rdf:type circe:Sector) stated again in the edits graph, then taken back, and so
   on: a triple the shapes read from every record linking to the sector (sh:class circe:Sector), so an
   incremental check has all those records to look at.

Each latency is the whole save as the steward waits for it: reading the edits graph, making its new content, and
`WriteGate.commit` (validation, history, store update). The two modes alternate write by write (the mode set in
os.environ, which circe_kg.settings reads at each call; the first of the pair alternates too), so both see the same
store size and the same machine state; one small write in each mode comes first and is shown, not counted (what is
made once: shapes read, caches). Other processes busy on the cores slow both modes, the full check most (it
splits big validations over the cores): each table says how many cores they kept busy (/proc/stat).

It prints, per size and at the end, the median and p95 of --runs writes in each mode and the ratio off/on (how many
times faster incremental validation makes the write), and the growth exponent b of cost ~ size^b across the sizes,
fitted over the data triples in the store (shipped + synthetic: at 1e4 the shipped data is most of it) as
bench/scale.py fits it.

The generator repeats a few triples (about 1 in 2,000); the history keeps a loaded file's triples as sent, the
store each once. Before the gate compared distinct lines (History.content), every write that read such a graph
read it from the store; --keep-duplicates loads the file as generated, to check that it no longer costs.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from scale import Figure, growth, median_p95, parse_size, progress

from circe_kg import synthetic
from circe_kg.config import history_path, shipped_files
from circe_kg.errors import ValidationFailed
from circe_kg.loader import load_files
from circe_kg.namespaces import CIRCE, ID, RDF, SKOS, XSD
from circe_kg.rdf_files import kind_of_graph
from circe_kg.store import EmbeddedStore
from circe_kg.writing.gate import EDITS_GRAPH, WriteGate

SEED = 1
MODE_VARIABLE = "CIRCE_KG_INCREMENTAL_VALIDATION"
MODES = ("off", "on")  # off: the baseline, the whole store validated at every write
MEASURES = ("small write", "small edit", "refused write", "wide write", "wide reach")
AGENT = "bench-steward"
OWNER = f"{ID}organisation/regione-lombardia"  # a shipped organisation the new records are stakeholders of
REGION = "http://data.europa.eu/nuts/code/ITC4"
RENAMED = f"{ID}organisation/bench-writes-renamed"  # the edits graph's record that "small edit" renames
NOTE = "Made by bench/writes.py to measure writes: not a record."
NUMBERS = itertools.count(1)  # every new record and label is unique across sizes, modes and runs
# The concept of the wide writes: one of the sectors the synthetic records point at most at every size (their
# counts are close: which is first changes with the size), checked by sh:class circe:Sector on every link to it.
CONCEPT = f"{ID}sector/plastics"
USES = "SELECT (COUNT(*) AS ?uses) WHERE { ?record ?link ?concept }"


def n(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def english(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def stakeholder(iri: str, name: str) -> list[ox.Triple]:
    """A stakeholder organisation as a steward's form makes one (the shape of the synthetic stakeholders)."""
    me = n(iri)
    return [
        ox.Triple(me, n(RDF.type), n(CIRCE.Stakeholder)),
        ox.Triple(me, n(SKOS.prefLabel), english(name)),
        ox.Triple(me, n(CIRCE.stakeholderOf), n(OWNER)),
        ox.Triple(me, n(CIRCE.inRegion), n(REGION)),
        ox.Triple(me, n(CIRCE.illustrative), ox.Literal("true", datatype=n(XSD.boolean))),
        ox.Triple(me, n(CIRCE.illustrativeNote), english(NOTE)),
    ]


# ---- the five writes ----------------------------------------------------------------------------------------
class Writes:
    """The measured writes on one store, each a whole save: read the edits graph, make its new content, commit."""

    def __init__(self, gate: WriteGate, concept: str, concept_class: str) -> None:
        self.gate = gate
        self.concept = concept
        self.concept_class = concept_class
        self.notes: list[str] = []

    def edits(self) -> list[ox.Triple]:
        return list(self.gate.content(EDITS_GRAPH)) if EDITS_GRAPH in self.gate.store.named_graphs() else []

    def commit(self, triples: list[ox.Triple]) -> None:
        self.gate.commit({EDITS_GRAPH: triples}, "create", AGENT)

    def small_write(self) -> None:
        number = next(NUMBERS)
        new = stakeholder(f"{ID}organisation/bench-writes-{number}", f"Bench stakeholder {number}")
        self.commit(self.edits() + new)

    def small_edit(self) -> None:
        name = str(SKOS.prefLabel)
        kept = [t for t in self.edits() if not (t.subject.value == RENAMED and t.predicate.value == name)]
        self.commit([*kept, ox.Triple(n(RENAMED), n(SKOS.prefLabel), english(f"Renamed stakeholder {next(NUMBERS)}"))])

    def refused_write(self) -> None:
        number = next(NUMBERS)
        before = self.edits()
        broken = stakeholder(f"{ID}organisation/bench-writes-{number}", f"Bench stakeholder {number}")
        broken.append(ox.Triple(n(broken[0].subject.value), n(CIRCE.memberCount), ox.Literal("many")))
        try:
            self.commit(before + broken)
        except ValidationFailed:
            return
        mode = os.environ.get(MODE_VARIABLE)
        self.notes.append(f"the refused write was ACCEPTED with {MODE_VARIABLE}={mode}: a wrong answer, not a figure")
        with mode_set("off"):
            self.commit(before)  # take it back, or every later full validation would refuse

    def wide_write(self) -> None:
        label = english(f"Bench alias {next(NUMBERS)}")
        self.commit([*self.edits(), ox.Triple(n(self.concept), n(SKOS.altLabel), label)])

    def wide_reach(self) -> None:
        """Stated, then taken back at the next run, and so on: each run changes the same triple."""
        typed = ox.Triple(n(self.concept), n(RDF.type), n(self.concept_class))
        edits = self.edits()
        self.commit([t for t in edits if t != typed] if typed in edits else [*edits, typed])

    def action(self, measure: str) -> Callable[[], None]:
        return getattr(self, measure.replace(" ", "_"))


@contextlib.contextmanager
def mode_set(mode: str) -> Iterator[None]:
    """Incremental validation on or off inside the block (circe_kg.settings reads os.environ at each call)."""
    before = os.environ.get(MODE_VARIABLE)
    os.environ[MODE_VARIABLE] = mode
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MODE_VARIABLE, None)
        else:
            os.environ[MODE_VARIABLE] = before


class OtherProcesses:
    """How many cores other processes kept busy, on average, from now to `cores()` (Linux: /proc/stat)."""

    def __init__(self) -> None:
        self.start = (self.busy(), self.own(), time.perf_counter())

    @staticmethod
    def busy() -> float | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait

    @staticmethod
    def own() -> float:
        times = os.times()
        return times.user + times.system

    def cores(self) -> float | None:
        busy, own, wall = self.busy(), self.own(), time.perf_counter()
        if busy is None or self.start[0] is None or wall <= self.start[2]:
            return None
        return max(0.0, (busy - self.start[0]) - (own - self.start[1])) / (wall - self.start[2])


def without_repeats(path: Path) -> int:
    """Keep each line of an N-Triples file once, in order; return how many lines were dropped."""
    lines = path.read_bytes().splitlines(keepends=True)
    kept = list(dict.fromkeys(lines))
    if len(kept) < len(lines):
        path.write_bytes(b"".join(kept))
    return len(lines) - len(kept)


def shown_last(times: list[float]) -> str:
    return f"{times[-1] * 1000:.0f}" if times else "-"


def timed_once(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def profiled(action: Callable[[], None], top: int = 15) -> str:
    profile = cProfile.Profile()
    profile.enable()
    action()
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(top)
    return text.getvalue()


# ---- one size ---------------------------------------------------------------------------------------------
def measure_size(size: int, args: argparse.Namespace, figures: list[Figure], notes: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix=f"circe-writes-{size}-") as tmp:
        folder = Path(tmp)
        data = folder / f"synthetic-{size}.nt"
        progress(f"generating about {size:,} synthetic triples (seed {SEED})")
        generated = synthetic.write_file(data, synthetic.projects_for(size), SEED)
        dropped = 0 if args.keep_duplicates else without_repeats(data)
        progress(f"  {generated:,} triples ({dropped:,} repeats dropped); loading them and the shipped files")
        with EmbeddedStore(folder / "store") as store:
            gate = WriteGate(store, history_path(store))
            started = time.perf_counter()
            load_files(store, shipped_files(), gate=gate)
            load_files(store, [data], gate=gate)
            loaded = time.perf_counter() - started
            triples = sum(store.count(g) for g in store.named_graphs() if kind_of_graph(g) != "system")
            progress(f"  loaded in {loaded:.1f} s: {triples:,} data triples")
            concept, concept_class = CONCEPT, str(CIRCE.Sector)
            uses = int(next(iter(store.query(USES, {"concept": n(concept)})))["uses"].value)
            progress(f"  <{concept}>: {uses:,} triples point at it")
            writes = Writes(gate, concept, concept_class)
            with mode_set("off"):  # the edits graph's first record, that "small edit" renames
                writes.commit(writes.edits() + stakeholder(RENAMED, "Stakeholder to rename"))
            first: dict[str, float | None] = {}  # a small write in each mode first, not counted: what is made once
            for mode in MODES:
                with mode_set(mode):
                    try:
                        first[mode] = timed_once(writes.small_write)
                    except Exception as error:
                        first[mode] = None
                        writes.notes.append(
                            f"first small write, incremental {mode}: failed with "
                            f"{type(error).__name__}: {str(error)[:200]}"
                        )
            extra = {
                "synthetic_triples": generated,
                "repeats_dropped": dropped,
                "load_s": loaded,
                "concept": concept,
                "concept_uses": uses,
                "concept_class": writes.concept_class,
                "first_write_s": first,
            }
            times: dict[tuple[str, str], list[float]] = {(m, mode): [] for m in MEASURES for mode in MODES}
            others = OtherProcesses()  # another process busy on the cores slows both modes: say so
            for run in range(args.runs):
                order = MODES if run % 2 == 0 else MODES[::-1]
                for measure in MEASURES:
                    for mode in order:
                        with mode_set(mode):
                            try:
                                times[(measure, mode)].append(timed_once(writes.action(measure)))
                            except Exception as error:  # a bug in the write path: say it, measure the rest
                                writes.notes.append(
                                    f"{measure}, incremental {mode}: failed with "
                                    f"{type(error).__name__}: {str(error)[:200]}"
                                )
                progress(
                    f"  run {run + 1}/{args.runs}: "
                    + ", ".join(
                        f"{m} {shown_last(times[(m, 'off')])}/{shown_last(times[(m, 'on')])} ms" for m in MEASURES
                    )
                    + " (off/on)"
                )
            extra["other_processes_cores"] = others.cores()
            for (measure, mode), values in times.items():
                if not values:
                    continue
                median, p95 = median_p95(values)
                figures.append(
                    Figure(
                        size,
                        triples,
                        "write",
                        measure,
                        f"incremental {mode}",
                        median,
                        "s",
                        p95,
                        {**extra, "runs_s": values},
                    )
                )
            notes.extend(f"{size:g}: {note}" for note in dict.fromkeys(writes.notes))
            if args.profile:
                for mode in MODES:
                    with mode_set(mode):
                        try:
                            text = profiled(writes.small_write)
                        except Exception as error:
                            text = f"failed with {type(error).__name__}: {str(error)[:200]}"
                    print(
                        f"\n== cProfile of one small write at {size:g}, incremental {mode} "
                        f"(top 15, cumulative) ==\n{text.strip()}"
                    )
            progress(f"done with {size:g}; removing {folder}")


# ---- reporting --------------------------------------------------------------------------------------------
def pick(figures: list[Figure], size: int, measure: str, mode: str) -> Figure | None:
    return next((f for f in figures if (f.size, f.measure, f.backend) == (size, measure, f"incremental {mode}")), None)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}ms"


def ratio(off: Figure | None, on: Figure | None) -> str:
    return f"{off.value / on.value:.2f}x" if off and on and on.value else "-"


def print_table(size: int, figures: list[Figure], runs: int) -> None:
    mine = [f for f in figures if f.size == size]
    if not mine:
        return
    extra = mine[0].extra
    print(
        f"\n== size {size:g}: {extra['synthetic_triples']:,} synthetic triples ({extra['repeats_dropped']:,} repeats "
        f"dropped), {mine[0].triples:,} data triples in the store (loaded in {extra['load_s']:.1f} s); "
        f"{runs} writes per mode =="
    )
    print("   first small write (not counted): " + ", ".join(f"{m} {ms(t)}" for m, t in extra["first_write_s"].items()))
    if extra["other_processes_cores"] is not None:
        print(
            f"   other processes kept {extra['other_processes_cores']:.2f} of the {os.cpu_count()} cores busy while "
            "the writes were measured (0 = a quiet machine)"
        )
    print(
        f"   wide write and wide reach: <{extra['concept']}> (a <{extra['concept_class']}>), "
        f"{extra['concept_uses']:,} triples point at it"
    )
    print("   off/on = how many times faster the write is with incremental validation")
    print(f"{'measure':14} {'off median':>11} {'off p95':>10} {'on median':>11} {'on p95':>10} {'off/on':>8}")
    for measure in MEASURES:
        off, on = pick(figures, size, measure, "off"), pick(figures, size, measure, "on")
        print(
            f"{measure:14} {ms(off and off.value):>11} {ms(off and off.p95):>10} {ms(on and on.value):>11} "
            f"{ms(on and on.p95):>10} {ratio(off, on):>8}"
        )


def print_summary(figures: list[Figure]) -> None:
    sizes = sorted({f.size for f in figures})
    if not sizes:
        return
    print("\n== all sizes: medians, incremental off / on (off/on) ==")
    heads = [f"{s:g} ({next(f.triples for f in figures if f.size == s):,} triples)" for s in sizes]
    print(f"{'measure':14} " + " ".join(f"{h:>36}" for h in heads))
    for measure in MEASURES:
        cells = []
        for s in sizes:
            off, on = pick(figures, s, measure, "off"), pick(figures, s, measure, "on")
            cells.append(f"{ms(off and off.value)} / {ms(on and on.value)} ({ratio(off, on)})")
        print(f"{measure:14} " + " ".join(f"{c:>36}" for c in cells))


def print_growth(fits: list[dict[str, Any]]) -> None:
    if not fits:
        print("\n(growth exponents need two sizes or more)")
        return
    print("\n== growth: b in cost ~ size^b over the store's data triples (1.0 = linear, 0 = flat) ==")
    print(f"{'measure':14} " + " ".join(f"{f'incremental {m}':>16}" for m in MODES))
    for measure in MEASURES:
        by = {f["backend"]: f["exponent"] for f in fits if f["measure"] == measure}
        cells = [f"b = {by[f'incremental {m}']:.2f}" if f"incremental {m}" in by else "-" for m in MODES]
        print(f"{measure:14} " + " ".join(f"{c:>16}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1e4,1e5", help="comma-separated synthetic triple counts, e.g. 1e4,1e5,1e6")
    parser.add_argument("--runs", type=int, default=5, help="writes per measure and mode (median, p95)")
    parser.add_argument("--out", type=Path, help="write writes.json there")
    parser.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="load the synthetic file as generated, repeated triples included (see above)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print cProfile's top 15 cumulative entries of one small write per mode and size",
    )
    args = parser.parse_args()
    args.sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
    figures: list[Figure] = []
    notes: list[str] = []
    try:
        for size in args.sizes:
            measure_size(size, args, figures, notes)
            print_table(size, figures, args.runs)
            sys.stdout.flush()
    except KeyboardInterrupt:
        progress("interrupted: reporting what was measured")
    finally:
        print_summary(figures)
        fits = growth(figures)
        print_growth(fits)
        for note in notes:
            print(note)
        if args.out and figures:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "writes.json").write_text(
                json.dumps(
                    {
                        "seed": SEED,
                        "runs": args.runs,
                        "keep_duplicates": args.keep_duplicates,
                        "sizes": args.sizes,
                        "notes": notes,
                        "figures": [asdict(f) for f in figures],
                        "growth": fits,
                    },
                    indent=2,
                )
            )
            print(f"\nwrote {args.out / 'writes.json'}")


if __name__ == "__main__":
    main()
