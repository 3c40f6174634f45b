"""Service protection under concurrency: a real `circe-kg serve` (waitress, the embedded store) gets four heavy
SPARQL queries at once — three that run past the time limit, one that runs past the result-size cap — while a
probe keeps asking light things: the home page, a search, and `ASK {}` at /sparql. The heavy ones must get a
proper answer (503 or 413 with a message, never 500), the light ones must keep answering within a bound, and the
server must be healthy afterwards. The measured latencies are written to test-output/service-protection.json."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

OUTPUT = Path(__file__).resolve().parents[1] / "test-output" / "service-protection.json"
TIMEOUT_S = 3.0
BOUND_S = 2.0  # a light request answers within this, however busy the endpoint is
TIMES_OUT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # ~10^11 rows to count
TOO_LARGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # ~2·10^7 rows, far past the cap
LIGHT = {
    "home page": ("GET", "", None),
    "search": ("GET", "search?q=textile", None),
    "ASK {} at /sparql": ("GET", "sparql", {"query": "ASK {}"}),
}


@pytest.fixture(scope="module")
def base(served):
    url = served(
        CIRCE_KG_SPARQL_TIMEOUT_S=str(TIMEOUT_S),
        CIRCE_KG_SPARQL_WORKERS="3",
        CIRCE_KG_SPARQL_MAX_RESULT_BYTES=str(2 * 1024 * 1024),
        CIRCE_KG_SPARQL_STREAM_AFTER_BYTES=str(2 * 1024 * 1024),
    )  # kept whole to the cap: a 413
    # The search index is built as the server starts (its dictionaries take seconds to read): a search made now
    # waits for that build, so that the probes below measure requests, not the server's start.
    requests.get(url + "search?q=textile", timeout=120).raise_for_status()
    # Likewise the home page's first visit answers its queries once (the answer cache keeps them until a write):
    # the probes measure visits to a running site, not the first one after a start.
    requests.get(url, timeout=120).raise_for_status()
    return url


def heavy(base: str, query: str) -> dict:
    started = time.monotonic()
    response = requests.post(base + "sparql", data={"query": query}, headers={"Accept": "application/json"}, timeout=60)
    return {
        "status": response.status_code,
        "seconds": round(time.monotonic() - started, 2),
        "body": response.json()
        if response.headers.get("Content-Type", "").startswith("application/json")
        else response.text[:200],
        "retry_after": response.headers.get("Retry-After"),
    }


def probe(base: str, stop: threading.Event, seen: list[dict]) -> None:
    while not stop.is_set():
        for name, (method, path, params) in LIGHT.items():
            started = time.monotonic()
            try:
                response = requests.request(
                    method,
                    base + path,
                    params=params,
                    timeout=30,
                    headers={"Accept": "application/sparql-results+json, text/html;q=0.9"},
                )
                status, retry = response.status_code, response.headers.get("Retry-After")
            except requests.RequestException as error:
                status, retry = repr(error), None
            seen.append(
                {"what": name, "status": status, "seconds": round(time.monotonic() - started, 3), "retry_after": retry}
            )
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("served", ["embedded", "oxigraph-server"], indirect=True)
def test_light_requests_keep_answering_while_heavy_queries_run(base):
    requests.get(base + "sparql", params={"query": "ASK {}"}, timeout=30)  # the first query starts a worker
    seen: list[dict] = []
    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(base, stop, seen))
    with ThreadPoolExecutor(4) as pool:
        heavies = [pool.submit(heavy, base, TOO_LARGE)]  # first, so that it gets a worker and meets the cap
        time.sleep(0.1)
        heavies += [pool.submit(heavy, base, TIMES_OUT) for _ in range(3)]
        time.sleep(0.3)  # let them take the workers
        prober.start()
        results = [f.result() for f in heavies]
    stop.set()
    prober.join()
    after = {
        name: requests.request(method, base + path, params=params, timeout=30).status_code
        for name, (method, path, params) in LIGHT.items()
    }

    by_kind: dict[str, list[dict]] = {}
    for s in seen:
        by_kind.setdefault(s["what"], []).append(s)
    summary = {
        name: {
            "requests": len(rows),
            "max_s": max(r["seconds"] for r in rows),
            "median_s": sorted(r["seconds"] for r in rows)[len(rows) // 2],
            "statuses": {str(s): sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}},
        }
        for name, rows in by_kind.items()
    }
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(
        json.dumps({"heavy": results, "light": summary, "after": after, "samples": seen}, indent=2) + "\n"
    )

    for result in results:  # a proper answer with a message, never a 500 or a hang
        assert result["status"] in (503, 413), result
        assert isinstance(result["body"], dict) and result["body"]["message"], result
        if result["status"] == 503:
            assert result["body"]["error"] in ("query-timeout", "endpoint-busy"), result
        if result["body"]["error"] == "endpoint-busy":
            assert result["retry_after"], result
        assert result["seconds"] < TIMEOUT_S + 2, result
    assert results[0]["status"] == 413 and results[0]["body"]["error"] == "result-too-large", results[0]
    assert any(r["body"]["error"] == "query-timeout" for r in results[1:]), results
    for name, rows in by_kind.items():
        assert rows, name
        slow = [r for r in rows if r["seconds"] >= BOUND_S]
        assert not slow, (name, slow, summary)
        for r in rows:
            assert r["status"] == 200 or (r["status"] == 503 and r["retry_after"]), (name, r)
    for name in ("home page", "search"):
        assert all(r["status"] == 200 for r in by_kind[name]), summary
    # The worker kept for short queries answers them while long ones hold the others (503s come while the
    # heavy query that took it is being stopped and its worker restarted).
    assert any(r["status"] == 200 for r in by_kind["ASK {} at /sparql"]), summary
    assert after == {name: 200 for name in LIGHT}, after


# Measures how the server holds up under load: runs alone, after the parallel part (scripts/test.sh).
pytestmark = pytest.mark.serial
