"""Plane geometry on longitude/latitude rings: areas, centroids, point-in-polygon.

Computed in the lon/lat plane (no projection): for regions the size of a NUTS 1–3 region the centroid
moves by well under a marker's width on the home map, and it keeps the code a few lines. Rings are lists
of (lon, lat) points, first point not repeated or repeated — both work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Point = tuple[float, float]
Ring = Sequence[Point]
Polygon = Sequence[Ring]  # the outer ring, then its holes


def _ring_moments(ring: Ring) -> tuple[float, float, float]:
    """The shoelace sums of a ring: its signed area and the area-weighted x and y of its centroid."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return area / 2, cx / 6, cy / 6


def centroid(polygons: Iterable[Polygon]) -> Point:
    """The area-weighted centroid of several polygons (holes subtracted), whatever their rings' orientation.
    Raises ValueError when they have no area.

    >>> square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    >>> centroid([[square]])
    (1.0, 1.0)
    >>> centroid([[square], [[(4, 0), (6, 0), (6, 2), (4, 2)]]])  # two equal squares: between them
    (3.0, 1.0)
    """
    total = sx = sy = 0.0
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            area, mx, my = _ring_moments(ring)
            sign = (1 if index == 0 else -1) * (1 if area >= 0 else -1)  # outer adds, holes subtract
            total += sign * area
            sx += sign * mx
            sy += sign * my
    if total == 0:
        raise ValueError("the polygons have no area")
    return sx / total, sy / total


def contains(polygon: Polygon, point: Point) -> bool:
    """Whether `point` lies inside the polygon's outer ring and outside its holes (even-odd rule).

    >>> frame = [[(0, 0), (4, 0), (4, 4), (0, 4)], [(1, 1), (3, 1), (3, 3), (1, 3)]]  # a square with a hole
    >>> contains(frame, (0.5, 0.5)), contains(frame, (2, 2)), contains(frame, (5, 5))
    (True, False, False)
    """
    x, y = point
    inside = False
    for ring in polygon:
        for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                inside = not inside
    return inside
