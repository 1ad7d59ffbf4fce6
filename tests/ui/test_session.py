"""What a click, a key or a timer does, driven on the wall's session alone: no window, no widget, no Qt."""

import ast
from pathlib import Path

import pytest

from sandbox.ui.events import Events
from sandbox.ui.loader import LoadResult, VillageResult
from sandbox.ui.payloads import RegionMap
from sandbox.ui.session import LEAF_NOTE, ROOT_NOTE, VILLAGE_WAIT_S, WallSession
from sandbox.ui.session_ports import Host
from sandbox.ui.state import MapState, WallState

COUNTY = {"code": "522726000000", "name": "独山县", "level": "county", "parent_code": "522700000000",
          "year": 2020, "years": [2019, 2020]}
TOWN = {"code": "522726101000", "name": "百泉镇", "level": "town", "parent_code": "522726000000",
        "year": 2020, "years": [2019, 2020]}
VILLAGE = {"code": "522726101201", "name": "兰堡村", "level": "village", "parent_code": "522726101000", "year": 2020}


def _square(x: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]}


def _map(*children: dict, year: int = 2020) -> RegionMap:
    return RegionMap.from_geojson({"type": "FeatureCollection", "year": year, "features": [
        {"type": "Feature", "geometry": _square(i),
         "properties": {"code": c["code"], "name": c["name"], "level": c["level"], "poverty_incidence": 0.05}}
        for i, c in enumerate(children)]})


def _result(region: dict, *children: dict, year: int = 2020) -> LoadResult:
    return LoadResult(dict(region, year=year), _map(*children, year=year), [], None, None)


class FakeTimer:
    def __init__(self, fn):
        self.fn, self.ms = fn, None

    def start(self, ms: int) -> None:
        self.ms = ms

    def stop(self) -> None:
        self.ms = None

    def fire(self) -> None:
        self.ms = None
        self.fn()


class FakeLoader:
    channel = "region"

    def __init__(self):
        self.events = Events("loaded", "failed")
        self.loaded, self.failed = self.events.loaded, self.events.failed
        self.requests: list[tuple] = []
        self.cancelled = 0

    def request(self, code, year=None, *args, **kw):
        self.requests.append((code, year, *args, kw))

    def cancel(self):
        self.cancelled += 1


class FakePrefetcher:
    def __init__(self):
        self.ready = Events("ready").ready
        self.cache: dict = {}
        self.scheduled: list = []
        self.kept: list = []

    def get(self, code, year):
        return self.cache.get(code)

    def schedule(self, codes, year):
        self.scheduled.append((list(codes), year))

    def cancel_pending(self):
        pass

    def clear(self):
        self.cache.clear()

    def keep(self, *left):
        self.kept.append(left[0])

    def arrived_at(self, code, result):
        return 0.0

    def series(self, code):
        return None


class FakeWorker:
    def __init__(self):
        self.held: list[str] = []
        self.cancelled: list[str] = []
        self.waited: list[tuple] = []
        self.answer = None  # called in `wait`: the answer that comes while the click waits

    def hold(self, channel):
        self.held.append(channel)

    def release(self, channel):
        self.held.remove(channel)

    def cancel(self, channel):
        self.cancelled.append(channel)

    def let_start(self, channel, timeout):
        self.waited.append(("start", channel))
        return True

    def wait(self, channel, timeout):  # the answer does not come while the click waits (see answer_in_time)
        self.waited.append((channel, timeout))
        if self.answer is not None:
            self.answer()
        return self.answer is not None


@pytest.fixture
def session():
    timers: list[FakeTimer] = []
    frames: list = []

    def timer(fn):
        timers.append(FakeTimer(fn))
        return timers[-1]

    host = Host(timer=timer, after_frame=frames.append)
    region, village = FakeLoader(), FakeLoader()
    village.channel = "village"
    s = WallSession(WallState(MapState()), host, loader=region, village_loader=village, prefetcher=FakePrefetcher(),
                    village_prefetcher=FakePrefetcher(), worker=FakeWorker(), retry_seconds=30, preload=False)
    s.timers, s.frames = timers, frames
    return s


def _at_county(s: WallSession) -> None:
    s.load(COUNTY["code"], None)
    s.loader.loaded.emit(_result(COUNTY, TOWN))


def test_the_session_module_imports_no_qt():
    tree = ast.parse(Path("sandbox/ui/session.py").read_text(encoding="utf-8"))
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + \
            [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert names and not [n for n in names if n and n.startswith("PySide6")]


def test_a_load_asks_once_then_shows_the_level_and_prefetches_its_children_after_the_frame(session):
    s, st = session, session.state
    applied = []
    s.events.applied.connect(lambda: applied.append(st.map.region_code))
    s.load(COUNTY["code"], None, busy="正在载入 独山县…")
    assert st.loading and st.busy == "正在载入 独山县…" and st.target == (COUNTY["code"], None)
    code, year, kw = s.loader.requests[-1][0], s.loader.requests[-1][1], s.loader.requests[-1][-1]
    assert (code, year, kw["with_indicators"], kw["with_ancestors"]) == (COUNTY["code"], None, True, True)
    assert not st.has_data  # nothing changes on screen before the data came
    s.loader.loaded.emit(_result(COUNTY, TOWN))
    assert applied == [COUNTY["code"]] and not st.loading and st.busy is None
    assert st.target == (COUNTY["code"], 2020)  # asked for and shown: one truth
    assert s.worker.held == ["after-frame"] and not s.prefetcher.scheduled  # the frame comes first
    s.frames.pop()()
    assert s.prefetcher.scheduled == [([TOWN["code"]], 2020)] and s.worker.held == []


def test_a_click_on_a_town_drills_and_one_on_a_village_opens_its_panel(session):
    s, st = session, session.state
    _at_county(s)
    s.drill(TOWN["code"])
    assert s.loader.requests[-1][:2] == (TOWN["code"], 2020) and st.busy == "正在载入 百泉镇…"
    assert s.loader.requests[-1][-1]["has_children"] is True and not s.loader.requests[-1][-1]["with_ancestors"]
    s.loader.loaded.emit(_result(TOWN, VILLAGE))
    assert st.nav.codes() == [COUNTY["code"], TOWN["code"]]
    s.drill(VILLAGE["code"])
    assert s.village_loader.requests[-1][:3] == (VILLAGE["code"], 2020, 1)
    # its panel is open at once with what the town's map knows of it, its list on the way
    assert st.village.code == VILLAGE["code"] and st.village.waiting and st.busy is None
    s.village_loader.loaded.emit(VillageResult(VILLAGE, {"items": [], "total": 0}, None))
    assert st.village.code == VILLAGE["code"] and st.map.selected_code == VILLAGE["code"]
    assert not st.village.waiting and st.village.households == {"items": [], "total": 0}
    s.drill(VILLAGE["code"])  # the open village again: the bottom level, said so
    assert st.last_note == LEAF_NOTE
    s.drill("999")  # not on the map: nothing
    assert len(s.loader.requests) == 2


def test_esc_closes_the_first_open_overlay_then_the_village_then_goes_up(session):
    s, st = session, session.state
    open_overlays = ["camera", "card"]
    closed = []

    def closer(name):
        def close() -> bool:
            if name in open_overlays:
                open_overlays.remove(name)
                closed.append(name)
                return True
            return False
        return close

    s.host.escapes[:] = [closer("camera"), closer("menu"), closer("card")]
    _at_county(s)
    s.drill(TOWN["code"])
    s.loader.loaded.emit(_result(TOWN, VILLAGE))
    s.drill(VILLAGE["code"])
    s.village_loader.loaded.emit(VillageResult(VILLAGE, {"items": [], "total": 0}, None))
    s.go_up()
    s.go_up()
    assert closed == ["camera", "card"] and st.village.is_open and len(s.loader.requests) == 2
    s.go_up()
    assert not st.village.is_open and len(s.loader.requests) == 2
    s.go_up()
    assert s.loader.requests[-1][:2] == (COUNTY["code"], 2020) and st.busy == "正在返回 独山县…"
    s.loader.loaded.emit(_result(COUNTY, TOWN))
    assert st.map.selected_code == TOWN["code"]  # the town just left stays outlined
    s.go_up()
    assert st.last_note == ROOT_NOTE and len(s.loader.requests) == 3


def test_a_failed_drill_keeps_the_screen_and_retries_what_is_on_it(session):
    s, st = session, session.state
    _at_county(s)
    failed = []
    s.events.failed.connect(failed.append)
    s.drill(TOWN["code"])
    s.loader.failed.emit("无法连接中心数据接口")
    assert failed == ["无法连接中心数据接口"] and st.error == "无法连接中心数据接口" and not st.loading
    assert st.map.region_code == COUNTY["code"] and st.target == (COUNTY["code"], 2020)
    retry = next(t for t in s.timers if t.fn == s.refresh)
    assert retry.ms == 30000
    retry.fire()
    assert s.loader.requests[-1][:2] == (COUNTY["code"], 2020)


def test_a_failed_first_load_says_there_is_no_map(session):
    s, st = session, session.state
    s.load(COUNTY["code"], None)
    s.loader.failed.emit("数据接口拒绝访问：令牌无效或已过期")
    assert st.placeholder == "暂无可显示的地图数据" and st.target == (COUNTY["code"], None)


def test_a_year_follows_the_drill_on_its_way_and_the_open_village(session):
    s = session
    _at_county(s)
    s.drill(TOWN["code"])
    s.set_year(2019)  # the drill is on its way: its region, in the new year
    assert s.loader.requests[-1][:2] == (TOWN["code"], 2019)
    s.loader.loaded.emit(_result(TOWN, VILLAGE, year=2019))
    s.drill(VILLAGE["code"])
    s.village_loader.loaded.emit(VillageResult(VILLAGE, {"items": [], "total": 0}, None))
    s.set_year(2020)
    assert s.loader.requests[-1][:2] == (TOWN["code"], 2020)
    assert s.village_loader.requests[-1][:3] == (VILLAGE["code"], 2020, 1)


def test_a_prefetched_level_shows_without_a_request_and_is_painted_ahead_while_idle(session):
    s, st = session, session.state
    _at_county(s)
    s.frames.pop()()
    prepared = []
    s.events.prepare.connect(lambda code, ready: prepared.append(code))
    s.prefetcher.cache[TOWN["code"]] = _result(TOWN, VILLAGE)
    s.prefetcher.ready.emit(TOWN["code"])
    assert s.preparing
    prepare = next(t for t in s.timers if t.fn == s._prepare_next)
    prepare.fire()
    assert prepared == [TOWN["code"]] and not s.preparing
    n = len(s.loader.requests)
    s.drill(TOWN["code"])
    assert len(s.loader.requests) == n and s.loader.cancelled == 1 and st.map.region_code == TOWN["code"]


def test_the_level_esc_goes_back_to_is_prefetched_too_and_painted_ahead_when_fetched_afresh(session):
    """At a town its county is asked for with the villages (the prefetcher skips it while the copy kept on
    the way down is fresh): a wall left a while at a level, or its root loaded once at the start, still
    goes back up with Esc without a request, and that level is rendered ahead like a child."""
    s, st = session, session.state
    _at_county(s)
    s.frames.pop()()
    assert s.prefetcher.scheduled == [([TOWN["code"]], 2020)]  # the root: nothing above it
    s.drill(TOWN["code"])
    s.loader.loaded.emit(_result(TOWN, VILLAGE))
    s.frames.pop()()
    assert s.prefetcher.scheduled[-1] == ([COUNTY["code"]], 2020)
    prepared = []
    s.events.prepare.connect(lambda code, ready: prepared.append(code))
    s.prefetcher.cache[COUNTY["code"]] = _result(COUNTY, TOWN)
    s.prefetcher.ready.emit(COUNTY["code"])
    next(t for t in s.timers if t.fn == s._prepare_next).fire()
    assert prepared == [COUNTY["code"]]
    s.prefetcher.ready.emit("522726102000")  # neither a child on screen nor the way up: not rendered
    assert not s.preparing
    n = len(s.loader.requests)
    s.go_up()
    assert len(s.loader.requests) == n and st.map.region_code == COUNTY["code"]


def test_idle_goes_home_and_input_counts_it_from_now(session):
    s = session
    home = []
    s.events.home.connect(lambda: home.append(True))
    s.set_idle_seconds(300)
    idle = next(t for t in s.timers if t.fn == s.go_home)
    assert idle.ms == 300000
    _at_county(s)
    s.drill(TOWN["code"])
    s.loader.loaded.emit(_result(TOWN, VILLAGE))
    idle.ms = None
    s.touched()
    assert idle.ms == 300000
    idle.fire()
    assert home == [True] and s.loader.requests[-1][:2] == (COUNTY["code"], 2020)
    s.set_idle_seconds(0)
    s.touched()
    assert idle.ms is None


def test_the_kiosk_goes_home_to_its_county_wherever_the_path_is_rooted(session):
    s = session
    s.go_home_to(COUNTY["code"])  # nothing on screen yet: loaded
    assert s.loader.requests[-1][:2] == (COUNTY["code"], None)
    s.loader.loaded.emit(_result(COUNTY, TOWN))
    s.go_home_to(COUNTY["code"])  # already there: nothing more asked
    assert len(s.loader.requests) == 1


def test_the_tour_steps_reach_the_layers_and_cameras_the_window_gave(session):
    s = session
    assert s.layer_names() == [] and s.close_full_camera() is False  # none given: nothing happens

    class Layers:
        shown: dict = {}

        def names(self):
            return ["projects", "funds"]

        def set_visible(self, name, on):
            self.shown[name] = on

    class Cameras:
        opened: list = []

        def show_camera(self, cid):
            self.opened.append(cid)

        def close_full_camera(self):
            return bool(self.opened and self.opened.pop())

    s.layers, s.cameras = Layers(), Cameras()
    s.set_layer("funds", False)
    s.show_camera(7)
    assert s.layer_names() == ["projects", "funds"] and s.layers.shown == {"funds": False}
    assert s.cameras.opened == [7] and s.close_full_camera() is True


# -- a village's panel opened at the click, its answer following (issue 19) --------------------------------
def _at_town(s: WallSession) -> None:
    _at_county(s)
    s.drill(TOWN["code"])
    s.loader.loaded.emit(_result(TOWN, VILLAGE, SIBLING))


SIBLING = {"code": "522726101202", "name": "新华村", "level": "village", "parent_code": TOWN["code"], "year": 2020}
PAGE = {"items": [{"head_name": "王*"}], "total": 1, "page": 1, "page_size": 50}


def _page_of(village: dict) -> dict:
    return dict(PAGE, region=village["code"])


def test_a_village_not_prefetched_opens_at_the_click_with_its_maps_figures_and_its_list_follows(session):
    s, st = session, session.state
    _at_town(s)
    seen = []
    s.events.village_opened.connect(lambda: seen.append(("opened", st.village.code, st.village.households)))
    s.events.village_applied.connect(lambda: seen.append(("applied", st.village.code, st.village.households)))
    holds = []
    s.host.hold_until_frame = lambda: holds.append(len(s.frames))
    s.drill(VILLAGE["code"])
    assert seen == [("opened", VILLAGE["code"], None)]  # before any answer
    assert holds == [len(s.frames) - 1]  # no collection until the frame showing the panel is painted,
    s.frames.pop()()
    assert len(holds) == 2  # nor after it until the next one, which shows the list when it comes
    region = st.village.region
    assert region["name"] == "兰堡村" and region["indicators"]["poverty_incidence"] == 0.05
    assert region["parent_code"] == TOWN["code"] and region["year"] == 2020
    assert st.nav.codes() == [COUNTY["code"], TOWN["code"], VILLAGE["code"]]
    assert st.map.selected_code == VILLAGE["code"]
    # only its list was asked for (its figures are the map's: the API gives a child's on its feature)
    assert s.village_loader.requests[-1] == (VILLAGE["code"], 2020, 1, {"with_region": False})
    s.village_loader.loaded.emit(VillageResult(None, _page_of(VILLAGE), None))
    assert seen[1:] == [("applied", VILLAGE["code"], _page_of(VILLAGE))]  # opened once
    assert not st.village.waiting and st.village.region["indicators"]["poverty_incidence"] == 0.05
    s.set_year(2020)  # a year asked again (or F5): the village's own figures too, which replace the map's
    assert s.village_loader.requests[-1][:3] == (VILLAGE["code"], 2020, 1)
    s.village_loader.loaded.emit(VillageResult(dict(VILLAGE, is_poor_village=True), PAGE, None))
    assert st.village.region["is_poor_village"] is True


def test_a_panel_closed_before_its_answer_stays_closed_and_a_newer_click_wins(session):
    s, st = session, session.state
    _at_town(s)
    s.drill(VILLAGE["code"])
    s.go_up()  # Esc before the list came
    assert not st.village.is_open and s.worker.cancelled[-1] == "village"
    s.village_loader.loaded.emit(VillageResult(VILLAGE, PAGE, None))  # it came anyway
    assert not st.village.is_open and st.nav.codes() == [COUNTY["code"], TOWN["code"]]
    s.drill(VILLAGE["code"])
    s.drill(SIBLING["code"])  # another village before the first one's answer
    s.village_loader.loaded.emit(VillageResult(None, _page_of(VILLAGE), None))
    assert st.village.code == SIBLING["code"] and st.village.waiting
    s.village_loader.loaded.emit(VillageResult(None, _page_of(SIBLING), None))
    assert st.village.code == SIBLING["code"] and st.village.households == _page_of(SIBLING)


def test_a_failed_answer_says_so_in_the_panel_opened_at_the_click(session):
    s, st = session, session.state
    _at_town(s)
    s.drill(VILLAGE["code"])
    s.village_loader.failed.emit("无法连接中心数据接口")
    assert st.village.is_open and st.village.note == "户级信息暂时无法获取（无法连接中心数据接口）"
    assert st.error == "无法连接中心数据接口"


def test_an_answer_that_comes_while_the_click_waits_opens_the_panel_once_with_its_list(session):
    s, st = session, session.state
    _at_town(s)
    seen = []
    s.events.village_opened.connect(lambda: seen.append(("opened", st.village.code, st.village.households)))
    s.events.village_applied.connect(lambda: seen.append(("applied", st.village.code, st.village.households)))
    order = []
    s.worker.let_start = lambda channel, timeout: order.append(("request out", st.village.is_open))
    s.worker.answer = lambda: (order.append(("waited", st.village.is_open, st.village.at_click)),
                               s.village_loader.loaded.emit(VillageResult(None, _page_of(VILLAGE), None)))
    s.drill(VILLAGE["code"])
    assert s.worker.waited == [("village", VILLAGE_WAIT_S)] and s.village_loader.requests[-1][:3] == (
        VILLAGE["code"], 2020, 1)  # asked before the wait
    # its request let out first, then the panel laid out while it is in flight, then the wait for it
    assert order == [("request out", False), ("waited", True, True)]
    # one frame: the panel's first already has its list (never a panel saying it is on its way)
    assert seen == [("opened", VILLAGE["code"], _page_of(VILLAGE)), ("applied", VILLAGE["code"], _page_of(VILLAGE))]
    assert st.village.is_open and not st.village.waiting and not st.village.at_click
    assert st.village.region["name"] == VILLAGE["name"] and st.nav.codes()[-1] == VILLAGE["code"]


def test_an_api_down_while_the_click_waits_opens_the_panel_with_its_figures_and_says_so(session):
    s, st = session, session.state
    _at_town(s)
    failed, opened = [], []
    s.events.failed.connect(failed.append)
    s.events.village_opened.connect(lambda: opened.append((st.village.code, st.village.note)))
    s.worker.answer = lambda: s.village_loader.failed.emit("无法连接中心数据接口")
    s.drill(VILLAGE["code"])
    assert opened == [(VILLAGE["code"], "户级信息暂时无法获取（无法连接中心数据接口）")]
    assert st.village.region["name"] == "兰堡村" and st.village.households is None
    assert failed == ["无法连接中心数据接口"] and st.error == "无法连接中心数据接口"
    s.worker.answer = None  # the API back, slow: the next click is as any (the failure was this one's)
    s.drill(SIBLING["code"])
    assert st.village.code == SIBLING["code"] and st.village.note is None


def test_no_wait_when_it_is_turned_off_or_the_village_was_prefetched(session):
    s, st = session, session.state
    _at_town(s)
    s.village_wait_s = 0
    s.drill(VILLAGE["code"])
    assert st.village.waiting and s.worker.waited == []
    s.village_wait_s = VILLAGE_WAIT_S
    s.village_prefetcher.cache[SIBLING["code"]] = VillageResult(SIBLING, PAGE, None)
    s.drill(SIBLING["code"])
    assert st.village.households == PAGE and s.worker.waited == []


def test_a_prefetched_village_after_one_opened_at_the_click_opens_at_once(session):
    s, st = session, session.state
    _at_town(s)
    s.drill(VILLAGE["code"])
    s.village_prefetcher.cache[SIBLING["code"]] = VillageResult(SIBLING, PAGE, None)
    s.drill(SIBLING["code"])
    assert st.village.code == SIBLING["code"] and st.village.households == PAGE and not st.village.waiting
    assert s.worker.cancelled[-1] == "village"  # the first click's answer is not coming
