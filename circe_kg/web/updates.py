"""SPARQL 1.1 Update for data stewards: POST /update (application/sparql-update, or the form field `update`),
apart from the public read-only /sparql. With If-Match (the ETags of the graphs it changes) it is written only
over those versions. Like every write, it needs a bearer token (web/auth.py) and passes the write gate:
validated before it becomes visible (422 with the report), serialised, recorded.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import PreconditionFailed, UsageError
from ..writing.gate import checksum
from .auth import requires_token
from .services import gate
from .write_protocol import apply, if_match_tags, stale

bp = Blueprint("updates", __name__)


@bp.post("/update")
@requires_token
def update() -> Response:
    if request.mimetype == "application/sparql-update":
        text = request.get_data(as_text=True)
    else:
        text = request.form.get("update", "")
    if not text.strip():
        raise UsageError("no update given", "POST application/sparql-update, or a form with update=…")
    tags = if_match_tags()
    with gate().exclusive():  # no write between reading the graphs and writing what the update made of them
        changes = gate().changes_of_update(text)
        bases = {graph: gate().base(graph) for graph in changes}
        if tags is not None:  # the client's versions
            for graph, current in bases.items():
                if tags == ["*"] and not current:
                    raise PreconditionFailed(
                        f"<{graph}> does not exist (If-Match: *)", "send the update without If-Match"
                    )
                if tags != ["*"] and current and current not in tags:
                    raise stale(graph, current)
        return apply(changes, "update", checksum(text.encode("utf-8")), expect=bases)
