"""Interface languages (Flask-Babel): chosen by ?lang=, then the `lang` cookie, then Accept-Language.

The interface speaks the languages in circe_kg/translations/ (English is the source). Content comes in
every language the data has: a label in the chosen language when the graph has one, else English with a
visible "shown in English" mark (see `pick_label`, and `in_reader_language` for the names in query answers).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from flask_babel import Babel

from .. import queries
from .store_access import answer

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
INTERFACE_LANGUAGES = (
    ["en"] + sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())
    if TRANSLATIONS.exists()
    else ["en"]
)
LANGUAGE_NAMES = {
    "en": "English",
    "it": "Italiano",
    "ca": "Català",
    "es": "Español",
    "pl": "Polski",
    "nl": "Nederlands",
    "fr": "Français",
    "bg": "Български",
    "sl": "Slovenščina",
}


def content_language() -> str:
    """The language people read content in: any language the data may have labels in (Slovenian, Catalan…)."""
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in LANGUAGE_NAMES:
        return wanted
    return request.accept_languages.best_match(list(LANGUAGE_NAMES)) or "en"


def select_language() -> str:
    """The interface language: the content language when the interface speaks it, else English."""
    wanted = content_language()
    return wanted if wanted in INTERFACE_LANGUAGES else "en"


def pick_label(labels: dict[str | None, str], language: str) -> tuple[str, bool]:
    """The label in `language`, else English, else any; and whether it fell back (to mark it for people)."""
    if language in labels:
        return labels[language], False
    fallback = labels.get("en") or next(iter(labels.values()), "")
    return fallback, language != "en"


def _label_column(column: str) -> str:
    return "label" if column == "resource" else column + "Label"


def in_reader_language(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of a query answer with their names in the reader's language. The queries name things in English
    (`xLabel` beside the IRI in `x`, `label` beside `resource`); the names in the reader's language are looked
    up once for all of them (queries/labels.rq). A name the graph has only in English stays, and the page says
    so (g.names_in_english, shown by base.html)."""
    language = g.get("lang", "en")
    if language == "en" or not rows:
        return rows
    columns = {column for row in rows for column in row if _label_column(column) in row}
    iris = list(dict.fromkeys(row[c] for row in rows for c in columns if c in row and "://" in row[c]))
    names: dict[str, str] = {}
    for start in range(0, len(iris), queries.MAX_LIST):
        found = answer("labels", {"resource": iris[start : start + queries.MAX_LIST], "lang": language})
        names.update((row["resource"].value, row["label"].value) for row in found.rows if "label" in row)
    for row in rows:
        for column in columns:
            if column in row and _label_column(column) in row:
                if row[column] in names:
                    row[_label_column(column)] = names[row[column]]
                else:
                    g.names_in_english = True
    return rows


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language, default_translation_directories=str(TRANSLATIONS))

    @app.before_request
    def remember_language() -> None:
        g.lang = content_language()  # labels follow it; the interface falls back to English (select_language)

    @app.after_request
    def keep_choice(response: Response) -> Response:
        if request.args.get("lang") in LANGUAGE_NAMES:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        response.headers.setdefault("Content-Language", g.get("lang", "en"))
        response.vary.add("Accept-Language")
        return response

    @app.context_processor
    def languages() -> dict[str, object]:
        def switch_url(code: str) -> str:
            """This page in another language: the same path and parameters, with lang changed."""
            args = request.args.to_dict(flat=False)
            args["lang"] = [code]
            return request.path + "?" + urlencode(args, doseq=True)

        return {
            "lang": g.get("lang", "en"),
            "interface_languages": INTERFACE_LANGUAGES,
            "content_languages": list(LANGUAGE_NAMES),
            "language_names": LANGUAGE_NAMES,
            "switch_url": switch_url,
        }
