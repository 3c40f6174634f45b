"""The one way views reach the store."""

from flask import current_app

from ..store import Store


def get_store() -> Store:
    return current_app.extensions["circe_store"]  # type: ignore[no-any-return]
