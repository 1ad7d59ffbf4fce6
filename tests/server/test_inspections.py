"""督查 on the API and in the store: the demo's groups and plans keep the rules; plans are generated and
edited by rule; a finding becomes a rectification that closes only with evidence and the inspector's
acceptance; accountability per town; roles, region limits, paging and scrubbing; nothing half-stored."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from sandbox.cli import main
from sandbox.domain.inspection import plan_problems
from sandbox.server.app import create_app
from sandbox.settings import Settings
from sandbox.store.checkins import create_cadre_token
from sandbox.store.command.duty import open_items
from sandbox.store.command.findings import beijing_today
from sandbox.store.command.inspection import (
    Finding,
    InspectionAssignment,
    InspectionGroup,
    InspectionMember,
    InspectionPlan,
    InspectionSubgroup,
    Rectification,
)
from sandbox.store.command.inspection_plan import poor_villages, stored_plan, subgroup_refs
from sandbox.store.db import session_factory
from sandbox.store.models import Region
from tests.conftest import auth

PHONE = "13884934533"


@pytest.fixture(scope="module")
def app(demo_engine, tmp_path_factory):
    app = create_app(demo_engine)
    app.state.settings = Settings(data_dir=tmp_path_factory.mktemp("inspect-data"))
    return app


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module", autouse=True)
def _take_back(demo_engine):
    """The demo database is shared by the session: remove the findings and plans this module added."""
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Finding.id))) or 0
        months = set(conn.scalars(select(InspectionPlan.month)))
        members = conn.scalar(select(func.max(InspectionMember.id))) or 0
    yield
    with demo_engine.begin() as conn:
        conn.execute(delete(Rectification).where(Rectification.finding_id > first))
        conn.execute(delete(Finding).where(Finding.id > first))
        added = [m for m in conn.scalars(select(InspectionPlan.month)) if m not in months]
        conn.execute(delete(InspectionAssignment).where(InspectionAssignment.month.in_(added)))
        conn.execute(delete(InspectionPlan).where(InspectionPlan.month.in_(added)))
        conn.execute(delete(InspectionMember).where(InspectionMember.id > members))


@pytest.fixture(scope="module")
def session(demo_engine):
    with session_factory(demo_engine)() as s:
        yield s


def this_month() -> str:
    t = beijing_today()
    return f"{t.year:04d}-{t.month:02d}"


def cadre_token(engine, cadre_id: int) -> str:
    with session_factory(engine)() as s:
        token = create_cadre_token(s, cadre_id)
        s.commit()
    return token


def png() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


# -- the demo ---------------------------------------------------------------------------------------

def test_the_demo_has_8_groups_30_subgroups_133_people(session):
    assert session.scalar(select(func.count()).select_from(InspectionGroup)) == 8
    assert session.scalar(select(func.count()).select_from(InspectionSubgroup)) == 30
    assert session.scalar(select(func.count()).select_from(InspectionMember)) == 133
    assert session.scalar(select(func.count()).where(InspectionMember.cadre_id.is_not(None))) >= 30


def test_every_demo_month_inspects_every_poor_village_and_keeps_the_cross_rule(session):
    villages, subs = poor_villages(session), subgroup_refs(session)
    assert len(villages) == 74
    months = [f"{y}-{m:02d}" for y in range(2017, 2021) for m in range(1, 13)]
    for month in months:
        assert plan_problems(month, stored_plan(session, month), subs, villages) == [], month


def test_demo_findings_are_mostly_closed_with_a_few_overdue(session):
    total = session.scalar(select(func.count()).select_from(Rectification))
    closed = session.scalar(select(func.count()).where(Rectification.status == "closed"))
    overdue = session.scalar(select(func.count()).where(Rectification.status == "open",
                                                        Rectification.deadline < beijing_today()))
    assert total > 500
    assert closed / total > 0.9
    assert 1 <= overdue <= 40


# -- the plan ---------------------------------------------------------------------------------------

def test_the_plan_reads_per_region_and_pages(client, tokens):
    r = client.get("/api/v1/inspections/plan?month=2019-03", headers=auth(tokens["admin"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cross"] is True and body["kind_zh"] == "季度交叉巡查" and body["total"] == 74
    assert all(i["subgroup"] and i["group"] for i in body["items"])
    town = client.get("/api/v1/inspections/plan?month=2019-03", headers=auth(tokens["leader_town"])).json()
    assert town["total"] > 0 and all(i["village_code"].startswith("522726103") for i in town["items"])
    assert client.get("/api/v1/inspections/plan?month=2019-03&page=2",
                      headers=auth(tokens["admin"])).json()["items"] == []


def test_a_plan_not_yet_generated_is_a_404_that_says_how(client, tokens):
    r = client.get("/api/v1/inspections/plan?month=2033-01", headers=auth(tokens["admin"]))
    assert r.status_code == 404 and "sandbox inspect plan --month 2033-01" in r.json()["detail"]


def test_generate_is_for_the_county_and_repeatable(client, tokens, session):
    for role in ("display", "delegation", "leader_town"):
        r = client.post("/api/v1/inspections/plan", json={"month": "2031-06"}, headers=auth(tokens[role]))
        assert r.status_code == 403 and r.json()["detail"], role
    assert session.get(InspectionPlan, "2031-06") is None
    first = client.post("/api/v1/inspections/plan", json={"month": "2031-06"}, headers=auth(tokens["admin"]))
    assert first.status_code == 200 and first.json()["generated"] is True and first.json()["villages"] == 74
    again = client.post("/api/v1/inspections/plan", json={"month": "2031-06"}, headers=auth(tokens["leader"]))
    assert again.json()["generated"] is False
    session.expire_all()
    assert plan_problems("2031-06", stored_plan(session, "2031-06"), subgroup_refs(session),
                         poor_villages(session)) == []
    bad = client.post("/api/v1/inspections/plan", json={"month": "2031-13"}, headers=auth(tokens["admin"]))
    assert bad.status_code == 422 and "月份" in bad.json()["detail"]


def test_an_edit_that_breaks_the_cross_rule_is_refused_and_one_that_keeps_it_is_stored(client, tokens, session):
    assert client.post("/api/v1/inspections/plan", json={"month": "2031-09"},
                       headers=auth(tokens["admin"])).status_code == 200
    session.expire_all()
    plan = stored_plan(session, "2031-09")
    village = sorted(plan)[0]
    town = village[:9] + "000"
    subs = session.execute(select(InspectionSubgroup.id, InspectionSubgroup.town_code)).all()
    own = next(i for i, t in subs if t == town)
    other = next(i for i, t in subs if t != town and i != plan[village])
    r = client.post("/api/v1/inspections/plan/assign", json={"month": "2031-09", "village_code": village,
                                                            "subgroup_id": own}, headers=auth(tokens["admin"]))
    assert r.status_code == 409 and "交叉巡查" in r.json()["detail"] and "本镇" in r.json()["detail"]
    session.expire_all()
    assert stored_plan(session, "2031-09")[village] == plan[village]  # nothing changed
    ok = client.post("/api/v1/inspections/plan/assign", json={"month": "2031-09", "village_code": village,
                                                             "subgroup_id": other}, headers=auth(tokens["admin"]))
    assert ok.status_code == 200, ok.text
    session.expire_all()
    after = stored_plan(session, "2031-09")
    assert after[village] == other
    assert plan_problems("2031-09", after, subgroup_refs(session), poor_villages(session)) == []
    # an ordinary month may send a sub-group to its own town
    client.post("/api/v1/inspections/plan", json={"month": "2031-10"}, headers=auth(tokens["admin"]))
    assert client.post("/api/v1/inspections/plan/assign", json={"month": "2031-10", "village_code": village,
                                                               "subgroup_id": own},
                       headers=auth(tokens["admin"])).status_code == 200
    for body, code in (({"month": "2031-10", "village_code": "522726103999", "subgroup_id": own}, 404),
                       ({"month": "2031-10", "village_code": village, "subgroup_id": 99999}, 404),
                       ({"month": "2035-01", "village_code": village, "subgroup_id": own}, 404),
                       ({"month": "2031-10", "village_code": "abc", "subgroup_id": own}, 422)):
        r = client.post("/api/v1/inspections/plan/assign", json=body, headers=auth(tokens["admin"]))
        assert r.status_code == code and r.json()["detail"], body


def test_the_cli_prints_the_plan_and_refuses_a_bad_edit(db_url, demo_engine, capsys, session):
    assert main(["inspect", "plan", "--month", "2032-03", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "季度交叉巡查" in out and "已生成并保存" in out and "共 74 个贫困村" in out
    assert main(["inspect", "plan", "--month", "2032-03", "--db", db_url]) == 0
    assert "已生成并保存" not in capsys.readouterr().out
    session.expire_all()
    village = sorted(stored_plan(session, "2032-03"))[0]
    own = session.scalar(select(InspectionSubgroup.id).where(InspectionSubgroup.town_code == village[:9] + "000"))
    assert main(["inspect", "assign", "--month", "2032-03", "--village", village, "--subgroup", str(own),
                 "--db", db_url]) == 2
    assert "交叉巡查" in capsys.readouterr().err
    assert main(["inspect", "plan", "--month", "2032-13", "--db", db_url]) == 2
    assert "月份" in capsys.readouterr().err
    assert main(["inspect", "groups", "--db", db_url]) == 0
    assert "共 8 个督查组, 30 个督查小组, 133 人" in capsys.readouterr().out


# -- findings and rectifications --------------------------------------------------------------------

@pytest.fixture(scope="module")
def case(client, tokens, session, demo_engine):
    """This month's plan, a village in it, a cadre member of its sub-group (an inspector) and the
    village's responsible cadre, each with a token."""
    client.post("/api/v1/inspections/plan", json={"month": this_month()}, headers=auth(tokens["admin"]))
    session.expire_all()
    plan = stored_plan(session, this_month())
    from sandbox.store.command.findings import responsible_cadre

    village = next(v for v in sorted(plan) if responsible_cadre(session, v) is not None)
    inspector = session.scalar(select(InspectionMember).where(InspectionMember.subgroup_id == plan[village],
                                                              InspectionMember.cadre_id.is_not(None)))
    responsible = responsible_cadre(session, village)
    assert inspector is not None and inspector.cadre_id != responsible.id
    return {"village": village, "subgroup": plan[village],
            "inspector": cadre_token(demo_engine, inspector.cadre_id), "inspector_name": inspector.name,
            "responsible": cadre_token(demo_engine, responsible.id), "responsible_id": responsible.id,
            "bystander": cadre_token(demo_engine, responsible.id + 1)}


def finding(case, **over) -> dict:
    return {"village_code": case["village"], "category": "data_wrong", "severity": "major",
            "text": f"家庭人口与系统不一致, 户主电话{PHONE}", **over}


def test_a_finding_closes_only_with_evidence_and_the_inspectors_acceptance(client, case, app, tokens, session):
    published = []
    real = app.state.events.publish
    app.state.events.publish = lambda kind, data: (published.append((kind, data)), real(kind, data))[1]
    try:
        r = client.post("/api/v1/inspections/findings", json=finding(case, photos=[png()]),
                        headers=auth(case["inspector"]))
    finally:
        app.state.events.publish = real
    assert r.status_code == 201, r.text
    f = r.json()
    rect = f["rectification"]
    assert f["subgroup_id"] == case["subgroup"] and f["inspector"] == case["inspector_name"]
    assert rect["status"] == "open" and rect["responsible_cadre_id"] == case["responsible_id"]
    assert rect["deadline"] == (beijing_today() + dt.timedelta(days=15)).isoformat()
    assert rect["responsible_unit"].endswith("人民政府") and len(f["photos"]) == 1
    assert [(k, d["kind"], d["id"], d["region_code"]) for k, d in published] == \
        [("duty", "finding", f["id"], case["village"])]
    photo = client.get(f["photos"][0], headers=auth(case["inspector"]))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert client.get(f["photos"][0], headers=auth(case["bystander"])).status_code == 404

    url = f"/api/v1/inspections/rectifications/{rect['id']}"
    assert client.post(f"{url}/review", json={"accept": True}, headers=auth(case["inspector"])).status_code == 409
    other = client.post(f"{url}/evidence", json={"note": "已整改"}, headers=auth(case["bystander"]))
    assert other.status_code == 403 and "整改责任人" in other.json()["detail"]
    ev = client.post(f"{url}/evidence", json={"note": "已入户核实, 系统已更新", "photos": [png()]},
                     headers=auth(case["responsible"]))
    assert ev.status_code == 200 and ev.json()["rectification"]["status"] == "submitted"
    again = client.post(f"{url}/evidence", json={"note": "再交一次"}, headers=auth(case["responsible"]))
    assert again.status_code == 409 and "等待" in again.json()["detail"]
    assert client.post(f"{url}/review", json={"accept": True}, headers=auth(case["responsible"])).status_code == 403
    no_reason = client.post(f"{url}/review", json={"accept": False}, headers=auth(case["inspector"]))
    assert no_reason.status_code == 422 and "理由" in no_reason.json()["detail"]
    back = client.post(f"{url}/review", json={"accept": False, "comment": "缺少群众签字"},
                       headers=auth(case["inspector"]))
    assert back.status_code == 200
    assert back.json()["rectification"]["status"] == "open" and back.json()["rectification"]["rejections"] == 1
    assert client.post(f"{url}/evidence", json={"note": "已补签字"}, headers=auth(case["responsible"])).status_code == 200
    done = client.post(f"{url}/review", json={"accept": True, "comment": "同意销号"}, headers=auth(case["inspector"]))
    closed = done.json()["rectification"]
    assert done.status_code == 200 and closed["status"] == "closed" and closed["closed_on_time"] is True
    late = client.post(f"{url}/evidence", json={"note": "又来"}, headers=auth(case["responsible"]))
    assert late.status_code == 409 and "销号" in late.json()["detail"]


def test_only_the_villages_subgroup_may_record_and_bad_input_stores_nothing(client, case, tokens, session):
    before = session.scalar(select(func.count()).select_from(Finding))
    assert client.post("/api/v1/inspections/findings", json=finding(case),
                       headers=auth(case["responsible"])).status_code == 403
    assert client.post("/api/v1/inspections/findings", json=finding(case),
                       headers=auth(tokens["display"])).status_code == 403
    past = client.post("/api/v1/inspections/findings", json=finding(case, deadline="2020-01-01"),
                       headers=auth(case["inspector"]))
    assert past.status_code == 422 and "整改期限" in past.json()["detail"]
    for bad in ({"category": "nope"}, {"text": ""}, {"household_id": 1}, {"project_id": 999999},
                {"photos": ["not a photo"]}, {"photos": [png()] * 6}, {"village_code": "522726000000"},
                {"responsible_cadre_id": 99999999}):
        r = client.post("/api/v1/inspections/findings", json=finding(case, **bad), headers=auth(case["inspector"]))
        assert r.status_code in (403, 422) and r.json()["detail"], bad
    assert client.post("/api/v1/inspections/findings", content=b"{", headers=auth(case["inspector"])).status_code == 422
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Finding)) == before


def test_findings_page_are_region_limited_and_scrubbed_below_admin(client, case, tokens):
    client.post("/api/v1/inspections/findings", json=finding(case), headers=auth(case["inspector"]))
    admin = client.get(f"/api/v1/inspections/findings?month={this_month()}", headers=auth(tokens["admin"])).json()
    assert admin["total"] >= 1 and PHONE in admin["items"][0]["text"]
    for role in ("leader", "display"):
        body = client.get(f"/api/v1/inspections/findings?month={this_month()}", headers=auth(tokens[role]))
        assert body.status_code == 200 and PHONE not in body.text and "138****4533" in body.text
    assert client.get("/api/v1/inspections/findings", headers=auth(tokens["delegation"])).status_code == 403
    all_ = client.get("/api/v1/inspections/findings", headers=auth(tokens["admin"])).json()
    assert all_["total"] > 500 and len(all_["items"]) == all_["page_size"]
    page2 = client.get("/api/v1/inspections/findings?page=2", headers=auth(tokens["admin"])).json()
    assert not {i["id"] for i in page2["items"]} & {i["id"] for i in all_["items"]}
    town = client.get("/api/v1/inspections/findings", headers=auth(tokens["leader_town"])).json()
    assert town["total"] > 0 and all(i["village_code"].startswith("522726103") for i in town["items"])
    other = "522726104000" if not case["village"].startswith("522726104") else "522726105000"
    assert client.get(f"/api/v1/inspections/findings?region={other}",
                      headers=auth(tokens["leader_town"])).status_code == 403
    overdue = client.get("/api/v1/inspections/findings?status=overdue", headers=auth(tokens["admin"])).json()
    assert overdue["total"] >= 1 and all(i["rectification"]["overdue"] for i in overdue["items"])


def test_a_town_leaders_phone_lists_the_towns_unclosed_findings(client, tokens):
    """督查整改 on a town leader's phone: the findings of the town's villages, not only their own (none)."""
    mine = client.get("/api/v1/inspections/mine", headers=auth(tokens["leader_town"]))
    assert mine.status_code == 200
    area = mine.json()["area"]
    town = client.get("/api/v1/inspections/findings", headers=auth(tokens["leader_town"])).json()
    unclosed = [client.get(f"/api/v1/inspections/findings?status={s}", headers=auth(tokens["leader_town"])).json()["total"]
                for s in ("open", "submitted")]
    overdue = client.get("/api/v1/inspections/findings?status=overdue", headers=auth(tokens["leader_town"])).json()
    assert area["total"] == town["total"] > 0 and area["unclosed"] == sum(unclosed) > 0
    assert area["overdue"] == overdue["total"] and len(area["items"]) == min(area["unclosed"], area["page_size"])
    assert all(i["village_code"].startswith("522726103") and i["rectification"]["status"] != "closed"
               for i in area["items"])
    deadlines = [i["rectification"]["deadline"] for i in area["items"]]
    assert deadlines == sorted(deadlines)  # the nearest (and the overdue) first
    county = client.get("/api/v1/inspections/mine", headers=auth(tokens["leader"])).json()["area"]
    assert county["total"] > area["total"]
    assert "area" not in client.get("/api/v1/inspections/mine", headers=auth(tokens["admin"])).json()


def test_accountability_per_town_adds_up(client, tokens, session):
    body = client.get("/api/v1/inspections/accountability", headers=auth(tokens["delegation"]))
    assert body.status_code == 200
    rows = body.json()["items"]
    assert len(rows) == 8 and body.json()["total"] == 8
    assert sum(r["findings"] for r in rows) == session.scalar(select(func.count()).select_from(Rectification))
    for r in rows:
        assert r["findings"] == r["open"] + r["closed_on_time"] + r["closed_late"]
        assert r["overdue"] <= r["open"]
    town = client.get("/api/v1/inspections/accountability", headers=auth(tokens["leader_town"])).json()
    assert [r["code"] for r in town["items"]] == ["522726103000"]
    y2018 = client.get("/api/v1/inspections/accountability?year=2018", headers=auth(tokens["admin"])).json()
    assert 0 < sum(r["findings"] for r in y2018["items"]) < sum(r["findings"] for r in rows)


def test_groups_name_members_but_delegation_gets_counts(client, tokens):
    full = client.get("/api/v1/inspections/groups", headers=auth(tokens["admin"])).json()
    assert full["members"] == 133 and full["subgroups"] == 30 and len(full["items"]) == 8
    assert "members" in full["items"][0]["subgroups"][0]
    deleg = client.get("/api/v1/inspections/groups", headers=auth(tokens["delegation"])).json()
    assert all("members" not in s for g in deleg["items"] for s in g["subgroups"])
    assert all(g["leader"] is None for g in deleg["items"])
    shown = client.get("/api/v1/inspections/groups", headers=auth(tokens["display"])).json()
    assert "*" in shown["items"][0]["leader"]


def test_duty_sources_count_findings_and_rectifications(session):
    items = open_items(session, "522726", beijing_today())
    kinds = {i.kind for i in items}
    assert {"finding", "rectification"} <= kinds
    overdue = [i for i in items if i.kind == "rectification" and i.overdue]
    stored = session.scalar(select(func.count()).where(Rectification.status == "open",
                                                       Rectification.deadline < beijing_today()))
    assert len(overdue) == stored
    names = dict(session.execute(select(Region.code, Region.name)).all())
    assert all(names[i.region_code] in i.title for i in items if i.kind == "finding")


def test_a_leaders_phone_on_a_subgroup_records_and_an_unlinked_one_may_not(app, demo_engine, case, session):
    from sandbox.store.field import create_invite
    from sandbox.store.models import FieldDevice

    def leader_phone() -> tuple[TestClient, int]:
        with session_factory(demo_engine)() as s:
            code, _ = create_invite(s, "leader", region="522726", label="县督查组长")
            s.commit()
        phone = TestClient(app, raise_server_exceptions=False)
        r = phone.post("/api/v1/field/enrol", json={"invite": code})
        assert r.status_code == 200, r.text
        return phone, r.json()["device_id"]

    linked, device = leader_phone()
    unlinked, _ = leader_phone()
    with session_factory(demo_engine)() as s:
        assert s.get(FieldDevice, device) is not None
        s.add(InspectionMember(subgroup_id=case["subgroup"], name="县督查组长", unit="县委督查室", device_id=device))
        s.commit()
    mine = linked.get("/api/v1/inspections/mine").json()
    assert mine["inspector"] is True and case["village"] in [v["code"] for v in mine["villages"]]
    r = linked.post("/api/v1/inspections/findings", json=finding(case, text="公示栏信息未按期更新"))
    assert r.status_code == 201, r.text
    assert r.json()["inspector"] == "县督查组长"
    refused = unlinked.post("/api/v1/inspections/findings", json=finding(case, text="不应入库"))
    assert refused.status_code == 403 and "督查小组成员" in refused.json()["detail"]
    assert unlinked.get("/api/v1/inspections/mine").json()["villages"] == []
    nobody = TestClient(app, raise_server_exceptions=False).get("/api/v1/inspections/mine")
    assert nobody.status_code == 401 and nobody.json()["detail"]
    session.expire_all()
    assert session.scalar(select(func.count()).where(Finding.text == "不应入库")) == 0


def test_photos_are_stored_without_their_exif(client, case, app):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (25.0, 49.0, 30.0), 3: "E", 4: (107.0, 32.0, 10.0)}  # GPS: where the photo was taken
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buf, "JPEG", exif=exif)
    assert b"Exif" in buf.getvalue()
    r = client.post("/api/v1/inspections/findings", headers=auth(case["inspector"]),
                    json=finding(case, text="照片去除位置信息", photos=[base64.b64encode(buf.getvalue()).decode()]))
    assert r.status_code == 201, r.text
    name = r.json()["photos"][0].rsplit("/", 1)[1]
    stored = (app.state.settings.data_dir / "inspections" / name).read_bytes()
    assert stored.startswith(b"\xff\xd8") and b"Exif" not in stored and b"PhoneMaker" not in stored
