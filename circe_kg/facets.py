"""Faceted lists: the rows of a queries/list-*.rq answer, filtered by the values chosen in each dimension,
with the number of resources behind every value of every dimension.

The list queries share their dimension names (partner, country, region, sector, category, lever, type,
status, year, barrier) and always answer `resource`, `label`, `illustrative` and `editorial`; "source"
(sourced / illustrative) is a dimension of every list, "classified" (has a classification made by the
circe-kg editors) of every list whose query answers `editorial`. An item with no value in a dimension that
the list has gets the value "none" ("not recorded"), so a gap can be listed like any value
(`/list/practices?region=none`: the practices with no region), and counted (the truth page). A query may also
answer `sources`: the record's dct:source URLs, separated by spaces (the CSV's `source_url` column).

The CSV of a list (`to_csv`) has the same columns whatever the filters: those of the list's query
(`dimensions_of`), in DIMENSIONS order.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import compress
from operator import itemgetter

from babel import Locale, UnknownLocaleError

from .errors import BadParameter
from .serialization import safe_csv_text


def N_(text: str) -> str:  # noqa: N802 - marks text that the web pages translate (see babel.cfg)
    return text


OWN_DATASET = "https://w3id.org/circe-kg/id/dataset/circe-kg"  # the CircE project's records (web/void.py)
DIMENSIONS = {
    "project": N_("Project"),
    "partner": N_("Partner"),
    "country": N_("Country"),
    "region": N_("Region (NUTS)"),
    "sector": N_("Sector"),
    "category": N_("Barrier category"),
    "lever": N_("Circular strategy"),
    "barrier": N_("Barrier addressed"),
    "type": N_("Type"),
    "status": N_("Status"),
    "year": N_("Year"),
    "source": N_("Sourced or illustrative"),
    "dataset": N_("Dataset"),
    "classified": N_("Classified by the circe-kg editors"),
}
SOURCE_VALUES = {"sourced": N_("Sourced facts"), "illustrative": N_("Illustrative examples")}
NONE, NOT_RECORDED = "none", N_("not recorded")
CLASSIFIED = N_("has classifications by the circe-kg editors")
# Dimensions every item has a value in (or that mark a property, not a missing fact): never "not recorded".
ALWAYS_SET = {"source", "classified"}
# What each record of a CSV is: the three kinds of the truth page (an illustrative record is "illustrative"
# whatever else it has; a sourced one with a classification by the editors is "editorial").
RECORD_KINDS = {
    "sourced": N_("sourced"),
    "editorial": N_("classified by the circe-kg editors"),
    "illustrative": N_("illustrative"),
}
# Every word of a list that comes from here, not from the graph: translated where it is shown.
WORDS = [*SOURCE_VALUES.values(), NOT_RECORDED, CLASSIFIED, *RECORD_KINDS.values()]
CSV_FIRST, CSV_LAST = ["label", "uri"], ["source", "source_url"]
NUTS = "http://data.europa.eu/nuts/code/"
NUTS_TO_ISO = {"EL": "GR", "UK": "GB"}  # the two NUTS level-0 codes that are not ISO 3166 codes


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue] = field(default_factory=list)
    more: int = 0  # values not shown (the list grows with the data; the most frequent and the chosen are shown)


@dataclass
class Item:
    resource: str
    label: str
    illustrative: bool
    dimensions: dict[str, dict[str, str]] = field(default_factory=dict)  # dimension -> value -> label
    sources: set[str] = field(default_factory=set)  # the record's dct:source URLs

    @property
    def kind(self) -> str:
        """sourced, editorial (sourced, with a classification by the editors) or illustrative."""
        if self.illustrative:
            return "illustrative"
        return "editorial" if "classified" in self.dimensions else "sourced"


def items_of(rows: Iterable[Mapping[str, str]]) -> dict[str, Item]:
    """The list's items, one per resource, each with its values per dimension ("none" where it has none)."""
    items: dict[str, Item] = {}
    for row in rows:
        item = items.setdefault(
            row["resource"], Item(row["resource"], row.get("label", row["resource"]), row.get("illustrative") == "true")
        )
        for name in DIMENSIONS:
            if name in row:
                item.dimensions.setdefault(name, {})[row[name]] = row.get(f"{name}Label", row[name])
        source = "illustrative" if item.illustrative else "sourced"
        item.dimensions["source"] = {source: SOURCE_VALUES[source]}
        if row.get("editorial") == "true":
            item.dimensions["classified"] = {"editorial": CLASSIFIED}
        item.sources.update(row.get("sources", "").split())
    listed = {name for item in items.values() for name in item.dimensions} - ALWAYS_SET
    for item in items.values():
        for name in listed - item.dimensions.keys():
            item.dimensions[name] = {NONE: NOT_RECORDED}
    return items


def missing(items: list[Item], name: str) -> int:
    """How many of `items` have no value in dimension `name` (the count behind `?{name}=none`).

    >>> missing([Item("a", "A", False, {"region": {NONE: NOT_RECORDED}}), Item("b", "B", False, {})], "region")
    1
    """
    return sum(1 for item in items if NONE in item.dimensions.get(name, {}))


FACET_VALUES_SHOWN = 25


def page_of(items: list[Item], page: str | None, size: int = 50) -> tuple[list[Item], int, int]:
    """One page of `items` (`page` is the 1-based number from the URL): the page, its number, how many pages."""
    pages = max(1, -(-len(items) // size))
    if page in (None, ""):
        number = 1
    # isascii: str.isdigit() is also true of '²' and '١', which int() refuses (a 500 found by tests/test_fuzz.py)
    elif not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= pages:
        raise BadParameter(f"there is no page {page[:20]!r} of this list", f"pages are numbered 1 to {pages}")
    else:
        number = int(page)
    return items[(number - 1) * size : number * size], number, pages


def facet(rows: Iterable[Mapping[str, str]], chosen: Mapping[str, list[str]]) -> tuple[list[Item], list[Facet]]:
    """The items that have every chosen value (sourced ones first), and each dimension's values with their counts
    (`Listing.facet` of the rows).

    >>> rows = [{"resource": "a", "label": "A", "sector": "s1"}, {"resource": "b", "label": "B", "sector": "s2"}]
    >>> items, facets = facet(rows, {"sector": ["s1"]})
    >>> [item.resource for item in items], [(v.value, v.count) for v in facets[0].values]
    (['a'], [('s1', 1), ('s2', 1)])
    """
    return Listing(rows).facet(chosen)


SortKey = tuple[bool, bool, str, str]


def _sort_key(item: Item) -> SortKey:
    """Sourced records first — the project's own before those of another party's dataset — then illustrative
    examples, each kind by name (then address, so that equal names keep one order)."""
    return (item.illustrative, _from_other_dataset(item), item.label.lower(), item.resource)


class Listing:
    """A faceted list's items (`items_of`), kept by resource in their order, with how many items have each value
    of each dimension, and how many of the project's own items have none (`own_missing`, of `own`) — so that a
    write changes the items of the rows it changed (`step`, which AnswerCache.folded calls with the rows a write
    dropped and added) and the unfiltered list and its counts come without reading every item again. The items
    are shared once the listing is: nobody changes them.

    >>> listing = Listing([{"resource": "b", "label": "B", "sector": "s1"}])
    >>> listing.step({"resource": "a", "label": "A", "sector": "s1"}, 1)
    >>> [item.resource for item in listing.ordered()], listing.counts["sector"]["s1"]
    (['a', 'b'], 2)
    >>> listing.step({"resource": "b", "label": "B", "sector": "s1"}, -1)
    >>> [item.resource for item in listing.ordered()], listing.counts["sector"]["s1"]
    (['a'], 1)
    """

    def __init__(self, rows: Iterable[Mapping[str, str]] = ()) -> None:
        self.rows: dict[str, list[Mapping[str, str]]] = {}  # each resource's rows
        for row in rows:
            self.rows.setdefault(row["resource"], []).append(row)
        self._build()

    def _build(self) -> None:
        """Everything else made from `rows` anew: when a write adds or takes away a whole dimension."""
        self.items = items_of(row for rows in self.rows.values() for row in rows)
        self.listed = {name for item in self.items.values() for name in item.dimensions} - ALWAYS_SET
        self.counts: dict[str, Counter[str]] = {}  # dimension -> value -> items
        self.labels: dict[str, dict[str, str]] = {}  # dimension -> value -> its name
        self.having: Counter[str] = Counter()  # dimension -> items with a value recorded in it
        self.holders: dict[str, dict[str, set[str]]] = {}  # dimension -> value -> the items with it (filters)
        self._mine: dict[int, set[str]] = {}  # the sets of holders this listing made, which it may change
        self.own = 0  # the CircE project's own items (own_record)
        self.own_missing: Counter[str] = Counter()  # dimension -> own items with no value in it (the truth page)
        for item in self.items.values():
            self._count(item, 1)
        self.order = sorted((_sort_key(item), item.resource) for item in self.items.values())

    def copy(self) -> Listing:
        """A listing to `step` on, sharing the items (never changed) and the rows' lists (replaced, not changed)."""
        other = Listing.__new__(Listing)
        other.rows, other.items, other.listed = dict(self.rows), dict(self.items), set(self.listed)
        other.counts = {name: Counter(counts) for name, counts in self.counts.items()}
        other.labels = {name: dict(labels) for name, labels in self.labels.items()}
        other.having, other.order = Counter(self.having), list(self.order)
        other.own, other.own_missing = self.own, Counter(self.own_missing)
        other.holders = {name: dict(values) for name, values in self.holders.items()}  # the sets shared until changed
        other._mine = {}
        return other

    def step(self, row: Mapping[str, str], sign: int) -> None:
        """The listing with `row` added (sign 1) or taken back (sign -1): its resource's item made again."""
        resource = row["resource"]
        rows = self.rows.get(resource, [])
        if sign > 0:
            rows = [*rows, row]
        else:
            at = rows.index(row)  # ValueError: a row this listing does not hold
            rows = rows[:at] + rows[at + 1 :]
        old = self.items.pop(resource, None)
        if old is not None:
            self._count(old, -1)
            del self.order[bisect.bisect_left(self.order, (_sort_key(old), resource))]
        if rows:
            self.rows[resource] = rows
        else:
            del self.rows[resource]
        item = items_of(rows).get(resource)
        recorded = set(item.dimensions) - ALWAYS_SET if item else set()
        if not recorded <= self.listed or any(self.having[name] == 0 for name in self.listed):
            self._build()  # a dimension the list did not have, or one no item has any more
            return
        if item is not None:
            for name in self.listed - recorded:
                item.dimensions[name] = {NONE: NOT_RECORDED}
            self.items[resource] = item
            self._count(item, 1)
            bisect.insort(self.order, (_sort_key(item), resource))

    def _count(self, item: Item, sign: int) -> None:
        if own_record(item):
            self.own += sign
            for name, values in item.dimensions.items():
                if NONE in values:
                    self.own_missing[name] += sign
        for name, values in item.dimensions.items():
            counts, labels = self.counts.setdefault(name, Counter()), self.labels.setdefault(name, {})
            holders = self.holders.setdefault(name, {})
            for value, label in values.items():
                counts[value] += sign
                held = holders.get(value)
                if held is None or id(held) not in self._mine:  # shared with the listing it was copied from
                    held = holders[value] = set(held or ())
                    self._mine[id(held)] = held
                if counts[value] > 0:
                    labels[value] = label
                    held.add(item.resource) if sign > 0 else held.discard(item.resource)
                else:
                    del counts[value], labels[value], holders[value]
            if NONE not in values:
                self.having[name] += sign
        for name in [name for name, counts in self.counts.items() if not counts]:
            del self.counts[name], self.labels[name], self.holders[name]

    def ordered(self) -> list[Item]:
        """Every item, sourced ones first (_sort_key)."""
        return [self.items[resource] for _, resource in self.order]

    def facet(self, chosen: Mapping[str, list[str]]) -> tuple[list[Item], list[Facet]]:
        """The items that have every chosen value (sourced ones first), and each dimension's values with their
        counts, each within the other dimensions' filters (so choosing a second value of one stays possible).
        A value that the list does not have is a BadParameter (400), not an empty page."""
        known = self.labels
        for name, wanted in chosen.items():
            if name not in known:
                raise BadParameter(
                    f"this list cannot be filtered by {name!r}", "filter by one of: " + ", ".join(sorted(known))
                )
            for value in wanted:
                if value not in known[name]:
                    raise BadParameter(
                        f"no {DIMENSIONS.get(name, name).lower()} {value!r} in this list",
                        "choose one of the values shown beside the list",
                    )
        filters = {name: values for name, values in chosen.items() if values}

        def matching(skip: str | None = None) -> set[str] | None:
            """The items with a chosen value in every filtered dimension but `skip` (None: no filter)."""
            sets = [
                set().union(*(self.holders[name].get(v, ()) for v in values))
                for name, values in filters.items()
                if name != skip
            ]
            return set.intersection(*sorted(sets, key=len)) if sets else None

        found = matching()
        if found is None:
            kept = self.ordered()
        else:  # in order, in C: a filter that keeps most of 10^5 items costs no Python step per item
            resources = list(map(itemgetter(1), self.order))
            kept = list(map(self.items.__getitem__, compress(resources, map(found.__contains__, resources))))
        facets = []
        for name in DIMENSIONS:
            if name not in known:
                continue
            pool = matching(skip=name) if name in filters else found  # each value counted within the others
            if pool is None:
                counts = self.counts[name]  # no other filter: every item counts
            else:
                counts = Counter({v: len(pool.intersection(held)) for v, held in self.holders[name].items()})
            values = [
                FacetValue(v, known[name][v], counts[v], v in chosen.get(name, []))
                for v in sorted(known[name], key=lambda v: (-counts[v], known[name][v]))
            ]
            shown = [v for i, v in enumerate(values) if i < FACET_VALUES_SHOWN or v.selected]
            facets.append(Facet(name, DIMENSIONS[name], shown, len(values) - len(shown)))
        return kept, facets


def own_record(item: Item) -> bool:
    """Whether `item` is one of the CircE project's own records: of no dataset but ours (another party's is
    described apart; one whose list has datasets but that names none is not counted as ours either).

    >>> own_record(Item("a", "A", False)), own_record(Item("b", "B", False, {"dataset": {NONE: NOT_RECORDED}}))
    (True, False)
    """
    return set(item.dimensions.get("dataset", {OWN_DATASET: ""})) == {OWN_DATASET}


def _from_other_dataset(item: Item) -> bool:
    return any(d != OWN_DATASET for d in item.dimensions.get("dataset", {}))


def dimensions_of(variables: Iterable[str]) -> list[str]:
    """The dimensions of a list whose query answers `variables`, in DIMENSIONS order: its CSV's columns,
    whatever the filters ("source" always; "classified" when the query answers `editorial`).

    >>> dimensions_of(["resource", "label", "illustrative", "editorial", "sector", "sectorLabel", "country"])
    ['country', 'sector', 'source', 'classified']
    """
    answered = set(variables) | {"source"} | ({"classified"} if "editorial" in variables else set())
    return [name for name in DIMENSIONS if name in answered]


def csv_columns(dimensions: Iterable[str]) -> list[str]:
    """The CSV's header: label, uri, the list's dimensions (source and classified folded into one column,
    `source`: sourced / editorial / illustrative), then `source_url`."""
    return [*CSV_FIRST, *(n for n in dimensions if n not in ALWAYS_SET), *CSV_LAST]


def to_csv(
    items: list[Item],
    dimensions: Iterable[str] | None = None,
    translate: Callable[[str], str] = str,
    rows_per_chunk: int = 1000,
) -> Iterator[str]:
    """The list as CSV for a spreadsheet program, a chunk of rows at a time (a response streams it: 140,000
    practices at 10^7 triples). UTF-8 with a byte-order mark (Excel reads it as UTF-8 only then); the columns
    of `csv_columns(dimensions)` whatever the items (`dimensions`: the list's, `dimensions_of`; by default those
    the items have); a value of several is "; "-joined; a record's `source` is the translated word for its kind
    and `source_url` its dct:source URLs (empty for an illustrative example). `translate` translates this
    module's words ("not recorded"…): the names in the items are already in the reader's language. Text that a
    spreadsheet would run as a formula is prefixed with ' (serialization.safe_csv_text)."""

    if dimensions is None:
        dimensions = [n for n in DIMENSIONS if any(n in i.dimensions for i in items)]
    columns = csv_columns(dimensions)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    for number, item in enumerate(items, start=1):
        writer.writerow([safe_csv_text(text) for text in _csv_row(item, columns, translate)])
        if number % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _csv_row(item: Item, columns: list[str], translate: Callable[[str], str]) -> list[str]:
    """One record's cells, in `columns` order."""
    cells = {
        "label": item.label,
        "uri": item.resource,
        "source": translate(RECORD_KINDS[item.kind]),
        "source_url": "" if item.illustrative else "; ".join(sorted(item.sources)),
    }
    for name in columns:
        if name not in cells:
            values = item.dimensions.get(name) or {NONE: NOT_RECORDED}
            cells[name] = "; ".join(sorted(translate(NOT_RECORDED) if k == NONE else v for k, v in values.items()))
    return [cells[name] for name in columns]


def country_name(iri: str, language: str) -> str | None:
    """The name in `language` (CLDR, by Babel) of the country that a NUTS level-0 IRI identifies; None for any
    other IRI or a language CLDR does not know. NUTS writes Greece EL and the United Kingdom UK.

    >>> country_name(NUTS + "EL", "it"), country_name(NUTS + "UK", "fr")
    ('Grecia', 'Royaume-Uni')
    >>> country_name("http://data.europa.eu/nuts/code/ITC4", "it") is None
    True
    """
    code = iri.removeprefix(NUTS)
    if code == iri or len(code) != 2:
        return None
    return _territories(language).get(NUTS_TO_ISO.get(code, code))


@cache
def _territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language).territories)
    except (ValueError, UnknownLocaleError):
        return {}
