"""One error shape on every face: bad input to the graph store, the update endpoint, the SPARQL endpoint, the
reconciliation API and a page's parameter is answered with the JSON of circe_kg/web/errors.py — what is wrong and
where (`message`), how to fix it (`hint`), the kind and the status — the import page tells the same message and
hint to people, and the command line prints what, where and how for a bad file. A face that answered otherwise
(werkzeug's text, a bare traceback, a message without its hint) would fail here."""

from __future__ import annotations

import io
import secrets
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from circe_kg.cli import main
from circe_kg.errors import EXIT_INVALID_DATA
from circe_kg.sheets.reading import OLE_MAGIC

# The error's shape does not depend on the backend (each store's own errors are pinned in their modules).
pytestmark = pytest.mark.embedded_only

TOKEN = secrets.token_urlsafe(24)
JSON = {"Accept": "application/json"}
AUTHORISED = {"Authorization": f"Bearer {TOKEN}", **JSON}
GRAPH = "https://w3id.org/circe-kg/graph/data/error-shape-test"
BAD_FILE = Path(__file__).parent / "fixtures" / "syntax" / "bad-iri.ttl"

# The one shape (render_error in circe_kg/web/errors.py): faces may add fields (a report, a file and line, a limit).
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "status", "message", "hint"],
    "properties": {
        "error": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "message": {"type": "string", "minLength": 1},
        "hint": {"type": "string", "minLength": 1},
    },
}

# Each face, one bad request: (method, path, what is sent, what the message must name as the place of the fault).
WRITE_FACES = {
    "graph store": (
        "put",
        f"/graphs?graph={GRAPH}",
        {"data": b"<a> <b> .", "content_type": "text/turtle"},
        ":1:1:",  # line and column of the sent text
    ),
    "update": (
        "post",
        "/update",
        {"data": "INSERT DATA { <a> <b> }", "content_type": "application/sparql-update"},
        "1:20",  # line and column of the update
    ),
}
READ_FACES = {
    "sparql query": ("get", "/sparql?query=SELEC%20*%20WHERE%20%7B%7D", {}, "1:10"),  # line and column of the query
    "reconcile": ("post", "/reconcile", {"data": {"queries": "{not json"}}, "'queries'"),
    "page parameter": ("get", "/list/practices?page=abc", {}, "page 'abc'"),
}


def assert_the_one_shape(response, where: str) -> dict:
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:500]
    jsonschema.validate(body, ERROR_SCHEMA)
    assert body["status"] == response.status_code and 400 <= response.status_code < 500, body
    assert where in body["message"], body
    return body


@pytest.mark.parametrize("face", WRITE_FACES)
def test_a_write_face_answers_bad_input_with_the_one_shape(writable_app, face):
    app, _ = writable_app({TOKEN: "error-shape steward"})
    method, path, sent, where = WRITE_FACES[face]
    assert_the_one_shape(getattr(app.test_client(), method)(path, headers=AUTHORISED, **sent), where)


@pytest.mark.parametrize("face", READ_FACES)
def test_a_read_face_answers_bad_input_with_the_one_shape(client, face):
    method, path, sent, where = READ_FACES[face]
    assert_the_one_shape(getattr(client, method)(path, headers=JSON, **sent), where)


class Alert(HTMLParser):
    """The texts of the page's role="alert" block, paragraph by paragraph."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside the alert: how many open elements deep
        self.paragraphs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth or ("role", "alert") in attrs:
            self.depth += 1
            if tag == "p":
                self.paragraphs.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.paragraphs:
            self.paragraphs[-1] += data


def test_the_import_page_tells_people_the_same_message_and_hint(writable_app):
    """The import is a page for people, with no JSON twin: its alert holds the message (here: a password-protected
    workbook, named), then the hint, and the status is the error's."""
    app, _ = writable_app({TOKEN: "error-shape steward"})
    sent = {"token": TOKEN, "file": (io.BytesIO(OLE_MAGIC + bytes(64)), "practices.xlsx")}
    response = app.test_client().post("/import", data=sent, content_type="multipart/form-data")
    alert = Alert()
    alert.feed(response.get_data(as_text=True))
    message, hint = [" ".join(text.split()) for text in alert.paragraphs]
    jsonschema.validate(
        {"error": "import", "status": response.status_code, "message": message, "hint": hint}, ERROR_SCHEMA
    )
    assert 400 <= response.status_code < 500 and "practices.xlsx" in message, (response.status_code, message)


def test_the_command_line_prints_what_where_and_how(runner):
    result = runner.invoke(main, ["validate", str(BAD_FILE)])
    assert result.exit_code == EXIT_INVALID_DATA, result.output
    first, *rest = result.stderr.splitlines()
    assert first.startswith("error: ") and f"{BAD_FILE.name}:2:64: syntax error: " in first, first  # where, what
    assert rest[-1].startswith("hint: ") and len(rest[-1]) > len("hint: "), rest  # how to fix
    assert "Traceback" not in result.output
