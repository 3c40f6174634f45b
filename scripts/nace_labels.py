"""Write data/nace.ttl: the NACE Rev. 2 items that circe-kg needs, with Eurostat's official label in each of the
partners' languages, so that a search in one language reaches texts about the same activity in another.

Input: ../shared/datasets/nace/NACE_REV2_{lang}.csv (one file per language: en it es pl nl fr bg sl de; Eurostat
publishes no Catalan one). Each file lists all 996 items in Eurostat's order; the first three columns are
`Level` (1 section, 2 division, 3 group, 4 class), `Code` ("A", "38", "38.1", "38.11") and `Description` (the
label in that language). The other columns (notes, rulings) are not used; their headers differ between files,
so columns are read by position.

Which items:
- every division (level 2);
- the groups and classes (levels 3 and 4) under the divisions that data/sectors.ttl maps a sector to with
  skos:closeMatch;
- no sections: their URIs would be http://data.europa.eu/ux2/nace2/{letter}, a form that FACTS.md lists as not
  confirmed and that data/sectors.ttl's editorial note avoids. Divisions are therefore written without
  skos:broader; a group's broader is its division, a class's its group (from the file's order and levels).

Labels keep Eurostat's wording exactly, with surrounding whitespace trimmed; an empty label is skipped. The
output is sorted by code and written byte for byte the same on every run.

    .venv/bin/python scripts/nace_labels.py                      # from the project root
    .venv/bin/python scripts/nace_labels.py --out /tmp/nace.ttl  # somewhere else
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import rdflib
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "nace"
SECTORS = ROOT / "data" / "sectors.ttl"
OUT = ROOT / "data" / "nace.ttl"

LANGUAGES = ("en", "it", "es", "pl", "nl", "fr", "bg", "sl", "de")  # English first: the label every reader gets
NACE = "http://data.europa.eu/ux2/nace2/"
SCHEME = NACE + "nace2"

# Where the CSV files come from (../shared/datasets/README.md).
ORIGIN = ("Eurostat's RAMON classification server downloads, as redistributed in",
          "OCA/community-data-files (branch 12.0, commit 7fdb3777c1e46995464b8a36d625faada61e4707, "
          "folder l10n_eu_nace/data/)")
CITATION = "Source: Eurostat, NACE Rev. 2"


def read_language(path: Path) -> list[tuple[int, str, str]]:
    """(level, code, label) of each item of one language file, in the file's order."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0][:3] != ["Level", "Code", "Description"]:
        raise SystemExit(f"{path}: expected the columns Level, Code, Description first")
    return [(int(row[0]), row[1].strip(), row[2].strip()) for row in rows[1:] if row]


def mapped_divisions(sectors: Path = SECTORS) -> set[str]:
    """The divisions (two-digit codes) of the NACE items that a sector of data/sectors.ttl points at with
    skos:closeMatch (nace:13 -> "13"; a class such as nace:5510 would give its division, "55")."""
    graph = rdflib.Graph().parse(sectors)
    codes = [str(o)[len(NACE):] for o in graph.objects(None, SKOS.closeMatch) if str(o).startswith(NACE)]
    return {code[:2] for code in codes if code[:2].isdigit()}


def items(dataset: Path = DATASET, divisions: set[str] | None = None) -> list[dict]:
    """The selected items, sorted by code: code, level, parent code (or None) and {language: label}."""
    divisions = mapped_divisions() if divisions is None else divisions
    english = read_language(dataset / "NACE_REV2_en.csv")
    labels: dict[str, dict[str, str]] = {code: {} for _, code, _ in english}
    for lang in LANGUAGES:
        for _, code, label in read_language(dataset / f"NACE_REV2_{lang}.csv"):
            if code not in labels:
                raise SystemExit(f"NACE_REV2_{lang}.csv has code {code!r}, which the English file lacks")
            if label:
                labels[code][lang] = label
    selected = []
    last_at_level: dict[int, str] = {}
    for level, code, _ in english:
        last_at_level[level] = code
        parent = last_at_level.get(level - 1) if level > 1 else None
        if level > 2 and not code.startswith(parent):  # the file order must nest: 38 > 38.1 > 38.11
            raise SystemExit(f"NACE item {code} follows {parent}, which is not its parent")
        division = code.split(".")[0]
        if level == 2 or (level in (3, 4) and division in divisions):
            selected.append({"code": code, "level": level, "parent": parent if level > 2 else None,
                             "labels": labels[code]})
    return sorted(selected, key=lambda item: item["code"])


def literal(text: str) -> str:
    """A Turtle string literal (double quotes, escaped)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


def local(code: str) -> str:
    """The item's name in the nace: namespace: its code without dots (38.11 -> nace:3811)."""
    return "nace:" + code.replace(".", "")


def turtle(selected: list[dict], divisions: set[str]) -> str:
    counts = {level: sum(1 for item in selected if item["level"] == level) for level in (2, 3, 4)}
    lines = [
        "# Generated by scripts/nace_labels.py — do not edit by hand; run the script again.",
        "# NACE Rev. 2 items with Eurostat's official labels in the partners' languages (en it es pl nl fr bg sl de;",
        "# Eurostat publishes no Catalan labels). Labels are Eurostat's wording, only trimmed of surrounding spaces.",
        f"# Data: ../shared/datasets/nace/NACE_REV2_{{lang}}.csv: {ORIGIN[0]}",
        f"# {ORIGIN[1]}.",
        f"# Terms: Eurostat data, reusable with acknowledgement: \"{CITATION}\".",
        f"# Items: all {counts[2]} divisions; the {counts[3]} groups and {counts[4]} classes under the divisions that",
        "# data/sectors.ttl aligns its sectors with (skos:closeMatch):",
        f"#   {', '.join(sorted(divisions))}.",
        "# No sections: section-letter URIs are not confirmed (FACTS.md), so divisions have no skos:broader.",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dct:  <http://purl.org/dc/terms/> .",
        f"@prefix nace: <{NACE}> .",
        "",
        "nace:nace2 a skos:ConceptScheme ;",
        '    skos:prefLabel "NACE Rev. 2"@en ;',
        '    dct:description "Statistical classification of economic activities in the European Community, '
        'NACE Rev. 2 (Eurostat). circe-kg describes only the items it needs: every division, and the groups '
        'and classes of the divisions that CircE sectors are aligned with."@en ;',
        f"    dct:bibliographicCitation {literal(CITATION)}@en ;",
        "    dct:source nace:nace2 .",
    ]
    for item in selected:
        lines.append("")
        lines.append(f"{local(item['code'])} a skos:Concept ;")
        lines.append("    skos:inScheme nace:nace2 ;")
        lines.append(f"    skos:notation {literal(item['code'])} ;")
        labels = [f"{literal(item['labels'][lang])}@{lang}" for lang in LANGUAGES if lang in item["labels"]]
        lines.append("    skos:prefLabel " + " ,\n        ".join(labels) + " ;")
        if item["parent"]:
            lines.append(f"    skos:broader {local(item['parent'])} ;")
        lines.append("    dct:source nace:nace2 .")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET, help="folder of the NACE_REV2_{lang}.csv files")
    parser.add_argument("--sectors", type=Path, default=SECTORS, help="the sectors file whose NACE links to follow")
    parser.add_argument("--out", type=Path, default=OUT, help="the Turtle file to write")
    args = parser.parse_args(argv)
    divisions = mapped_divisions(args.sectors)
    selected = items(args.dataset, divisions)
    args.out.write_text(turtle(selected, divisions), encoding="utf-8", newline="\n")
    print(f"{args.out}: {len(selected)} NACE items", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
