"""Write tokens are checked when the app is made: a short or repeated token, a malformed line of the tokens file or
a tokens file that is not there stops the start with what is wrong, where, and how to fix it — never the token."""

from __future__ import annotations

import secrets

import pytest

from circe_kg.cli import main
from circe_kg.errors import ConfigurationError
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from circe_kg.web.tokens import configured_tokens

# Made for each run: no write token is ever written into the repository.
STEWARD, EDITOR, REVIEWER = (secrets.token_urlsafe(24) for _ in range(3))
SHORT = secrets.token_urlsafe(6)  # 8 characters


@pytest.fixture
def no_tokens_in_environment(monkeypatch):
    for name in ("CIRCE_KG_WRITE_TOKEN", "CIRCE_KG_WRITE_AGENT", "CIRCE_KG_TOKENS_FILE"):
        monkeypatch.delenv(name, raising=False)


def _problem(config: dict, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        configured_tokens(config, environ)
    text = caught.value.to_text()
    for token in (*config.get("WRITE_TOKENS", {}), *environ.values()):
        if len(token) >= 6 and "/" not in token:  # a token, not a name or a path
            assert token not in text, "a message must never show a token"
    return text


def test_a_good_configuration_gives_every_token_its_name_and_role(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(
        f"\ufeff# name token role\n\nEd-Itor {EDITOR} editor\n  Rev-Iewer {REVIEWER} reviewer\n", encoding="utf-8"
    )
    found = configured_tokens(
        {"WRITE_TOKENS": {}},
        {"CIRCE_KG_WRITE_TOKEN": STEWARD, "CIRCE_KG_WRITE_AGENT": "Ana", "CIRCE_KG_TOKENS_FILE": str(tokens)},
    )
    assert found == {STEWARD: ("Ana", "steward"), EDITOR: ("Ed-Itor", "editor"), REVIEWER: ("Rev-Iewer", "reviewer")}
    assert configured_tokens({}, {}) == {}


def test_a_short_token_stops_the_start_wherever_it_is_given(tmp_path):
    text = _problem({}, {"CIRCE_KG_WRITE_TOKEN": SHORT})
    assert "CIRCE_KG_WRITE_TOKEN: the token is too short (8 characters" in text and "at least 16" in text
    assert "secrets.token_urlsafe" in text  # how to make a good one
    text = _problem({"WRITE_TOKENS": {SHORT: "Ana Steward"}}, {})
    assert "WRITE_TOKENS" in text and "'Ana Steward'" in text and "too short (8 characters" in text
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"# name token role\nEd-Itor {SHORT} editor\n", encoding="utf-8")
    text = _problem({}, {"CIRCE_KG_TOKENS_FILE": str(tokens)})
    assert f"{tokens}:2: the token is too short" in text


def test_a_token_given_twice_stops_the_start(tmp_path):
    text = _problem({"WRITE_TOKENS": {STEWARD: "Ana"}}, {"CIRCE_KG_WRITE_TOKEN": STEWARD})
    assert "CIRCE_KG_WRITE_TOKEN: the token is the same as the one at WRITE_TOKENS" in text
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"Ed-Itor {EDITOR} editor\nRev-Iewer {EDITOR} reviewer\n", encoding="utf-8")
    text = _problem({}, {"CIRCE_KG_TOKENS_FILE": str(tokens)})
    assert f"{tokens}:2: the token is the same as the one at {tokens}:1" in text and "of their own" in text
    text = _problem({}, {"CIRCE_KG_WRITE_TOKEN": EDITOR, "CIRCE_KG_TOKENS_FILE": str(tokens)})
    assert f"{tokens}:1: the token is the same as the one at CIRCE_KG_WRITE_TOKEN" in text


def test_a_malformed_line_or_role_names_its_line(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"Ed Itor {EDITOR} editor\nRev-Iewer {REVIEWER} reviewr\nAna\n", encoding="utf-8")
    text = _problem({}, {"CIRCE_KG_TOKENS_FILE": str(tokens)})
    assert f"{tokens}:1: 4 field(s) where `NAME TOKEN [steward|editor|reviewer]` has 2 or 3" in text
    assert f"{tokens}:2: the role is 'reviewr', not one of steward, editor, reviewer" in text
    assert f"{tokens}:3: 1 field(s)" in text
    text = _problem({"WRITE_TOKENS": {STEWARD: ("Ana", "boss")}}, {})
    assert "the role 'boss' is not one of steward, editor, reviewer" in text


def test_a_missing_tokens_file_stops_the_start(tmp_path):
    text = _problem({}, {"CIRCE_KG_TOKENS_FILE": str(tmp_path / "absent.txt")})
    assert f"CIRCE_KG_TOKENS_FILE: {tmp_path / 'absent.txt'} does not exist" in text
    assert "unset CIRCE_KG_TOKENS_FILE" in text


def test_create_app_raises_the_configuration_error(tmp_path, monkeypatch, no_tokens_in_environment):
    monkeypatch.setenv("CIRCE_KG_TOKENS_FILE", str(tmp_path / "absent.txt"))
    store = EmbeddedStore(None)
    try:
        with pytest.raises(ConfigurationError, match="absent.txt does not exist"):
            create_app(store=store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"})
        monkeypatch.delenv("CIRCE_KG_TOKENS_FILE")
        with pytest.raises(ConfigurationError, match="too short"):
            create_app(store=store, config={"TESTING": True, "WRITE_TOKENS": {SHORT: "Ana"}})
    finally:
        store.close()


def test_serve_exits_before_listening_with_the_message(runner, tmp_path, monkeypatch, no_tokens_in_environment):
    import waitress

    def never(*args, **kwargs):
        raise AssertionError("the server started listening despite a bad token")

    monkeypatch.setattr(waitress, "serve", never)
    monkeypatch.setenv("CIRCE_KG_WRITE_TOKEN", SHORT)
    result = runner.invoke(main, ["serve", "--store", str(tmp_path / "store"), "--port", "9"])
    assert result.exit_code == 2, result.output
    assert "CIRCE_KG_WRITE_TOKEN: the token is too short (8 characters" in result.stderr
    assert SHORT not in result.output
    assert not (tmp_path / "store").exists()  # stopped before the store was opened
