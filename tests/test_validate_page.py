"""/validate: paste or upload Turtle, see the report by focus node with line and hint; nothing stored."""

import io
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def test_form_renders(client):
    page = client.get("/validate").get_data(as_text=True)
    assert '<label for="text">' in page and 'type="file"' in page


@pytest.mark.slow
def test_pasted_violation_shows_line_hint_and_changes_nothing(client, loaded_store):
    before = loaded_store.count()
    text = (FIXTURES / "shapes" / "unknown-nuts-code.ttl").read_text()
    page = client.post("/validate", data={"text": text}).get_data(as_text=True)
    assert "Does not conform: 1 violation" in page
    assert "pasted Turtle, line 34" in page and "did you mean nuts:ITC4?" in page
    assert loaded_store.count() == before


@pytest.mark.slow
def test_uploaded_file_and_json(client):
    data = {"file": (io.BytesIO((FIXTURES / "shapes" / "partnership-bad-role.ttl").read_bytes()), "colleague.ttl")}
    report = client.post(
        "/validate", data=data, content_type="multipart/form-data", headers={"Accept": "application/json"}
    ).get_json()
    assert report["violations"] == 1 and report["results"][0]["file"] == "colleague.ttl"
    assert report["results"][0]["hint"] == "use one of: role:lead-partner, role:project-partner"


def test_syntax_error_shows_position_and_caret(client):
    text = (FIXTURES / "syntax" / "unknown-prefix.ttl").read_text()
    response = client.post("/validate", data={"text": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "pasted Turtle:3:5: syntax error" in page and "@prefix circe:" in page


@pytest.mark.slow
def test_valid_text_conforms_and_hostile_text_is_escaped(client):
    ok = client.post("/validate", data={"text": (FIXTURES / "valid" / "good-practice-is-a-practice.ttl").read_text()})
    assert "Conforms: 0 violations" in ok.get_data(as_text=True)
    hostile = client.post("/validate", data={"text": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in hostile and "&lt;script&gt;" in hostile
