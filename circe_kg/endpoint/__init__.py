"""The public SPARQL endpoint's engines: who answers a stranger's query, under what limits.

- `sandbox.py` — the embedded store's: killable worker processes over a snapshot, with a time limit and a size cap;
- `forwarder.py` — a SPARQL server's: the query forwarded, under the same limits;
- `federated.py` — a federation's: answered over what the query reads at every endpoint, in the sandbox's workers.

`for_store` picks the one the store asks for (`Store.query_engine`).
"""

from __future__ import annotations

from typing import Any

from ..store import Store
from .sandbox import Limits, QuerySandbox


def for_store(store: Store, limits: Limits) -> Any:
    """The engine that answers strangers' queries over `store`: each has `run(...) -> QueryReply` and `close()`.

    >>> from circe_kg.store import EmbeddedStore
    >>> type(for_store(EmbeddedStore(None), Limits())).__name__
    'QuerySandbox'
    """
    if store.query_engine == "federation":
        from .federated import FederationEndpoint

        return FederationEndpoint(store, limits)  # type: ignore[arg-type]
    if store.query_engine == "server":
        from .forwarder import RemoteQueryProxy

        return RemoteQueryProxy(store, limits)  # type: ignore[arg-type]
    return QuerySandbox(store, limits)
