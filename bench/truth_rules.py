"""Benchmark what the rules that keep sourced, editorial and illustrative apart cost the validation gate.

Full SHACL validation of the shipped graph, and of the shipped graph with synthetic data (`circe-kg generate`,
all illustrative) beside it, with today's shapes against the same shapes without those rules (the section of
shapes/circe.ttl from "Three kinds of statement" on: the CircE link's source, the evidence level's link, marked
classifications, editorial classifications and known gaps) — the baseline, measured in the same run.

Run: .venv/bin/python bench/truth_rules.py [--runs 5] [--triples 0 100000]
"""

from __future__ import annotations

import argparse

import pyoxigraph as ox
from timing import median_seconds

from circe_kg import synthetic
from circe_kg.config import SHAPES_DIR, shipped_files
from circe_kg.loader import parse_all
from circe_kg.validation import validate_state

RULES = "# Three kinds of statement, kept apart"


def shapes_without_the_rules() -> list[ox.Triple]:
    """The shipped shapes up to the section of the truth rules (the rest of the file is that section)."""
    text = (SHAPES_DIR / "circe.ttl").read_text(encoding="utf-8")
    head = text[: text.index(RULES)].rsplit("# ====", 1)[0]
    return list(ox.parse(head.encode(), format=ox.RdfFormat.TURTLE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--triples",
        type=int,
        nargs="*",
        default=[0, 100_000],
        help="synthetic triples beside the shipped graph (0: the shipped graph alone)",
    )
    args = parser.parse_args()
    shipped = {p.graph_iri: list(p.triples) for p in parse_all(shipped_files())}
    shapes_graph = next(iri for iri in shipped if "/graph/shapes/" in iri)
    baseline_shapes = shapes_without_the_rules()
    print(f"validation with and without the truth rules, median of {args.runs} runs")
    print(f"{'graph':34} {'triples':>9} {'without':>9} {'with':>9} {'ratio':>7}")
    for size in args.triples:
        state = dict(shipped)
        if size:
            state["https://w3id.org/circe-kg/graph/data/synthetic"] = list(
                synthetic.triples(synthetic.projects_for(size), seed=1)
            )
        total = sum(len(t) for t in state.values())
        without = {**state, shapes_graph: baseline_shapes}
        assert validate_state(state).conforms and validate_state(without).conforms
        base = median_seconds(lambda s=without: validate_state(s), args.runs)
        now = median_seconds(lambda s=state: validate_state(s), args.runs)
        name = f"shipped + {size:,} synthetic" if size else "shipped data"
        print(f"{name:34} {total:>9} {base:>8.2f}s {now:>8.2f}s {now / base:>6.2f}x")


if __name__ == "__main__":
    main()
