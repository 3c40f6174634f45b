"""The package's rooms keep to themselves: nothing outside `circe_kg/store/` asks which store it has (by type or by
probing for attributes), and the store never imports what is built on it (the endpoint, writing, the faces)."""

from __future__ import annotations

import ast
from pathlib import Path

import circe_kg

PACKAGE = Path(circe_kg.__file__).parent
STORE_TYPES = {"EmbeddedStore", "RemoteStore", "FederatedStore", "StoreFolder"}
PROTOCOL = {"missing_sources", "forget_missing", "faithful_literals", "query_engine", "answers_max_age", "path"}
ABOVE_THE_STORE = ("endpoint", "web", "writing", "loader", "cli", "harvest", "answer_cache", "search", "sheets")


def _modules(folder: Path = PACKAGE) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _outside_store(path: Path) -> bool:
    return PACKAGE / "store" not in path.parents


def store_probes(text: str) -> list[str]:
    """`isinstance(…, <a store type>)` and `getattr(<a store>, "<a member of the Store interface>")` in `text`."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id == "isinstance" and len(node.args) == 2:
            if {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)} & STORE_TYPES:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        if node.func.id in ("getattr", "hasattr") and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and name.value in PROTOCOL and "store" in ast.unparse(node.args[0]):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_outside_the_store_asks_a_store_its_type():
    found = [
        f"{path.relative_to(PACKAGE)}:{probe}"
        for path in filter(_outside_store, _modules())
        for probe in store_probes(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "ask the Store interface (store/base.py) instead:\n" + "\n".join(found)


def test_the_store_imports_nothing_built_on_it():
    found = []
    for path in _modules(PACKAGE / "store"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                top = (node.module or "").split(".")[0]
                if top in ABOVE_THE_STORE:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} from {'.' * node.level}{node.module}")
    assert found == []


def test_the_check_finds_what_it_looks_for():
    sample = (
        "if isinstance(store, (RemoteStore, int)):\n    pass\n"
        "missing = getattr(self.store, 'missing_sources', list)()\n"
        "ok = isinstance(result, list) and getattr(row, 'path', None)\n"
    )
    assert store_probes(sample) == [
        "1: isinstance(store, (RemoteStore, int))",
        "3: getattr(self.store, 'missing_sources', list)",
    ]
