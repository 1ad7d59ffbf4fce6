"""The wall's start: its first frame with data is drawn without numpy, pyqtgraph or mapclassify (each
loads after it) and shows the county's classes and labels; a window sized before it is shown is styled once."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage

from sandbox.ui.theme import metrics_for_height, stylesheet
from sandbox.ui.wall import WallWindow

from .conftest import COUNTY

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "pyqtgraph", "mapclassify")

# A fresh interpreter, as `python main.py` starts: the wall at 4K on the fake county (tests/ui/conftest.py),
# shown, its first level applied, then one full paint of the window; what is imported by then is what the
# first frame cost. The frame is checked afterwards (numpy may load then).
_START = r"""
import json, sys
from PySide6.QtCore import QEventLoop, QPoint
from PySide6.QtGui import QColor, QImage
from tests.ui.conftest import COUNTY, FakeCounty
from sandbox.ui import map_layer
from sandbox.ui.theme import NO_DATA_COLOR, ramp
from sandbox.ui.wall import WallWindow, _application

app = _application()
win = WallWindow(FakeCounty(), region=COUNTY, retry_seconds=600)
applied, heavy = [], []


def first_frame_with_data():
    # The frame painted right at the apply, before the event loop turns: what the wall defers to "after
    # the first frame" (the trend's pyqtgraph) may run at the next turn, which the loop below would count.
    if not applied:
        win.render(QImage(3840, 2160, QImage.Format.Format_ARGB32_Premultiplied))
        heavy.extend(m for m in sys.argv[1:] if m in sys.modules)
    applied.append(True)


win.dataApplied.connect(first_frame_with_data)
win.resize(3840, 2160)
win.show()
for _ in range(3000):
    if applied:
        break
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
frame = QImage(3840, 2160, QImage.Format.Format_ARGB32_Premultiplied)
win.render(frame)
out = {"applied": bool(applied), "heavy": heavy,
       "sprites": map_layer.sprite_cache_info()["misses"], "towns": {}}
ms = win.state.map
for feature in ms.region_map.features:
    c = ms.class_of(feature.code)
    want = NO_DATA_COLOR if c < 0 else ramp(ms.classification.k, ms.indicator.higher_is_better)[c]
    centre = win.canvas.mapTo(win, win.canvas.region_center(feature.code).toPoint())
    seen = {QColor(frame.pixel(centre + QPoint(dx, dy))).name() for dx in range(-60, 61, 12) for dy in range(-60, 61, 12)}
    out["towns"][feature.code] = want in seen
print(json.dumps(out))
win.close()
"""


@pytest.mark.qt
def test_the_first_frame_with_data_needs_no_numpy_pyqtgraph_or_mapclassify(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), SANDBOX_DATA_DIR=str(tmp_path),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-c", _START, *HEAVY], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["applied"]
    assert out["heavy"] == []  # each loads after the first frame (the trend chart, the classifier's preload)
    assert out["sprites"] > 0  # the frame has its labels (their halos drawn without numpy)
    assert out["towns"] and all(out["towns"].values()), out["towns"]  # every town in its class's colour


def test_importing_the_wall_s_start_path_loads_no_numpy_pyqtgraph_or_mapclassify():
    code = ("import sys, sandbox.app, sandbox.wall_cli, sandbox.client.api, sandbox.ui.wall; "
            f"loaded = [m for m in {HEAVY!r} if m in sys.modules]; assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))


class _StyleChanges(QObject):
    def __init__(self):
        super().__init__()
        self.n = 0

    def eventFilter(self, _obj, event):  # noqa: N802 - Qt API
        self.n += event.type() == QEvent.Type.StyleChange
        return False


@pytest.mark.qt
@pytest.mark.usefixtures("themed_app")
def test_a_wall_sized_before_it_is_shown_styles_its_widgets_once(qtbot, county_client):
    win = WallWindow(county_client, region=COUNTY, retry_seconds=600)
    qtbot.addWidget(win)
    seen = _StyleChanges()
    win.header.installEventFilter(seen)
    win.resize(3840, 2160)
    win.show()
    qtbot.waitExposed(win)
    # styled for 2160 lines at its first show, not for 1080 at construction and again at the show
    assert seen.n == 1
    assert win.metrics == metrics_for_height(2160) and win.styleSheet() == stylesheet(win.metrics)


@pytest.mark.qt
@pytest.mark.usefixtures("themed_app")
@pytest.mark.parametrize("shown", [True, False])
def test_a_wall_resized_after_it_is_shown_or_never_shown_gets_its_size_s_style(qtbot, county_client, shown):
    win = WallWindow(county_client, region=COUNTY, retry_seconds=600)
    qtbot.addWidget(win)
    if shown:
        win.show()
        qtbot.waitExposed(win)
    win.resize(1280, 720)
    win.render(QImage(1280, 720, QImage.Format.Format_ARGB32_Premultiplied))  # a hidden window: its pending resize
    assert win.metrics == metrics_for_height(720) and win.styleSheet() == stylesheet(win.metrics)


# What the first frame does not show (the village panel and its household card, the project card, the
# camera tiles and grid) is neither imported nor built by the first frame with data; it is made one part
# per event-loop turn after that frame (or on first use), and then works as before.
LATER_MODULES = ("sandbox.ui.village_panel", "sandbox.ui.household_card", "sandbox.ui.project_card",
                 "sandbox.ui.cameras.tile", "sandbox.ui.cameras.grid")

_LATER = r"""
import json, sys, time
from PySide6.QtCore import QEventLoop
from PySide6.QtGui import QImage
from tests.ui.conftest import COUNTY, FakeCounty
from sandbox.ui.kiosk.tour_target import check_tour_target
from sandbox.ui.wall import WallWindow, _application

LATER = sys.argv[1:]
app = _application()
win = WallWindow(FakeCounty(), region=COUNTY, retry_seconds=600)
applied, villages, at_first = [], [], {}

def parts():
    return sorted([n for n in ("village_panel", "household_cards") if n in vars(win)]
                  + (["card"] if "card" in vars(win.layers_ctl) else []))

def first_data():  # synchronously in the emit, before the first frame with data can be painted
    if not applied:
        at_first.update(loaded=[m for m in LATER if m in sys.modules], parts=parts())
    applied.append(True)

win.dataApplied.connect(first_data)
win.villageApplied.connect(lambda: villages.append(True))
win.resize(3840, 2160)
win.show()

def spin(until, seconds=20):
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    return until()

spin(lambda: applied)
win.render(QImage(3840, 2160, QImage.Format.Format_ARGB32_Premultiplied))
# (read at the data's arrival: spinning the loop in 10 ms slices may paint the window, and what comes after
# the first frame with data is then made before the spin returns)
out = {"applied": bool(applied), "loaded_at_first": at_first.get("loaded"), "parts_at_first": at_first.get("parts")}
spin(lambda: len(parts()) == 3)  # unasked: made after the first frame
out["parts_after"] = parts()
out["loaded_after"] = [m for m in LATER if m in sys.modules]
vp = win.village_panel
out["village_panel_laid_out"] = (win._stage.indexOf(vp) >= 0 and vp.isHidden() and vp.metrics == win.metrics
                                 and vp.minimumWidth() == vp.maximumWidth() >= 420)
out["card_ready"] = (win.project_card.parentWidget() is win.canvas and win.project_card.isHidden()
                     and win.project_card.metrics == win.metrics)
check_tour_target(win)  # the tour's targets resolve (raises otherwise)
town = win.state.map.region_map.features[0].code
applied.clear()
win.drill(town)
spin(lambda: applied and not win.state.loading)
village = win.state.map.region_map.features[0].code
win.open_village(village)
spin(lambda: villages)
out["village_opened"] = bool(villages) and vp.isVisible() and not win.panels.isVisible() and vp.name_label.text() != ""
win.close_village()
out["village_closed"] = vp.isHidden() and win.panels.isVisible()
print(json.dumps(out))
win.close()
"""


def _run(script: str, *argv: str, tmp_path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), SANDBOX_DATA_DIR=str(tmp_path),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-c", script, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.qt
def test_what_the_first_frame_does_not_show_is_made_after_it_and_works(tmp_path):
    out = _run(_LATER, *LATER_MODULES, tmp_path=tmp_path)
    assert out["applied"]
    assert out["loaded_at_first"] == [] and out["parts_at_first"] == []
    assert out["parts_after"] == ["card", "household_cards", "village_panel"]
    assert set(out["loaded_after"]) >= {"sandbox.ui.village_panel", "sandbox.ui.household_card",
                                        "sandbox.ui.project_card"}
    assert out["village_panel_laid_out"] and out["card_ready"]
    assert out["village_opened"] and out["village_closed"]


_REMOTE = r"""
import json, sys
from sandbox.app import main
rc = main(["--api", "http://127.0.0.1:9", "--token-file", sys.argv[1], "--screenshot", sys.argv[2]])
print(json.dumps({"rc": rc, "loaded": [m for m in ("pydantic_settings", "pydantic", "sqlalchemy") if m in sys.modules]}))
"""


def test_a_wall_on_a_remote_api_loads_neither_pydantic_settings_nor_sqlalchemy(tmp_path):
    # `python main.py --api URL`: the settings and the store are the embedded API's; here nothing answers,
    # so the wall says so and exits (2) without having imported either
    token = tmp_path / "token"
    token.write_text("t")
    out = _run(_REMOTE, str(token), str(tmp_path / "shot.png"), tmp_path=tmp_path)
    assert out == {"rc": 2, "loaded": []}


_ORDER = r"""
import importlib.abc, json, sys, threading
seen = {}


class Hook(importlib.abc.MetaPathFinder):  # what is under way when the wall's modules start to import
    def find_spec(self, name, path, target=None):
        if name == "sandbox.ui.wall" and not seen:
            warm = sys.modules.get("sandbox.ui.warm")
            qt = sys.modules.get("PySide6.QtWidgets")
            seen["app"] = bool(qt and qt.QApplication.instance())
            seen["font_thread"] = bool(warm and warm.font_thread and warm.font_thread.ident)
            seen["primed"] = list(calls)
        return None


from sandbox.app import _show_wall
from sandbox.wall_cli import DEFAULT_INDICATOR
from tests.ui.conftest import COUNTY, FakeCounty

calls = []
client = FakeCounty()
client.prime_first_level = lambda region, year=None: calls.append(region)
sys.meta_path.insert(0, Hook())
args = type("Args", (), dict(region=None, year=None, indicator=DEFAULT_INDICATOR, screenshot=sys.argv[1],
                             size=(960, 540), panels=None, bezel_px=0, windowed=True))()
client.health = lambda: {"root_region": COUNTY}
rc = _show_wall(client, args)
warm = sys.modules["sandbox.ui.warm"]
warm.font_thread.join(30)
print(json.dumps({"rc": rc, **seen, "font_thread_done": not warm.font_thread.is_alive()}))
"""


@pytest.mark.qt
def test_the_font_loads_on_a_helper_thread_while_the_wall_s_modules_import(tmp_path):
    """Issue 19 (the start): `python main.py` sends the first level's requests, then makes the application
    and begins its font's loading (≈ 30-50 ms of the first text drawn) on a helper thread, and only then
    imports the wall's modules, which import on this core while the font loads on the other."""
    shot = tmp_path / "shot.png"
    out = _run(_ORDER, str(shot), tmp_path=tmp_path)
    assert out == {"rc": 0, "app": True, "font_thread": True, "primed": [COUNTY], "font_thread_done": True}
    assert shot.stat().st_size > 0  # the screenshot drawn as before
