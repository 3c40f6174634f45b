"""Drafts for machines: an editor's write is held as a draft (202 Accepted) until a reviewer or steward
publishes or rejects it. GET /drafts lists them, GET /drafts/<n> shows one with its diff and the validation
report of publishing it, POST /drafts/<n>/publish and /drafts/<n>/reject (with a reason) decide. The same
review for people, with previews and buttons, is the /review page (web/changes.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from .auth import requires_role, requires_token
from .services import gate
from .write_protocol import written

bp = Blueprint("drafts", __name__)


@bp.get("/drafts")
@requires_token
def drafts() -> Response:
    return jsonify(gate().drafts())


@bp.get("/drafts/<int:number>")
@requires_token
def review(number: int) -> Response:
    """The draft, its diff against the published graphs, and the validation report of publishing it."""
    return jsonify(gate().review(number))


@bp.post("/drafts/<int:number>/publish")
@requires_role("reviewer", "steward")
def publish(number: int) -> Response:
    return written(gate().publish(number, g.agent))


@bp.post("/drafts/<int:number>/reject")
@requires_role("reviewer", "steward")
def reject(number: int) -> Response:
    reason = request.args.get("reason") or (request.get_json(silent=True) or {}).get("reason", "")
    return jsonify(gate().reject(number, g.agent, str(reason)))
