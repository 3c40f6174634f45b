"""Write data/ecesp.ttl: ECESP's 787 good practices, brought in through the spreadsheet importer with the saved
column mapping mappings/ecesp.toml — the same path a steward's sheet takes (parse, map, validate through the write
gate, history) — and written out as the named graph that `circe-kg load` then loads from the file.

Input: ../shared/datasets/ecesp/good-practices.csv (its README gives its provenance and terms). Steps: a temporary
on-disk store gets every shipped file except data/ecesp.ttl; `circe-kg import --mapping` runs over the CSV; the
graph <…/graph/data/ecesp> is written as Turtle, sorted, so a second run writes the same bytes. The import report
(what was ignored and why) goes to standard error.

    .venv/bin/python scripts/ecesp_data.py                       # from the project root
    .venv/bin/python scripts/ecesp_data.py --out /tmp/ecesp.ttl  # somewhere else
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from circe_kg.config import shipped_files  # noqa: E402
from circe_kg.loader import load_files  # noqa: E402
from circe_kg.serialization import serialize  # noqa: E402
from circe_kg.sheets.importing import apply, plan_mapped  # noqa: E402
from circe_kg.sheets.mapping import load_mapping  # noqa: E402
from circe_kg.store import EmbeddedStore  # noqa: E402
from circe_kg.writing.gate import WriteGate  # noqa: E402

HEADER = """\
# ECESP good practices (European Circular Economy Stakeholder Platform), made by scripts/ecesp_data.py
# through the spreadsheet importer with mappings/ecesp.toml from ../shared/datasets/ecesp/good-practices.csv.
# Do not edit by hand: change the mapping or its tables and run the script again. Each practice and
# organisation cites its own ECESP page (dct:source); the sectors and circular strategies read from ECESP's
# tags are the editors' classification (circe:EditorialClassification, reason in skos:note).
# These are not CircE practices.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_csv = ROOT.parent / "shared" / "datasets" / "ecesp" / "good-practices.csv"
    parser.add_argument("--csv", type=Path, default=default_csv)
    parser.add_argument("--mapping", type=Path, default=ROOT / "mappings" / "ecesp.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "ecesp.ttl")
    args = parser.parse_args()
    mapping = load_mapping(args.mapping)
    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "store")
        load_files(store, [f for f in shipped_files() if f.resolve() != args.out.resolve()])
        gate = WriteGate(store, Path(folder) / "history")
        plan = plan_mapped(gate, args.csv.read_bytes(), args.csv.name, mapping)
        print(plan.to_text(), file=sys.stderr)
        if plan.problems:
            sys.exit(1)
        apply(gate, plan, "scripts/ecesp_data.py")
        triples = list(store.triples(mapping.graph))
        store.close()
    args.out.write_bytes(HEADER.encode() + serialize(triples, ox.RdfFormat.TURTLE))
    print(f"wrote {args.out}: {len(triples)} triples ({plan.summary()})", file=sys.stderr)


if __name__ == "__main__":
    main()
