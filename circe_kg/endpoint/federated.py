"""The public /sparql of a federation: a stranger's query is answered like a page's (over what it can read at every
endpoint, store.federated), in the killable workers and under the limits of the embedded store's endpoint."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pyoxigraph as ox

from ..store.federated import FederatedStore
from .sandbox import Limits, QueryReply, QuerySandbox, explain_syntax_error


class FederationEndpoint:
    """The public /sparql of a federation: a stranger's query is answered like a page's (over what it can read
    at every endpoint), in the killable workers and under the limits of the embedded store's endpoint. Queries
    run one at a time: each loads its own shipped data into the workers."""

    def __init__(self, store: FederatedStore, limits: Limits) -> None:
        self.federation = store
        self._shipped = _Shipped()
        self._sandbox = QuerySandbox(self._shipped, limits)
        self._one_at_a_time = threading.Lock()

    @property
    def endpoints(self) -> list[str]:
        return self.federation.endpoints

    def run(
        self,
        text: str,
        solution_mime: str | None,
        graph_mime: str | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryReply:
        """Answer `text` as the embedded store's endpoint would (same errors, same limits, same formats)."""
        try:  # a syntax error is told before anything is shipped
            ox.Store().query(text)
        except SyntaxError as error:
            raise explain_syntax_error(text, str(error)) from None
        with self._one_at_a_time:
            self._shipped.hold(self.federation.shipped(text))
            return self._sandbox.run(text, solution_mime, graph_mime, default_graphs, named_graphs)

    def close(self) -> None:
        self._sandbox.close()


class _Shipped:
    """What the sandbox's workers load for the query in hand: one generation per shipped store."""

    def __init__(self) -> None:
        self.generation = 0
        self.path = None
        self._store = ox.Store()

    def hold(self, store: ox.Store) -> None:
        self._store = store
        self.generation += 1

    def dump(self, rdf_format: ox.RdfFormat, graph_iri: str | None = None) -> bytes:
        return self._store.dump(format=rdf_format) or b""
