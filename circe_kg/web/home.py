"""The home page: what the graph holds, in counts, and where to go next."""

from flask import Blueprint, render_template

from .. import queries
from .store_access import get_store

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    answer = queries.run(get_store(), "overview-counts")
    counts = [(row["label"].value, int(row["count"].value)) for row in answer.rows]
    return render_template("home.html", counts=counts, questions=queries.available())
