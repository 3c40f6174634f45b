"""Progress as a timeline: the monitoring observations of an action drawn on a time axis, as server-side SVG.

`chart()` is a pure function: it places each observation at its date on an axis of whole years (at least the
project's 2017–2022) and stacks the labels so that none overlaps another nor crosses another's leader line; the
template (_timeline.html) only writes the SVG out, with no script and no <style> (the Content-Security-Policy
forbids both). `progress_of()` reads the observations of an action, or of every action of a plan, for the
resource pages (queries/questions/timeline.rq).

The truth mark of an observation is the site's own: `illustrative` (circe:illustrative true), `editorial` (a
circe:EditorialClassification of its status: the editors' reading of a dated source) or `sourced` — computed in
the query as every list query computes them, and shown with the same badges as the resource pages and lists.
"""

from __future__ import annotations

import datetime
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlsplit

from ..namespaces import CIRCE, compact
from .i18n import in_reader_language
from .services import answer

PROJECT_YEARS = (2017, 2022)  # CircE ran 2017–2022: every axis shows at least these years
FONT_SIZE = 12  # of the labels, in the SVG's units (_timeline.html sets it)
CHAR_WIDTH = 0.66 * FONT_SIZE  # wider than the average letter of common sans-serif fonts: labels are never too short
LINE_HEIGHT = 15
STATUS_WIDTH = 22  # characters of the status on one line of a label; two lines at most
AXIS_LEFT, AXIS_WIDTH, MARGIN = 24.0, 640.0, 24.0
MARKER = 6.0  # half the size of a point's marker
FLAG = 5.0  # from a label's leader line to its text
GAP = 10.0  # between two labels side by side
LEVEL_PAD = 8.0  # between two levels of labels
TOP = 6.0
BELOW_AXIS = 34.0  # the year ticks and their labels
MARKS = ("sourced", "editorial", "illustrative")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Observation:
    """One dated status of an action, as the graph records it."""

    iri: str
    date: str  # as the data gives it: YYYY-MM-DD
    status: str
    status_label: str
    mark: str  # one of MARKS
    sources: tuple[str, ...] = ()

    @property
    def day(self) -> datetime.date | None:  # not `date`: in this class, the field of that name hides it
        """The date as a date; None when the data's text is not a date (such an observation is listed, not drawn)."""
        match = _DAY.match(self.date)
        try:
            return date(*map(int, match.groups())) if match else None
        except ValueError:
            return None

    @property
    def source_links(self) -> tuple[tuple[str, str, bool], ...]:
        """Each source as (address, its host to show, whether to link it): only web addresses are links, as on the
        resource pages (a javascript: or data: address is shown, never followed)."""
        return tuple(
            (url, urlsplit(url).hostname or url, url.startswith(("http://", "https://"))) for url in self.sources
        )


@dataclass(frozen=True)
class Tick:
    """A year's boundary on the axis (1 January), with the year's label in the middle of its span."""

    year: int
    x: float
    label_x: float | None  # None: the axis's end, or a year left unlabelled where years are too narrow


@dataclass(frozen=True)
class Point:
    """An observation drawn: its marker on the axis, a leader line up to its label, the label's lines."""

    observation: Observation
    x: float
    level: int  # 0: the labels nearest the axis
    lines: tuple[str, ...]
    label_top: float
    label_right: float  # estimated, generously (CHAR_WIDTH)
    baselines: tuple[float, ...]

    @property
    def text_x(self) -> float:
        """Where the label's text starts: just right of its leader line."""
        return self.x + FLAG

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The label's box, leader line included: left, top, right, bottom."""
        return self.x, self.label_top, self.label_right, self.label_top + len(self.lines) * LINE_HEIGHT


@dataclass(frozen=True)
class Chart:
    """What _timeline.html draws: the SVG's size, the axis, its year ticks and the points, all in SVG units."""

    width: float
    height: float
    axis_left: float
    axis_right: float
    axis_y: float
    ticks: tuple[Tick, ...]
    points: tuple[Point, ...]

    @property
    def first(self) -> Observation:
        """The earliest observation drawn (a chart has at least one)."""
        return self.points[0].observation

    @property
    def last(self) -> Observation:
        """The latest observation drawn."""
        return self.points[-1].observation


@dataclass(frozen=True)
class ActionRow:
    """One action's timeline: its observations, oldest first, and their chart (None when there are none)."""

    action: str
    label: str
    illustrative: bool
    observations: tuple[Observation, ...]
    chart: Chart | None


@dataclass(frozen=True)
class Progress:
    """The timeline section of a resource page: one row for an action, one per action for an action plan."""

    plan: bool
    rows: tuple[ActionRow, ...]

    @property
    def marks(self) -> tuple[str, ...]:
        """The marks the drawn points carry, in MARKS order: the legend explains these."""
        shown = {p.observation.mark for row in self.rows if row.chart for p in row.chart.points}
        return tuple(mark for mark in MARKS if mark in shown)


def mark_of(illustrative: bool, editorial: bool) -> str:
    """An observation's truth mark: illustrative before the editors' classification; sourced otherwise (the
    shapes refuse a record that is neither sourced nor illustrative)."""
    return "illustrative" if illustrative else "editorial" if editorial else "sourced"


def years_of(observations: Iterable[Observation]) -> tuple[int, int]:
    """The first and last year of an axis that holds every dated observation and the project's years."""
    years = [day.year for day in (o.day for o in observations) if day]
    return min([PROJECT_YEARS[0], *years]), max([PROJECT_YEARS[1], *years])


def chart(observations: Iterable[Observation], years: tuple[int, int] | None = None) -> Chart | None:
    """The observations drawn on an axis from 1 January of the first of `years` to the end of the last (widened to
    hold every observation; by default `years_of(observations)`: a plan's rows pass the years they share); None
    when none has a date to draw it at. Points go left to right by date; labels are stacked in levels so that none
    overlaps another (see `stack`)."""
    dated = sorted(((o, day) for o in observations if (day := o.day)), key=lambda pair: (pair[1], pair[0].iri))
    if not dated:
        return None
    own = years_of(o for o, _ in dated)
    first, last = (min(own[0], years[0]), max(own[1], years[1])) if years else own
    start, end = date(first, 1, 1), date(last + 1, 1, 1)

    def x_of(day: date) -> float:
        return AXIS_LEFT + AXIS_WIDTH * (day - start).days / (end - start).days

    points, axis_y = _points([o for o, _ in dated], [x_of(day) for _, day in dated])
    axis_right = AXIS_LEFT + AXIS_WIDTH
    return Chart(
        width=max(axis_right + MARGIN, max(p.label_right for p in points) + 4),
        height=axis_y + BELOW_AXIS,
        axis_left=AXIS_LEFT,
        axis_right=axis_right,
        axis_y=axis_y,
        ticks=ticks(first, last, x_of),
        points=points,
    )


def _points(dated: list[Observation], xs: list[float]) -> tuple[tuple[Point, ...], float]:
    """The observations (by date) drawn at `xs`, their labels in levels above the axis; and the axis's height,
    just under the lowest level."""
    lines = [label_lines(o) for o in dated]
    rights = [x + FLAG + label_width(text) for x, text in zip(xs, lines, strict=True)]
    levels = stack(xs, rights)
    level_height = max(map(len, lines)) * LINE_HEIGHT + LEVEL_PAD
    axis_y = TOP + (max(levels) + 1) * level_height + MARKER
    points = []
    for observation, x, text, right, level in zip(dated, xs, lines, rights, levels, strict=True):
        top = axis_y - MARKER - LEVEL_PAD / 2 - level * level_height - len(text) * LINE_HEIGHT
        baselines = tuple(top + (n + 1) * LINE_HEIGHT - 4 for n in range(len(text)))
        points.append(Point(observation, x, level, text, top, right, baselines))
    return tuple(points), axis_y


def label_lines(observation: Observation) -> tuple[str, ...]:
    """A point's label: its date, then its status in at most two short lines."""
    status = textwrap.wrap(observation.status_label, STATUS_WIDTH, max_lines=2, placeholder="…")
    return (observation.date, *status)


def label_width(lines: Iterable[str]) -> float:
    """A label's width, estimated from its longest line: generously, so that labels estimated apart are apart."""
    return max(len(line) for line in lines) * CHAR_WIDTH


def stack(xs: list[float], rights: list[float]) -> list[int]:
    """The level of each label (0 nearest the axis), for labels that start at their point's x (left to right)
    and end at `rights`. From the latest point back, each label goes just above every later point that lies
    under its span: so no two labels overlap, and no leader line (from a point up to its label) crosses a label —
    a label below a leader's top never reaches back to that leader's x."""
    levels = [0] * len(xs)
    for i in reversed(range(len(xs))):
        under = [levels[j] for j in range(i + 1, len(xs)) if xs[j] <= rights[i] + GAP]
        levels[i] = max(under) + 1 if under else 0
    return levels


def ticks(first: int, last: int, x_of: Callable[[date], float]) -> tuple[Tick, ...]:
    """1 January of each year from `first` to `last + 1`; each year labelled in the middle of its span, or
    every other (third…) year where a year is narrower than its label."""
    every = max(1, -(-40 * (last + 1 - first) // int(AXIS_WIDTH)))
    bounds = [x_of(date(year, 1, 1)) for year in range(first, last + 2)]
    return tuple(
        Tick(
            year,
            bounds[n],
            (bounds[n] + bounds[n + 1]) / 2 if n + 1 < len(bounds) and (year - first) % every == 0 else None,
        )
        for n, year in enumerate(range(first, last + 2))
    )


# ---- reading the graph ----------------------------------------------------------------------------------------
def progress_of(iri: str, types: Iterable[str]) -> Progress | None:
    """The timeline of an action (its observations) or of an action plan (one row per action, on one axis), with
    names in the reader's language; None for any other kind of resource. Raises what the store raises (the page
    then fails as a whole, like its other queries)."""
    kinds = set(types)
    if str(CIRCE.Action) in kinds:
        return progress(_rows({"action": iri}), plan=False)
    if str(CIRCE.ActionPlan) in kinds:
        return progress(_rows({"plan": iri}), plan=True)
    return None


def _rows(values: dict[str, str]) -> list[dict[str, str]]:
    """The answer of queries/questions/timeline.rq as text, with the names of actions and statuses in the reader's
    language."""
    rows = [{k: v.value for k, v in row.items()} for row in answer("timeline", values).rows]
    return in_reader_language(rows)


@dataclass
class _Found:
    """An action as the query's rows describe it, while they are read."""

    label: str
    illustrative: bool
    observations: dict[str, Observation] = field(default_factory=dict)


def progress(rows: Iterable[Mapping[str, str]], plan: bool) -> Progress:
    """The answer of queries/questions/timeline.rq (one row per observation and source) as timelines: one per action,
    actions by name, every chart on the same years so that a plan's rows can be compared."""
    found: dict[str, _Found] = {}
    for row in rows:
        action = found.setdefault(
            row["action"],
            _Found(row.get("actionLabel") or compact(row["action"]), row.get("actionIllustrative") == "true"),
        )
        if "observation" in row:
            _note(action.observations, row)
    years = years_of(o for action in found.values() for o in action.observations.values())
    ordered = sorted(found.items(), key=lambda item: (item[1].label.casefold(), item[0]))
    charts = same_width([chart(action.observations.values(), years) for _, action in ordered])
    return Progress(
        plan,
        tuple(
            ActionRow(iri, action.label, action.illustrative, _oldest_first(action.observations.values()), drawn)
            for (iri, action), drawn in zip(ordered, charts, strict=True)
        ),
    )


def same_width(charts: list[Chart | None]) -> list[Chart | None]:
    """The charts as wide as the widest: drawn one under another at any page width, their axes stay aligned."""
    width = max((c.width for c in charts if c), default=0.0)
    return [replace(c, width=width) if c else None for c in charts]


def _note(observations: dict[str, Observation], row: Mapping[str, str]) -> None:
    """Add a row's observation, or its further source to the observation already noted."""
    source = (row["source"],) if "source" in row else ()
    seen = observations.get(row["observation"])
    if seen is not None:
        observations[seen.iri] = replace(seen, sources=seen.sources + source)
        return
    observations[row["observation"]] = Observation(
        iri=row["observation"],
        date=_as_day(row["date"]),
        status=row["status"],
        status_label=row.get("statusLabel") or compact(row["status"]),
        mark=mark_of(row.get("illustrative") == "true", row.get("editorial") == "true"),
        sources=source,
    )


def _as_day(text: str) -> str:
    """The YYYY-MM-DD of an xsd:date, whatever a server writes after it (a time zone)."""
    match = _DAY.match(text)
    return "-".join(match.groups()) if match else text


def _oldest_first(observations: Iterable[Observation]) -> tuple[Observation, ...]:
    """The observations by date; any whose date cannot be read last, in the table only."""
    return tuple(sorted(observations, key=lambda o: (o.day or date.max, o.iri)))
