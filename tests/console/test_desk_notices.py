"""The desk's 通知公告 / 办事指南 workbench: posting within the account's region, bad input brought back filled,
CSRF, display accounts read only, the read rates per town and village and who has not read it."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from sandbox.domain.masking import mask_name
from sandbox.store.command.notices import Notice, mark_read, notices_for_cadre
from sandbox.store.db import session_factory
from sandbox.store.models import Cadre
from sandbox.store.office.tables import AccessLogEntry
from tests.console.conftest import csrf_of, post_form

PAGE = "/console/command/notices"
TOWN, OTHER_TOWN = "522726103000", "522726101000"


def _count(engine, title: str) -> int:
    with session_factory(engine)() as s:
        return s.scalar(select(func.count()).select_from(Notice).where(Notice.title == title))


def _cadre_in(engine, prefix: str) -> Cadre:
    with session_factory(engine)() as s:
        c = s.scalars(select(Cadre).where(Cadre.region_code.startswith(prefix), Cadre.end_year.is_(None),
                                          Cadre.start_year <= 2026).order_by(Cadre.id).limit(1)).one()
        s.expunge(c)
        return c


def _post(console, **fields):
    data = {"kind": "notice", "region": TOWN, "title": "", "content": "", "author": "", **fields}
    return post_form(console, PAGE, PAGE, data)


def test_the_desk_lists_the_workbench_and_the_page_needs_a_sign_in(console, signed_in):
    assert console.get(PAGE).status_code == 303
    signed_in("leader", TOWN)
    desk = console.get("/console/command")
    assert f'href="{PAGE}"' in desk.text and "通知公告" in desk.text


def test_a_town_clerk_posts_to_their_town_and_a_cadre_there_has_it_unread(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    page = console.get(PAGE)
    scopes = re.findall(r'<option value="(\d{12})"', page.text.split('name="region"')[1].split("</select>")[0])
    assert scopes and all(c.startswith(TOWN[:9]) for c in scopes)  # only their own town and its villages
    r = _post(console, kind="guide", title="低保申请办事指南(测试)", content="携带户口簿到村委会申请。", author="百泉镇民政办")
    assert r.status_code == 303 and re.fullmatch(rf"{PAGE}/\d+\?posted=1", r.headers["location"])
    shown = console.get(r.headers["location"])
    assert shown.status_code == 200 and "已发布" in shown.text and "低保申请办事指南(测试)" in shown.text
    cadre = _cadre_in(demo_engine, TOWN[:9])
    with session_factory(demo_engine)() as s:
        total, unread, items = notices_for_cadre(s, s.get(Cadre, cadre.id), "guide", 10, 0)
        mine = [i for i in items if i.notice.title == "低保申请办事指南(测试)"]
        assert mine and mine[0].read_at is None and mine[0].notice.author == "百泉镇民政办"
        assert items[0].read_at is None  # unread first
        other = _cadre_in(demo_engine, OTHER_TOWN[:9])
        assert all(i.notice.title != "低保申请办事指南(测试)"
                   for i in notices_for_cadre(s, s.get(Cadre, other.id), "guide", 100, 0)[2])
        log = s.scalars(select(AccessLogEntry).where(AccessLogEntry.what == "notice")
                        .order_by(AccessLogEntry.id.desc()).limit(1)).one()
        assert log.action == "change" and "低保申请办事指南(测试)" in log.subject


def test_a_scope_outside_the_region_comes_back_filled_and_stores_nothing(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    r = _post(console, region=OTHER_TOWN, title="越权通知", content="不应发出")
    assert r.status_code == 403
    assert "不在您的辖区" in r.text and 'value="越权通知"' in r.text and "不应发出</textarea>" in r.text
    r = _post(console, region="522726000000", title="越权通知", content="不应发出")  # the county holds the town
    assert r.status_code == 403 and "不在您的辖区" in r.text
    assert _count(demo_engine, "越权通知") == 0


def test_an_empty_title_or_an_overlong_text_comes_back_with_the_reason(console, signed_in, demo_engine):
    signed_in("admin")
    r = _post(console, title="   ", content="正文在此")
    assert r.status_code == 422 and "标题" in r.text and "正文在此</textarea>" in r.text
    r = _post(console, title="太长的正文", content="字" * 20_001)
    assert r.status_code == 422 and "正文" in r.text and "20000" in r.text and 'value="太长的正文"' in r.text
    r = _post(console, title="题" * 65, content="正文")
    assert r.status_code == 422 and "1-64" in r.text
    r = _post(console, region="52272610", title="坏范围", content="正文")
    assert r.status_code == 422 and "区划代码无效" in r.text
    r = _post(console, kind="memo", title="坏类型", content="正文")
    assert r.status_code == 422 and "类型" in r.text
    assert _count(demo_engine, "太长的正文") == _count(demo_engine, "坏范围") == _count(demo_engine, "坏类型") == 0


def test_a_form_without_its_csrf_token_is_refused(console, signed_in, demo_engine):
    signed_in("admin")
    console.get(PAGE)
    r = console.post(PAGE, data={"csrf": "forged", "kind": "notice", "region": TOWN, "title": "伪造的通知",
                                 "content": "跨站提交"})
    assert r.status_code == 403 and "表单已失效" in r.text
    assert _count(demo_engine, "伪造的通知") == 0


def test_a_display_account_reads_the_rates_but_posts_nothing(console, signed_in, demo_engine):
    signed_in("display")
    page = console.get(PAGE)
    assert page.status_code == 200 and 'id="post-notice"' not in page.text and 'id="notices"' in page.text
    r = console.post(PAGE, data={"csrf": csrf_of(page.text), "kind": "notice", "region": TOWN, "title": "大屏账号的通知",
                                 "content": "不应发出"})
    assert r.status_code == 403 and "无权发布" in r.text
    assert _count(demo_engine, "大屏账号的通知") == 0


def _posted(engine, title: str, region: str) -> int:
    from sandbox.store.command.notices import post_notice

    with session_factory(engine)() as s:
        n = post_notice(s, "notice", region, title, "请各村核对。")
        s.commit()
        return n.id


def test_the_read_rate_per_town_then_per_village_and_who_has_not_read(console, signed_in, demo_engine):
    nid = _posted(demo_engine, "全县阅读率测试", "522726000000")
    reader = _cadre_in(demo_engine, TOWN[:9])
    with session_factory(demo_engine)() as s:
        mark_read(s, s.get(Notice, nid), s.get(Cadre, reader.id))
        s.commit()
    signed_in("leader")
    page = console.get(f"{PAGE}/{nid}")
    assert page.status_code == 200
    towns = page.text.split('id="towns"')[1].split("</table>")[0]
    assert f'href="?town={TOWN}"' in towns and f'href="?town={OTHER_TOWN}"' in towns
    drill = console.get(f"{PAGE}/{nid}?town={TOWN}")
    town_row = re.search(rf'<tr class="on"><td><a href="\?town={TOWN}">[^<]+</a></td><td class="num">(\d+)</td>'
                         r'<td class="num">(\d+)</td>', drill.text)
    assert town_row, "the chosen town is marked in the towns' table"
    reached, read = map(int, town_row.groups())
    assert read == 1 and reached > 1
    villages = re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+)</td>',
                          drill.text.split('id="villages"')[1].split("</table>")[0])
    assert sum(int(a) for a, _ in villages) == reached and sum(int(b) for _, b in villages) == 1
    assert f"{reached - 1} 人" in drill.text.split('id="unread"')[0].rsplit("<h2>", 1)[1]
    unread = drill.text.split('id="unread"')[1].split("</table>")[0]
    with session_factory(demo_engine)() as s:
        someone = s.scalars(select(Cadre).where(Cadre.region_code.startswith(TOWN[:9]), Cadre.id != reader.id,
                                                Cadre.end_year.is_(None)).order_by(Cadre.region_code, Cadre.name)
                            .limit(1)).one()
    assert someone.name in unread  # a leader reads cadres' names in full
    with session_factory(demo_engine)() as s:
        assert s.scalar(select(func.count()).select_from(AccessLogEntry)
                        .where(AccessLogEntry.what == "cadre_list", AccessLogEntry.subject.like(f"通知 {nid} %"))) == 2  # one a page of names
    console.cookies.clear()
    signed_in("display")
    masked = console.get(f"{PAGE}/{nid}?town={TOWN}")
    unread = masked.text.split('id="unread"')[1].split("</table>")[0]
    assert someone.name not in unread and mask_name(someone.name) in unread


def test_a_town_clerk_sees_their_town_only(console, signed_in, demo_engine):
    theirs = _posted(demo_engine, "他镇的通知", OTHER_TOWN)
    county = _posted(demo_engine, "全县的通知", "522726000000")
    signed_in("leader", TOWN)
    assert console.get(f"{PAGE}/{theirs}").status_code == 404
    listing = console.get(PAGE).text
    assert "他镇的通知" not in listing and "全县的通知" in listing
    page = console.get(f"{PAGE}/{county}")
    towns = page.text.split('id="towns"')[1].split("</table>")[0]
    assert TOWN in towns and OTHER_TOWN not in towns
    assert console.get(f"{PAGE}/{county}?town={OTHER_TOWN}").status_code == 403
    assert console.get(f"{PAGE}/{county}?town=abc").status_code == 422
    assert console.get(f"{PAGE}/99999999").status_code == 404


# a long guide, as a county writes them: 12,000 characters of varied text (compresses little when sealed)
LONG = "第一步: 到村委会。" + "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(12_000))


def test_a_notice_typed_while_the_session_expired_comes_back_filled_after_signing_in(console, signed_in, demo_engine):
    from tests.console.conftest import PASSWORD

    username = signed_in("leader", TOWN)
    html = console.get(PAGE).text
    console.cookies.delete("sbx_console", path="/console")  # the session ran out while the clerk typed
    r = console.post(PAGE, headers={"referer": f"http://testserver{PAGE}"},
                     data={"csrf": csrf_of(html), "kind": "guide", "region": TOWN, "title": "过期时写的指南",
                           "content": LONG})
    assert r.status_code == 401 and "您填写的内容已保留" in r.text
    draft = re.search(r'name="draft" value="([^"]+)"', r.text).group(1)
    r = console.post("/console/login", data={"csrf": csrf_of(r.text), "username": username, "password": PASSWORD,
                                             "draft": draft})
    # by reference: the sealed draft of a long notice is ~40 KB, past what a server takes in a request line (16 KB)
    assert r.status_code == 303 and r.headers["location"].startswith(f"{PAGE}?draft=") and len(draft) > 16_384
    assert len(r.headers["location"]) < 200
    page = console.get(r.headers["location"]).text
    assert 'value="过期时写的指南"' in page and f"{LONG}</textarea>" in page
    assert f'<option value="{TOWN}" selected>' in page and '<option value="guide" selected>' in page
    assert _count(demo_engine, "过期时写的指南") == 0  # filled in, not yet posted
