"""Where a building's label goes on the site plan, and how big it may be.

The mean of a polygon's corners can fall outside it (an L-shaped tower), and a label
sized for the canvas spills over a narrow building. So a label is set in the largest
axis-parallel rectangle found inside the outline, at the largest size (up to a
maximum) at which all its lines fit in that rectangle. The map then asks the browser
for the width at which its smallest label is still readable on a phone.

Pure functions of the outline and the text: the rectangle is cached per outline.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Share of the rectangle a label may fill, and the line height in font sizes.
FILL = 0.9
LINE_HEIGHT = 1.2
# A line's box as browsers measure it, in font sizes: Chinese fonts reserve about 1.16
# above the baseline and 0.29 below (Noto Sans CJK), more than their glyphs use.
ASCENT = 1.16
DESCENT = 0.29
# Extra grid lines across a slanted outline (an axis-parallel one needs none).
SUBDIVISIONS = 8


@dataclass(frozen=True)
class Label:
    """Lines set at `size` (canvas units), centred on `x`; `y` is the first baseline.
    `lines` are the logical lines, each one or more physical lines (a long line broken
    at its last space)."""

    x: float
    y: float
    size: float
    lines: tuple[tuple[str, ...], ...]

    @property
    def baselines(self) -> list[list[tuple[str, float]]]:
        """Per logical line, its physical lines with their baselines; a broken line
        keeps its space at the end of the first part, so its text reads as typed."""
        result = []
        row = 0
        for parts in self.lines:
            placed = []
            for i, part in enumerate(parts):
                text = part + (" " if i < len(parts) - 1 else "")
                placed.append((text, round(self.y + row * self.size * LINE_HEIGHT, 1)))
                row += 1
            result.append(placed)
        return result


def text_width(text: str) -> float:
    """The width of `text` in font sizes: a Chinese character is one, a digit or Latin
    letter about 0.6, a space or thin punctuation less."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch in " ·.,:;|'":
            width += 0.35
        else:
            width += 0.62
    return width


def _inside(x: float, y: float, polygon: tuple[tuple[float, float], ...]) -> bool:
    """Even-odd rule; points exactly on an edge may go either way (callers test points
    strictly inside grid cells)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross:
                inside = not inside
    return inside


@lru_cache(maxsize=4096)
def inner_rectangles(polygon: tuple[tuple[float, float], ...]) -> tuple[tuple[float, ...], ...]:
    """For each band of grid rows, the widest run of grid cells inside the outline:
    (x0, y0, x1, y1) rectangles, from which a label picks the one it fits best.

    The grid is cut at every corner's x and y, so for outlines with axis-parallel edges
    (every demo building, most drawn ones) each cell is wholly in or out and the answer
    is exact; a slanted outline gets more cuts, and a cell counts as inside only when
    its centre and corners pulled slightly in all are."""
    xs = sorted({p[0] for p in polygon})
    ys = sorted({p[1] for p in polygon})
    slanted = any(
        a[0] != b[0] and a[1] != b[1]
        for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True)
    )
    if slanted:
        x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
        xs = sorted(set(xs) | {x0 + (x1 - x0) * i / SUBDIVISIONS for i in range(SUBDIVISIONS)})
        ys = sorted(set(ys) | {y0 + (y1 - y0) * i / SUBDIVISIONS for i in range(SUBDIVISIONS)})
    cols, rows = len(xs) - 1, len(ys) - 1
    inside = [[False] * cols for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            cx, cy = (xs[c] + xs[c + 1]) / 2, (ys[r] + ys[r + 1]) / 2
            points = [(cx, cy)]
            if slanted:
                points += [
                    (cx + (x - cx) * 0.9, cy + (y - cy) * 0.9)
                    for x in (xs[c], xs[c + 1])
                    for y in (ys[r], ys[r + 1])
                ]
            inside[r][c] = all(_inside(x, y, polygon) for x, y in points)
    found = []
    for top in range(rows):
        band = [True] * cols
        for bottom in range(top, rows):
            band = [b and inside[bottom][c] for c, b in enumerate(band)]
            best, start = (0.0, 0, 0), None
            for c in range(cols + 1):
                if c < cols and band[c]:
                    start = c if start is None else start
                elif start is not None:
                    width = xs[c] - xs[start]
                    if width > best[0]:
                        best = (width, start, c)
                    start = None
            if best[0] > 0:
                found.append((xs[best[1]], ys[top], xs[best[2]], ys[bottom + 1]))
    return tuple(found)


def _height(rows: int) -> float:
    """The height of `rows` lines in font sizes, from the first line's top to the last
    line's bottom."""
    return (rows - 1) * LINE_HEIGHT + ASCENT + DESCENT


def _fit(rects, lines: list[tuple[str, ...]], max_size: float):
    physical = [part for parts in lines for part in parts]
    widest = max(text_width(part) for part in physical)
    best = None
    for rect in rects:
        x0, y0, x1, y1 = rect
        size = min(
            max_size,
            (x1 - x0) * FILL / widest,
            (y1 - y0) * FILL / _height(len(physical)),
        )
        if best is None or size > best[0]:
            best = (size, rect)
    return best


def fit_label(
    polygon, lines: list[str], *, max_size: float, breakable: frozenset[int] = frozenset()
) -> Label | None:
    """The biggest setting of `lines` (at most `max_size`) inside the outline; the lines
    whose index is in `breakable` may be broken at their last space when that lets the
    label grow (`已走访 33/144` over two lines in a narrow building)."""
    points = tuple((float(x), float(y)) for x, y in polygon or ())
    kept = [line for line in lines if line]
    if len(points) < 3 or not kept:
        return None
    rects = inner_rectangles(points)
    whole: list[tuple[str, ...]] = [(line,) for line in kept]
    broken: list[tuple[str, ...]] = [
        tuple(line.rsplit(" ", 1)) if i in breakable and " " in line else (line,)
        for i, line in enumerate(kept)
    ]
    best = None
    for variant in (whole, broken) if broken != whole else (whole,):
        fitted = _fit(rects, variant, max_size)
        # Breaking must gain clearly, or the line stays whole.
        if fitted is not None and (best is None or fitted[0] > best[0][0] * 1.15):
            best = (fitted, variant)
    if best is None:
        return None
    (size, (x0, y0, x1, y1)), variant = best
    size = math.floor(size * 10) / 10
    rows = sum(len(parts) for parts in variant)
    top = (y0 + y1) / 2 - size * _height(rows) / 2
    return Label(round((x0 + x1) / 2, 1), round(top + ASCENT * size, 1), size, tuple(variant))
