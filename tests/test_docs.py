"""The README and docs/ say what is true of the checkout: the two commands first, links that lead somewhere, a fast
loop whose markers exist, a package map that names the package's rooms."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the headings of `page`: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked here
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no such heading")
    assert broken == [], f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_opens_with_the_two_commands_ci_runs():
    first = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert any(line.startswith("scripts/serve.sh") for line in first)
    assert any(line.startswith("scripts/test.sh") for line in first)
    assert "\nscripts/test.sh\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_fast_loop_uses_markers_and_backends_that_exist():
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    loop = re.search(r'FAST=\(--backend=(\w+) -m "([^"]+)"\)', script)
    assert loop is not None
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/test.sh --fast" in readme and f'`--backend={loop.group(1)} -m "{loop.group(2)}"`' in readme
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    markers = {line.split(":")[0] for line in pytest_options["ini_options"]["markers"]}
    used = set(re.findall(r"\b(?!not\b|and\b|or\b)(\w+)", loop.group(2)))
    assert used and used <= markers, used - markers
    assert f'"{loop.group(1)}"' in (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")


def test_the_package_map_names_rooms_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for room in ("store", "endpoint", "sheets", "web"):
        assert (ROOT / "circe_kg" / room).is_dir() and f"circe_kg/{room}/" in text
    for module in ("loader.py", "rdf_files.py", "validation.py", "queries.py", "cli.py"):
        assert (ROOT / "circe_kg" / module).is_file() and module.removesuffix(".py") in text
