"""Benchmark the per-field diff a history row and a change page show (circe_kg/diffs.py) on a big graph.

A graph of N triples (one record per 5 triples) with 1 % of its triples changed, diffed record by record, against
the baseline measured in the same run: comparing the two states' lines as sets, which every diff must do anyway.
The page shows at most 40 records per graph; the rest are counted.

Run: .venv/bin/python bench/history_diff.py [--runs 5] [--triples 100000]
"""

from __future__ import annotations

import argparse

from timing import median_seconds

from circe_kg.diffs import diff
from circe_kg.ntriples import NTriples

LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"


def states(triples: int) -> tuple[NTriples, NTriples]:
    """A graph of `triples` labels, and the same graph with every hundredth label changed."""
    lines = [f'<https://w3id.org/circe-kg/id/practice/p{i // 5}> {LABEL} "name {i}"@en .' for i in range(triples)]
    changed = [line.replace('"@en', ' (renamed)"@en') if i % 100 == 0 else line for i, line in enumerate(lines)]
    return NTriples(("\n".join(lines) + "\n").encode()), NTriples(("\n".join(changed) + "\n").encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--triples", type=int, default=100_000)
    args = parser.parse_args()
    before, after = states(args.triples)
    baseline = median_seconds(lambda: before.lines() ^ after.lines(), args.runs)
    found = diff(before, after, lambda iris: {})
    measured = median_seconds(lambda: diff(before, after, lambda iris: {}), args.runs)
    print(f"{args.triples} triples, {found.changed_count} records changed, {len(found.resources)} described")
    print(f"baseline (lines as sets): median {baseline:.3f} s")
    print(f"per-field diff:           median {measured:.3f} s  ({measured / baseline:.2f}x the baseline)")


if __name__ == "__main__":
    main()
