"""/validate: paste or upload Turtle and get the validation report a data steward can act on.
Nothing is stored; the text is checked together with the graph as it is now."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from ..errors import RdfSyntaxError, UsageError
from ..loader import validate_text
from .store_access import get_store

bp = Blueprint("validate_page", __name__)


@bp.get("/validate")
def form() -> str:
    return render_template("validate.html", text="", report=None, syntax=None)


@bp.post("/validate")
def check() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    if upload and upload.filename:
        name, raw = upload.filename, upload.read()
    else:
        name, raw = "pasted Turtle", request.form.get("text", "").encode("utf-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not UTF-8 text", "save the file as UTF-8") from None
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    try:
        report = validate_text(get_store(), text, name)
    except RdfSyntaxError as error:
        if wants_json:
            return jsonify(error.to_dict()), 400  # type: ignore[return-value]
        return render_template("validate.html", text=text, report=None, syntax=error), 400
    if wants_json:
        return jsonify(report.to_dict())
    return render_template("validate.html", text=text, report=report, syntax=None), 200
