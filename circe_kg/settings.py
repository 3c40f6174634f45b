"""Every setting of circe-kg in one place: its name, its environment variable, its default, its kind and what it does.

`value(name)` reads the environment when it is called (not when a module is imported), so a variable set at run
time is seen, and parses it: a value that is not of the setting's kind stops with a ConfigurationError naming the
variable, the value and what it must be (the CLI reports it as a usage error, exit status 2). An empty variable
counts as unset. `circe-kg settings` lists them all, with the values set here (never a secret's); the table in
docs/operators.md is `markdown_table()`.

Scopes: "app" settings are keys of the web app's configuration (web/__init__.py DEFAULTS) that CIRCE_KG_<NAME>
overrides when the app is made, and `create_app(config=...)` overrides both; "process" settings are read from the
environment where they are used (where `name` is also an app-configuration key, the configuration wins); "config"
settings can only be given to `create_app(config=...)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .namespaces import BASE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_SHOWN = "(set)"  # what is shown of a secret that is set: never its value
_FALSE = frozenset({"off", "0", "no", "false"})
_TRUE = frozenset({"on", "1", "yes", "true"})
_KINDS = {
    int: "a whole number",
    float: "a number",
    bool: "on or off (also 1/0, yes/no, true/false)",
    str: "text",
    Path: "a path",
}


@dataclass(frozen=True)
class Setting:
    name: str  # the web app's configuration key where there is one
    env: str | None  # the environment variable; None: only create_app(config=...) sets it
    default: Any
    kind: type
    help: str
    scope: str = "process"  # "app", "process" or "config": see the module's docstring
    secret: bool = False  # its value is never shown
    shown_default: str = ""  # how the default reads in a table, where its value alone does not say it

    @property
    def default_text(self) -> str:
        if self.shown_default:
            return self.shown_default
        if self.default is None:
            return "(none)"
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        return str(self.default)


_ENDPOINT_TIMEOUT = "CIRCE_KG_ENDPOINT_TIMEOUT_S"

SETTINGS: tuple[Setting, ...] = (
    # Where the data is
    Setting(
        "STORE_PATH",
        "CIRCE_KG_STORE",
        PROJECT_ROOT / "var" / "store",
        Path,
        "Folder of the on-disk store (`--store` wins).",
        shown_default="var/store in the checkout",
    ),
    Setting(
        "ENDPOINT",
        "CIRCE_KG_ENDPOINT",
        None,
        str,
        "A SPARQL 1.1 server's query URL, used instead of the on-disk store (`--endpoint` wins).",
        shown_default="(none: the on-disk store)",
    ),
    Setting(
        "UPDATE_ENDPOINT",
        "CIRCE_KG_UPDATE_ENDPOINT",
        None,
        str,
        "The server's SPARQL Update URL, if not the query URL (`--update-endpoint` wins).",
        shown_default="(the query URL)",
    ),
    Setting("ENDPOINT_USER", "CIRCE_KG_ENDPOINT_USER", None, str, "The account for writes to the SPARQL server."),
    Setting(
        "ENDPOINT_PASSWORD",
        "CIRCE_KG_ENDPOINT_PASSWORD",
        None,
        str,
        "The password of that account (kept out of command lines).",
        secret=True,
    ),
    Setting(
        "ENDPOINT_TIMEOUT_S",
        _ENDPOINT_TIMEOUT,
        60.0,
        float,
        "Seconds a SPARQL server may take to answer circe-kg. The same variable sets FEDERATE_TIMEOUT_S, whose "
        "default is 30.",
    ),
    Setting(
        "FEDERATE",
        "CIRCE_KG_FEDERATE",
        None,
        str,
        "Comma-separated SPARQL endpoints to answer across at once, read-only (`--federate` wins).",
    ),
    Setting(
        "FEDERATE_TIMEOUT_S",
        _ENDPOINT_TIMEOUT,
        30.0,
        float,
        "Seconds each endpoint of a federation may take: the variable of ENDPOINT_TIMEOUT_S, but 30 when unset.",
    ),
    Setting(
        "VAR",
        "CIRCE_KG_VAR",
        PROJECT_ROOT / "var",
        Path,
        "Folder under which the history and dumps of a SPARQL server's data are kept.",
        shown_default="var in the checkout",
    ),
    Setting(
        "HISTORY_DIR",
        "CIRCE_KG_HISTORY",
        None,
        Path,
        "Folder of the versions of the graphs, kept for restore.",
        shown_default="history beside the store",
    ),
    # The web app (create_app's configuration; CIRCE_KG_<NAME> for `circe-kg serve`)
    Setting(
        "PERSISTENT_BASE",
        "CIRCE_KG_PERSISTENT_BASE",
        BASE,
        str,
        "The base of the resources' IRIs.",
        scope="app",
    ),
    Setting("SPARQL_TIMEOUT_S", "CIRCE_KG_SPARQL_TIMEOUT_S", 10.0, float, "Seconds a visitor's query may run.", "app"),
    Setting(
        "SPARQL_MAX_RESULT_BYTES",
        "CIRCE_KG_SPARQL_MAX_RESULT_BYTES",
        256 * 1024 * 1024,
        int,
        "The largest answer to a visitor's query, in bytes.",
        "app",
        shown_default="268435456 (256 MiB)",
    ),
    Setting(
        "SPARQL_STREAM_AFTER_BYTES",
        "CIRCE_KG_SPARQL_STREAM_AFTER_BYTES",
        1024 * 1024,
        int,
        "A bigger answer is streamed; a smaller one comes whole, with its exact status.",
        "app",
        shown_default="1048576 (1 MiB)",
    ),
    Setting("SPARQL_WORKERS", "CIRCE_KG_SPARQL_WORKERS", 3, int, "Visitors' queries run at once.", "app"),
    Setting(
        "MAX_CONTENT_LENGTH",
        "CIRCE_KG_MAX_CONTENT_LENGTH",
        16 * 1024 * 1024,
        int,
        "The largest request body (an upload, a form), in bytes.",
        "app",
        shown_default="16777216 (16 MiB)",
    ),
    Setting(
        "ANSWER_CACHE_MAX_AGE_S",
        "CIRCE_KG_ANSWER_CACHE_MAX_AGE_S",
        60.0,
        float,
        "Seconds the answers of a SPARQL server others may write to are kept; 0: no cache.",
        "app",
    ),
    Setting(
        "ANSWER_CACHE_WARM",
        "CIRCE_KG_ANSWER_CACHE_WARM",
        1,
        int,
        "1: after a write, answer again in the background what was asked before it; 0: wait for visitors.",
        "app",
    ),
    Setting(
        "ISSUES_URL",
        "CIRCE_KG_ISSUES_URL",
        "",
        str,
        "The issue tracker the accessibility statement sends feedback to.",
        shown_default="(none)",
    ),
    Setting(
        "SECRET_KEY",
        "CIRCE_KG_SECRET_KEY",
        None,
        str,
        "The key that signs session cookies.",
        secret=True,
        shown_default="(random per process: sessions end at a restart)",
    ),
    Setting(
        "DUMPS_DIR",
        None,
        None,
        Path,
        "Folder of the downloadable dumps.",
        "config",
        shown_default="dumps beside the store",
    ),
    Setting("DUMPS_WAIT_S", None, 5.0, float, "Seconds a visit waits for dumps being written.", "config"),
    Setting("LIST_PAGE_SIZE", None, 50, int, "Items on a page of a list that grows with the data.", "config"),
    # Writes
    Setting(
        "WRITE_TOKEN",
        "CIRCE_KG_WRITE_TOKEN",
        None,
        str,
        "A steward's write token (at least 16 characters); unset with no other token: writes are off.",
        secret=True,
    ),
    Setting("WRITE_AGENT", "CIRCE_KG_WRITE_AGENT", "steward", str, "The name the history records for WRITE_TOKEN."),
    Setting(
        "TOKENS_FILE",
        "CIRCE_KG_TOKENS_FILE",
        None,
        Path,
        "A file of `NAME TOKEN [steward|editor|reviewer]` lines, one per person.",
    ),
    Setting(
        "WRITE_TOKENS",
        None,
        None,
        dict,
        "{token: agent name} or {token: (agent name, role)}, besides the environment's tokens.",
        "config",
        shown_default="(none)",
    ),
    # Search
    Setting("MEANING", "CIRCE_KG_MEANING", True, bool, "Search by meaning (off: by words only)."),
    Setting(
        "VECTOR_CACHE",
        "CIRCE_KG_VECTOR_CACHE",
        None,
        Path,
        "The SQLite file of the meaning vectors of texts the package does not ship.",
        shown_default="circe-kg/search-vectors.sqlite in the user's cache folder (XDG_CACHE_HOME)",
    ),
    Setting(
        "LEMMA_CACHE",
        "CIRCE_KG_LEMMA_CACHE",
        None,
        Path,
        "The folder of the lemma dictionaries, built once from simplemma's (scripts/setup.sh builds them).",
        shown_default="circe-kg/lemma-tries in the user's cache folder (XDG_CACHE_HOME)",
    ),
    # Tuning
    Setting(
        "BULK_WRITE_TRIPLES",
        "CIRCE_KG_BULK_WRITE_TRIPLES",
        10000,
        int,
        "From this many triples, a write to the on-disk store goes through the bulk loader.",
    ),
    Setting(
        "PARALLEL_VALIDATION_TRIPLES",
        "CIRCE_KG_PARALLEL_VALIDATION_TRIPLES",
        200000,
        int,
        "From this many data triples, validation splits the shapes over the cores.",
    ),
    Setting(
        "INCREMENTAL_VALIDATION",
        "CIRCE_KG_INCREMENTAL_VALIDATION",
        True,
        bool,
        "A write to data graphs validates only the records it can affect (off: the whole store, every write).",
    ),
    Setting(
        "KEPT_ANSWERS",
        "CIRCE_KG_KEPT_ANSWERS",
        True,
        bool,
        "After a write, lists and answers of one row per resource are updated for what it changed (off: asked anew).",
    ),
    Setting(
        "INCREMENTAL_VALIDATION_NODES",
        "CIRCE_KG_INCREMENTAL_VALIDATION_NODES",
        20000,
        int,
        "A write that can affect more records than this is validated against the whole store.",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def setting(name: str) -> Setting:
    return _BY_NAME[name]


def raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The setting's variable as set in `environ` (default: os.environ, now); None when unset or empty."""
    env = _BY_NAME[name].env
    found = (os.environ if environ is None else environ).get(env) if env else None
    return found or None


def value(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The setting's value from `environ` (default: os.environ, read now), parsed to its kind; its default when
    unset. Raises ConfigurationError if the variable's value is not of the setting's kind."""
    found = raw(name, environ)
    chosen = _BY_NAME[name]
    return chosen.default if found is None else _parsed(chosen, found)


def _parsed(chosen: Setting, text: str) -> Any:
    try:
        if chosen.kind is bool:
            word = text.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise ValueError(text)
        return chosen.kind(text.strip()) if chosen.kind in (int, float) else chosen.kind(text)
    except ValueError:
        example = f", e.g. {chosen.default_text} (the default)" if chosen.default is not None else ""
        raise ConfigurationError(
            f"{chosen.env}={text!r} is not {_KINDS[chosen.kind]}",
            f"set {chosen.env} to {_KINDS[chosen.kind]}{example}, or unset it",
        ) from None


def app_defaults() -> dict[str, Any]:
    """The web app's configuration keys and their defaults (scope "app")."""
    return {s.name: s.default for s in SETTINGS if s.scope == "app"}


def app_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The web app's configuration keys whose variables are set, with their parsed values."""
    return {s.name: value(s.name, environ) for s in SETTINGS if s.scope == "app" and raw(s.name, environ)}


def check(environ: Mapping[str, str] | None = None) -> None:
    """Parse every setting that is set: a bad value stops here, before anything starts."""
    for s in SETTINGS:
        value(s.name, environ)


def shown_value(chosen: Setting, environ: Mapping[str, str] | None = None) -> str | None:
    """What may be shown of the setting's current value: None when unset, SECRET_SHOWN for a secret."""
    found = raw(chosen.name, environ)
    if found is None:
        return None
    if chosen.secret:
        return SECRET_SHOWN
    try:
        _parsed(chosen, found)
    except ConfigurationError:
        return f"{found} (not valid: must be {_KINDS[chosen.kind]})"
    return found


def markdown_table() -> str:
    """The table of docs/operators.md."""
    lines = ["| Setting | Environment variable | Default | What it does |", "|---|---|---|---|"]
    for s in SETTINGS:
        env = f"`{s.env}`" if s.env else "(`create_app(config=...)` only)"
        secret = " Secret: never shown." if s.secret else ""
        lines.append(f"| `{s.name}` | {env} | {s.default_text} | {s.help.replace('|', '&#124;')}{secret} |")
    return "\n".join(lines)
