"""Stewards in the browser: sign in once (session cookie, CSRF-protected forms, sign out), history rows that
name the records changed, a readable per-field diff with Restore buttons, and a review page with a preview,
the per-field diff and a reason for rejecting. Each test gets its own app over its own store and history."""

from __future__ import annotations

import re
import secrets

import pytest

from circe_kg.diffs import SHOWN_RESOURCES
from circe_kg.web import create_app
from circe_kg.web.changes import FEWEST_SHOWN
from circe_kg.web.services import services_of

STEWARD = secrets.token_urlsafe(24)
EDITOR = secrets.token_urlsafe(24)
PRACTICE = "practice/albergo-diffuso"
PRACTICE_IRI = f"https://w3id.org/circe-kg/id/{PRACTICE}"
HTML = {"Accept": "text/html"}


@pytest.fixture
def site(writable_app):
    return writable_app({STEWARD: "Ana Steward", EDITOR: ("Eve Editor", "editor")})


def sign_in(client, token: str = STEWARD) -> None:
    response = client.post("/sign-in", data={"token": token, "next": "/"})
    assert response.status_code == 303, response.get_data(as_text=True)


def key_of(page: str, name: str) -> str:
    """The form key of the field labelled `name` (keys are f0, f1… in form order)."""
    return re.search(rf'id="field-(f\d+)">\s*<label[^>]*>{name}\b', page).group(1)


def with_name(page: str, data: dict[str, list[str]], text: str, lang: str) -> dict[str, list[str]]:
    """The form data with one more Name in `lang`."""
    key = key_of(page, "Name")
    return {**data, key: data.get(key, []) + [text], f"{key}.lang": data.get(f"{key}.lang", []) + [lang]}


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def edit_form(client) -> tuple[str, dict[str, list[str]]]:
    """The edit form of the test practice as a browser would send it back unchanged."""
    page = client.get(f"/edit/{PRACTICE}").get_data(as_text=True)
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        found = re.search(r'name="([^"]+)"[^>]*value="([^"]*)"', tag)
        if found and ('type="checkbox"' not in tag or " checked" in tag):
            data.setdefault(found.group(1), []).append(found.group(2))
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        data.setdefault(name, []).append(value)
    for select in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected', select[1])
        data.setdefault(select[0], []).extend(chosen)
    return page, data


# -- signing in ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sign_in_sets_a_strict_http_only_cookie_and_the_forms_stop_asking_for_the_token(site):
    app, _ = site
    client = app.test_client()
    assert 'name="token"' in client.get(f"/edit/{PRACTICE}").get_data(as_text=True)
    response = client.post("/sign-in", data={"token": STEWARD, "next": f"/edit/{PRACTICE}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/edit/{PRACTICE}")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert STEWARD not in cookie  # only a fingerprint is kept
    page = client.get(f"/edit/{PRACTICE}").get_data(as_text=True)
    assert 'name="token"' not in page and "Ana Steward" in page and 'name="csrf"' in page


def test_the_cookie_is_secure_except_over_plain_http_to_the_loopback_address(site):
    app, _ = site
    over_tls = app.test_client().post("/sign-in", data={"token": STEWARD}, base_url="https://circe.example.org")
    assert "Secure" in over_tls.headers["Set-Cookie"]
    public_http = app.test_client().post("/sign-in", data={"token": STEWARD}, base_url="http://circe.example.org")
    assert "Secure" in public_http.headers["Set-Cookie"]
    loopback = app.test_client().post("/sign-in", data={"token": STEWARD}, base_url="http://127.0.0.1:8080")
    assert "Secure" not in loopback.headers["Set-Cookie"]


def test_a_wrong_token_is_refused_on_the_sign_in_page_with_the_reason(site):
    app, _ = site
    response = app.test_client().post("/sign-in", data={"token": "x" * 30})
    assert response.status_code == 401
    assert "a valid bearer token is required" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_a_next_address_off_this_site_is_not_followed(site):
    app, _ = site
    response = app.test_client().post("/sign-in", data={"token": STEWARD, "next": "//evil.example/"})
    assert response.headers["Location"] in ("/", "http://localhost/")


@pytest.mark.slow
def test_a_signed_in_save_without_the_csrf_token_is_refused_and_keeps_the_input(site):
    app, store = site
    client = app.test_client()
    sign_in(client)
    page, data = edit_form(client)
    data.pop("csrf")
    data = with_name(page, data, "Razpršeni hotel", "sl")
    before = store.count()
    response = client.post(f"/edit/{PRACTICE}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "security token is missing or stale" in page and "Razpršeni hotel" in page
    assert store.count() == before
    data["csrf"] = [csrf_of(page)]  # the refused page carries a fresh one: sending again works
    assert client.post(f"/edit/{PRACTICE}", data=data).status_code == 303
    assert "Razpršeni hotel" in client.get(f"/page/{PRACTICE}?lang=sl").get_data(as_text=True)


def test_a_cookie_signed_by_another_server_is_not_a_sign_in(site, tmp_path):
    app, store = site
    other = create_app(store=store, config={"TESTING": True, "WRITE_TOKENS": {STEWARD: "Ana Steward"}})
    try:
        elsewhere = other.test_client()
        sign_in(elsewhere)
        cookie = elsewhere.get_cookie("circe_kg_session")
        client = app.test_client()
        client.set_cookie("circe_kg_session", cookie.value)
        page, data = edit_form(client)
        assert 'name="token"' in page  # not signed in here
        response = client.post(f"/edit/{PRACTICE}", data={**data, "token": ""})
        assert response.status_code == 401
        assert "sign-in has ended" in response.get_data(as_text=True)
    finally:
        services_of(other).sandbox.close()


@pytest.mark.slow
def test_sign_out_needs_the_csrf_token_and_then_forgets_the_sign_in(site):
    app, _ = site
    client = app.test_client()
    sign_in(client)
    assert client.post("/sign-out").status_code == 403
    page = client.get("/").get_data(as_text=True)
    assert client.post("/sign-out", data={"csrf": csrf_of(page)}).status_code == 303
    assert 'name="token"' in client.get(f"/edit/{PRACTICE}").get_data(as_text=True)


def test_a_removed_token_ends_the_sign_in(site):
    app, _ = site
    client = app.test_client()
    sign_in(client)
    services_of(app).tokens.pop(STEWARD)
    assert 'name="token"' in client.get(f"/edit/{PRACTICE}").get_data(as_text=True)


@pytest.mark.slow
def test_the_steward_menu_shows_only_where_writing_is_enabled(site, loaded_store, tmp_path):
    app, _ = site
    assert 'aria-label="Stewards"' in app.test_client().get("/").get_data(as_text=True)
    read_only = create_app(store=loaded_store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "d"})
    try:
        page = read_only.test_client().get("/")
        assert 'aria-label="Stewards"' not in page.get_data(as_text=True)
        assert "Set-Cookie" not in page.headers and "Cookie" not in page.headers.get("Vary", "")
    finally:
        services_of(read_only).sandbox.close()


# -- history and restore ------------------------------------------------------------------------------------


def _save_slovene_name(client) -> None:
    page, data = edit_form(client)
    data = with_name(page, data, "Razpršeni hotel", "sl")
    response = client.post(f"/edit/{PRACTICE}", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)


def _signed_in_change(client) -> tuple[str, str, str]:
    """Sign in, save a Slovene name; the change's number, its page and the graph it changed."""
    sign_in(client)
    _save_slovene_name(client)
    number = _history(client)[0]["number"]  # newest first
    page = client.get(f"/history/{number}").get_data(as_text=True)
    return number, page, client.get(f"/history/{number}?format=json").get_json()["graphs"][0]["graph"]


def _history(client) -> list[dict]:
    """The history's rows of changes that have a page (a graph changed), newest first, from the page's twin."""
    return [row for row in client.get("/history?format=json").get_json() if row.get("graph")]


@pytest.mark.slow
def test_history_rows_name_the_records_changed_and_link_a_readable_diff(site):
    app, _ = site
    client = app.test_client()
    sign_in(client)
    _save_slovene_name(client)
    history = client.get("/history").get_data(as_text=True)
    newest = re.search(r'<a href="/history/(\d+)">', history)
    assert newest
    first_row = history[newest.start() : history.index("</tr>", newest.start())]
    assert "Dispersed hotel (albergo diffuso)" in first_row and "1 more" not in first_row
    change = client.get(f"/history/{newest.group(1)}").get_data(as_text=True)
    assert "Dispersed hotel (albergo diffuso)" in change and "Razpršeni hotel (sl)" in change
    assert change.count('class="record-diff"') == 1 and "(a blank node)" not in change
    assert "<ins>" in change and "added" in change
    assert "skos:prefLabel" not in change and PRACTICE_IRI not in change.replace(f'href="/id/{PRACTICE}"', "")


@pytest.mark.slow
def test_restore_from_the_change_page_undoes_it_and_is_recorded(site):
    app, store = site
    client = app.test_client()
    number, page, graph = _signed_in_change(client)
    before = re.search(r'name="version" value="(\d+)">Undo', page).group(1)
    response = client.post(
        f"/history/{number}/restore", data={"graph": graph, "version": before, "csrf": csrf_of(page)}
    )
    assert response.status_code == 303
    assert "Razpršeni hotel" not in client.get(f"/page/{PRACTICE}?lang=sl").get_data(as_text=True)
    restored = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "restore" in restored and "Razpršeni hotel (sl)" in restored and "<del>" in restored


@pytest.mark.slow
def test_restore_refused_for_an_editor_and_for_a_missing_version_with_the_reason(site):
    app, store = site
    client = app.test_client()
    number, page, graph = _signed_in_change(client)
    count = store.count()
    missing = client.post(f"/history/{number}/restore", data={"graph": graph, "version": 99999, "csrf": csrf_of(page)})
    assert missing.status_code == 404 and "has no version 99999" in missing.get_data(as_text=True)
    editor = app.test_client().post(f"/history/{number}/restore", data={"graph": graph, "version": 1, "token": EDITOR})
    assert editor.status_code == 403 and "steward or reviewer" in editor.get_data(as_text=True)
    assert store.count() == count


def test_a_change_that_is_not_recorded_is_a_404_page(site):
    app, _ = site
    response = app.test_client().get("/history/99999")
    assert response.status_code == 404


@pytest.mark.slow
def test_the_diff_of_a_big_load_is_bounded_and_summarised(site):
    app, _ = site
    client = app.test_client()
    numbers = [row["number"] for row in _history(client)]
    pages = [client.get(f"/history/{n}").get_data(as_text=True) for n in numbers]
    biggest = max(pages, key=len)
    assert "more records changed" in biggest
    sections = biggest.split('<section aria-labelledby="graph-')[1:]
    described = [section.count('class="record-diff"') for section in sections]
    assert len(sections) > 8 and max(described) == FEWEST_SHOWN, "a load of many graphs: a few records of each"
    assert sum(described) <= max(SHOWN_RESOURCES, FEWEST_SHOWN * len(sections))


@pytest.mark.slow
def test_a_change_of_one_graph_describes_up_to_the_full_number_of_records(site):
    app, _ = site
    client = app.test_client()
    turtle = "".join(
        f"<https://w3id.org/circe-kg/id/practice/many-{n}> a <https://w3id.org/circe-kg/ontology#Practice> ; "
        f'<http://www.w3.org/2004/02/skos/core#prefLabel> "Practice {n}"@en ; '
        f"<https://w3id.org/circe-kg/ontology#illustrative> true .\n"
        for n in range(FEWEST_SHOWN * 3)
    )
    headers = {"Authorization": f"Bearer {STEWARD}"}
    graph = "https://w3id.org/circe-kg/graph/data/many"
    put = client.put(f"/graphs?graph={graph}", data=turtle, content_type="text/turtle", headers=headers)
    assert put.status_code in (200, 201, 204), put.get_data(as_text=True)
    newest = max(int(row["number"]) for row in _history(client))
    page = client.get(f"/history/{newest}").get_data(as_text=True)
    assert page.count('class="record-diff"') == FEWEST_SHOWN * 3 <= SHOWN_RESOURCES


# -- review ---------------------------------------------------------------------------------------------------


def test_review_asked_with_head_and_no_sign_in_answers_as_get_does(site):
    app, _ = site
    client = app.test_client()  # HEAD is GET without the body: the sign-in page's status, not a server error
    assert client.head("/review").status_code == client.get("/review").status_code == 200


def _draft(app) -> None:
    client = app.test_client()
    page, data = edit_form(client)
    data = with_name(page, data, "Albergo diffuso (SL)", "sl")
    data["token"] = [EDITOR]
    assert client.post(f"/edit/{PRACTICE}", data=data).status_code == 202


@pytest.mark.slow
def test_review_shows_a_preview_and_the_per_field_diff_and_rejecting_needs_a_reason(site):
    app, _ = site
    _draft(app)
    client = app.test_client()
    sign_in(client)
    page = client.get("/review").get_data(as_text=True)
    assert "Preview after publishing" in page and "Albergo diffuso (SL) (sl)" in page and "<ins>" in page
    number = client.get("/review?format=json").get_json()["drafts"][0]["number"]
    csrf = csrf_of(page)
    no_reason = client.post("/review", data={"draft": number, "action": "reject", "csrf": csrf})
    assert no_reason.status_code == 400 and "a reason is needed" in no_reason.get_data(as_text=True)
    done = client.post(
        "/review", data={"draft": number, "action": "reject", "csrf": csrf, "reason": "Not a Slovene name."}
    )
    assert done.status_code == 200 and f"Draft {number} rejected" in done.get_data(as_text=True)
    history = client.get("/history", headers={"Accept": "application/json"}).get_json()
    assert any("Not a Slovene name." in (row.get("note") or "") for row in history)
    drafts = services_of(app).gate.drafts()
    assert drafts[-1]["reason"] == "Not a Slovene name."
