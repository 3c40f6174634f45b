"""The layout of the transfer diagram (/questions/transfers): partners on a circle, an arrow per transfer.

Every position is computed here, so the page needs no JavaScript and the layout can be tested as geometry:
labels sit outside the circle, anchored away from its centre (text-anchor "start" on the right, "end" on the
left, "middle" at the top and bottom); arrows start and end at the node circles' edges; two arrows between
the same two partners bow apart. Each label's box is estimated from its characters (CHAR_WIDTH × font size a
character, wider than the average of a sans-serif font), and a label that an arrow would still cross is
pushed outwards until none does (`crossings` is what the tests check).
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

Point = tuple[float, float]
FONT_SIZE = 14
LINE_HEIGHT = 17
CHAR_WIDTH = 0.62  # × FONT_SIZE: the estimated advance of one character, generous for a sans-serif font
ASCENT, DESCENT = 0.8, 0.3  # × FONT_SIZE, above and below the baseline
NODE_RADIUS = 22
GAP = 8  # between a node's circle and its label
ARROW_CLEARANCE = 12  # half the arrowhead's width, plus a little: how far an arrow keeps from a label
WRAP = 18  # characters a label line
MAX_LINES = 3
SIDE = 0.2  # |cos| of the angle beyond which a label is beside its node (start / end), not above or below
LEADER_AFTER = 12  # a label pushed further than this from its node gets a leader line
BOW = 16  # how far an arrow's middle bows from the straight line when two go between the same partners


@dataclass
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def grown(self, by: float) -> Box:
        return Box(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def overlaps(self, other: Box) -> bool:
        across = self.left < other.right and other.left < self.right
        return across and self.top < other.bottom and other.top < self.bottom


@dataclass
class Node:
    iri: str
    label: str
    x: float
    y: float
    angle: float  # radians, 0 to the right of the centre, clockwise (SVG's y grows downwards)
    lines: list[str] = field(default_factory=list)
    anchor: str = "middle"  # the SVG text-anchor of the label
    label_x: float = 0.0
    baseline: float = 0.0  # the first line's baseline
    box: Box = field(default_factory=lambda: Box(0, 0, 0, 0))
    index: int = 0  # its place on the circle
    push: float = 0.0  # how much further out than beside its circle the label had to go
    anchor_point: Point = (0.0, 0.0)

    @property
    def radius(self) -> float:
        return NODE_RADIUS

    @property
    def leader(self) -> tuple[Point, Point] | None:
        """A line from the node's circle to its label, when the label had to move away from it."""
        if self.push < LEADER_AFTER:
            return None
        return _edge_point((self.x, self.y), self.anchor_point, NODE_RADIUS), self.anchor_point


@dataclass
class Arrow:
    row: Mapping[str, Any]
    start: Point
    end: Point
    control: Point | None  # a quadratic Bézier's control point; None for a straight line

    @property
    def path(self) -> str:
        (x1, y1), (x2, y2) = self.start, self.end
        if self.control is None:
            return f"M {x1:.1f} {y1:.1f} L {x2:.1f} {y2:.1f}"
        cx, cy = self.control
        return f"M {x1:.1f} {y1:.1f} Q {cx:.1f} {cy:.1f} {x2:.1f} {y2:.1f}"

    @property
    def mark(self) -> str:
        return "illustrative" if str(self.row.get("illustrative")) == "true" else "sourced"

    @cached_property
    def polyline(self) -> list[Point]:
        return self.points()

    @cached_property
    def bounds(self) -> Box:
        xs, ys = zip(*self.polyline, strict=True)
        return Box(min(xs), min(ys), max(xs), max(ys))

    def points(self, steps: int = 24) -> list[Point]:
        """The arrow as a polyline (a curve sampled at `steps` segments)."""
        if self.control is None:
            return [self.start, self.end]
        (x0, y0), (cx, cy), (x1, y1) = self.start, self.control, self.end
        out = []
        for i in range(steps + 1):
            t = i / steps
            out.append(
                (
                    (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                    (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1,
                )
            )
        return out


@dataclass
class Diagram:
    nodes: list[Node]
    arrows: list[Arrow]
    view: Box  # the viewBox: everything drawn, with a margin

    @property
    def width(self) -> float:
        return self.view.right - self.view.left

    @property
    def height(self) -> float:
        return self.view.bottom - self.view.top

    @property
    def view_box(self) -> str:
        return f"{self.view.left:.1f} {self.view.top:.1f} {self.width:.1f} {self.height:.1f}"


def wrap(label: str) -> list[str]:
    """The label in at most MAX_LINES short lines, the last shortened with an ellipsis if need be."""
    lines = textwrap.wrap(label, WRAP) or [label]
    if len(lines) > MAX_LINES:
        lines = lines[: MAX_LINES - 1] + [textwrap.shorten(" ".join(lines[MAX_LINES - 1 :]), WRAP, placeholder="…")]
    return lines


def text_width(line: str, font_size: float = FONT_SIZE) -> float:
    return len(line) * font_size * CHAR_WIDTH


def segment_hits_box(a: Point, b: Point, box: Box) -> bool:
    """Whether the segment a–b touches the box (Liang–Barsky clipping)."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - box.left), (dx, box.right - x0), (-dy, y0 - box.top), (dy, box.bottom - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def crossings(diagram: Diagram, clearance: float = 0.0) -> list[tuple[Arrow, Node]]:
    """Every (arrow, node) whose label box, grown by `clearance`, the arrow touches."""
    found = []
    for arrow in diagram.arrows:
        points, bounds = arrow.polyline, arrow.bounds
        for node in diagram.nodes:
            box = node.box.grown(clearance)
            if not box.overlaps(bounds.grown(1)):
                continue
            if any(segment_hits_box(a, b, box) for a, b in zip(points, points[1:], strict=False)):
                found.append((arrow, node))
    return found


def _place_label(node: Node) -> None:
    """Put the node's label beside it, on the side away from the centre, `node.push` further out along the
    node's ray than its circle's edge (a pushed label gets a leader line to its node)."""
    cos, sin = math.cos(node.angle), math.sin(node.angle)
    reach = NODE_RADIUS + GAP + node.push
    ax, ay = node.x + reach * cos, node.y + reach * sin
    width = max(text_width(line) for line in node.lines)
    height = (len(node.lines) - 1) * LINE_HEIGHT + (ASCENT + DESCENT) * FONT_SIZE
    if cos > SIDE:
        node.anchor, ax = "start", max(ax, node.x + NODE_RADIUS + GAP)  # clear of the node's circle
        left, top = ax, ay - height / 2
    elif cos < -SIDE:
        node.anchor, ax = "end", min(ax, node.x - NODE_RADIUS - GAP)
        left, top = ax - width, ay - height / 2
    else:
        node.anchor, left = "middle", ax - width / 2
        top = ay - height if sin < 0 else ay  # above the top node, below the bottom one
    node.label_x = ax
    node.baseline = top + ASCENT * FONT_SIZE
    node.box = Box(left, top, left + width, top + height)
    node.anchor_point = (ax, ay)


def _edge_point(centre: Point, towards: Point, radius: float) -> Point:
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    length = math.hypot(dx, dy) or 1
    return centre[0] + dx / length * radius, centre[1] + dy / length * radius


def node_box(node: Node) -> Box:
    return Box(node.x - NODE_RADIUS, node.y - NODE_RADIUS, node.x + NODE_RADIUS, node.y + NODE_RADIUS)


def collisions(diagram: Diagram) -> list[tuple[Node, Node | Arrow]]:
    """Every label covered by an arrow (or its arrowhead), another label, or a node's circle."""
    found: list[tuple[Node, Node | Arrow]] = [(node, arrow) for arrow, node in crossings(diagram, ARROW_CLEARANCE)]
    for i, node in enumerate(diagram.nodes):
        for j, other in enumerate(diagram.nodes):
            if i != j and node.box.grown(1).overlaps(node_box(other)):
                found.append((node, other))
            if i < j and node.box.grown(1).overlaps(other.box):
                found.append((other if other.index % 2 or not node.index % 2 else node, node))
    return found


def _arrow(
    row: Mapping[str, Any], a: Node, b: Node, mx: float, my: float, nx: float, ny: float, offset: float
) -> Arrow:
    """The arrow from a to b, straight, or bowing `offset` to the left (a quadratic Bézier whose control point is
    twice as far: the curve's middle is `offset` from the straight line), from circle edge to circle edge."""
    control = (mx + nx * 2 * offset, my + ny * 2 * offset) if offset else None
    start = _edge_point((a.x, a.y), control or (b.x, b.y), NODE_RADIUS + 2)
    end = _edge_point((b.x, b.y), control or (a.x, a.y), NODE_RADIUS + 3)
    return Arrow(row, start, end, control)


def _near(arrow: Arrow, point: Point, distance: float) -> bool:
    """Whether the arrow passes within `distance` of the point."""
    px, py = point
    for (x0, y0), (x1, y1) in zip(arrow.polyline, arrow.polyline[1:], strict=False):
        dx, dy = x1 - x0, y1 - y0
        t = max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / ((dx * dx + dy * dy) or 1)))
        if math.hypot(x0 + t * dx - px, y0 + t * dy - py) < distance:
            return True
    return False


def layout(partners: Sequence[tuple[str, str]], transfers: Iterable[Mapping[str, Any]]) -> Diagram:
    """Partners (iri, label) on a circle in the given order; an arrow for each transfer row (with `from`, `to`)
    between two of them."""
    count = len(partners)
    radius = max(110.0, count * (2 * NODE_RADIUS + 14) / (2 * math.pi))  # room for every node on the circle
    nodes: dict[str, Node] = {}
    for i, (iri, label) in enumerate(partners):
        angle = 2 * math.pi * i / max(1, count) - math.pi / 2
        node = Node(iri, label, radius * math.cos(angle), radius * math.sin(angle), angle, wrap(label), index=i)
        _place_label(node)
        nodes[iri] = node
    rows = [row for row in transfers if row["from"] in nodes and row["to"] in nodes and row["from"] != row["to"]]
    between = Counter(frozenset((row["from"], row["to"])) for row in rows)
    seen: Counter[frozenset[str]] = Counter()
    arrows = []
    for row in rows:
        a, b = nodes[row["from"]], nodes[row["to"]]
        pair = frozenset((row["from"], row["to"]))
        index = seen[pair]
        seen[pair] += 1
        length = math.hypot(b.x - a.x, b.y - a.y) or 1
        nx, ny = (b.y - a.y) / length, -(b.x - a.x) / length  # the left of the direction of travel
        mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
        offset = 0.0
        if between[pair] > 1:  # bow apart: two ways go to either side, a third and fourth further out
            offset = BOW * (1 + index // 2) * (1 if (index % 2 == 0) == (row["from"] < row["to"]) else -1)
        inward = 1.0 if nx * -mx + ny * -my >= 0 else -1.0  # the side of the straight line the centre is on
        others = [n for n in nodes.values() if n is not a and n is not b]
        arrow = _arrow(row, a, b, mx, my, nx, ny, offset)
        for _ in range(12):  # an arrow passing over another partner's circle bows towards the centre until clear
            if not any(_near(arrow, (n.x, n.y), NODE_RADIUS + 4) for n in others):
                break
            # Further in; one bowing out crosses over, past the arrow the other way (which bows in by as much).
            offset = offset + inward * 10 if offset * inward >= 0 else inward * (abs(offset) + BOW + 10)
            arrow = _arrow(row, a, b, mx, my, nx, ny, offset)
        arrows.append(arrow)
    diagram = Diagram(list(nodes.values()), arrows, Box(0, 0, 0, 0))
    # Push outwards, step by step, every label that an arrow (a curve bowing out of the circle), a node or
    # another label still covers; of two labels on each other the odd one of the circle moves (staggered).
    for _ in range(200):
        moved = {node.iri: node for node, _ in collisions(diagram)}
        if not moved:
            break
        for node in moved.values():
            node.push += 6
            _place_label(node)
    margin = 6.0
    boxes = [n.box for n in diagram.nodes] + [node_box(n) for n in diagram.nodes]
    boxes += [arrow.bounds for arrow in arrows]
    if boxes:
        diagram.view = Box(
            min(b.left for b in boxes) - margin,
            min(b.top for b in boxes) - margin,
            max(b.right for b in boxes) + margin,
            max(b.bottom for b in boxes) + margin,
        )
    return diagram
