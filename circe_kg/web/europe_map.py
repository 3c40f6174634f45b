"""An SVG map of Europe drawn on the server from Natural Earth country outlines (npm `world-atlas`, installed by
scripts/setup.sh; no tile server, no CDN).

Partners are placed at their NUTS region's point (geo:lat / geo:long in the graph, data/region-centroids.ttl,
each with its source); a partner whose region has no point falls back to the centroid of its country's
outline, computed here. The TopoJSON is decoded by hand — quantised, delta-encoded arcs — which is a few
lines and saves a JavaScript build step.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from ..config import PROJECT_ROOT
from ..geometry import centroid

WORLD_ATLAS = PROJECT_ROOT / "node_modules" / "world-atlas" / "countries-50m.json"
SOURCE = "Natural Earth 1:50m country outlines, via the npm package world-atlas 2.0.2"
WEST, SOUTH, EAST, NORTH = -25.0, 34.0, 45.0, 71.5
WIDTH = 700
PARALLEL = math.cos(math.radians(52))  # equirectangular, true to scale at 52° N
HEIGHT = round(WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * PARALLEL))
# NUTS country codes -> ISO 3166-1 numeric (the ids of world-atlas), EU, EEA, UK and Switzerland.
ISO_NUMERIC = {
    "AT": "040",
    "BE": "056",
    "BG": "100",
    "HR": "191",
    "CY": "196",
    "CZ": "203",
    "DK": "208",
    "EE": "233",
    "FI": "246",
    "FR": "250",
    "DE": "276",
    "EL": "300",
    "HU": "348",
    "IE": "372",
    "IT": "380",
    "LV": "428",
    "LT": "440",
    "LU": "442",
    "MT": "470",
    "NL": "528",
    "PL": "616",
    "PT": "620",
    "RO": "642",
    "SK": "703",
    "SI": "705",
    "ES": "724",
    "SE": "752",
    "UK": "826",
    "NO": "578",
    "CH": "756",
    "IS": "352",
    "LI": "438",
}

Ring = list[tuple[float, float]]


@dataclass
class Country:
    iso: str
    name: str
    path: str  # SVG path data, projected
    centroid: tuple[float, float]  # projected
    polygons: list[list[Ring]]  # in longitude/latitude, each an outer ring and its holes


def project(lon: float, lat: float) -> tuple[float, float]:
    return ((lon - WEST) / (EAST - WEST) * WIDTH, (NORTH - lat) / (NORTH - SOUTH) * HEIGHT)


def _decode(topology: dict) -> list[Ring]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[Ring], indices: list[int]) -> Ring:
    ring: Ring = []
    for index in indices:
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(points if not ring else points[1:])
    return ring


def _path(ring: Ring) -> str:
    """SVG path data for a ring; a jump across the antimeridian starts a new subpath instead of a streak."""
    parts, previous, broken = [], None, False
    for lon, lat in ring:
        x, y = project(lon, lat)
        jump = previous is not None and abs(lon - previous) > 180
        broken = broken or jump
        parts.append(("M" if previous is None or jump else "L") + f"{x:.1f},{y:.1f}")
        previous = lon
    return "".join(parts) + ("" if broken else "Z")


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    """The countries whose outlines reach into the map's frame; empty when world-atlas is not installed."""
    if not WORLD_ATLAS.exists():
        return ()
    topology = json.loads(WORLD_ATLAS.read_text())
    arcs = _decode(topology)
    out = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = (
            [geometry["arcs"]]
            if geometry["type"] == "Polygon"
            else geometry["arcs"]
            if geometry["type"] == "MultiPolygon"
            else []
        )
        outlines = [[_ring(arcs, ring) for ring in polygon] for polygon in polygons]
        rings = [ring for outline in outlines for ring in outline]
        inside = [r for r in rings if any(WEST <= lon <= EAST and SOUTH <= lat <= NORTH for lon, lat in r)]
        if not inside:
            continue
        path = " ".join(_path(r) for r in inside)
        # The centroid of the mainland: the outline with the most points among those in the frame, holes subtracted.
        mainland = max(
            (o for o in outlines if any(WEST <= lon <= EAST and SOUTH <= lat <= NORTH for lon, lat in o[0])),
            key=lambda o: len(o[0]),
        )
        out.append(
            Country(
                str(geometry.get("id", "")),
                geometry.get("properties", {}).get("name", ""),
                path,
                project(*centroid([mainland])),
                outlines,
            )
        )
    return tuple(out)


def curve(
    start: tuple[float, float], end: tuple[float, float], gap_start: float, gap_end: float, bow: float = 0.18
) -> str:
    """SVG path data of an arrow from `start` to `end` bowing to its left by `bow` of its length (so two
    arrows between the same places, one each way, do not overlap), stopping `gap_start` and `gap_end` short
    of the two points (the markers' edges)."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    cx, cy = (x0 + x1) / 2 + (y1 - y0) * bow, (y0 + y1) / 2 - (x1 - x0) * bow

    def towards(x: float, y: float, gap: float) -> tuple[float, float]:
        d = math.hypot(cx - x, cy - y) or 1.0
        return x + (cx - x) / d * gap, y + (cy - y) / d * gap

    (ax, ay), (bx, by) = towards(x0, y0, min(gap_start, length / 3)), towards(x1, y1, min(gap_end, length / 3))
    return f"M {ax:.1f} {ay:.1f} Q {cx:.1f} {cy:.1f} {bx:.1f} {by:.1f}"
