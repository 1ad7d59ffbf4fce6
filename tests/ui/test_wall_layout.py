"""Video walls: the wide layout by aspect, columns in whole panels, no text across a panel seam (real API)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEventLoop, QPoint, Qt
from PySide6.QtWidgets import QApplication

from sandbox.client.api import ApiClient
from sandbox.ui.frame_timing.after_frame import flush_after_frame
from sandbox.ui.wall_layout import DisplaySpec, plan_wall

COUNTY = "522726000000"
WALLS = [((5760, 3240), (3, 3)), ((7680, 2160), (4, 2)), ((11520, 2160), (6, 2))]
SETTLED_WALLS = WALLS  # (the 3×3 wall was held out while its settled layout depended on the fits before it)


# -- the plan (no Qt) ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size,panels", WALLS)
def test_every_column_lies_within_whole_panels_and_the_row_is_used(size, panels):
    w, h = size
    plan = plan_wall(w, h, DisplaySpec(panels=panels, bezel_px=10))
    assert plan.columns is not None and plan.seamed
    names = [c.name for c in plan.columns]
    assert names[0] == "panels" and names[1] == "map" and names[-1] == "side"
    unit = w / panels[0]
    for c in plan.columns:
        assert not plan.straddles(c.x0, 0, c.x0 + 1, 1) and not plan.straddles(c.x1 - 1, 0, c.x1, 1), c
        assert round(c.width / unit) >= 1 and c.width > 0.9 * unit * round(c.width / unit), c
    covered = sum(c.width for c in plan.columns) + plan.gap * (len(plan.columns) - 1)
    assert covered > 0.97 * w  # no empty panels
    assert plan.mode == ("standard" if w / h < 2 else "wide")


def test_wide_walls_put_modules_beside_the_map_even_without_seams():
    plan = plan_wall(7680, 2160)
    assert plan.mode == "wide" and not plan.seamed
    assert [c.name for c in plan.columns] == ["panels", "map", "cameras", "funds", "side"]
    assert plan.column("map").width > 0.25 * 7680 * 0.9 * 0.25 and plan.columns[-1].x1 > 7680 - 40
    assert plan_wall(1920, 1080).columns is None  # a plain screen keeps the standard fractions
    assert plan_wall(3840, 2160, DisplaySpec(layout="wide")).mode == "wide"
    one_spare = plan_wall(7680, 2160, DisplaySpec(panels=(4, 2)))
    assert [c.name for c in one_spare.columns] == ["panels", "map", "cameras+funds", "side"]
    six = plan_wall(11520, 2160, DisplaySpec(panels=(6, 2), beside=("cameras", "funds")))
    assert [c.name for c in six.columns] == ["panels", "map", "cameras", "funds", "side"]
    assert round(six.column("cameras").width / 1920) == 2


# -- the wall, against the real API -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def api_server(demo_engine):
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    yield server, new_token(demo_engine, "display")
    server.stop()


def _open_wall(qtbot, api_server, size, spec):
    from sandbox.ui.wall import WallWindow

    server, token = api_server
    client = ApiClient(server.url, token)
    win = WallWindow(client, region=COUNTY, animate=False, preload=False, live=False, stream_cameras=False,
                     prefetch=False, display=spec, retry_seconds=600)
    win.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    assert win.wait_for_data(60)
    flush_after_frame()
    app = QApplication.instance()
    deadline = time.monotonic() + 60
    while (win.layers is None or win.layer_worker.busy() or win.panels.trend.busy) and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    for _ in range(5):
        win.grab()
        app.processEvents()
    return win, client


def _text_widgets():
    from sandbox.ui.cameras import CameraTile
    from sandbox.ui.fund_panel import FundChainBars
    from sandbox.ui.panels.paint import PaintedWidget
    from sandbox.ui.panels.titled import Panel
    from sandbox.ui.timeline import YearSlider

    return (PaintedWidget, Panel, YearSlider, CameraTile, FundChainBars)


@pytest.mark.qt
@pytest.mark.usefixtures("themed_app")
@pytest.mark.parametrize("size,panels", SETTLED_WALLS)
def test_no_text_straddles_a_panel_seam_and_the_wall_uses_its_width(qtbot, api_server, size, panels):
    from sandbox.ui.theme import metrics_for_height
    from sandbox.ui.wall_seams_fit import squeezed, text_boxes

    win, client = _open_wall(qtbot, api_server, size, DisplaySpec(panels=panels, bezel_px=10))
    try:
        assert win.arranger.fit()
        QApplication.instance().processEvents()
        plan = win.arranger.plan
        boxes = text_boxes(win, _text_widgets())
        assert len(boxes) > 40
        across = [(type(w).__name__, w.objectName(), getattr(w, "text", lambda: "")(), r.getRect())
                  for w, r in boxes if plan.straddles(r.left(), r.top(), r.right() + 1, r.bottom() + 1)]
        assert not across, across
        # and no module of labels kept off the seams by being squeezed below its text (cut): the content
        # is drawn smaller instead, no smaller than the floor
        assert not squeezed(win.side_column)
        assert win.metrics.scale >= 0.8 * metrics_for_height(size[1]).scale - 1e-6
        # the columns fill the row: panels on the left, the side column on the right, the map and the
        # modules between, each where the plan put it
        x = lambda w: w.mapTo(win, w.rect().topLeft()).x()  # noqa: E731
        assert abs(x(win.panels) - plan.column("panels").x0) <= 2
        assert abs(x(win.side) + win.side.width() - plan.column("side").x1) <= 2
        assert abs(x(win.canvas) - plan.column("map").x0) <= 2
        assert win.canvas.width() >= plan.column("map").width - 4
        if plan.mode == "wide":
            assert win.arranger.cameras is not None and win.arranger.cameras.isVisible()
            shown = [t for t in win.arranger.cameras.tiles if t.isVisible()]
            assert len(shown) >= 2
            surface = win.arranger.cameras._surface  # their pictures painted together, each where its tile is
            assert {t._video for t in shown} <= set(surface._placed) and surface.isVisible()
            assert all(surface._placed[t._video].topLeft() == t._video.mapTo(win.arranger.cameras, QPoint(0, 0))
                       for t in shown)
            assert win.arranger.funds_beside and win.fund_panel.isVisible()
    finally:
        win.close()
        client.close()


def _layout_of(win) -> tuple:
    """Where every label's text is and the content's scale: the wall's layout as a viewer sees it."""
    from sandbox.ui.wall_seams_fit import text_boxes

    return win.metrics.scale, sorted((w.text(), r.getRect()) for w, r in text_boxes(win) if hasattr(w, "text"))


@pytest.mark.qt
@pytest.mark.usefixtures("themed_app")
def test_a_fit_is_the_same_whatever_the_fits_before_it(qtbot, api_server):
    """Same content, same layout: a fit starts over (full size, no seam spacers, the summary back), so a
    scale or spacers left by an earlier fit (other content, or before the figures came) change nothing."""
    win, client = _open_wall(qtbot, api_server, (5760, 3240), DisplaySpec(panels=(3, 3), bezel_px=10))
    try:
        arr = win.arranger
        assert arr.fit()
        first = _layout_of(win)
        assert first[0] < 3.0  # this content needs a smaller scale on the 3×3 wall's rows (else: no test)
        arr._chosen.clear()  # no memory of this content: the search itself must find the same layout
        arr._set_shrink(0.84)  # an earlier fit for taller content left the wall smaller ...
        arr._fit_once()  # ... and its spacers where that content needed them
        assert _layout_of(win) != first
        assert arr.fit()
        QApplication.instance().processEvents()
        assert _layout_of(win) == first
        # and a fit of content seen before goes straight to its scale, with the same result
        arr._set_shrink(1.0)
        assert arr.fit() and _layout_of(win) == first
    finally:
        win.close()
        client.close()


@pytest.mark.qt
@pytest.mark.usefixtures("themed_app")
def test_without_a_wide_window_the_wall_is_laid_out_as_before(qtbot, api_server):
    win, client = _open_wall(qtbot, api_server, (1920, 1080), None)
    try:
        assert win.arranger.plan.columns is None and win.arranger.cameras is None
        assert win.panels.width() == int(1920 * 0.22) and win.side.width() == int(1920 * 0.2)
    finally:
        win.close()
        client.close()


@pytest.mark.qt
@pytest.mark.usefixtures("themed_app")
def test_a_label_that_keeps_changing_does_not_grow_the_fits_memory(qtbot, api_server):
    """A label whose text changes all day (a time, a live count) makes new content at every fit: the
    scales remembered for content seen before stay bounded, the newest kept, and the fit still holds."""
    from PySide6.QtWidgets import QLabel

    from sandbox.ui.wall_seams import CHOSEN_LIMIT

    win, client = _open_wall(qtbot, api_server, (1920, 1080), DisplaySpec(panels=(2, 2), bezel_px=10))
    try:
        arr = win.arranger
        assert arr.plan.seamed
        live = QLabel("数据截至 08:00:00")
        win.side_column.addWidget(live)
        QApplication.instance().processEvents()
        for i in range(CHOSEN_LIMIT * 3):
            live.setText(f"数据截至 08:{i // 60:02d}:{i % 60:02d}")
            arr.fit()
            assert arr._content_key() in arr._chosen  # the content just shown is remembered
        assert len(arr._chosen) <= CHOSEN_LIMIT
    finally:
        win.close()
        client.close()
