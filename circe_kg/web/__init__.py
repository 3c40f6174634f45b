"""The Flask application factory. Nothing happens at import; `create_app` wires the store and blueprints.

Settings: every one, its variable, default and meaning, is in circe_kg/settings.py (`circe-kg settings` lists
them; docs/operators.md is the table). `create_app(config=...)` wins over the environment: DEFAULTS are the
settings of scope "app" (PERSISTENT_BASE, SPARQL_TIMEOUT_S, SPARQL_MAX_RESULT_BYTES, SPARQL_STREAM_AFTER_BYTES,
SPARQL_WORKERS, MAX_CONTENT_LENGTH, ANSWER_CACHE_MAX_AGE_S, ANSWER_CACHE_WARM), each overridden by CIRCE_KG_<NAME>
when the app is made, then by `config`. `config` may also give STORE_PATH or ENDPOINT (else CIRCE_KG_STORE /
CIRCE_KG_ENDPOINT; see store/open.py), HISTORY_DIR (else CIRCE_KG_HISTORY), ISSUES_URL, SECRET_KEY, WRITE_TOKENS
({token: agent name}; in production the tokens come from CIRCE_KG_WRITE_TOKEN / CIRCE_KG_TOKENS_FILE, see
web/tokens.py), and DUMPS_DIR, DUMPS_WAIT_S and LIST_PAGE_SIZE, which only `config` sets.
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from flask import Flask, g

from .. import settings
from ..answer_cache import AnswerCache
from ..config import default_store_path, history_path
from ..dumps import Dumps
from ..endpoint import for_store
from ..endpoint.sandbox import Limits
from ..search import SearchIndex
from ..store import Store
from ..store.open import open_store
from ..writing.gate import WriteGate
from . import (
    accessibility,
    changes,
    drafts,
    dumps,
    edit,
    errors,
    graph_store,
    home,
    i18n,
    jinja_filters,
    linked_data,
    lists,
    partner,
    query_page,
    questions,
    reconcile,
    search,
    services,
    session,
    sheets,
    sourced,
    sparql,
    truth,
    updates,
    validate_page,
    vendor,
    void,
)
from .security import init_app as add_security_headers
from .tokens import configured_tokens

# The app's configuration keys that CIRCE_KG_<NAME> overrides (settings.py, scope "app"), with their defaults.
DEFAULTS: dict[str, Any] = settings.app_defaults()


def _from_environment() -> dict[str, Any]:
    """The keys of DEFAULTS whose variables are set now, parsed (a bad value: ConfigurationError naming it)."""
    return settings.app_from_environment()


def _report_missing_sources(app: Flask, store: Store) -> None:
    """Over a federation, each page says which endpoints did not answer while it was made."""
    app.before_request(store.forget_missing)
    app.context_processor(lambda: {"partial_sources": store.missing_sources})


def _hold_the_warmer(app: Flask, answers: AnswerCache) -> None:
    """The answer cache's warmer starts no answer while a request is answered (AnswerCache.visitor_arrives)."""

    def arrives() -> None:
        answers.visitor_arrives()
        g.visiting_answers = True

    def leaves(_: BaseException | None) -> None:
        if g.pop("visiting_answers", False):
            answers.visitor_leaves()

    app.before_request(arrives)
    app.teardown_request(leaves)


def create_app(store: Store | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the app over `store` (default: the on-disk store at the configured path)."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(_from_environment())
    app.config.update(config or {})
    if store is None:
        store = open_store(Path(app.config.get("STORE_PATH", default_store_path())), app.config.get("ENDPOINT"))
    limits = Limits(
        float(app.config["SPARQL_TIMEOUT_S"]),
        int(app.config["SPARQL_MAX_RESULT_BYTES"]),
        int(app.config["SPARQL_WORKERS"]),
        stream_after_bytes=int(app.config["SPARQL_STREAM_AFTER_BYTES"]),
    )
    # Strangers' queries: a server enforces its own limits, so they are forwarded; the embedded store's
    # cannot be interrupted in-process, so they run in killable workers.
    sandbox = for_store(store, limits)
    atexit.register(sandbox.close)
    dumps_dir = app.config.get("DUMPS_DIR") or (store.local_folder or default_store_path().parent) / "dumps"
    dumps_wait_s = float(app.config.get("DUMPS_WAIT_S", settings.value("DUMPS_WAIT_S")))
    downloads = Dumps(store, Path(dumps_dir), dumps_wait_s)
    history_dir = app.config.get("HISTORY_DIR") or history_path(store)
    gate = WriteGate(store, Path(history_dir) if history_dir else None)
    tokens = configured_tokens(app.config)
    index = SearchIndex(store)
    # Only this process writes the embedded store, so its generation says when answers are stale; a server's
    # other writers are invisible here, so its answers also expire.
    max_age = store.answers_max_age(float(app.config["ANSWER_CACHE_MAX_AGE_S"]))
    answers = AnswerCache(store, max_age_s=max_age, warm=bool(int(app.config["ANSWER_CACHE_WARM"])))
    gate.after_write.append(answers.notice_write)
    services.install(app, services.Services(store, answers, index, downloads, gate, tokens, sandbox))
    _hold_the_warmer(app, answers)  # first: its before_request runs whenever any does
    _report_missing_sources(app, store)
    errors.init_app(app)
    add_security_headers(app)
    i18n.init_app(app)
    session.init_app(app)
    sourced.init_app(app)
    jinja_filters.init_app(app)
    for blueprint in (
        home.bp,
        accessibility.bp,
        sparql.bp,
        query_page.bp,
        linked_data.bp,
        partner.bp,
        dumps.bp,
        void.bp,
        updates.bp,
        graph_store.bp,
        drafts.bp,
        validate_page.bp,
        edit.bp,
        search.bp,
        questions.bp,
        lists.bp,
        truth.bp,
        sheets.bp,
        reconcile.bp,
        session.bp,
        changes.bp,
        vendor.bp,
    ):
        app.register_blueprint(blueprint)
    return app
