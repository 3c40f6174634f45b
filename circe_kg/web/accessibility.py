"""The accessibility statement (/accessibility), in the model of Commission Implementing Decision (EU) 2018/1523
under the Web Accessibility Directive (EU) 2016/2102: compliance status, the content that is not accessible,
how the statement was prepared, how to tell us, and the enforcement procedure.

The status is "partially compliant", honestly: the checks (tests/test_accessibility.py runs axe-core's WCAG 2.1
A and AA rules on a sample of every page type, tests/test_keyboard.py walks the main journeys by keyboard) find
what automated tools and scripted walkthroughs can find, and no audit by people with assistive technology has
been made yet. Feedback goes to the issue tracker: set ISSUES_URL (or CIRCE_KG_ISSUES_URL) to its address.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template

from .. import settings

bp = Blueprint("accessibility", __name__)

PREPARED = date(2026, 12, 6)  # when the statement was prepared; update REVIEWED when it is checked again
REVIEWED = date(2026, 12, 6)
STANDARD = "EN 301 549 V3.2.1 (WCAG 2.1, level AA)"


@bp.get("/accessibility")
def statement() -> str:
    issues = current_app.config.get("ISSUES_URL") or settings.value("ISSUES_URL") or ""
    return render_template(
        "accessibility/accessibility.html", prepared=PREPARED, reviewed=REVIEWED, standard=STANDARD, issues_url=issues
    )
