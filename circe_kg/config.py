"""Where things are: the shipped files and the default on-disk store. Environment variables override."""

from pathlib import Path
from typing import TYPE_CHECKING

from . import settings
from .settings import PROJECT_ROOT

if TYPE_CHECKING:  # the store package imports this module
    from .store import Store

ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
DATA_DIR = PROJECT_ROOT / "data"
SHAPES_DIR = PROJECT_ROOT / "shapes"
QUERIES_DIR = PROJECT_ROOT / "queries"


def default_store_path() -> Path:
    """The on-disk store: $CIRCE_KG_STORE, else var/store in the checkout."""
    return Path(settings.value("STORE_PATH"))


def shipped_files() -> list[Path]:
    """The ontology, data and shapes that `circe-kg load` loads when given no file, in load order."""
    files: list[Path] = []
    for folder in (ONTOLOGY_DIR, SHAPES_DIR, DATA_DIR):
        files.extend(sorted(folder.glob("*.ttl")))
    return files


def history_path(store: "Store") -> Path | None:
    """Where the versions of a store's graphs are kept: $CIRCE_KG_HISTORY, else beside the store."""
    named = settings.value("HISTORY_DIR")
    if named is not None:
        return Path(named)
    return store.local_folder / "history" if store.local_folder is not None else None
