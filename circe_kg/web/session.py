"""Sign in once: a steward gives her write token on /sign-in and the browser keeps a session cookie instead of the
token being retyped on every form; every form that writes carries a CSRF token tied to that session.

- The cookie (Flask's signed session) holds a SHA-256 fingerprint of the token, never the token, and is HttpOnly,
  SameSite=Strict and Secure (except over plain http to this machine's loopback address, where browsers would
  drop a Secure cookie and nobody can listen in). Each request looks the fingerprint up among the configured
  tokens, so a token the operator removes stops working at once.
- The signing key is CIRCE_KG_SECRET_KEY (or SECRET_KEY in the config); without one, a random key per process:
  sessions end when the server restarts, and a cookie from another server is not valid here.
- A form posted with a token field needs no CSRF token (the token is the proof); a form posted on the strength
  of the cookie must carry `csrf` equal to the session's, or it is refused with the input kept (StaleForm).

>>> from flask import Flask
>>> app = Flask(__name__); init_app(app)
>>> app.config["SESSION_COOKIE_HTTPONLY"], app.config["SESSION_COOKIE_SAMESITE"]
(True, 'Strict')
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from .. import settings
from ..errors import CirceError, StaleForm
from .auth import COOKIE, agent_for, csrf_token, fingerprint, signed_in
from .services import installed, services_of

bp = Blueprint("session", __name__)


class _LoopbackAwareCookies(SecureCookieSessionInterface):
    """Secure cookies everywhere but plain http on the loopback address (the first command's local server)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if request.scheme == "https":
            return True
        try:
            return not ipaddress.ip_address(request.host.rsplit(":", 1)[0].strip("[]")).is_loopback
        except ValueError:
            return request.host.split(":", 1)[0] != "localhost"


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int] | str:
    """GET: the sign-in form. POST token=…: keep a fingerprint in the session, then go `next` (this site only)."""
    target = request.values.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    if request.method == "GET":
        return render_template("session/sign_in.html", next=target, message=None, who=signed_in())
    try:
        agent_for(request.form.get("token", ""))
    except CirceError as error:
        return render_template("session/sign_in.html", next=target, message=error, who=None), error.status
    session.clear()
    session["token"] = fingerprint(request.form["token"])
    session["csrf"] = secrets.token_urlsafe(24)
    session.permanent = False
    return redirect(target, code=303)


@bp.post("/sign-out")
def sign_out() -> Response:
    """Forget the session (a CSRF token is required, so another site cannot sign anyone out)."""
    if signed_in() is not None and not hmac.compare_digest(request.form.get("csrf", ""), session.get("csrf", "")):
        raise StaleForm("this sign-out form is stale", "reload the page and sign out again")
    session.clear()
    return redirect(url_for("home.index"), code=303)


def init_app(app: Flask) -> None:
    app.secret_key = app.config.get("SECRET_KEY") or settings.value("SECRET_KEY") or secrets.token_bytes(32)
    app.session_interface = _LoopbackAwareCookies()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict")

    @app.context_processor
    def steward() -> dict[str, Any]:
        if not installed(app):
            return {}
        # Pages for people who are not signed in do not touch the session (no cookie, no Vary: Cookie).
        return {
            "writes_enabled": bool(services_of(app).tokens),
            "signed_in": signed_in(),
            "csrf_token": csrf_token,
        }
