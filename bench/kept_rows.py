"""Benchmark the step of maintained.updated that puts a write's rows into a kept answer: the rows it keeps and
their texts filtered by one mask made in C ("mapped", its steps, written out here), the fresh rows inserted in
place, against the baseline measured in the same run (the rows paired with their texts, filtered, then split
again) and the mask made by a Python loop ("masked", the step before).

Run: .venv/bin/python bench/kept_rows.py [--rows 100000] [--runs 15]
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
from functools import partial
from itertools import compress
from operator import itemgetter, not_

import pyoxigraph as ox
from timing import timed

Row = dict[str, ox.NamedNode | ox.Literal]


def text_of(row: Row) -> dict[str, str]:
    return {k: v.value for k, v in row.items()}


def by_resource(row: Row) -> str:
    return row["resource"].value


def paired(rows: list[Row], texts: list[dict[str, str]], gone: set[ox.NamedNode], fresh: list[Row]) -> tuple:
    """The baseline: the rows paired with their texts, filtered, inserted, split again; the dropped rows apart."""
    pairs = [(row, text) for row, text in zip(rows, texts, strict=True) if row["resource"] not in gone]
    for row in fresh:
        bisect.insort(pairs, (row, text_of(row)), key=lambda pair: by_resource(pair[0]))
    dropped = [row for row in rows if row["resource"] in gone]
    return [p[0] for p in pairs], [p[1] for p in pairs], dropped


def masked(rows: list[Row], texts: list[dict[str, str]], gone: set[ox.NamedNode], fresh: list[Row]) -> tuple:
    """One mask made in Python, the rows and texts filtered by it, the fresh rows put in place."""
    kept = [row["resource"] not in gone for row in rows]
    new_rows, new_texts = list(compress(rows, kept)), list(compress(texts, kept))
    for row in fresh:
        at = bisect.bisect_right(new_rows, by_resource(row), key=by_resource)
        new_rows.insert(at, row)
        new_texts.insert(at, text_of(row))
    return new_rows, new_texts, list(compress(rows, (not k for k in kept)))


def mapped(rows: list[Row], texts: list[dict[str, str]], gone: set[ox.NamedNode], fresh: list[Row]) -> tuple:
    """What maintained.updated does: the mask made in C (map over itemgetter and the set's __contains__)."""
    dropping = list(map(gone.__contains__, map(itemgetter("resource"), rows)))
    new_rows, new_texts = list(compress(rows, map(not_, dropping))), list(compress(texts, map(not_, dropping)))
    for row in fresh:
        at = bisect.bisect_right(new_rows, by_resource(row), key=by_resource)
        new_rows.insert(at, row)
        new_texts.insert(at, text_of(row))
    return new_rows, new_texts, list(compress(rows, dropping))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    rows: list[Row] = [
        {"resource": ox.NamedNode(f"https://example.org/{i:07d}"), "label": ox.Literal(f"name {i}")}
        for i in range(args.rows)
    ]
    texts = [text_of(row) for row in rows]
    changed = [rows[5], rows[args.rows // 2]]  # a write that renames two resources
    gone = {row["resource"] for row in changed}
    expected = paired(rows, texts, gone, changed)
    assert masked(rows, texts, gone, changed) == expected == mapped(rows, texts, gone, changed)
    medians: dict[str, float] = {}
    for name, step in (("paired (baseline)", paired), ("masked", masked), ("mapped", mapped)):
        medians[name] = statistics.median(timed(partial(step, rows, texts, gone, changed), args.runs))
        print(f"{name:18} {medians[name] * 1000:7.1f} ms for {args.rows:,} rows")
    for name in ("masked", "mapped"):
        print(f"ratio baseline/{name}: {medians['paired (baseline)'] / medians[name]:.1f}x")


if __name__ == "__main__":
    main()
