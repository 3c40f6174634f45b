"""What every HTTP write shares: a graph's ETag and the If-Match that bases a write on that version (412 if it
has changed since, nothing written), writing now or holding a draft for review (editors: 202 Accepted), and the
JSON answer that reports a recorded write. The graph store, updates and drafts answer through here, so that a
write reads and reports the same whichever address it came to.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, g, jsonify, request

from ..errors import Conflict, PreconditionFailed, UsageError
from .services import gate

ENTITY_TAGS = re.compile(r'\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*')


def etag(graph: str) -> str:
    """The entity tag of a graph's current version (quoted, as HTTP sends it)."""
    return f'"{gate().base(graph)}"'


def if_match_tags() -> list[str] | None:
    """The entity tags of If-Match (["*"] for any), None without the header. Raises UsageError when malformed."""
    given = request.headers.get("If-Match")
    if given is None:
        return None
    if not ENTITY_TAGS.fullmatch(given):
        raise UsageError(
            f"If-Match is not an entity tag: {given[:80]!r}",
            'send back the ETag that GET /graphs?graph=… gave, quotes included (If-Match: "…"), or * for "exists"',
        )
    if given.strip() == "*":
        return ["*"]
    return [t.strip().removeprefix("W/").strip('"') for t in given.split(",")]


def stale(graph: str, current: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"<{graph}> has changed since the version you sent in If-Match",
        f'nothing was written: GET it again (its ETag is now "{current}"), merge your change, and send it with '
        "the new ETag",
    )


def if_match(graph: str) -> dict[str, str] | None:
    """The version an HTTP write was based on (its If-Match), as `expect` for the gate; None without the header.
    Raises UsageError for a malformed header, PreconditionFailed for a version that is not the current one."""
    tags = if_match_tags()
    if tags is None:
        return None
    current = gate().base(graph)
    if tags == ["*"]:
        if not current:
            raise PreconditionFailed(f"<{graph}> does not exist (If-Match: *)", "create it without If-Match")
    elif current not in tags:
        raise stale(graph, current)
    return {graph: current}


def apply(
    changes: dict[str, Any],
    operation: str,
    upload: str | None = None,
    status: int = 200,
    parsed: tuple = (),
    expect: dict[str, str] | None = None,
) -> Response:
    """Write now (stewards, reviewers) or hold as a draft for review (editors: 202 Accepted); with `expect`
    (WriteGate.commit), only if those graphs are still the versions it names."""
    try:
        if g.get("role") == "editor":
            number = gate().propose(changes, operation, g.agent, expect=expect)
            response = jsonify({"draft": number, "status": "pending", "review": f"/drafts/{number}"})
            response.status_code = 202
            return response
        response = written(gate().commit(changes, operation, g.agent, upload, parsed, expect=expect), status)
    except Conflict as conflict:
        if expect is None or isinstance(conflict, PreconditionFailed):
            raise
        raise PreconditionFailed(conflict.message, conflict.hint) from None
    if len(changes) == 1:
        response.headers["ETag"] = etag(next(iter(changes)))
    return response


def written(change: Any, status: int = 200) -> Response:
    body = {
        "version": change.number,
        "operation": change.operation,
        "agent": change.agent,
        "time": change.time,
        "graphs": [{"graph": c.graph, "added": c.added, "removed": c.removed} for c in change.graphs],
    }
    if change.report is not None and change.report.results:
        body["report"] = change.report.to_dict()
    response = jsonify(body)
    response.status_code = status
    return response
