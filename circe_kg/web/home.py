"""The home page: what the graph holds, in counts, and where to go next."""

from flask import Blueprint, render_template

from .. import queries
from .store_access import get_store

bp = Blueprint("home", __name__)


def N_(text: str) -> str:  # noqa: N802 - marks text for translation that comes from queries/overview-counts.rq
    return text


COUNT_LABELS = [N_("partners"), N_("practices"), N_("barriers"), N_("opportunities"), N_("policy instruments"),
                N_("action plans"), N_("actions"), N_("transfers"), N_("meetings and visits")]


@bp.get("/")
def index() -> str:
    answer = queries.run(get_store(), "overview-counts")
    counts = [(row["label"].value, int(row["count"].value)) for row in answer.rows]
    return render_template("home.html", counts=counts, questions=queries.available())
