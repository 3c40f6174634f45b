"""The markers the fast loop leaves out say what they promise: a test that starts a server process is marked
`server` (tests/conftest.py marks it from its fixtures and backends), or it cannot start one."""

from __future__ import annotations

import pytest

from devtools import local_servers
from devtools.local_servers import CirceApp, OxigraphServer


def test_a_test_not_marked_server_cannot_start_one(tmp_path):
    assert local_servers.starts_allowed is False
    for server in (lambda: OxigraphServer(tmp_path / "ox"), lambda: CirceApp(tmp_path / "app")):
        with pytest.raises(RuntimeError, match="not marked `server`"):
            server()


@pytest.mark.server
def test_a_test_marked_server_may_start_one(request):
    assert request.node.get_closest_marker("server") is not None
    assert local_servers.starts_allowed is True
