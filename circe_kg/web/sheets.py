"""Spreadsheets in the browser: download a template or an export, upload a filled sheet, see what it would change
(the sheet with its bad cells marked, and a per-field diff), confirm — written at once with a steward token, held
as a draft with an editor token.

Promises: `GET /templates/{kind}.xlsx` (or `all.xlsx`) and `GET /export/{kind}.xlsx|.csv` in the page's language;
`POST /import` never writes: it keeps the upload and shows the preview; `POST /import/confirm` writes the previewed
plan only if the records it touches are still as they were when it was previewed (else 409, nothing written), so
no one's work is silently overwritten. Every refusal says what, where and how to fix it, with its status.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import PROJECT_ROOT
from ..errors import CirceError, NotFound, UsageError
from ..namespaces import compact
from ..sheets.export import records
from ..sheets.importing import Plan, apply, plan_import, plan_mapped
from ..sheets.layout import KINDS, kind_of, layout_for
from ..sheets.mapping import load_mapping
from ..sheets.reading import MAX_BYTES, UnreadableSheet
from ..sheets.workbook import csv_rows
from .auth import form_agent
from .pages import page, wants_twin
from .services import gate, get_store
from .workbooks import XLSX, sheet_language, xlsx_of

bp = Blueprint("sheets", __name__)
KEEP_UPLOADS = 50
MAPPINGS_DIR = PROJECT_ROOT / "mappings"
UPLOAD_NAME = re.compile(r"[0-9a-f]{64}")


@bp.app_template_filter("compact")
def compact_filter(iri: str) -> str:
    return compact(iri)


def _kinds(name: str) -> list[str]:
    if name == "all":
        return list(KINDS)
    try:
        return [kind_of(name)]
    except UsageError as error:
        raise NotFound(error.message, error.hint) from None


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/templates/<name>.xlsx")
def template(name: str) -> Response:
    return _download(xlsx_of(_kinds(name), False), XLSX, f"circe-kg-template-{name}.xlsx")


@bp.get("/export/<name>.<extension>")
def export(name: str, extension: str) -> Response:
    kinds = _kinds(name)
    if extension == "xlsx":
        return _download(xlsx_of(kinds, True), XLSX, f"circe-kg-{name}.xlsx")
    if extension == "csv" and len(kinds) == 1:
        layout = layout_for(get_store(), kinds[0], sheet_language())
        text = io.StringIO()
        csv.writer(text).writerows(csv_rows(layout, records(get_store(), layout)))
        return _download(("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8", f"circe-kg-{name}.csv")
    raise NotFound(f"no export as .{extension} of {name!r}", "ask for .xlsx (any kind or all) or .csv (one kind)")


# -- import ---------------------------------------------------------------------------------------
def _uploads() -> Path:
    base = gate().history_dir
    if base is not None:
        folder = base / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    # No history folder (a SPARQL server's store): a private folder of this process's own.
    if "circe_uploads" not in current_app.extensions:
        current_app.extensions["circe_uploads"] = Path(tempfile.mkdtemp(prefix="circe-kg-uploads-"))
    return current_app.extensions["circe_uploads"]


def _keep(data: bytes, name: str) -> str:
    """Keep an upload for its confirmation (the newest KEEP_UPLOADS are kept); its SHA-256 names it."""
    digest = hashlib.sha256(data).hexdigest()
    folder = _uploads()
    (folder / digest).write_bytes(data)
    (folder / f"{digest}.name").write_text(name, encoding="utf-8")
    kept = sorted((p for p in folder.iterdir() if UPLOAD_NAME.fullmatch(p.name)), key=lambda p: p.stat().st_mtime)
    for old in kept[:-KEEP_UPLOADS]:
        old.unlink(missing_ok=True)
        old.with_name(old.name + ".name").unlink(missing_ok=True)
    return digest


def plan_digest(plan: Plan) -> str:
    """What the preview showed, as one hash: each graph it changes as it was stored then (WriteGate.base) and as
    it would be written. Both count: a change by someone else to a field the file also sets leaves the written
    content as previewed, and only the stored content tells that the preview's "before" is no longer true."""
    h = hashlib.sha256()
    for graph in sorted(plan.graphs):
        h.update(f"{graph}\0{plan.bases.get(graph, '')}\0".encode())
        for line in sorted(str(t) for t in plan.graphs[graph]):
            h.update(line.encode() + b"\n")
    return h.hexdigest()


def _page(status: int = 200, **context) -> Response:
    """The import page with `context` (the plan previewed, its marked sheets, the message…), or its twin."""
    context.setdefault("plan", None)
    context.setdefault("message", None)
    context.setdefault("kinds", list(KINDS))
    context.setdefault("mappings", list(mappings()))
    return page("sheets/import.html", status, **context)


@bp.get("/import")
def import_page() -> Response:
    return _page()


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    """An upload over the server's limit (MAX_CONTENT_LENGTH): the import page, saying the limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or MAX_BYTES
    return _page(
        413,
        message=f"Not read: the file is larger than the {limit / 2**20:.0f} MB this server accepts.",
        hint="Split the rows into several files and import them one after the other.",
    )


def mappings() -> dict[str, Path]:
    """The saved column mappings (mappings/*.toml) by name, for sheets that were not made from a template."""
    return {path.stem: path for path in sorted(MAPPINGS_DIR.glob("*.toml"))}


def _plan(data: bytes, name: str, kind: str | None, mapping: str | None) -> Plan:
    if not mapping:
        return plan_import(gate(), data, name, kind)
    known = mappings()
    if mapping not in known:
        raise UsageError(f"no saved mapping {mapping!r}", "choose one of: " + (", ".join(known) or "none saved"))
    return plan_mapped(gate(), data, name, load_mapping(known[mapping]))


@bp.post("/import")
def import_preview() -> Response:
    wants_twin()  # a bad ?format= is refused before anything is written
    token = request.form.get("token", "")
    upload = request.files.get("file")
    kind = request.form.get("kind") or None
    mapping = request.form.get("mapping") or ""
    try:
        form_agent()
        if upload is None or not upload.filename:
            raise UsageError("no file was chosen", "choose the .xlsx or .csv file to import, then Preview")
        data = upload.read(MAX_BYTES + 1)
        plan = _plan(data, upload.filename, kind, mapping)
    except UnreadableSheet as error:
        return _page(error.status, message=error.message, hint=error.hint, token=token)
    except CirceError as error:
        return _page(error.status, message=error.message, hint=error.hint, token=token)
    digest = _keep(data, upload.filename)
    return _page(
        422 if plan.problems else 200,
        plan=plan,
        upload=digest,
        digest=plan_digest(plan),
        token=token,
        kind=kind or "",
        mapping=mapping,
        marked=_marked(plan),
    )


PREVIEW_ROWS = 200


def _marked(plan: Plan) -> list[dict]:
    """The sheets as the preview shows them: the rows with a problem or a change (at most PREVIEW_ROWS), the
    columns with a value in them, each bad cell with its problem."""
    marks: dict[tuple[str, str], str] = {}
    for p in plan.problems:
        if "!" in p.where:
            sheet, cell = p.where.rsplit("!", 1)
            marks[(sheet.strip("'"), cell)] = f"{p.what} — {p.fix}"
    wanted = {o.where.rsplit("!", 1)[-1].split(":")[0] for o in plan.outcomes if o.status != "unchanged"}
    shown = []
    for table in plan.tables:
        rows = [
            r
            for r in table.rows
            if str(r[0].row) in wanted or any((table.sheet, c.letter + str(c.row)) in marks for c in r)
        ][:PREVIEW_ROWS]
        used = [
            i
            for i in range(len(table.headers))
            if any(r[i].value is not None for r in rows) or (table.sheet, table.headers[i].letter + "1") in marks
        ]
        shown.append(
            {
                "sheet": table.sheet,
                "headers": [(table.headers[i].letter, table.headers[i].value) for i in used],
                "rows": [
                    (
                        r[0].row,
                        [
                            (_shown(r[i].value), marks.get((table.sheet, r[i].letter + str(r[i].row))), r[i].ref)
                            for i in used
                        ],
                    )
                    for r in rows
                ],
                "more": len(table.rows) > PREVIEW_ROWS,
            }
        )
    return shown


def _shown(value: object) -> object:
    """A cell's value as the spreadsheet shows it: a date cell as its date (openpyxl reads it with a midnight)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return value


@bp.post("/import/confirm")
def import_confirm() -> Response:
    wants_twin()  # a bad ?format= is refused before anything is written
    token = request.form.get("token", "")
    upload = request.form.get("upload", "")
    try:
        agent = form_agent()
        if not UPLOAD_NAME.fullmatch(upload) or not (_uploads() / upload).exists():
            raise NotFound("that upload is no longer kept", "upload the file again and preview it")
        data = (_uploads() / upload).read_bytes()
        name = (_uploads() / f"{upload}.name").read_text(encoding="utf-8")
        kind, mapping = request.form.get("kind") or "", request.form.get("mapping") or ""
        plan = _plan(data, name, kind or None, mapping)
        shown = {
            "plan": plan,
            "upload": upload,
            "token": token,
            "kind": kind,
            "mapping": mapping,
            "marked": _marked(plan),
        }
        if plan.problems:
            return _page(422, digest=plan_digest(plan), **shown)
        if not plan.changes_anything:  # e.g. confirmed twice: not someone else's change, and nothing to lose
            return _page(200, done="Nothing to import: the graph already holds these records.")
        digest = plan_digest(plan)
        if digest != request.form.get("digest"):
            return _page(
                409,
                message="Not imported: the records this file changes were changed by someone else since your preview.",
                hint="Look at the new preview below, then confirm again.",
                digest=digest,
                **shown,
            )
        result = apply(gate(), plan, agent, draft=g.get("role") == "editor")
    except CirceError as error:
        return _page(error.status, message=error.message, hint=error.hint, token=token)
    if result is None:
        return _page(200, done="Nothing to import: the graph already holds these records.")
    if isinstance(result, int):
        current_app.logger.info("import of %s held as draft %d", name, result)
        return _page(202, done=f"Submitted as draft {result}: a reviewer will publish it.", summary=plan.summary())
    return _page(200, done=f"Imported as version {result.number}.", summary=plan.summary(), plan_done=plan)
