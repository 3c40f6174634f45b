"""The public endpoint's query workers read a snapshot of an on-disk store (a RocksDB checkpoint opened
read-only), not a copy loaded into each worker: a write shows in the next query, old snapshots are removed, and
nothing is left behind when the app stops."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from circe_kg.endpoint.sandbox import Limits, QuerySandbox

GRAPH = "https://w3id.org/circe-kg/graph/data/sandbox-test"
ASK_LABEL = 'ASK { <https://w3id.org/circe-kg/id/x> <http://www.w3.org/2004/02/skos/core#prefLabel> "%s"@en }'


def labelled(text: str) -> list[ox.Triple]:
    return [
        ox.Triple(
            ox.NamedNode("https://w3id.org/circe-kg/id/x"),
            ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
            ox.Literal(text, language="en"),
        )
    ]


def ask(sandbox: QuerySandbox, text: str) -> bool:
    reply = sandbox.run(ASK_LABEL % text, "application/sparql-results+json", None)
    return b"true" in reply.body


@pytest.mark.slow
def test_workers_read_a_snapshot_that_follows_every_write(disk_store):
    disk_store.replace_graphs({GRAPH: labelled("first")})
    sandbox = QuerySandbox(disk_store, Limits(workers=2))
    snapshots = disk_store.path.parent / ".store-query-snapshots"
    try:
        assert ask(sandbox, "first")
        assert [p.name for p in snapshots.iterdir()] and not ask(sandbox, "second")
        for text in ("second", "third", "fourth"):
            disk_store.replace_graphs({GRAPH: labelled(text)})
            assert ask(sandbox, text), f"the write of {text!r} is not seen by the next query"
            assert not ask(sandbox, "first")
        assert len(list(snapshots.iterdir())) == 2, "only the current snapshot and the one before are kept"
    finally:
        sandbox.close()
    assert not list(snapshots.iterdir()), "closing the app removes its snapshots"


def test_snapshots_left_by_a_killed_process_are_cleared(disk_store):
    stale = disk_store.path.parent / ".store-query-snapshots" / "left-behind"
    stale.mkdir(parents=True)
    sandbox = QuerySandbox(disk_store, Limits(workers=1))
    try:
        assert sandbox.run("ASK {}", "application/sparql-results+json", None).body
        assert not stale.exists()
    finally:
        sandbox.close()


def test_an_in_memory_store_still_goes_to_the_workers_as_a_dump():
    from circe_kg.store import EmbeddedStore

    store = EmbeddedStore(None)
    store.replace_graphs({GRAPH: labelled("in memory")})
    sandbox = QuerySandbox(store, Limits(workers=1))
    try:
        assert ask(sandbox, "in memory")
    finally:
        sandbox.close()


# -- big answers stream (sandbox._ResultWriter) ---------------------------------------------------------------
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
CSV = "text/csv"


@pytest.mark.slow
def test_a_big_answer_streams_and_equals_the_whole_one(loaded_disk_store):
    whole = QuerySandbox(loaded_disk_store, Limits(workers=1, stream_after_bytes=256 * 1024 * 1024))
    streamed = QuerySandbox(loaded_disk_store, Limits(workers=1, stream_after_bytes=4096))
    try:
        kept = whole.run(ALL, CSV, None)
        assert kept.rest is None and len(kept.body) > 100_000
        reply = streamed.run(ALL, CSV, None)
        assert reply.rest is not None and 4096 < len(reply.body) < len(kept.body)
        chunks = list(reply.rest)
        assert len(chunks) > 1 and reply.body + b"".join(chunks) == kept.body
        small = streamed.run("ASK {}", "application/sparql-results+json", None)  # the worker is back
        assert small.rest is None and b"true" in small.body
    finally:
        whole.close()
        streamed.close()


@pytest.mark.slow
def test_a_stream_past_the_cap_is_cut_and_the_worker_comes_back(loaded_disk_store):
    import pytest

    from circe_kg.errors import StreamCut

    sandbox = QuerySandbox(loaded_disk_store, Limits(workers=1, stream_after_bytes=4096, max_result_bytes=50_000))
    try:
        reply = sandbox.run(ALL, CSV, None)
        assert reply.rest is not None
        with pytest.raises(StreamCut, match="cut part-way: result larger than 50000 bytes"):
            b"".join(reply.rest)
        # a client that goes away after the first part: the response is closed, the worker killed and replaced
        abandoned = sandbox.run(ALL, CSV, None)
        abandoned.rest.close()
        assert b"true" in sandbox.run("ASK {}", "application/sparql-results+json", None).body
    finally:
        sandbox.close()


@pytest.mark.slow
def test_a_query_waits_for_a_restarting_worker_instead_of_being_told_busy(loaded_disk_store):
    """The only worker's stream was cut, so it is being replaced: no query runs, so the next one waits for the
    fresh worker (however slow the machine starts it) rather than hearing 503 after the short queue wait."""
    sandbox = QuerySandbox(loaded_disk_store, Limits(workers=1, stream_after_bytes=4096, queue_wait_s=0.001))
    try:
        sandbox.run(ALL, CSV, None).rest.close()  # the client goes away: the worker is killed and started again
        assert b"true" in sandbox.run("ASK {}", "application/sparql-results+json", None).body
    finally:
        sandbox.close()


@pytest.mark.slow
def test_a_query_that_finds_every_worker_running_one_is_told_to_come_back(loaded_disk_store):
    import pytest

    from circe_kg.errors import EndpointBusy

    sandbox = QuerySandbox(loaded_disk_store, Limits(workers=1, stream_after_bytes=4096, queue_wait_s=0.05))
    try:
        running = sandbox.run(ALL, CSV, None)  # its stream holds the only worker until it is read or closed
        with pytest.raises(EndpointBusy, match="busy") as busy:
            sandbox.run("ASK {}", "application/sparql-results+json", None)
        assert busy.value.retry_after == sandbox.limits.retry_after_s
        running.rest.close()
    finally:
        sandbox.close()
