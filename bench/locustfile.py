"""Mixed traffic for circe-kg's web app, as locust users: the policy officers' pages, search, resource pages,
dereferencing /id/… as Turtle, and SPARQL queries. Used by bench/load.py and tests/test_load.py; also runs on
its own: .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000 (then open http://127.0.0.1:8089)."""

from __future__ import annotations

import random

from locust import HttpUser, between, events, task
from pages import PAGES as MAIN_PAGES  # bench/pages.py: the main pages, as the page benchmark renders them

PAGES = [*MAIN_PAGES.values(), "/?lang=it"]
SEARCHES = ["procurement", "textile", "albergo", "reutilizacion", "food waste", "construction", "krožni"]
QUERIES = [
    "SELECT ?practice ?label WHERE { ?practice a <https://w3id.org/circe-kg/ontology#Practice> ; "
    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label } LIMIT 20",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "ASK { ?s a <https://w3id.org/circe-kg/ontology#Transfer> }",
]
PRACTICES = "SELECT ?p WHERE { ?p a <https://w3id.org/circe-kg/ontology#Practice> } LIMIT 200"
ID = "https://w3id.org/circe-kg/id/"


_told: list[str] = []


@events.request.add_listener
def tell_what_failed(name: str, response, exception, **_: object) -> None:
    """The first failures with what the server said, in locust's output: a count alone does not say why."""
    if exception is not None and len(_told) < 5:
        body = getattr(response, "text", "") or ""
        _told.append(name)
        print(f"failed: {name}: {getattr(response, 'status_code', '-')} {body[:300]!r} ({exception})", flush=True)


class PolicyOfficerAndMachines(HttpUser):
    wait_time = between(0, 0.05)  # close to flat out: the test measures the app, not think time

    def on_start(self) -> None:
        answer = self.client.get(
            "/sparql",
            params={"query": PRACTICES},
            headers={"Accept": "application/sparql-results+json"},
            name="/sparql (setup)",
        ).json()
        self.paths = [
            b["p"]["value"][len(ID) :] for b in answer["results"]["bindings"] if b["p"]["value"].startswith(ID)
        ] or ["practice/albergo-diffuso"]

    @task(4)
    def page(self) -> None:
        self.client.get(random.choice(PAGES), name="page")

    @task(3)
    def search(self) -> None:
        self.client.get("/search", params={"q": random.choice(SEARCHES)}, name="/search")

    @task(3)
    def resource_page(self) -> None:
        self.client.get("/page/" + random.choice(self.paths), name="/page/…")

    @task(2)
    def dereference(self) -> None:
        # 303 See Other to the Turtle document, as linked data does; the client follows it.
        with self.client.get(
            "/id/" + random.choice(self.paths),
            headers={"Accept": "text/turtle"},
            name="/id/… as Turtle",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "text/turtle" not in response.headers.get("Content-Type", ""):
                response.failure(f"{response.status_code} {response.headers.get('Content-Type')}")

    @task(2)
    def sparql(self) -> None:
        self.client.get(
            "/sparql",
            params={"query": random.choice(QUERIES)},
            headers={"Accept": "application/sparql-results+json"},
            name="/sparql",
        )
