"""The package's rooms keep to themselves: nothing outside `circe_kg/store/` asks which store it has (by type or by
probing for attributes), and the store never imports what is built on it (the endpoint, writing, the faces)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import circe_kg

PACKAGE = Path(circe_kg.__file__).parent
STORE_TYPES = {"EmbeddedStore", "RemoteStore", "FederatedStore", "StoreFolder"}
PROTOCOL = {"missing_sources", "forget_missing", "faithful_literals", "query_engine", "answers_max_age", "path"}


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


@pytest.mark.slow
def test_no_module_outside_the_store_asks_a_store_its_type():
    found = [
        f"{path.relative_to(PACKAGE)}:{probe}"
        for path in filter(_outside_store, _modules())
        for probe in store_probes(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "ask the Store interface (store/base.py) instead:\n" + "\n".join(found)


# The layers, lowest first (docs/architecture.md draws them): a module imports from its own layer or one below it.
LAYERS = {
    "primitives": "namespaces errors settings config ntriples serialization binding geometry lemmas spelling meaning "
    "rdf_files diffs",
    "questions": "queries reach walks",  # the named questions and the access paths read from them and the shapes
    "store": "store",
    "validation and reading": "validation incremental answer_cache maintained search search_concepts search_meaning "
    "facets forms dumps",
    "endpoint and writing": "endpoint writing",
    "loader": "loader export_graphs harvest sheets synthetic",
    "faces": "web cli",
}
LAYER_OF = {room: rank for rank, rooms in enumerate(LAYERS.values()) for room in rooms.split()}


def _room(dotted: str) -> str:
    """The room of a module named relative to the package: `store.remote` → store, `facets` → facets."""
    return dotted.split(".")[0]


def _runtime_imports(tree: ast.Module, package: list[str]) -> list[tuple[int, str]]:
    """(line, module relative to circe_kg) of each import of the package that runs when the module loads or a
    function runs — not those under `if TYPE_CHECKING:`, which only name types."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            if node.module:
                found.append((node.lineno, ".".join([*base, node.module])))
            else:
                found += [(node.lineno, ".".join([*base, alias.name])) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("circe_kg."):
            found.append((node.lineno, node.module.removeprefix("circe_kg.")))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name.removeprefix("circe_kg.")) for a in node.names if a.name.startswith("circe_kg.")
            ]
    return [(line, name) for line, name in found if name]


def upward_imports(sources: dict[str, str]) -> list[str]:
    """For modules {dotted name relative to circe_kg: source}, each import that runs upward (to a higher layer) or
    from the web faces into the CLI, as "module:line imports other"; a room missing from LAYERS is reported too."""
    found = []
    for name, text in sources.items():
        package = name.split(".")[:-1]  # a package's __init__ is in the package it starts
        room = _room(name)
        if room not in LAYER_OF:
            found.append(f"{name}: not in a layer (add it to LAYERS and docs/architecture.md)")
            continue
        for line, imported in _runtime_imports(ast.parse(text), package):
            other = _room(imported)
            if other in LAYER_OF and (LAYER_OF[other] > LAYER_OF[room] or (room == "web" and other == "cli")):
                found.append(f"{name}:{line} imports {imported}")
    return found


def _package_sources() -> dict[str, str]:
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path.read_text(encoding="utf-8")
        for path in _modules()
        if path.name != "__init__.py" or path.parent != PACKAGE
    }


@pytest.mark.slow
def test_imports_run_downward_only():
    assert upward_imports(_package_sources()) == [], "move the shared part down a layer (docs/architecture.md)"


def test_the_layer_check_catches_a_planted_offender():
    sources = {
        "store.remote": "from ..web.services import get_store\nfrom ..namespaces import GRAPH\n",
        "queries": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .store import Store\n",
        "facets": "def csv():\n    from .sheets.workbook import safe_csv_text\n",
        "web.home": "from .. import cli\n",
        "gadgets": "",
    }
    assert upward_imports(sources) == [
        "store.remote:1 imports web.services",
        "facets:2 imports sheets.workbook",
        "web.home:1 imports cli",
        "gadgets: not in a layer (add it to LAYERS and docs/architecture.md)",
    ]


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


def _imported_tops(tree: ast.AST) -> set[str]:
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops


@pytest.mark.slow
def test_the_package_needs_none_of_the_development_tools():
    """devtools/ (servers and helpers for the tests and benchmarks) is not in the wheel: nothing in circe_kg
    imports it, and the wheel takes only circe_kg's packages."""
    import tomllib

    found = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if "devtools" in _imported_tops(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["circe_kg*"]


def _creates_blueprint(tree: ast.AST) -> bool:
    """Whether the module calls Blueprint(…): it is a face of the app (a blueprint module)."""
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Blueprint")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "Blueprint")
        )
        for node in ast.walk(tree)
    )


def _web_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of each module of circe_kg.web that `tree` (a module of circe_kg/web/) imports, anywhere in
    it: `from .x import y`, `from . import x`, `from circe_kg.web.x import y`, `import circe_kg.web.x`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 and module:
                found.append((node.lineno, module.split(".")[0]))
            elif node.level == 1:
                found += [(node.lineno, alias.name) for alias in node.names]
            elif node.level == 0 and module.startswith("circe_kg.web."):
                found.append((node.lineno, module.split(".")[2]))
            elif node.level == 0 and module == "circe_kg.web":
                found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("circe_kg.web."):
                    found.append((node.lineno, alias.name.split(".")[2]))
    return found


def blueprints_importing_blueprints(sources: dict[str, str]) -> list[str]:
    """For the modules of circe_kg/web/ ({name: source}), each import of a blueprint module by a blueprint
    module, as "importer:line imports imported". A helper several faces need belongs in a module without a
    Blueprint (uris, auth, sourced, answers, services…), so that a face can be read, moved or removed alone."""
    trees = {name: ast.parse(text) for name, text in sources.items()}
    faces = {name for name, tree in trees.items() if _creates_blueprint(tree)}
    return [
        f"{name}:{line} imports {imported}"
        for name in sorted(faces)
        for line, imported in _web_imports(trees[name])
        if imported in faces and imported != name
    ]


def test_blueprints_never_import_blueprints():
    sources = {path.stem: path.read_text(encoding="utf-8") for path in (PACKAGE / "web").glob("*.py")}
    assert blueprints_importing_blueprints(sources) == []


def test_the_blueprint_check_catches_a_planted_offender():
    sources = {
        "pages": "from flask import Blueprint\nfrom .helpers import tidy\nbp = Blueprint('pages', __name__)\n",
        "helpers": "def tidy(text):\n    return text.strip()\n",
        "other": (
            "import flask\nfrom . import helpers\n\nbp = flask.Blueprint('other', __name__)\n\n\n"
            "def view():\n    from .pages import bp as theirs\n    return theirs\n"
        ),
        "third": "from flask import Blueprint\nfrom circe_kg.web.other import view\nbp = Blueprint('3', __name__)\n",
    }
    assert blueprints_importing_blueprints(sources) == ["other:8 imports pages", "third:2 imports other"]
