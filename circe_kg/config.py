"""Where things are: the shipped files and the default on-disk store. Environment variables override."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
DATA_DIR = PROJECT_ROOT / "data"
SHAPES_DIR = PROJECT_ROOT / "shapes"
QUERIES_DIR = PROJECT_ROOT / "queries"


def default_store_path() -> Path:
    """The on-disk store: $CIRCE_KG_STORE, else var/store in the checkout."""
    return Path(os.environ.get("CIRCE_KG_STORE", PROJECT_ROOT / "var" / "store"))


def shipped_files() -> list[Path]:
    """The ontology, data and shapes that `circe-kg load` loads when given no file, in load order."""
    files: list[Path] = []
    for folder in (ONTOLOGY_DIR, SHAPES_DIR, DATA_DIR):
        files.extend(sorted(folder.glob("*.ttl")))
    return files


def history_path(store_path: Path) -> Path:
    """Where the versions of a store's graphs are kept: beside the store folder."""
    return Path(os.environ.get("CIRCE_KG_HISTORY", store_path.parent / "history"))
