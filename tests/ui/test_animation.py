"""The drill zoom's camera: it starts and ends exactly where the two views are (no Qt)."""

import pytest

from sandbox.ui.frame_timing.animation import Box, Similarity, ZoomPath, ease_in_out


def corners(b: Box):
    return [b.x, b.y, b.x + b.w, b.y + b.h]


def mapped(s: Similarity, b: Box):
    return [*s.apply(b.x, b.y), *s.apply(b.x + b.w, b.y + b.h)]


TOWN_IN_COUNTY = Box(600, 300, 120, 90)  # the clicked town, in the county view
VILLAGES = Box(200, 80, 800, 600)  # its villages filling the town view


def test_zoom_in_starts_on_the_town_and_ends_on_the_villages():
    z = ZoomPath(TOWN_IN_COUNTY, VILLAGES)
    assert mapped(z.old_view(0.0), TOWN_IN_COUNTY) == pytest.approx(corners(TOWN_IN_COUNTY))
    assert mapped(z.new_view(0.0), VILLAGES) == pytest.approx(corners(TOWN_IN_COUNTY))  # grows out of the town
    assert mapped(z.old_view(1.0), TOWN_IN_COUNTY) == pytest.approx(corners(VILLAGES))
    assert mapped(z.new_view(1.0), VILLAGES) == pytest.approx(corners(VILLAGES))  # lands exactly: no jump


def test_zoom_is_a_steady_push_about_a_fixed_point():
    z = ZoomPath(TOWN_IN_COUNTY, VILLAGES)
    scales = [z.old_view(e).s for e in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert scales == sorted(scales) and scales[0] == pytest.approx(1.0)
    ratios = [b / a for a, b in zip(scales, scales[1:])]
    assert ratios == pytest.approx([ratios[0]] * 4)  # geometric: equal zoom per step
    fx, fy = z.fixed
    for e in (0.3, 0.6):
        assert z.old_view(e).apply(fx, fy) == pytest.approx((fx, fy))


def test_zoom_out_is_the_mirror_and_a_pure_shift_is_handled():
    z = ZoomPath(VILLAGES, TOWN_IN_COUNTY)
    assert z.old_view(1.0).s < 1.0
    assert mapped(z.new_view(1.0), TOWN_IN_COUNTY) == pytest.approx(corners(TOWN_IN_COUNTY))
    shift = ZoomPath(Box(0, 0, 10, 10), Box(50, 20, 10, 10))
    assert shift.fixed is None and shift.old_view(0.5).apply(0, 0) == pytest.approx((25, 10))
    with pytest.raises(ValueError):
        ZoomPath(Box(0, 0, 0, 10), VILLAGES)


def test_similarity_algebra_and_easing():
    s = Similarity(2.0, 3.0, -1.0)
    assert s.then(s.inverse()).apply(5, 7) == pytest.approx((5, 7))
    assert (ease_in_out(0), ease_in_out(0.5), ease_in_out(1), ease_in_out(2)) == pytest.approx((0, 0.5, 1, 1))
