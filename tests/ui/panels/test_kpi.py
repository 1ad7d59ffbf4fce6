"""KPI strip: formatted counters, 无数据, count-up animation that always lands exactly, last-year change."""

import threading

import pytest

from sandbox.ui.panels.kpi import KpiStrip
from sandbox.ui.panels.kpi_card import ANIMATION_MS

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture
def make_strip(qtbot):
    def make(client=None, **kw):
        strip = KpiStrip(client, **kw)
        qtbot.addWidget(strip)
        strip.resize(1888, strip.height())
        strip.show()
        return strip
    return make


def painted(card, name):
    return next(t.text for t in card.text_items() if t.name == name)


def test_counters_show_formatted_numbers_immediately(make_strip, region):
    strip = make_strip(animate=False)
    strip.update_region(region)
    pop, rate = strip.card("poor_population"), strip.card("poverty_incidence")
    assert pop.display_text == "46,572人" and painted(pop, "number") == "46,572" and painted(pop, "unit") == "人"
    assert rate.display_text == "15.1%" and painted(rate, "number") == "15.1" and painted(rate, "unit") == "%"
    assert painted(strip.card("poor_villages"), "number") == "40 / 74"
    assert painted(strip.card("poor_villages"), "note") == "待出列 34 个"
    assert painted(pop, "label") == "贫困人口"
    assert not strip.animating
    assert strip.as_of_block.as_of_line == "数据截至 2016年12月31日"  # not the data's 2020: the year's own
    assert strip.as_of_block.region_line == "独山县 · 2016年度"


def test_null_shows_no_data(make_strip, region):
    strip = make_strip(animate=False)
    region["indicators"]["poor_population"] = None
    region["indicators"]["fund_arrival_rate"] = None
    strip.update_region(region)
    for key in ("poor_population", "fund_arrival_rate"):
        card = strip.card(key)
        assert card.display_text == "无数据"
        assert painted(card, "number") == "无数据"
        assert "unit" not in [t.name for t in card.text_items()]


def test_count_up_lands_on_the_exact_value(qtbot, make_strip, region):
    strip = make_strip(animate=True)
    strip.update_region(region)
    card = strip.card("poor_population")
    assert card.animating
    qtbot.waitUntil(lambda: not strip.animating, timeout=ANIMATION_MS * 4)
    assert painted(card, "number") == "46,572"
    # a new year counts from the old value, and finish_animations() jumps to the end (for screenshots)
    region["indicators"]["poor_population"] = 30000
    strip.update_region(region)
    assert card.animating
    strip.finish_animations()
    assert not card.animating and painted(card, "number") == "30,000"
    strip.set_animated(False)
    region["indicators"]["poor_population"] = 20000
    strip.update_region(region)
    assert not card.animating and painted(card, "number") == "20,000"


def test_a_grab_after_the_animation_time_is_final_even_without_events(make_strip, region):
    import time

    strip = make_strip(animate=True)
    strip.update_region(region)
    card = strip.card("exited_population")
    assert card.animating and painted(card, "number") != "38,301"
    time.sleep(ANIMATION_MS / 1000.0 + 0.05)  # no event processing: the animation's last tick never ran
    assert painted(card, "number") == "38,301"
    img = card.grab().toImage()
    assert not img.isNull()


def test_change_versus_last_year_is_fetched_off_the_gui_thread(qtbot, make_strip, fake_api, region):
    strip = make_strip(fake_api, animate=False)
    strip.update_region(region)
    card = strip.card("poverty_incidence")
    qtbot.waitUntil(lambda: bool(card.figure.note), timeout=5000)
    assert painted(card, "note") == "较上年下降 3.5个百分点"
    assert ("region", "522726000000", 2015) in fake_api.calls
    assert threading.main_thread().name not in fake_api.threads
    # the same region and year again: no second request
    strip.update_region(region)
    qtbot.wait(50)
    assert sum(1 for c in fake_api.calls if c[0] == "region") == 1
    strip.shutdown()


def test_last_year_failing_only_leaves_the_change_line_empty(qtbot, make_strip, fake_api, region):
    from sandbox.client.api import ApiUnavailable

    fake_api.fail = ApiUnavailable("down")
    strip = make_strip(fake_api, animate=False)
    strip.update_region(region)
    qtbot.waitUntil(lambda: not strip._call.busy, timeout=5000)
    assert strip.card("poor_population").display_text == "46,572人"
    assert strip.card("poor_population").figure.note == ""


def test_metrics_scale_the_strip(make_strip, region):
    from sandbox.ui.theme import metrics_for_height

    strip = make_strip(animate=False)
    strip.update_region(region)
    h1 = strip.height()
    strip.set_metrics(metrics_for_height(2160))
    assert strip.height() == pytest.approx(2 * h1, abs=4)


def test_painting_ahead_leaves_the_cards_alone_and_the_count_then_blits(make_strip, region, make_region):
    """`paint_ahead` paints the first picture of the next region's count (card, label, change line)
    without touching what is on screen; `update_region` then counts from kept pixels."""
    strip = make_strip(animate=True)
    strip.update_region(region)
    strip.finish_animations()
    cards = list(strip.cards.values())
    shown = [c.grab().toImage() for c in cards]
    figures = strip.figures()
    nxt = make_region(2017)
    strip.paint_ahead(nxt)
    assert strip.figures() == figures and not strip.animating
    assert [c.grab().toImage() for c in cards] == shown
    made = [c.still_pixels.renders + c.pixels.renders for c in cards]
    strip.update_region(nxt)
    counting = [c for c in cards if c.animating]
    assert counting and painted(strip.card("poor_population"), "note").startswith("较上年")
    first = [c.grab().toImage() for c in cards]
    assert [c.still_pixels.renders + c.pixels.renders for c in cards] == made
    for c in counting:  # the kept pictures (still part, first frame) are the ones a fresh paint makes
        c.still_pixels.clear()
        c.pixels.clear()
    assert [c.grab().toImage() for c in cards] == first


def test_a_count_painted_ahead_shows_its_first_frame_as_one_blit(make_strip, region, make_region, monkeypatch):
    """Issue 19 (seventh round): the first frame of a prefetched level's count-up (the drill's frame) drew
    each card's number and unit anew over its kept still part; painted ahead whole, it is one blit, and
    the same pixels."""

    strip = make_strip(animate=True)
    strip.update_region(region)
    strip.finish_animations()
    cards = list(strip.cards.values())
    nxt = make_region(2017)
    strip.paint_ahead(nxt)
    strip.update_region(nxt)
    _first_frames_are_blits_of_the_same_pixels(cards, monkeypatch)


def test_a_count_painted_ahead_while_the_level_still_counts_shows_its_first_frame_as_one_blit(
        make_strip, region, make_region, monkeypatch):
    """Issue 19 (ninth round): the levels a county prefetches are painted ahead during its own count-up
    (its first second on screen); their counts' first frames were left out then, so a drill drew every
    card's number anew. Painted then, a drill after the count has ended blits them, the same pixels."""

    strip = make_strip(animate=True)
    strip.update_region(make_region(2015))
    strip.finish_animations()
    strip.update_region(region)  # the county's count-up runs
    cards = list(strip.cards.values())
    assert any(c.animating for c in cards)
    nxt = make_region(2017)
    strip.paint_ahead(nxt)
    strip.finish_animations()  # the visitor looks at the county for a moment
    strip.update_region(nxt)
    _first_frames_are_blits_of_the_same_pixels(cards, monkeypatch)


def test_a_level_never_shown_is_painted_ahead_with_last_year_from_its_own_series(make_strip, region, make_region):
    """A prefetched level the strip has not shown yet (a county first drilled into from its prefecture)
    carries last year in its `series`: painted ahead with its 较上年 lines, as `update_region` shows it,
    so the drill renders no card anew."""
    strip = make_strip(animate=True)
    strip.update_region(region)
    strip.finish_animations()
    cards = list(strip.cards.values())
    town = dict(make_region(2017), code="522726101000", name="百泉镇", level="town",
                series={"2016": dict(region["indicators"])})
    strip.paint_ahead(town)
    made = [c.still_pixels.renders + c.pixels.renders for c in cards]
    strip.update_region(town)
    assert painted(strip.card("poor_population"), "note").startswith("较上年")
    for c in cards:
        c.grab()
    assert [c.still_pixels.renders + c.pixels.renders for c in cards] == made


def test_the_strip_keeps_its_widths_from_a_long_name_to_a_short_one(make_strip, region):
    """黔南布依族苗族自治州 then 独山县: the as-of block does not narrow, so the cards keep their widths and
    the pictures painted ahead at them are the ones the drill shows."""
    strip = make_strip(animate=False)
    strip.update_region(dict(region, name="黔南布依族苗族自治州", code="522700000000", level="prefecture"))
    strip.layout().activate()
    widths = [c.width() for c in (*strip.cards.values(), strip.as_of_block)]
    strip.update_region(region)
    strip.layout().activate()
    assert strip.as_of_block.region_line == "独山县 · 2016年度"
    assert [c.width() for c in (*strip.cards.values(), strip.as_of_block)] == widths


def test_a_value_over_a_total_counts_as_a_pair(make_strip, region):
    """贫困村出列 from 40 / 74 to 9 / 9: the total counts with the value, so the card never reads more
    exited villages than there are (a fixed new total once showed "21 / 9" on the way)."""
    strip = make_strip(animate=True)
    strip.update_region(region)
    strip.finish_animations()
    card = strip.card("poor_villages")
    assert card.number_text == "40 / 74"
    town = dict(region, indicators=dict(region["indicators"], poor_villages=9, exited_poor_villages=9))
    strip.update_region(town)
    assert card.animating and card.number_text == "40 / 74"
    seen = []
    for i in range(11):
        card._on_step(i / 10)
        exited, total = (int(x) for x in card.number_text.split(" / "))
        assert exited <= total, card.number_text
        seen.append((exited, total))
    assert seen[0] == (40, 74) and seen[-1] == (9, 9) and len(set(seen)) > 5
    strip.finish_animations()
    assert card.number_text == "9 / 9"


def test_a_pair_interrupted_mid_count_carries_on_from_what_is_shown(make_strip, region):
    """A new region while 40 / 74 → 9 / 9 is half way (Esc is instant now): the next count starts
    from the pair on screen, never from the half-way value over the new total."""
    strip = make_strip(animate=True)
    strip.update_region(region)
    strip.finish_animations()
    card = strip.card("poor_villages")
    town = dict(region, indicators=dict(region["indicators"], poor_villages=9, exited_poor_villages=9))
    strip.update_region(town)
    card._on_step(0.5)
    half = card.number_text
    strip.update_region(region)  # back before the count ended
    assert card.animating and card.number_text == half
    for i in range(11):
        card._on_step(i / 10)
        exited, total = (int(x) for x in card.number_text.split(" / "))
        assert exited <= total, card.number_text
    assert card.number_text == "40 / 74"


def test_a_region_with_its_series_brings_last_years_figures_along(qtbot, make_strip, fake_api, region, make_region):
    last_year = make_region(2015)
    series = {"2015": {**last_year["indicators"], "indicator_notes": {}}, "2016": dict(region["indicators"])}
    strip = make_strip(fake_api, animate=False)
    strip.update_region(dict(region, series=series))
    assert painted(strip.card("poverty_incidence"), "note") == "较上年下降 3.5个百分点"  # at once, no request
    assert fake_api.calls == []
    strip.shutdown()


def _first_frames_are_blits_of_the_same_pixels(cards, monkeypatch) -> None:
    """The counting cards' frame draws no text (each is one kept picture) and shows what painting them anew
    shows."""
    import sandbox.ui.panels.kpi_card as kpi_card

    counting = [c for c in cards if c.animating]
    assert counting
    drawn: list[str] = []
    real = kpi_card.draw_text
    monkeypatch.setattr(kpi_card, "draw_text", lambda p, item: (drawn.append(item.text), real(p, item)))
    first = [c.grab().toImage() for c in counting]
    assert drawn == []
    monkeypatch.setattr(kpi_card, "draw_text", real)
    for c in counting:
        c.pixels.clear()
        c.still_pixels.clear()
    assert [c.grab().toImage() for c in counting] == first


def test_a_count_cut_short_is_laid_out_as_painted_ahead_and_fitted_as_before(make_strip, region, make_region,
                                                                             monkeypatch):
    """Issue 19 (tenth round): a drill while the county still counts starts each card's count from the
    number on screen, which no picture was painted ahead for. The card is not laid out again for that
    number (the layout painted ahead is taken) unless the number needs a smaller font, and its font is
    the one a layout for that number makes."""
    from sandbox.ui.panels.kpi_card import KpiCard
    from sandbox.ui.panels.paint import text_width

    strip = make_strip(animate=True)
    strip.update_region(make_region(2015))
    strip.finish_animations()
    strip.update_region(region)  # the county's count-up runs
    cards = list(strip.cards.values())
    nxt = make_region(2017)
    strip.paint_ahead(nxt)
    for c in cards:
        c._on_step(0.37)  # mid-count: the numbers a drill now starts from
    before = {c: (c.figure.value, c.figure.total) for c in cards}
    laid = []
    real = KpiCard._layout
    monkeypatch.setattr(KpiCard, "_layout", lambda self, *a: laid.append(self) or real(self, *a))
    strip.update_region(nxt)
    # (a card whose figure is the same carries its count on: nothing was painted ahead for it)
    counting = [c for c in cards if c.animating and c._from_text and (c.figure.value, c.figure.total) != before[c]]
    for c in cards:
        c.grab()
    own = {c: real(c, float(c.width()), float(c.height())) for c in counting}  # (not counted: after the grabs)
    fits = [c for c in counting if text_width(c._from_text, own[c].value_font) <= own[c].room]
    assert fits, "no card starts from a number its own font fits: the test shows nothing"
    assert [c for c in laid if c in fits] == []  # laid out again only where the number needs a smaller font
    for c in counting:  # the font is the one the number it starts from is fitted to
        fresh = real(c, float(c.width()), float(c.height()), c._from_text)
        assert next(t.font for t in c.composition().texts if t.name == "number") == fresh.value_font
    narrow = counting[0]  # too narrow for the number it starts from: fitted to it, a font of its own
    wide_start = narrow._from_text + "8888"
    narrow._from_text = wide_start
    font = next(t.font for t in narrow.compose(float(narrow.width()), float(narrow.height())).texts
                if t.name == "number")
    assert font.pixelSize() < real(narrow, float(narrow.width()), float(narrow.height())).value_font.pixelSize()
    assert font == real(narrow, float(narrow.width()), float(narrow.height()), wide_start).value_font
