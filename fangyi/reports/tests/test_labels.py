"""Building labels on the site plan: inside their outline, as big as fits."""

import random

import pytest

from fangyi.demo.generate import _site_plan
from fangyi.reports.labels import (
    ASCENT,
    DESCENT,
    LINE_HEIGHT,
    _inside,
    fit_label,
    inner_rectangles,
    text_width,
)

L_SHAPE = [[100, 100], [400, 100], [400, 160], [160, 160], [160, 400], [100, 400]]


def _box_corners(label):
    """The corners of each physical line's box (width estimated as the map sets it)."""
    corners = []
    for parts in label.baselines:
        for text, y in parts:
            half = text_width(text.strip()) * label.size / 2
            top, bottom = y - ASCENT * label.size, y + DESCENT * label.size
            corners += [(label.x + dx, yy) for dx in (-half, half) for yy in (top, bottom)]
    return corners


def _polygon(points):
    return tuple((float(x), float(y)) for x, y in points)


def test_an_l_shaped_building_is_labelled_inside_not_at_its_corners_mean():
    xs, ys = zip(*L_SHAPE, strict=True)
    mean = (sum(xs) / len(xs), sum(ys) / len(ys))
    assert not _inside(*mean, _polygon(L_SHAPE))  # where the old label went
    label = fit_label(L_SHAPE, ["3栋", "隔离 2 人"], max_size=38)
    assert label is not None and label.size >= 20
    assert all(_inside(x, y, _polygon(L_SHAPE)) for x, y in _box_corners(label))


def test_a_narrow_building_gets_a_smaller_label_that_still_fits():
    narrow = [[0, 0], [60, 0], [60, 300], [0, 300]]
    label = fit_label(narrow, ["12栋"], max_size=38)
    assert label.size < 38
    assert text_width("12栋") * label.size <= 60
    wide = fit_label([[0, 0], [400, 0], [400, 300], [0, 300]], ["12栋"], max_size=38)
    assert wide.size == 38 and wide.x == 200
    # The line is centred: as far from the top as from the bottom.
    top, bottom = wide.y - ASCENT * 38, wide.y + DESCENT * 38
    assert abs((top + bottom) / 2 - 150) < 0.5


def test_a_long_screening_line_is_broken_at_its_space_when_that_lets_the_label_grow():
    tall = [[0, 0], [80, 0], [80, 400], [0, 400]]
    label = fit_label(tall, ["1栋", "已走访 33/144"], max_size=38, breakable=frozenset({1}))
    assert label.lines == (("1栋",), ("已走访", "33/144"))
    # The broken line keeps its space, so it reads as one text.
    assert "".join(t for t, _y in label.baselines[1]) == "已走访 33/144"
    assert label.size > 80 * 0.9 / text_width("已走访 33/144")


def test_lines_do_not_overflow_the_height():
    flat = [[0, 0], [500, 0], [500, 50], [0, 50]]
    label = fit_label(flat, ["1栋", "隔离 3 人", "已走访 1/9"], max_size=38)
    assert (2 * LINE_HEIGHT + ASCENT + DESCENT) * label.size <= 50


def test_a_slanted_outline_gets_a_rectangle_inside_it():
    diamond = _polygon([[200, 0], [400, 200], [200, 400], [0, 200]])
    for x0, y0, x1, y1 in inner_rectangles(diamond):
        for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            # corners pulled a hair inwards: on the edge counts as inside
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            assert _inside(cx + (x - cx) * 0.98, cy + (y - cy) * 0.98, diamond)


@pytest.mark.parametrize("kind", ["compound", "urban_village", "single_building"])
def test_every_demo_building_is_labelled_inside_its_outline(kind):
    rng = random.Random(7)
    for n in (1, 4, 12, 30, 48):
        for polygon in _site_plan(rng, n, kind):
            label = fit_label(polygon, ["12栋", "隔离 12 人", "已走访 12/140"], max_size=38,
                              breakable=frozenset({2}))  # fmt: skip
            assert label is not None
            assert all(_inside(x, y, _polygon(polygon)) for x, y in _box_corners(label)), polygon
