"""Instructions in the store: who may instruct whom (the region tree), the item's way to 办结, overdue as
computed, nothing stored from a refused instruction; notices' reach and read receipts; the demo history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sandbox.store.command.duty import SOURCES
from sandbox.store.command.instruction_scope import (
    BadInstruction,
    Issuer,
    NewInstruction,
    OutOfScope,
    issue,
    may_manage,
)
from sandbox.store.command.instructions import (
    BadMove,
    Instruction,
    InstructionItem,
    close,
    confirm,
    feed_back,
    is_overdue,
    send_back,
)
from sandbox.store.command.notices import (
    BadNotice,
    Notice,
    NoticeRead,
    mark_read,
    notices_for_cadre,
    post_notice,
    read_rates,
)
from sandbox.store.db import session_factory
from sandbox.store.models import Cadre

TODAY = dt.date(2026, 12, 6)
TOWN = "522726103000"


@pytest.fixture
def session(demo_engine):
    """A session whose every change is rolled back: the shared demo stays as built."""
    s = session_factory(demo_engine)()
    yield s
    s.rollback()
    s.close()


def _cadre(session, *where) -> Cadre:
    return session.scalars(select(Cadre).where(*where).order_by(Cadre.id).limit(1)).one()


def _new(cadres=(), kind="cadres", ref=None, deadline=TODAY + dt.timedelta(days=7), text="请核实住房安全情况"):
    return NewInstruction(kind, ref, tuple(cadres), "", text, "urgent", deadline, None)


def _count(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Instruction)),
            session.scalar(select(func.count()).select_from(InstructionItem)))


def test_a_town_leader_instructs_the_towns_cadres_and_no_one_elses(session):
    mine = _cadre(session, Cadre.region_code.like("522726103%"))
    other = _cadre(session, ~Cadre.region_code.like("522726103%"), Cadre.region_code.like("522726%"))
    leader = Issuer("leader", TOWN)
    row = issue(session, leader, _new([mine.id]), TODAY)
    assert [i.cadre_id for i in session.scalars(select(InstructionItem).where(InstructionItem.instruction_id == row.id))] == [mine.id]
    before = _count(session)
    with pytest.raises(OutOfScope) as refused:
        issue(session, leader, _new([mine.id, other.id]), TODAY)
    assert other.name in str(refused.value)
    assert "可以向其下达指令的是" in str(refused.value) and "县级领导" in str(refused.value)
    assert _count(session) == before  # nothing half-stored: not even the in-scope recipient's item
    with pytest.raises(OutOfScope, match="麻尾镇领导"):
        issue(session, leader, _new(kind="region", ref="522726101000"), TODAY)
    assert issue(session, Issuer("leader", "522726000000"), _new([other.id]), TODAY).issuer_region == "522726000000"


def test_a_first_secretary_instructs_the_village_only_and_a_helper_not_at_all(session):
    fs = _cadre(session, Cadre.role == "first_secretary")
    helper = _cadre(session, Cadre.role == "helper", Cadre.region_code == fs.region_code, Cadre.id != fs.id)
    elsewhere = _cadre(session, Cadre.role == "helper", Cadre.region_code != fs.region_code)
    me = Issuer("cadre", None, fs.id)
    row = issue(session, me, _new(kind="region", ref=fs.region_code), TODAY)
    got = set(session.scalars(select(InstructionItem.cadre_id).where(InstructionItem.instruction_id == row.id)))
    assert helper.id in got and fs.id not in got  # not to themself
    assert row.issuer_name.endswith(fs.name) and "第一书记" in row.issuer_name
    with pytest.raises(OutOfScope, match="第一书记"):
        issue(session, me, _new([elsewhere.id]), TODAY)
    with pytest.raises(OutOfScope, match="只有县、乡镇领导和村第一书记"):
        issue(session, Issuer("cadre", None, helper.id), _new([fs.id]), TODAY)


def test_bad_instructions_are_refused_in_chinese(session):
    mine = _cadre(session, Cadre.region_code.like("522726103%"))
    leader = Issuer("leader", TOWN)
    before = _count(session)
    with pytest.raises(BadInstruction, match="已经过去"):
        issue(session, leader, _new([mine.id], deadline=TODAY - dt.timedelta(days=1)), TODAY)
    with pytest.raises(BadInstruction, match="不存在"):
        issue(session, leader, _new([10**9]), TODAY)
    with pytest.raises(BadInstruction, match="不能为空"):
        issue(session, leader, _new([mine.id], text="   "), TODAY)
    with pytest.raises(BadInstruction, match="范围类型"):
        issue(session, leader, _new([mine.id], kind="everyone"), TODAY)
    assert _count(session) == before
    assert issue(session, leader, _new([mine.id], deadline=TODAY), TODAY).deadline == TODAY  # today is not past


def test_an_item_goes_to_closed_through_feedback_and_can_be_sent_back():
    item = InstructionItem(status="pending", rounds=0)
    with pytest.raises(BadMove, match="只有已反馈"):
        close(item)
    assert confirm(item) and item.status == "confirmed"
    assert not confirm(item)  # a second tap changes nothing
    feed_back(item, "已核实", [])
    assert item.status == "reported" and item.rounds == 1
    with pytest.raises(BadMove, match="等待下达人审核"):
        feed_back(item, "再说一次", [])
    send_back(item, "请补充照片")
    assert item.status == "returned" and item.return_reason == "请补充照片"
    feed_back(item, "已补充照片", ["a.jpg"])
    assert item.status == "reported" and item.rounds == 2
    close(item)
    assert item.status == "closed" and item.closed_at is not None
    with pytest.raises(BadMove, match="已办结, 不能再反馈"):
        feed_back(item, "还有", [])
    with pytest.raises(BadMove):
        send_back(item, "退回")


def test_overdue_is_open_and_past_the_deadline_day():
    day = dt.date(2026, 12, 1)
    assert not is_overdue("pending", day, day)  # the deadline day itself is on time
    assert is_overdue("pending", day, day + dt.timedelta(days=1))
    assert is_overdue("returned", day, day + dt.timedelta(days=1))
    assert not is_overdue("closed", day, day + dt.timedelta(days=30))


def test_only_the_issuers_office_or_above_may_close():
    row = Instruction(issuer_role="leader", issuer_region=TOWN, issuer_cadre_id=None)
    assert may_manage(Issuer("leader", TOWN), row)
    assert may_manage(Issuer("leader", "522726000000"), row)
    assert not may_manage(Issuer("leader", "522726101000"), row)
    assert not may_manage(Issuer("cadre", None, 5), row)
    by_fs = Instruction(issuer_role="cadre", issuer_region="522726103201", issuer_cadre_id=7)
    assert may_manage(Issuer("cadre", None, 7), by_fs) and not may_manage(Issuer("cadre", None, 8), by_fs)
    assert may_manage(Issuer("leader", TOWN), by_fs)


def test_the_duty_source_lists_open_items_and_marks_the_overdue(session):
    mine = _cadre(session, Cadre.region_code.like("522726103%"))
    row = issue(session, Issuer("leader", TOWN), _new([mine.id], deadline=TODAY), TODAY)
    items = [i for i in SOURCES["instruction"](session, "522726103", TODAY + dt.timedelta(days=1))
             if i.title == row.title and i.deadline == TODAY]
    assert items and all(i.open and i.overdue and i.region_code.startswith("522726103") for i in items)
    on_time = [i for i in SOURCES["instruction"](session, "522726103", TODAY) if i.deadline == TODAY]
    assert on_time and not any(i.overdue for i in on_time)


def test_the_demo_has_named_leaders_most_closed_and_some_overdue_now(demo_engine):
    with session_factory(demo_engine)() as s:
        names = set(s.scalars(select(Instruction.issuer_name)))
        statuses = dict(s.execute(select(InstructionItem.status, func.count()).group_by(InstructionItem.status)).all())
        years = set(y for (y,) in s.execute(select(func.min(Instruction.created_at)), ))
        old_open = s.scalar(select(func.count()).select_from(InstructionItem)
                            .join(Instruction, Instruction.id == InstructionItem.instruction_id)
                            .where(Instruction.created_at < dt.datetime(2021, 1, 1), InstructionItem.status != "closed"))
        overdue_now = s.scalar(select(func.count()).select_from(InstructionItem)
                               .join(Instruction, Instruction.id == InstructionItem.instruction_id)
                               .where(Instruction.deadline < dt.date.today(), InstructionItem.status != "closed"))
        notices = s.scalar(select(func.count()).select_from(Notice))
    assert any("县委书记" in n for n in names) and any("第一书记" in n for n in names)
    assert statuses["closed"] > 0.9 * sum(statuses.values())
    assert min(years).year == 2017 and old_open == 0 and overdue_now > 0
    assert notices >= 48  # each month 2017–2020 at least


def test_notices_reach_their_scope_unread_first_and_count_a_read_once(session):
    cadre = _cadre(session, Cadre.region_code.like("522726103%"), Cadre.start_year <= 2017)
    with pytest.raises(BadNotice, match="区划代码"):
        post_notice(session, "notice", "5227", "标题", "正文")
    with pytest.raises(BadNotice, match="类型"):
        post_notice(session, "memo", TOWN, "标题", "正文")
    here = post_notice(session, "notice", TOWN, "本镇通知", "正文")
    there = post_notice(session, "guide", "522726101000", "他镇指南", "正文")
    total, unread, page = notices_for_cadre(session, cadre, None, 500, 0)
    ids = [c.notice.id for c in page]
    assert here.id in ids and there.id not in ids
    firsts = [c.read_at is None for c in page]
    assert firsts == sorted(firsts, reverse=True)  # unread first
    rates = {t["code"]: t for t in read_rates(session, here)}
    assert set(rates) == {TOWN} and rates[TOWN]["read"] == 0
    at = mark_read(session, here, cadre)
    assert mark_read(session, here, cadre) == at  # the first opening counts
    assert read_rates(session, here)[0]["read"] == 1
    assert session.scalar(select(func.count()).select_from(NoticeRead).where(NoticeRead.notice_id == here.id)) == 1
    assert notices_for_cadre(session, cadre, None, 500, 0)[1] == unread - 1
