"""The answers of named queries are computed once per version of the data: a second visit is served from
memory, and any write makes the next visit ask the store again."""

import secrets
import time

import pyoxigraph as ox
import pytest

from circe_kg.answer_cache import AnswerCache
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore
from circe_kg.web.services import services_of

TEST_BEARER = secrets.token_urlsafe(24)
PRACTICE = """@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/circe-kg/id/practice/cache-example> a circe:Practice ;
    skos:prefLabel "Freshly written practice"@en ; circe:illustrative true ;
    circe:illustrativeNote "Written by a test."@en ;
    circe:addresses <https://w3id.org/circe-kg/id/concept/kirchherr-2018/market> .
"""


def _store() -> EmbeddedStore:
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    return store


@pytest.mark.slow
def test_the_same_question_on_the_same_data_is_answered_from_memory():
    store = _store()
    cache = AnswerCache(store)
    first = cache.run("transfers")
    assert cache.run("transfers") is first and (cache.hits, cache.misses) == (1, 1)
    assert cache.run("transfers", {"from": "organisation:regione-lombardia"}) is not first  # other values
    store.replace_graphs({"https://w3id.org/circe-kg/graph/data/transfers": []})  # a write: a new generation
    assert len(cache.run("transfers").rows) < len(first.rows) and cache.misses == 3


@pytest.mark.slow
def test_answers_of_a_server_expire():
    cache = AnswerCache(_store(), max_age_s=0.05)
    first = cache.run("overview-counts")
    time.sleep(0.1)
    assert cache.run("overview-counts") is not first and cache.hits == 0
    uncached = AnswerCache(cache.store, max_age_s=0)
    assert uncached.run("partners") is not uncached.run("partners")


@pytest.mark.slow
def test_an_answer_too_big_for_the_cache_is_not_kept():
    cache = AnswerCache(_store(), max_rows=8)
    assert cache.run("list-practices") is not cache.run("list-practices")  # dozens of rows > max_rows / 4


@pytest.fixture
def writable(writable_app):
    """An app over the shipped data on disk that accepts writes from TEST_BEARER."""
    app, _ = writable_app({TEST_BEARER: "test"})
    return app


def put_practice(client) -> None:
    put = client.put(
        "/graphs?graph=https://w3id.org/circe-kg/graph/data/cache-test",
        data=PRACTICE,
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {TEST_BEARER}"},
    )
    assert put.status_code == 201, put.get_data(as_text=True)


@pytest.mark.slow
def test_a_write_through_the_app_shows_on_the_next_visit(writable):
    app, client = writable, writable.test_client()
    url = "/questions/practices-for-barrier?barrier=kirchherr:market"
    before = client.get(url).get_data(as_text=True)
    assert "Freshly written practice" not in before and client.get(url).get_data(as_text=True) == before
    assert services_of(app).answers.hits > 0
    put_practice(client)
    assert "Freshly written practice" in client.get(url).get_data(as_text=True)
    listed = client.get("/list/practices?source=illustrative").get_data(as_text=True)
    assert "Freshly written practice" in listed
    hits = services_of(app).answers.hits
    assert client.get("/list/practices?source=illustrative").get_data(as_text=True) == listed
    assert services_of(app).answers.hits == hits + 1  # the list and its facet counts, kept whole


@pytest.mark.slow
def test_triples_answers_are_cached_too():
    cache = AnswerCache(_store())
    described = cache.run("resource-description", {"resource": "practice:albergo-diffuso"})
    assert described.triples and all(isinstance(t, ox.Triple) for t in described.triples)
    assert cache.run("resource-description", {"resource": "practice:albergo-diffuso"}) is described


@pytest.mark.slow
def test_after_a_write_the_questions_asked_before_are_answered_again_in_the_background():
    store = _store()
    cache = AnswerCache(store, warm=True)
    asked = [("transfers", None), ("practices-for-barrier", {"barrier": "kirchherr:market"}), ("partners", None)]
    before = {name: cache.run(name, values) for name, values in asked}
    store.replace_graphs({"https://w3id.org/circe-kg/graph/data/transfers": []})
    cache.notice_write()
    assert cache.warmer is not None
    cache.warmer.join(timeout=60)
    misses = cache.misses
    after = {name: cache.run(name, values) for name, values in asked}
    assert cache.misses == misses, "every question asked before the write was answered by the warmer"
    assert len(after["transfers"].rows) < len(before["transfers"].rows), "with the new data"


@pytest.mark.slow
def test_without_warming_nothing_is_asked_before_a_visitor_asks():
    store = _store()
    cache = AnswerCache(store)
    cache.run("transfers")
    store.replace_graphs({"https://w3id.org/circe-kg/graph/data/transfers": []})
    cache.notice_write()
    assert cache.warmer is None and cache.misses == 1


@pytest.mark.slow
def test_a_visitor_waits_for_an_answer_being_computed_instead_of_computing_it_again():
    import threading

    cache = AnswerCache(_store())
    started, release, computed = threading.Event(), threading.Event(), []

    def slow() -> str:
        computed.append(1)
        started.set()
        release.wait(10)
        return "answer"

    first = threading.Thread(target=lambda: cache.derived("key", slow, lambda _: 1))
    first.start()
    started.wait(10)
    second: list[str] = []
    waiting = threading.Thread(target=lambda: second.append(cache.derived("key", slow, lambda _: 1)))
    waiting.start()
    time.sleep(0.1)
    release.set()
    first.join(10)
    waiting.join(10)
    assert second == ["answer"] and len(computed) == 1 and cache.hits == 1


@pytest.mark.slow
def test_a_write_through_the_app_warms_the_pages_asked_before(writable):
    client, answers = writable.test_client(), services_of(writable).answers
    url = "/questions/practices-for-barrier?barrier=kirchherr:market"
    assert "Freshly written practice" not in client.get(url).get_data(as_text=True)
    put_practice(client)
    answers.warmer.join(timeout=60)  # started by the write itself, before any visit
    store, asked = answers.store, []
    query = store.query
    store.query = lambda text, substitutions=None: asked.append(text) or query(text, substitutions)
    assert "Freshly written practice" in client.get(url).get_data(as_text=True)
    assert asked == [], "the page's answers were ready when it was visited: it asked the store nothing"


@pytest.mark.slow
def test_the_warmer_starts_no_answer_while_a_visitor_is_being_answered():
    store = _store()
    cache = AnswerCache(store, warm=True)
    cache.run("transfers")
    misses = cache.misses
    cache.visitor_arrives()
    store.replace_graphs({"https://w3id.org/circe-kg/graph/data/transfers": []})
    cache.notice_write()
    assert cache.warmer is not None
    cache.warmer.join(timeout=0.5)
    assert cache.warmer.is_alive() and cache.misses == misses, "it waits while the visitor is answered"
    cache.visitor_leaves()
    cache.warmer.join(timeout=60)
    assert not cache.warmer.is_alive() and cache.misses == misses + 1, "then it asks again what was asked"


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/", 200),
        ("GET", "/no/such/page", 404),
        ("GET", "/list/practices?sector=not-a-sector", 400),
        ("GET", "/page/practice/no-such-practice", 404),
        ("POST", "/questions/", 405),
        ("GET", "/list/practices?format=csv", 200),  # a streamed response: the request ends when its body is read
    ],
)
def test_every_request_lets_the_warmer_go_on_when_it_ends(app, method, path, status):
    client, answers = app.test_client(), services_of(app).answers
    response = client.open(path, method=method)
    assert response.status_code == status
    response.get_data()
    response.close()
    assert answers.visitors == 0


@pytest.mark.slow
def test_a_repeated_search_is_answered_from_memory_until_a_write(writable):
    app, client = writable, writable.test_client()
    index, searched = services_of(app).search, []
    search = index.search
    index.search = lambda *args, **kwargs: searched.append(args) or search(*args, **kwargs)
    url = "/search?q=freshly+written&exact=1"
    first = client.get(url).get_data(as_text=True)
    assert "Freshly written practice" not in first
    assert client.get(url).get_data(as_text=True) == first and len(searched) == 1, "the second from memory"
    put_practice(client)
    assert "Freshly written practice" in client.get(url).get_data(as_text=True)
    assert len(searched) == 2, "searched again after the write"
