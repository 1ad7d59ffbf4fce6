"""Export: self-contained folium HTML (no CDN, loads offline in QtWebEngine), PNG, Qt-free palette."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sandbox.ui.exporters.html import (
    ExportError,
    export_html,
    export_region,
    external_references,
    feature_collection_of,
    render_html,
)
from sandbox.ui.fmt import format_as_of
from sandbox.ui.state import RegionMap
from tests.ui.conftest import AS_OF, INDICATORS, region_payload

ROOT = Path(__file__).resolve().parents[2]
POVERTY = INDICATORS[0]
NAMES = ["百泉镇", "麻尾镇", "影山镇", "基长镇", "玉水镇", "上司镇"]


def page_of(fc, **kw) -> str:
    return render_html(region_payload(fc, demo=fc.get("demo", False)), fc, POVERTY, indicators=INDICATORS, **kw)


def test_palette_matches_the_wall_theme():
    from sandbox.ui import palette, theme

    for k in range(0, 8):
        for better in (False, True):
            assert palette.ramp(k, better) == theme.ramp(k, better)
    assert palette.NO_DATA_COLOR == theme.NO_DATA_COLOR and palette.SINGLE_CLASS_COLOR == theme.SINGLE_CLASS_COLOR
    assert {k: v for k, v in vars(palette.Colors).items() if not k.startswith("_")} == \
        {k: v for k, v in vars(theme.Colors).items() if not k.startswith("_")}


def test_export_modules_without_qt_stay_qt_free():
    code = ("import sys, sandbox.ui.exporters.html, sandbox.ui.palette; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_page_is_self_contained_with_names_as_of_and_legend(squares_fc, tmp_path):
    squares_fc["demo"], squares_fc["data_label"] = True, "演示数据"
    out = export_html(region_payload(squares_fc, demo=True), squares_fc, POVERTY, tmp_path / "view.html",
                      indicators=INDICATORS)
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*src=[\"']?https?:", page, re.I)
    assert not re.search(r"<link[^>]*href=[\"']?https?:", page, re.I)
    assert external_references(page) == []
    assert "L.map(" in page and "window.L" in page  # Leaflet itself is inlined
    for name in NAMES + ["独山县"]:
        assert name in page
    assert format_as_of(AS_OF) in page  # 2020年12月31日 18:00
    assert "演示数据" in page
    assert "贫困发生率（单位：%）" in page and "▼ 数值越低越好" in page
    assert re.search(r"无数据</td><td class=\"sb-n\">1 个乡镇", page)  # the explicit 无数据 class
    # Popups carry every registry indicator with its Chinese label (JSON-escaped inside the page).
    for ind in INDICATORS:
        assert json.dumps(ind["label_zh"])[1:-1] in page or ind["label_zh"] in page


def test_no_demo_mark_for_real_data(squares_fc):
    assert "演示数据" not in page_of(squares_fc)


def test_names_are_escaped(make_fc):
    fc = make_fc(1, 2, [1.0, 2.0], names=["<script>alert(1)</script>", "正常镇"])
    page = page_of(fc)
    assert "<script>alert(1)</script>" not in page


def test_leaflet_assets_come_from_the_installed_package():
    from sandbox.ui.exporters.html import leaflet_assets

    js, css = leaflet_assets()
    assert "Leaflet" in js[:2000] and "sourceMappingURL" not in js
    assert ".leaflet-container" in css and "url(images/" not in css


def test_a_region_without_children_exports_a_notice(make_fc):
    fc = make_fc(1, 1, [1.0])
    fc["features"], fc["bbox"] = [], None
    page = page_of(fc)
    assert "没有下级区划" in page and external_references(page) == []


def test_not_a_feature_collection_is_refused(squares_fc):
    with pytest.raises(ExportError):
        render_html(region_payload(squares_fc), {"type": "Feature"}, POVERTY)


def test_export_region_reads_through_the_client(fake_client, tmp_path):
    out = export_region(fake_client, "522726000000", tmp_path / "r.html", indicator="housing_safe_rate")
    assert [c[0] for c in fake_client.calls] == ["indicators", "region", "children_geojson"]
    page = out.read_text(encoding="utf-8")
    assert "住房安全保障率" in page and "▲ 数值越高越好" in page
    with pytest.raises(ExportError):
        export_region(fake_client, "522726000000", tmp_path / "x.html", indicator="no_such_key")


def test_feature_collection_of_region_map_round_trips(squares_fc):
    rm = RegionMap.from_geojson(squares_fc)
    fc = feature_collection_of(rm)
    again = RegionMap.from_geojson(fc)
    assert [f.code for f in again.features] == [f.code for f in rm.features]
    assert again.features[0].polygons == rm.features[0].polygons and again.as_of == AS_OF


@pytest.mark.qt
def test_export_png_and_current_view_from_the_wall(qtbot, themed_app, fake_client, tmp_path):
    from PySide6.QtGui import QImage

    from sandbox.ui.exporters.png import export_png, export_view_html
    from sandbox.ui.wall import WallWindow

    wall = WallWindow(fake_client, region="522726000000", retry_seconds=600)
    qtbot.addWidget(wall)
    wall.resize(1280, 720)
    wall.show()
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading, timeout=15000)
    wall.state.map.selected_code = "522726102000"
    png = export_png(wall, tmp_path / "wall.png")
    assert QImage(str(png)).size().width() == wall.width()
    page = export_view_html(wall, tmp_path / "wall.html").read_text(encoding="utf-8")
    assert all(n in page for n in NAMES) and external_references(page) == []
    assert '"selected": true' in page


_WEB_CHECK = textwrap.dedent("""
    import json, os, sys
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # Chromium refuses root without it
    try:
        from PySide6.QtWebEngineWidgets import QWebEngineView
    except ImportError as exc:
        print(json.dumps({"skip": f"QtWebEngine not importable: {exc}"})); sys.exit(0)
    from PySide6.QtCore import QEventLoop, QTimer, QUrl
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    view = QWebEngineView(); view.resize(1024, 768); view.show()
    out, loop = {}, QEventLoop()
    view.page().renderProcessTerminated.connect(lambda *a: (out.setdefault("skip", f"renderer died: {a}"), loop.quit()))
    view.loadFinished.connect(lambda ok: (out.setdefault("loaded", ok), loop.quit()))
    QTimer.singleShot(45000, loop.quit)
    view.load(QUrl.fromLocalFile(sys.argv[1])); loop.exec()

    def js(code):
        box, l = {}, QEventLoop()
        view.page().runJavaScript(code, 0, lambda r: (box.setdefault("r", r), l.quit()))
        QTimer.singleShot(10000, l.quit); l.exec()
        return box.get("r")

    if out.get("loaded"):
        out["leaflet"] = js("typeof L !== 'undefined'")
        out["layers"] = js("window.sandboxExport ? sandboxExport.regions.getLayers().length : -1")
        out["paths"] = js("document.querySelectorAll('path.leaflet-interactive').length")
        out["popup"] = js("var l = sandboxExport.regions.getLayers()[0];"
                          "l.fire('click', {latlng: l.getBounds().getCenter()}, true);"
                          "document.querySelector('.leaflet-popup-content').innerText")
    print(json.dumps(out, ensure_ascii=False))
    view.close(); view.deleteLater(); app.processEvents()
""")


def test_page_renders_offline_in_qtwebengine(squares_fc, tmp_path):
    squares_fc["demo"] = True
    page = export_html(region_payload(squares_fc, demo=True), squares_fc, POVERTY, tmp_path / "v.html",
                       indicators=INDICATORS)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("http_proxy", None), env.pop("https_proxy", None)
    r = subprocess.run([sys.executable, "-c", _WEB_CHECK, str(page)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no result from the QtWebEngine check (rc={r.returncode}): {r.stderr[-2000:]}"
    out = json.loads(lines[-1])
    if "skip" in out:
        pytest.skip(f"QtWebEngine cannot start here: {out['skip']}")
    assert out["loaded"] is True
    assert out["leaflet"] is True, "Leaflet did not load: the page must not need a CDN"
    assert out["layers"] == out["paths"] == len(squares_fc["features"])
    assert out["popup"].startswith("百泉镇") and "贫困发生率" in out["popup"] and "演示数据" in out["popup"]
