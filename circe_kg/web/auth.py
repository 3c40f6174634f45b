"""Who is writing: a bearer token checked against the configured ones (in constant time), a signed-in steward's
session, a form's CSRF token, and the role each grants (steward, editor, reviewer). The graph store, updates,
drafts and every form that writes (edit, import, history, review) ask here; none of them keeps its own check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request, session

from ..errors import StaleForm, Unauthorised, WriteRefused, WritesDisabled
from .services import tokens

COOKIE = "circe_kg_session"


def fingerprint(token: str) -> str:
    """What the session keeps of a token: its SHA-256 (a token is long and random, so this reveals nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()


def agent_for(given: str) -> str:
    """The agent name of a configured token (compared in constant time), or Unauthorised / WritesDisabled."""
    configured = tokens()
    if not configured:
        raise WritesDisabled(
            "writing is disabled on this server",
            "the operator enables it by setting CIRCE_KG_WRITE_TOKEN or CIRCE_KG_TOKENS_FILE",
        )
    found = None
    for token, who in configured.items():  # no early exit: every check costs the same
        if hmac.compare_digest(given.encode(), token.encode()):
            found = who
    if found is None:
        raise Unauthorised(
            "a valid bearer token is required to write",
            "send `Authorization: Bearer <token>`; ask the operator for a token",
        )
    g.role = found[1]
    return found[0]


def requires_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the request through only with a configured bearer token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        g.agent = agent_for(header[7:].strip() if header.lower().startswith("bearer ") else "")
        return view(*args, **kwargs)

    return wrapper


def requires_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.get("role") not in roles:
                raise WriteRefused(f"this needs a {' or '.join(roles)} token", "ask the operator for one")
            return view(*args, **kwargs)

        return requires_token(wrapper)

    return decorate


def signed_in() -> tuple[str, str] | None:
    """(agent name, role) of the signed-in steward, or None (not signed in, or her token is no longer
    configured)."""
    mark = session.get("token") if COOKIE in request.cookies else None
    if not mark:
        return None
    for token, who in tokens().items():
        if hmac.compare_digest(fingerprint(token), mark):
            return who
    return None


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def form_agent(token_field: str = "token") -> str:
    """Who is writing with this form post: the token typed into the form if there is one, otherwise the signed-in
    steward, whose form must carry the session's CSRF token. Sets g.role like agent_for.

    Raises Unauthorised (nobody signed in, or the sign-in came from another server / an earlier run),
    StaleForm (the CSRF token is missing or not this session's), WritesDisabled."""
    typed = request.form.get(token_field, "")
    who = None if typed else signed_in()
    if who is None and (typed or COOKIE not in request.cookies or not tokens()):
        return agent_for(typed)  # a typed token, or none: "a valid bearer token is required" / writing disabled
    if who is None:
        raise Unauthorised(
            "your sign-in has ended (the server restarted, or the cookie is from another server)",
            "sign in again at /sign-in, or type your write token into the form; what you typed is kept",
        )
    sent = request.form.get("csrf", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        raise StaleForm(
            "this form's security token is missing or stale (it was opened before you signed in again, or on "
            "another site)",
            "what you typed is kept below: check it and send the form again",
        )
    g.role = who[1]
    return who[0]
