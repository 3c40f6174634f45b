"""Benchmark spreadsheet imports: a practice sheet of N rows (filled from the product's own template) imported into
a store holding the shipped data, against the same records written as an N-Triples file and loaded with
`circe-kg load` (parse, validate, write, history) — the baseline, measured in the same run.

For each N it prints the median of --runs runs of: reading the .xlsx (openpyxl), the whole dry run (read, map,
diff, validate), and the dry run plus the write; and the load of the same records from N-Triples; and the ratio.

Run: .venv/bin/python bench/sheets_import.py [--rows 1000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pyoxigraph as ox

from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.sheets.importing import apply, plan_import
from circe_kg.sheets.layout import layout_for
from circe_kg.sheets.reading import read_file
from circe_kg.sheets.workbook import write_workbook
from circe_kg.store import EmbeddedStore
from circe_kg.writing.gate import WriteGate

SECTORS = ["Textile", "Plastics", "Tourism", "Waste management"]


def sheet(store: EmbeddedStore, rows: int) -> bytes:
    """The practice template with `rows` rows: names, a summary, an owner, sectors, a date and a source."""
    template = io.BytesIO()
    write_workbook([layout_for(store, "practice")], template)
    book = openpyxl.load_workbook(io.BytesIO(template.getvalue()))
    ws = book["Practices"]
    keys = [c.value for c in ws[2]]

    def at(key: str) -> int:
        return keys.index(key) + 1

    for n in range(rows):
        r = 3 + n
        ws.cell(r, at("skos:prefLabel@en"), f"Benchmark practice {n}")
        ws.cell(r, at("skos:prefLabel@it"), f"Pratica di prova {n}")
        ws.cell(r, at("dct:description@en"), f"A practice made for the import benchmark, number {n}.")
        ws.cell(r, at("circe:practiceOwner"), "Sofia Municipality")
        ws.cell(r, at("circe:sector"), "; ".join(SECTORS[: 1 + n % 3]))
        ws.cell(r, at("dct:source"), "https://www.interregeurope.eu/circe")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh(folder: Path) -> tuple[EmbeddedStore, WriteGate]:
    store = EmbeddedStore(folder / "store")
    load_files(store, shipped_files())
    return store, WriteGate(store, folder / "history")


def seconds(action, *args, **kwargs) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| rows | file | read xlsx | dry run | import (dry run + write) | load same records as N-Triples | ratio |")
    print("|---|---|---|---|---|---|---|")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as base:
            store, gate = fresh(Path(base) / "template")
            data = sheet(store, rows)
            store.close()
        reads, dries, imports, loads = [], [], [], []
        for run in range(args.runs):
            print(f"{rows} rows, run {run + 1}", file=sys.stderr)
            with tempfile.TemporaryDirectory() as base:
                store, gate = fresh(Path(base))
                reads.append(seconds(read_file, data, "practices.xlsx"))
                dries.append(seconds(plan_import, gate, data, "practices.xlsx"))
                start = time.perf_counter()
                plan = plan_import(gate, data, "practices.xlsx")
                assert not plan.problems, plan.problems[:3]
                apply(gate, plan, "bench")
                imports.append(time.perf_counter() - start)
                graph = next(iter(plan.graphs))
                triples = store.dump(ox.RdfFormat.N_TRIPLES, graph)
                store.close()
            with tempfile.TemporaryDirectory() as base:
                store, gate = fresh(Path(base))
                nt = Path(base) / "edits.nt"
                nt.write_bytes(triples)
                loads.append(seconds(load_files, store, [nt], graph_iri=graph, gate=gate, agent="bench"))
                store.close()
        read, dry, full, load = (statistics.median(x) for x in (reads, dries, imports, loads))
        print(
            f"| {rows:,} | {len(data) / 1e6:.1f} MB | {read:.2f} s | {dry:.2f} s | {full:.2f} s "
            f"({rows / full:,.0f} rows/s) | {load:.2f} s | {full / load:.2f}× |"
        )


if __name__ == "__main__":
    main()
