"""Where the data's IRIs are read on this server: the persistent base the identifiers live under, and the local
address of an IRI (its page, the ontology, a NUTS region the graph describes), in the reader's language. Every
face that links to a resource asks `local_href` here, so that a link keeps the reader's language.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app

from ..namespaces import NUTS
from .i18n import with_language

ONTOLOGY_IRI = "https://w3id.org/circe-kg/ontology"


def base() -> str:
    return str(current_app.config["PERSISTENT_BASE"])


def local_href(iri: str) -> str | None:
    """The address on this server that answers for `iri`, when it lies under the persistent base (or is a NUTS
    region the graph describes), with the language the reader chose (lang=…), so that following it keeps it."""
    if iri.startswith(base() + "id/"):
        return with_language("/" + iri[len(base()) :])
    if iri.startswith(ONTOLOGY_IRI):
        return with_language("/ontology" + iri[len(ONTOLOGY_IRI) :])
    if iri.startswith(str(NUTS)):  # EU identifiers the graph describes (regions): shown here too
        return with_language("/resource?" + urlencode({"uri": iri}))
    return None
