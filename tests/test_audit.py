"""The dependency audit (scripts/audit.py over pip-audit): a known vulnerability fails the run, and an audit
that could look nothing up is reported as not done — never as an all-clear. The test command runs it."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

VULNERABLE = {
    "dependencies": [
        {"name": "flask", "version": "3.1.0", "vulns": []},
        {
            "name": "werkzeug",
            "version": "2.0.0",
            "vulns": [{"id": "PYSEC-2023-58", "fix_versions": ["2.2.3"]}, {"id": "GHSA-xxxx", "fix_versions": []}],
        },
    ]
}
UNREACHABLE = {"dependencies": [{"name": n, "skip_reason": "Dependency not found on PyPI"} for n in ("a", "b")]}
PARTLY = {
    "dependencies": [
        {"name": "flask", "version": "3.1.0", "vulns": []},
        {"name": "circe-kg", "skip_reason": "Dependency not found on PyPI"},
    ]
}


def test_a_known_vulnerability_fails_and_names_the_fix():
    status, lines = audit.verdict(VULNERABLE, allow_unreachable=True)
    assert status == 1
    assert "werkzeug 2.0.0: PYSEC-2023-58 (fixed in 2.2.3)" in lines
    assert "werkzeug 2.0.0: GHSA-xxxx (no fix yet)" in lines


def test_an_audit_that_looked_nothing_up_is_not_an_all_clear():
    status, lines = audit.verdict(UNREACHABLE)
    assert status == 2 and "NOT DONE" in lines[0] and "no known vulnerabilities" not in lines[0]
    assert audit.verdict(UNREACHABLE, allow_unreachable=True)[0] == 0


def test_packages_that_could_not_be_looked_up_are_named():
    status, lines = audit.verdict(PARTLY)
    assert status == 0 and lines == [
        "dependency audit: no known vulnerabilities in 1 packages; 1 could not be looked up: circe-kg"
    ]


def test_the_test_command_runs_the_audit():
    assert "scripts/audit.py" in (ROOT / "scripts" / "test.sh").read_text()
