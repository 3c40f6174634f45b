"""The public SPARQL endpoint's engines: who answers a stranger's query, under what limits.

- `sandbox.py` — the embedded store's: killable worker processes over a snapshot, with a time limit and a size cap;
- `forwarder.py` — a SPARQL server's: the query forwarded, under the same limits;
- `federated.py` — a federation's: answered over what the query reads at every endpoint, in the sandbox's workers.

`for_store` picks the one the store asks for (`Store.query_engine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..store import Store
from .sandbox import Limits, QueryReply, QuerySandbox


class Engine(Protocol):
    """What answers a stranger's query: the sandbox, the forwarder or the federation's endpoint."""

    def run(
        self,
        text: str,
        solution_mime: str | None,
        graph_mime: str | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryReply:
        """The answer to `text`, serialised in `solution_mime` or `graph_mime` depending on its kind."""

    def close(self) -> None: ...


def for_store(store: Store, limits: Limits) -> Engine:
    """The engine that answers strangers' queries over `store`.

    >>> from circe_kg.store import EmbeddedStore
    >>> type(for_store(EmbeddedStore(None), Limits())).__name__
    'QuerySandbox'
    """
    # The arg-types ignored: a store's `query_engine` says what it is ("federation": a FederatedStore, "server":
    # a RemoteStore) without this module looking at its class.
    if store.query_engine == "federation":
        from .federated import FederationEndpoint

        return FederationEndpoint(store, limits)  # type: ignore[arg-type]
    if store.query_engine == "server":
        from .forwarder import RemoteQueryProxy

        return RemoteQueryProxy(store, limits)  # type: ignore[arg-type]
    return QuerySandbox(store, limits)
