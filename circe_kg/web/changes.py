"""The history and the review of changes, for people:

- GET /history[?graph=IRI]          every recorded write, newest first, each row naming the resources it changed
                                    (JSON for machines, as before)
- GET /history/<number>             one change: per graph, per resource, per field what was added, removed or
                                    changed (names, not IRIs), with Restore buttons for stewards
- POST /history/<number>/restore    bring a graph back to the version this change made, or the one before it
- GET|POST /review                  drafts as a preview of each record after publishing plus the per-field diff;
                                    Publish, or Reject with a reason (recorded in the history)

Buttons post forms with the typed token or, for a signed-in steward, the session's CSRF token (auth.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from .. import queries
from ..diffs import SHOWN_RESOURCES, Diff, diff
from ..errors import CirceError, NoSuchVersion, UsageError, ValidationFailed, WriteRefused
from ..ntriples import NTriples
from .auth import form_agent, signed_in
from .i18n import answer
from .pages import page, twin, wants_twin
from .services import gate, get_store

bp = Blueprint("changes", __name__)
SUMMARY_NAMES = 3  # resources named on a history row; the others are counted
# A change of many graphs (a load) describes fewer records of each, so that its page stays readable: SHOWN_RESOURCES
# shared among its graphs, at least FEWEST_SHOWN of each; the others are counted.
FEWEST_SHOWN = 5


def names(iris: list[str]) -> dict[str, str]:
    """Names of `iris` in the reader's language, else English: a property by the name its form field has
    (queries/app/field-names.rq), anything else by its label (queries/app/labels.rq); asked in chunks."""
    found: dict[str, str] = {}
    for query in ("field-names", "labels"):
        for language in dict.fromkeys([g.get("lang", "en"), "en"]):
            missing = [iri for iri in iris if iri not in found]
            for start in range(0, len(missing), queries.MAX_LIST):
                chunk = {"resource": missing[start : start + queries.MAX_LIST], "lang": language}
                found.update(
                    (row["resource"].value, row["label"].value) for row in answer(query, chunk).rows if "label" in row
                )
    return found


def _history_rows() -> list[dict[str, Any]]:
    return [{k: v.value for k, v in row.items()} for row in queries.run(get_store(), "history").rows]


def version_diff(graph: str, number: int, limit: int | None = None) -> Diff | None:
    """What recorded version `number` changed in `graph` (against the version before it); None if not kept."""
    after = gate().history.version_content(graph, number)
    if after is None:
        return None
    previous = gate().history.version_before(graph, number)
    before = (gate().history.version_content(graph, previous) if previous is not None else None) or NTriples(b"")
    return diff(before, after, names, **({"limit": limit} if limit is not None else {}))


@lru_cache(maxsize=4096)
def _summary(history: Path | None, graph: str, number: int, lang: str) -> tuple[tuple[str, ...], int] | None:
    """(the first names, how many resources) a version changed; versions never change, so this is kept."""
    found = version_diff(graph, number, limit=SUMMARY_NAMES)
    return None if found is None else (tuple(r.label for r in found.resources), found.changed_count)


@bp.get("/history")
def history() -> Response:
    """Every recorded write, newest first; its twin (?format=json, or Accept preferring application/json) is the
    list of the rows as the history query gives them."""
    graph = request.args.get("graph")
    rows = _history_rows()
    if graph:  # a plain filter on the answer: the graph is never put into the query text
        rows = [row for row in rows if row.get("graph") == graph]
    if wants_twin():
        return twin(rows)
    for row in rows[:200]:
        if row.get("graph"):
            row["changed"] = _summary(gate().history_dir, row["graph"], int(row["number"]), g.get("lang", "en"))
    return page("changes/history.html", rows=rows, graph=graph)


def _change_page(number: int, message: CirceError | None = None, status: int = 200) -> Response:
    rows = [row for row in _history_rows() if int(row["number"]) == number]
    if not rows:
        raise NoSuchVersion(f"no change number {number} is recorded", "the history lists them: /history")
    changed = [r["graph"] for r in rows if r.get("graph")]
    each = max(FEWEST_SHOWN, SHOWN_RESOURCES // max(1, len(changed)))
    graphs = [
        {
            "graph": graph,
            "diff": version_diff(graph, number, limit=each),
            "before": gate().history.version_before(graph, number),
        }
        for graph in changed
    ]
    return page("changes/change.html", status, change=rows[0], graphs=graphs, message=message)


@bp.get("/history/<int:number>")
def change(number: int) -> Response:
    return _change_page(number)


@bp.post("/history/<int:number>/restore")
def restore(number: int) -> BaseResponse:
    """Restore one graph to `version` (this change's or the one before), as a steward or reviewer; refused, the
    change's page again with the reason."""
    wants_twin()  # a bad ?format= is refused before anything is written
    try:
        agent = form_agent()
        if g.role not in ("steward", "reviewer"):
            raise WriteRefused("restoring needs a steward or reviewer token", "ask the operator for one")
        version = request.form.get("version", type=int)
        if version is None:
            raise UsageError("the form named no version to restore", "use the Restore buttons on this page")
        done = gate().restore(request.form.get("graph", ""), version, agent)
    except CirceError as error:
        return _change_page(number, error, error.status)
    return redirect(url_for("changes.change", number=done.number), code=303)


def _draft_view(number: int) -> dict[str, Any]:
    """A draft as the review page shows it: its record, report, per-graph diff and each touched record after."""
    review = gate().review(number)
    _, content = gate().draft(number)
    shown = []
    for graph, triples in content.items():
        before = gate().content(graph) if graph in get_store().named_graphs() else NTriples(b"")
        after = NTriples.of(triples or [])
        changes = diff(before, after, names)
        previews = {r.iri: _preview(after, r.iri) for r in changes.resources if r.status != "deleted"}
        shown.append({"graph": graph, "diff": changes, "previews": previews})
    return {**review, "changes": shown}


def _preview(content: NTriples, iri: str) -> list[tuple[str, list[str]]]:
    """A record as it would read after publishing: its fields by name, with their values."""
    start = f"<{iri}> ".encode()
    mine = NTriples(b"".join(line + b"\n" for line in content.data.split(b"\n") if line.startswith(start)))
    everything = diff(NTriples(b""), mine, names, limit=1)
    return [(f.name, f.after) for r in everything.resources for f in r.fields]


@bp.route("/review", methods=["GET", "POST"])
def review_page() -> Response:
    """Drafts for people: the token (or the sign-in) once; each draft shows a preview of its records, the
    per-field diff and its report, with Publish and Reject (with a reason) buttons that post back here."""
    wants_twin()  # a bad ?format= is refused before anything is written
    token = request.form.get("token", "")
    who = signed_in()
    if request.method != "POST" and who is None:  # a GET (or HEAD) from someone not signed in: the sign-in
        return page("changes/review.html", drafts=None, token_ok=False, message=None)
    status, message = 200, None
    try:
        if request.method == "POST":
            g.agent = form_agent()
        elif who is not None:  # a signed-in steward's GET: nothing changes, so no CSRF token is needed
            g.agent, g.role = who
        action, number = request.form.get("action"), request.form.get("draft", type=int)
        if action in ("publish", "reject") and number is not None:
            if g.role not in ("reviewer", "steward"):
                raise WriteRefused("publishing and rejecting need a reviewer token", "ask the operator for one")
            if action == "publish":
                message = f"Draft {number} published as version {gate().publish(number, g.agent).number}."
            else:
                reason = request.form.get("reason", "").strip()
                if not reason:
                    raise UsageError(
                        f"draft {number} was not rejected: a reason is needed",
                        "write in a sentence what its author should change, then press Reject again",
                    )
                gate().reject(number, g.agent, reason)
                message = f"Draft {number} rejected."
    except ValidationFailed as failure:
        status, message = 422, f"Not published: {failure.report.summary()}"
    except UsageError as error:
        status, message = error.status, f"{error.message} — {error.hint}" if error.hint else error.message
    except CirceError as error:
        return page("changes/review.html", error.status, drafts=None, token_ok=False, message=error.message)
    drafts = [_draft_view(d["number"]) for d in gate().drafts() if d["status"] == "pending"]
    return page("changes/review.html", status, drafts=drafts, token=token, token_ok=True, message=message)
