"""/validate: paste or upload Turtle and get the validation report a data steward can act on.
Nothing is stored; the text is checked together with the graph as it is now."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import RdfSyntaxError
from ..loader import validate_text
from ..rdf_files import decode_utf8
from .pages import page, twin, wants_twin
from .services import get_store

bp = Blueprint("validate_page", __name__)


@bp.get("/validate")
def form() -> Response:
    return page("validate_page/validate.html", text="", report=None, syntax=None, chosen=None)


@bp.post("/validate")
def check() -> Response:
    """The report for the uploaded file (or, without one, the pasted text), as a page or JSON (the report's
    dict; `?format=json` or Accept preferring application/json).

    A file that does not parse — bytes that are not UTF-8 included, with the line of the first such byte —
    gives 400 with the error; the page then keeps the form as it was sent (the pasted text, the chosen file's
    name), so that nothing typed is lost. A UTF-8 byte-order mark is ignored."""
    upload = request.files.get("file")
    typed = request.form.get("text", "")
    chosen = upload.filename if upload and upload.filename else None
    as_json = wants_twin()
    if upload and chosen:
        name, raw = chosen, upload.read()
    else:
        name, raw = "pasted Turtle", typed.encode("utf-8", "surrogatepass")
    text = typed
    try:
        text = decode_utf8(raw, name)
        report = validate_text(get_store(), text, name)
    except RdfSyntaxError as error:
        if as_json:
            return twin(error, 400)
        return page("validate_page/validate.html", 400, text=text, report=None, syntax=error, chosen=chosen)
    if as_json:
        return twin(report)
    return page("validate_page/validate.html", text=text, report=report, syntax=None, chosen=chosen)
