"""Write tokens as the operator configures them, checked when the app is made.

Tokens come from the app's WRITE_TOKENS setting ({token: agent name} or {token: (agent name, role)}), from
CIRCE_KG_WRITE_TOKEN (+ CIRCE_KG_WRITE_AGENT, the name the history records) and from CIRCE_KG_TOKENS_FILE, a file
of `NAME TOKEN [steward|editor|reviewer]` lines (blank lines and `#` comments allowed). A token shorter than
MIN_LENGTH, a token given twice, a malformed line or a tokens file that is not there stops the start with a
ConfigurationError: a setting that was silently dropped would leave the operator believing writes are enabled,
or that a person has their own token when they share one. Messages name the place (variable, or file:line) and
never the token: only its length and first two characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import ConfigurationError

ROLES = ("steward", "editor", "reviewer")  # steward: writes directly; editor: drafts only; reviewer: both + review
MIN_LENGTH = 16
MAKE_ONE = "make one with `python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`"
LINE_FORM = "`NAME TOKEN [steward|editor|reviewer]`"


def _shown(token: str) -> str:
    """What a message may say about a token: its length and its first two characters, never the rest."""
    return f"{len(token)} characters, starting {token[:2]!r}…"


def configured_tokens(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """token -> (the agent name the history records, its role), from `config["WRITE_TOKENS"]` and the
    environment (`environ`, default os.environ).

    Raises ConfigurationError listing every problem — where it is and how to fix it — if any token is shorter
    than MIN_LENGTH or holds a space, a token is given twice (for two names, or in two places), a line of
    CIRCE_KG_TOKENS_FILE is not NAME TOKEN [ROLE] with a known role, or CIRCE_KG_TOKENS_FILE cannot be read."""
    entries: list[tuple[str, str, str, str]] = []  # (where, token, agent name, role)
    problems: list[str] = []
    for token, who in (config.get("WRITE_TOKENS") or {}).items():
        name, role = (who, "steward") if isinstance(who, str) else (who[0], who[1])
        where = f"WRITE_TOKENS (the app's configuration), the token of {name!r}"
        if role not in ROLES:
            problems.append(f"{where}: the role {role!r} is not one of {', '.join(ROLES)}; give one of them")
        entries.append((where, str(token), name, role))
    write_token = settings.value("WRITE_TOKEN", environ)
    if write_token:
        entries.append(("CIRCE_KG_WRITE_TOKEN", write_token, settings.value("WRITE_AGENT", environ), "steward"))
    tokens_file = settings.value("TOKENS_FILE", environ)
    if tokens_file is not None:
        entries += _file_entries(Path(tokens_file), problems)
    first: dict[str, str] = {}
    for where, token, _, _ in entries:
        if len(token) < MIN_LENGTH:
            problems.append(
                f"{where}: the token is too short ({_shown(token)}); a write token has at least {MIN_LENGTH} "
                f"characters: {MAKE_ONE}"
            )
        elif any(c.isspace() for c in token):
            problems.append(
                f"{where}: the token holds a space or a line break ({_shown(token)}), which an Authorization "
                f"header cannot carry: {MAKE_ONE}"
            )
        if token in first:
            problems.append(
                f"{where}: the token is the same as the one at {first[token]}; give each person a token of "
                f"their own, so that the history says who wrote what: {MAKE_ONE}"
            )
        first.setdefault(token, where)
    if problems:
        raise ConfigurationError(
            "the write tokens are misconfigured:\n" + "\n".join(f"  {p}" for p in problems),
            "fix the settings named above and start again; nothing has been served",
        )
    return {token: (name, role) for _, token, name, role in entries}


def _file_entries(path: Path, problems: list[str]) -> list[tuple[str, str, str, str]]:
    """The tokens of a tokens file as (file:line, token, name, role); the problems of its lines into
    `problems`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(
            f"CIRCE_KG_TOKENS_FILE: {path} does not exist; create it with one {LINE_FORM} line per person, or "
            "unset CIRCE_KG_TOKENS_FILE"
        )
        return []
    except UnicodeDecodeError as error:
        where = f"{path}:{_line_of_byte(path.read_bytes(), error.start)}"
        problems.append(f"{where}: not UTF-8 text; save the file as UTF-8")
        return []
    except OSError as error:
        problems.append(
            f"CIRCE_KG_TOKENS_FILE: {path} cannot be read ({error.strerror}); make it a readable file of "
            f"{LINE_FORM} lines"
        )
        return []
    entries = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        where = f"{path}:{number}"
        if len(parts) not in (2, 3):
            problems.append(
                f"{where}: {len(parts)} field(s) where {LINE_FORM} has 2 or 3 (the name has no spaces: write "
                "Ana-Steward, not Ana Steward)"
            )
            continue
        role = parts[2] if len(parts) == 3 else "steward"
        if role not in ROLES:
            shown = repr(role) if len(role) < MIN_LENGTH else f"a third field of {len(role)} characters"
            problems.append(f"{where}: the role is {shown}, not one of {', '.join(ROLES)}; the line is {LINE_FORM}")
            continue
        entries.append((where, parts[1], parts[0], role))
    return entries


def _line_of_byte(data: bytes, position: int) -> int:
    """The line number (from 1) of the byte at `position`."""
    return data.count(b"\n", 0, position) + 1
