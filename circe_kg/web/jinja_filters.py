"""Jinja filters every page may use: `href` (where an IRI is read on this server, else the IRI) and `marked`
(a search snippet with its matches in <mark>). `init_app` registers them on the app.
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape

from .uris import local_href


def marked(snippet: str) -> Markup:
    """Escape the text, then turn the index's match markers into <mark>."""
    return Markup(str(escape(snippet)).replace("\x01", "<mark>").replace("\x02", "</mark>"))


def href(iri: str) -> str:
    return local_href(iri) or iri


def init_app(app: Flask) -> None:
    app.add_template_filter(marked, "marked")
    app.add_template_filter(href, "href")
