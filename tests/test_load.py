"""A bounded load test: locust's mixed traffic (bench/locustfile.py) against a real `circe-kg serve` on each
backend for a fixed time — no request may fail. The latencies are printed (pytest -s) for the record; how
fast is the load benchmark's business (bench/load.py), not this test's."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from load import run_locust  # noqa: E402

SECONDS = 10
USERS = 6
# Measures how the server holds up under load: runs alone (scripts/test.sh), on the embedded store and Virtuoso (both
# engines, both store paths: an Oxigraph server adds neither, tests/conftest.py).
pytestmark = [pytest.mark.serial, pytest.mark.embedded_and_virtuoso]


def test_mixed_traffic_for_a_fixed_time_has_no_errors(served, tmp_path):
    stats, output = run_locust(served(), SECONDS, USERS, tmp_path)
    total = stats[-1]
    print(
        f"\nload: {total.requests} requests in {SECONDS} s from {USERS} users, {total.failures} failed, "
        f"p50 {total.p50_ms:.0f} ms, p99 {total.p99_ms:.0f} ms"
    )
    assert total.name == "all requests" and total.failures == 0, output
    kinds = {s.name for s in stats if s.requests}  # every kind of request was made, and none failed
    assert {"page", "/search", "/page/…", "/id/… as Turtle", "/sparql"} <= kinds, output
