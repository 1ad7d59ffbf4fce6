"""The household card: the list row's household as the server sent it, with 预计脱贫年度."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QTableView, QWidget

from sandbox.ui.household_card import HouseholdCard, HouseholdCards, card_rows, exit_forecast_text
from sandbox.ui.theme import metrics_for_height

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def detail(**kw) -> dict:
    d = {"head_name": "王*明", "household_number": "5227260001", "attribute_zh": "一般贫困户", "main_cause_zh": "因病",
         "year": 2020, "status": "poor", "status_zh": "未脱贫", "members": 4, "per_capita_net_income": 3620.0,
         "years": [{"checks": {"food_clothing": True, "education": True, "medical": False, "housing": True,
                               "water": True}}],
         "helpers": [{"name": "李*"}],
         "exit_forecast": {"status": "ready", "as_of": 2020, "year": 2022, "probability": 0.634,
                           "by_year": {"2021": 0.3, "2022": 0.334, "2023": 0.1, "2024": 0.05}}}
    d.update(kw)
    return d


@pytest.mark.parametrize("kw, text", [
    ({}, "2022年\n到该年脱贫的可能性 63%"),
    ({"exit_forecast": {"status": "ready", "year": None, "probability": 0.31,
                        "by_year": {"2021": .1, "2022": .1, "2023": .06, "2024": .05}}}, "2024年前脱贫的可能性 31%，预计晚于2024年"),
    ({"exit_forecast": {"status": "computing", "by_year": {}}}, "预测计算中…"),
    ({"status": "exited", "exit_forecast": None}, "已脱贫"),
    ({"exit_forecast": None}, "暂无预测"),
    # the year it left poverty, from its yearly statuses; after a relapse, the second exit
    ({"status": "exited", "exit_forecast": None, "years": [{"year": 2016, "status": "poor"},
                                                           {"year": 2017, "status": "exited"},
                                                           {"year": 2018, "status": "exited"}]}, "已脱贫（2017年）"),
    ({"status": "exited", "exit_forecast": None, "years": [{"year": 2016, "status": "exited"},
                                                           {"year": 2017, "status": "poor"},
                                                           {"year": 2019, "status": "exited"}]}, "已脱贫（2019年）"),
])
def test_exit_forecast_text(kw, text):
    assert exit_forecast_text(detail(**kw)) == text


def test_card_rows_keep_the_servers_masking_and_name_the_unmet_guarantee():
    rows = dict(card_rows(detail()))
    assert rows["户主"] == "王*明" and rows["两不愁三保障"] == "未保障: 基本医疗"
    assert rows["人均纯收入"] == "3,620 元" and rows["2020年末状态"] == "未脱贫"
    assert rows["识别年度"] == "—" and dict(card_rows(detail(identified_year=2014)))["识别年度"] == "2014年"


def test_the_card_shows_the_expected_exit_year(qtbot):
    host = QWidget()  # over the map, as on the wall: a child of a visible widget, placed by hand
    qtbot.addWidget(host)
    host.resize(800, 900)
    host.show()
    card = HouseholdCard(host)
    card.set_metrics(metrics_for_height(1080))
    card.show_message("正在加载户档案…")
    card.show_detail(detail())
    assert card.isVisible() and card.text_of("预计脱贫年度") == "2022年\n到该年脱贫的可能性 63%"
    line = card.values["预计脱贫年度"]
    # every line inside the card, not cut off: the card is as tall as its lines
    assert line.isVisible() and line.geometry().bottom() < card.height() and card.note.geometry().bottom() <= card.height()
    assert card.values["户主"].geometry().top() > card.title.geometry().bottom()  # lines below the title, not over it
    assert "2020 年末" in card.note.text() and "仅供参考" in card.note.text()
    card.show_message("户档案加载失败：网络中断")
    assert card.text_of("预计脱贫年度") == "" and "失败" in card.note.text()


class _Panel(QWidget):
    closeRequested = Signal()

    def __init__(self, items):
        super().__init__()
        self.table = QTableView(self)  # as the village panel's (a view over prepared models)
        self.table.setModel(QStandardItemModel(len(items), 1, self.table))
        self.village = SimpleNamespace(households={"items": items})


class _Client:
    def __init__(self):
        self.asked: list[int] = []

    def household(self, household_id: int) -> dict:
        self.asked.append(household_id)
        return detail(exit_forecast={"status": "computing", "by_year": {}}) if len(self.asked) == 1 else detail()


def test_a_list_row_opens_its_households_card_and_a_computing_forecast_is_fetched_again(qtbot):
    wall = QWidget()
    qtbot.addWidget(wall)
    wall.canvas = QWidget(wall)
    wall.canvas.resize(900, 900)
    wall.village_panel = _Panel([{"id": 7}, {"id": 42}])
    wall.show()
    client = _Client()
    cards = HouseholdCards(wall, client)
    cards._again.setInterval(50)
    cards.set_metrics(metrics_for_height(1080))
    table = wall.village_panel.table
    table.clicked.emit(table.model().index(1, 0))
    qtbot.waitUntil(lambda: cards.card.text_of("预计脱贫年度") == "2022年\n到该年脱贫的可能性 63%", timeout=5000)
    assert client.asked == [42, 42]  # 计算中 first, asked again, then the year
    wall.village_panel.closeRequested.emit()
    assert not cards.card.isVisible() and cards.close() is False
    cards.shutdown()
