"""The site-wide sourced-only switch: whether it is on (?sourced=, else the reader's cookie), kept in every link
and form while on, and what the switch above an answer shows. Every face that leaves illustrative examples out
(search, questions, lists, the home page, the dumps listing) asks `sourced_only()` here; `init_app` installs the
hooks that carry the switch from page to page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, has_request_context, request, url_for
from markupsafe import Markup

from ..errors import BadParameter
from .i18n import EXTENDED_BY_HAND, LANGUAGE_FREE

T = TypeVar("T")


SOURCED_COOKIE = "sourced"
# Addresses that never carry the switch: files, assets and machine interfaces (as i18n.LANGUAGE_FREE), and the
# pages the app extends by hand ("/query" + "?query=…"), whose content it does not change.
SWITCH_FREE = LANGUAGE_FREE | EXTENDED_BY_HAND


def sourced_only() -> bool:
    """The site-wide sourced-only switch: ?sourced=1 (or on) turns it on, ?sourced=0 off; without either, the
    reader's last choice (the `sourced` cookie, kept_sourced_choice). While it is on, every page, list, question,
    CSV and the dumps listing leave out what rests on illustrative examples, and say so."""
    if "sourced" in request.args:
        return checkbox("sourced", "sourced answers only")
    return request.cookies.get(SOURCED_COOKIE) == "1"


def switch_is_on() -> bool:
    """sourced_only() for links and templates: a malformed ?sourced= is the page's own error, not every link's."""
    try:
        return has_request_context() and sourced_only()
    except BadParameter:
        return False


def keep_sourced(endpoint: str | None, values: dict[str, Any]) -> None:
    """url_defaults: while the switch is on, a url_for of a page carries sourced=1 (unless the caller gave
    sourced: the switch's own link turns it off), so a shared link or a cookie-less client keeps it."""
    if endpoint is None or endpoint in SWITCH_FREE or "sourced" in values:
        return
    if switch_is_on():
        values["sourced"] = "1"


def kept_sourced_choice(response: Response) -> Response:
    """The reader's choice (?sourced=1 or 0) kept in a cookie for the next visit; a page made with the cookie
    says it varies with it."""
    chosen = request.args.get("sourced")
    if chosen in ("1", "on"):
        response.set_cookie(SOURCED_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    elif chosen == "0" and SOURCED_COOKIE in request.cookies:
        response.delete_cookie(SOURCED_COOKIE, samesite="Lax", httponly=True)
    if SOURCED_COOKIE in request.cookies:
        response.vary.add("Cookie")
    return response


def sourced_turn_url() -> str:
    """This page with the switch turned (page number dropped: the other setting has other pages)."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("sourced", "page")}
    turned: dict[str, Any] = {**args, "sourced": ["0" if switch_is_on() else "1"]}  # url_for's values
    if request.endpoint is None or request.endpoint in SWITCH_FREE:
        return request.path + "?" + urlencode(turned, doseq=True)
    return url_for(request.endpoint, **(request.view_args or {}), **turned)


def sourced_switch() -> dict[str, Any]:
    """For every template (base.html may show it on every page): whether the switch is on, and its one link."""
    return {"sourced_only": switch_is_on, "sourced_turn_url": sourced_turn_url, "sourced_field": sourced_field}


def sourced_field() -> Markup:
    """For a form sent with GET (which replaces its action's query): the switch in a hidden field while on."""
    return Markup('<input type="hidden" name="sourced" value="1">') if switch_is_on() else Markup("")


def checkbox(name: str, meaning: str) -> bool:
    """A switch in the URL: ?name=1 (or on, as a ticked HTML checkbox sends it) ticks it; 0 or nothing does not."""
    raw = request.args.get(name, "")
    if raw not in ("", "0", "1", "on"):
        raise BadParameter(
            f"{name} is a checkbox: {name} must be 1 ({meaning}) or 0, not {raw[:20]!r}",
            f"use ?{name}=1 for {meaning}, or leave it out",
        )
    return raw in ("1", "on")


def truth_split(rows: list[T], illustrative: Callable[[T], bool]) -> tuple[list[T], dict[str, Any]]:
    """The rows to show (all, or the sourced ones while the switch is on), and what the switch above an answer
    shows (_switch)."""
    sourced = [row for row in rows if not illustrative(row)]
    switch = switch_counts(len(sourced), len(rows) - len(sourced))
    return (sourced if switch["only"] else rows), switch


def switch_counts(sourced: int, illustrative: int) -> dict[str, Any]:
    """What _truth_switch.html shows: how many answers are sourced and illustrative, whether the illustrative
    ones are left out, and the address of this page with the switch turned."""
    return {"sourced": sourced, "illustrative": illustrative, "only": sourced_only(), "turn": sourced_turn_url()}


def init_app(app: Flask) -> None:
    """Carry the switch: in every url_for of a page, in the reader's cookie, and to every template."""
    app.url_defaults(keep_sourced)
    app.after_request(kept_sourced_choice)
    app.context_processor(sourced_switch)
