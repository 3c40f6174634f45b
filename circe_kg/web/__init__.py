"""The Flask application factory. Nothing happens at import; `create_app` wires the store and blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from ..config import default_store_path
from ..store import EmbeddedStore, Store
from . import errors, home, sparql


def create_app(store: Store | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the app over `store` (default: the on-disk store at the configured path)."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=1 * 1024 * 1024, JSON_SORT_KEYS=False)
    app.config.update(config or {})
    app.extensions["circe_store"] = store if store is not None else EmbeddedStore(
        Path(app.config.get("STORE_PATH", default_store_path())))
    errors.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(sparql.bp)
    return app
