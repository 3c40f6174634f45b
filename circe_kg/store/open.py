"""Which store to use: the embedded on-disk store (the default) or a SPARQL 1.1 server.

Options win over environment variables: `--endpoint` / CIRCE_KG_ENDPOINT (the query URL) selects a server,
`--update-endpoint` / CIRCE_KG_UPDATE_ENDPOINT (default: the query URL) is where writes go, and
CIRCE_KG_ENDPOINT_USER / CIRCE_KG_ENDPOINT_PASSWORD are the account for writes (kept out of command lines).
`--federate URL,URL,…` / CIRCE_KG_FEDERATE answers across several servers at once, read-only (federated.py).
Otherwise `--store` / CIRCE_KG_STORE (default var/store) is the embedded store's folder. CIRCE_KG_ENDPOINT_TIMEOUT_S
is a server's time to answer (60 s when unset) and, over a federation, each endpoint's (30 s when unset). All of
them: settings.py.
"""

from __future__ import annotations

from pathlib import Path

from .. import settings
from ..config import default_store_path
from .base import Store
from .embedded import EmbeddedStore
from .federated import FederatedStore
from .remote import RemoteStore, local_folder_for


def configured_endpoint(endpoint: str | None = None) -> str | None:
    return endpoint or settings.value("ENDPOINT")


def open_store(
    store_path: Path | None = None,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    federate: str | None = None,
) -> Store:
    federate = federate or settings.value("FEDERATE")
    if federate:
        return FederatedStore.connect(
            [url.strip() for url in federate.split(",") if url.strip()],
            settings.value("FEDERATE_TIMEOUT_S"),
        )
    endpoint = configured_endpoint(endpoint)
    if endpoint is None:
        return EmbeddedStore(store_path or default_store_path())
    return RemoteStore(
        endpoint,
        update_endpoint or settings.value("UPDATE_ENDPOINT"),
        user=settings.value("ENDPOINT_USER"),
        password=settings.value("ENDPOINT_PASSWORD"),
        timeout_s=settings.value("ENDPOINT_TIMEOUT_S"),
        local_folder=local_folder_for(endpoint, Path(settings.value("VAR"))),
    )
