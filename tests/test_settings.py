"""One settings module: every CIRCE_KG_* variable the package reads is a Setting, documented in docs/operators.md,
listed by `circe-kg settings` (secrets hidden), read when asked for and parsed with an error that names it."""

import json
import re
from pathlib import Path

import pytest

from circe_kg import settings
from circe_kg.cli import main
from circe_kg.errors import EXIT_USAGE, ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "circe_kg"
SECRETS = {"WRITE_TOKEN", "ENDPOINT_PASSWORD", "SECRET_KEY"}
SECRET_VALUE = "a-secret-that-must-not-be-printed-0123"


def _names_in_source() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found |= set(re.findall(r"\bCIRCE_KG_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    return found


def _clear(monkeypatch):
    for s in settings.SETTINGS:
        if s.env:
            monkeypatch.delenv(s.env, raising=False)


def test_every_variable_the_package_names_is_a_setting():
    names = _names_in_source()
    assert "CIRCE_KG_STORE" in names and "CIRCE_KG_BULK_WRITE_TRIPLES" in names  # the search finds them
    known = {s.env for s in settings.SETTINGS}
    assert names - known == set()


def test_settings_are_unique_and_app_keys_follow_the_convention():
    assert len({s.name for s in settings.SETTINGS}) == len(settings.SETTINGS)
    for s in settings.SETTINGS:
        assert s.help and s.scope in {"app", "process", "config"}
        assert (s.env is None) == (s.scope == "config")
        if s.scope == "app":
            assert s.env == f"CIRCE_KG_{s.name}"
    assert {s.name for s in settings.SETTINGS if s.secret} == SECRETS


def test_web_defaults_come_from_the_settings():
    from circe_kg.web import DEFAULTS

    assert DEFAULTS == settings.app_defaults()
    assert DEFAULTS["SPARQL_WORKERS"] == 3 and DEFAULTS["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_every_setting_is_documented_with_its_default():
    text = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    for s in settings.SETTINGS:
        row = rows.get(f"`{s.name}`")
        assert row is not None, f"{s.name} is not in docs/operators.md"
        assert (f"`{s.env}`" if s.env else "only") in row and s.default_text in row, row
    assert text.count(settings.markdown_table()) == 1, "docs/operators.md: paste settings.markdown_table() again"
    assert "docs/operators.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_command_lists_every_setting_and_hides_secrets(runner, monkeypatch):
    _clear(monkeypatch)
    for name in SECRETS:
        monkeypatch.setenv(settings.setting(name).env, SECRET_VALUE)
    monkeypatch.setenv("CIRCE_KG_WRITE_AGENT", "Ana-Steward")
    table = runner.invoke(main, ["settings"], env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    for s in settings.SETTINGS:
        assert s.name in table.output and (s.env or "(config only)") in table.output
    assert "Ana-Steward" in table.output and "(set)" in table.output
    assert SECRET_VALUE not in table.output

    shown = runner.invoke(main, ["settings", "--format", "json"])
    assert shown.exit_code == 0 and SECRET_VALUE not in shown.output
    rows = {row["name"]: row for row in json.loads(shown.output)}
    assert list(rows) == [s.name for s in settings.SETTINGS]
    assert all(rows[name]["value"] == "(set)" for name in SECRETS)
    assert rows["WRITE_AGENT"]["value"] == "Ana-Steward" and rows["SPARQL_WORKERS"]["value"] is None
    assert rows["SPARQL_WORKERS"]["default"] == "3"


def test_a_bad_value_names_the_variable_and_what_it_must_be(monkeypatch, runner):
    monkeypatch.setenv("CIRCE_KG_SPARQL_WORKERS", "many")
    with pytest.raises(ConfigurationError) as caught:
        settings.value("SPARQL_WORKERS")
    text = caught.value.to_text()
    assert "CIRCE_KG_SPARQL_WORKERS='many' is not a whole number" in text and "e.g. 3" in text
    assert caught.value.exit_code == EXIT_USAGE
    with pytest.raises(ConfigurationError, match="CIRCE_KG_SPARQL_WORKERS"):
        from circe_kg.web import _from_environment

        _from_environment()
    listed = runner.invoke(main, ["settings", "--format", "json"])
    assert {r["name"]: r for r in json.loads(listed.output)}["SPARQL_WORKERS"]["value"].startswith("many (not valid")
    served = runner.invoke(main, ["serve", "--port", "1"])  # stops before it opens the store or listens
    assert served.exit_code == EXIT_USAGE
    assert "CIRCE_KG_SPARQL_WORKERS='many' is not a whole number" in served.stderr
    monkeypatch.setenv("CIRCE_KG_MEANING", "perhaps")
    with pytest.raises(ConfigurationError, match="CIRCE_KG_MEANING='perhaps' is not on or off"):
        settings.value("MEANING")


def test_values_are_read_when_asked_for(monkeypatch, tmp_path):
    _clear(monkeypatch)
    assert settings.value("SPARQL_TIMEOUT_S") == 10.0 and settings.value("WRITE_AGENT") == "steward"
    monkeypatch.setenv("CIRCE_KG_SPARQL_TIMEOUT_S", "2.5")
    monkeypatch.setenv("CIRCE_KG_BULK_WRITE_TRIPLES", "7")
    monkeypatch.setenv("CIRCE_KG_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("CIRCE_KG_MEANING", "off")
    monkeypatch.setenv("CIRCE_KG_WRITE_AGENT", "")  # empty: unset
    assert settings.value("SPARQL_TIMEOUT_S") == 2.5
    assert settings.value("MEANING") is False and settings.value("WRITE_AGENT") == "steward"
    assert settings.value("STORE_PATH") == tmp_path / "store"

    from circe_kg.config import default_store_path
    from circe_kg.store import EmbeddedStore
    from circe_kg.web import _from_environment

    assert default_store_path() == tmp_path / "store"
    assert EmbeddedStore(None).BULK_WRITE_TRIPLES == 7
    assert _from_environment() == {"SPARQL_TIMEOUT_S": 2.5}


def test_one_variable_two_timeouts(monkeypatch):
    """CIRCE_KG_ENDPOINT_TIMEOUT_S: 60 s for a server, 30 s per endpoint of a federation, when unset."""
    monkeypatch.delenv("CIRCE_KG_ENDPOINT_TIMEOUT_S", raising=False)
    assert (settings.value("ENDPOINT_TIMEOUT_S"), settings.value("FEDERATE_TIMEOUT_S")) == (60.0, 30.0)
    monkeypatch.setenv("CIRCE_KG_ENDPOINT_TIMEOUT_S", "12")
    assert (settings.value("ENDPOINT_TIMEOUT_S"), settings.value("FEDERATE_TIMEOUT_S")) == (12.0, 12.0)


def test_an_explicit_environment_is_read_instead_of_the_process_one(monkeypatch):
    monkeypatch.setenv("CIRCE_KG_WRITE_AGENT", "from-the-process")
    assert settings.value("WRITE_AGENT", {}) == "steward"
    assert settings.value("WRITE_AGENT", {"CIRCE_KG_WRITE_AGENT": "Ana"}) == "Ana"
