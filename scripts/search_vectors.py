"""Write circe_kg/search-vectors.npz: the meaning vectors of every passage of the shipped data's texts, so that a
fresh install searches by meaning at once instead of reading them all with the model first (about a minute on
two cores).

Run after changing the texts in data/ (tests/test_search_meaning.py says when the file is out of date):
    .venv/bin/python scripts/search_vectors.py
"""

from __future__ import annotations

import sys

from circe_kg import meaning, queries
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore


def shipped_texts() -> list[str]:
    """The texts the search index reads from the shipped data."""
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    return [row["text"].value for row in queries.stream(store, "search-documents")]


def main() -> int:
    if not meaning.available():
        print("the meaning model is not installed: run scripts/setup.sh", file=sys.stderr)
        return 2
    count = meaning.write_shipped(shipped_texts(), cache=meaning.VectorCache())
    print(f"{meaning.SHIPPED.name}: {count} passages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
