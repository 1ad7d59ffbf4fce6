"""The 伪贫困户 rules: each finds its planted household and not the innocent look-alike beside it."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.domain.idcard import make_id_number
from sandbox.store import models as m
from sandbox.store.department.importer import import_department
from sandbox.store.risk.rules import all_rules, load_thresholds
from tests.databases import scratch_engine

COUNTY, TOWN, VILLAGE = "990101000000", "990101100000", "990101100201"
OTHER_COUNTY, OTHER_TOWN, OTHER_VILLAGE = "990102000000", "990102100000", "990102100201"
LINES = {2019: 3747.0, 2020: 4000.0}


class World:
    """A tiny register in a fresh database: households with a head, a spouse and a child of 10."""

    def __init__(self, engine, tmp_path):
        self.engine, self.tmp_path, self.n = engine, tmp_path, 0
        with engine.begin() as conn:
            for code, name, level, parent in ((COUNTY, "试点县", "county", None), (TOWN, "西镇", "town", COUNTY),
                                              (VILLAGE, "北村", "village", TOWN), (OTHER_COUNTY, "邻县", "county", None),
                                              (OTHER_TOWN, "东镇", "town", OTHER_COUNTY),
                                              (OTHER_VILLAGE, "南村", "village", OTHER_TOWN)):
                conn.execute(insert(m.Region).values(code=code, name=name, level=level, parent_code=parent))
            conn.execute(insert(m.PovertyLine), [{"year": y, "line_yuan": v} for y, v in LINES.items()])

    def household(self, status="poor", income=(2000, 2000), all_insured=True, dropout=False, village=VILLAGE,
                  people=None) -> dict:
        """A household with 2019 and 2020 rows; returns its id and its people's ID numbers by relation."""
        self.n += 1
        n = self.n
        prefix = village[:6]
        people = people or {"户主": make_id_number(prefix, dt.date(1970, 1, 1) + dt.timedelta(days=n), 1, True),
                            "配偶": make_id_number(prefix, dt.date(1972, 1, 1) + dt.timedelta(days=n), 2, False),
                            "子女": make_id_number(prefix, dt.date(2010, 1, 1) + dt.timedelta(days=n), 3, True)}
        with self.engine.begin() as conn:
            conn.execute(insert(m.Household).values(
                id=n, household_number=f"{village}{n:05d}", village_code=village, head_name=f"王{n}",
                id_number=people["户主"], attribute="general", identified_year=2014, main_cause="01", lon=107.0,
                lat=25.0))
            for year, pc in zip((2019, 2020), income):
                conn.execute(insert(m.HouseholdYear).values(
                    household_id=n, year=year, status=status, members=len(people), per_capita_net_income=pc,
                    net_income=pc * len(people), housing_grade="B", all_insured=all_insured, dropout=dropout,
                    school_age_children=True))
            conn.execute(insert(m.Member), [
                {"household_id": n, "name": f"王{n}{rel}", "id_number": ident, "relation": rel, "sex": "男",
                 "ethnicity": "布依族", "education": "小学", "health": "健康", "labour_capacity": "普通劳动力"}
                for rel, ident in people.items()])
        return {"id": n, **people}

    def load(self, source: str, header, rows):
        path = self.tmp_path / f"{source}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        r = import_department(self.engine, source, path, as_of=dt.date(2020, 12, 31))
        assert not r.rows_rejected, r.report.summary()

    def hits(self, rule_id: str, thresholds=None) -> dict[int, object]:
        with Session(self.engine) as session:
            found = list(all_rules()[rule_id].run(session, thresholds or load_thresholds("persons")))
        return {int(h.subject_id): h for h in found}


@pytest.fixture
def world(tmp_path):
    """SQLite, or with SANDBOX_TEST_DATABASE_URL a scratch schema of that PostgreSQL database."""
    engine = scratch_engine(tmp_path, "sandbox_risk_test")
    yield World(engine, tmp_path)
    engine.dispose()


ID = re.compile(r"\d{17}[\dX]")


def _explained(hit, source: str) -> None:
    """A hit names its rule and figures in Chinese, shows the department row, and keeps person data out
    of the reason (only in evidence fields named personal, which the API masks by role)."""
    assert hit.reason.startswith("伪贫困户·") and not ID.search(hit.reason) and "王" not in hit.reason
    sources = [e.source for e in hit.evidence]
    assert "建档立卡登记表" in sources and source in sources
    for e in hit.evidence:
        assert set(e.person_fields) <= set(e.fields)
        assert all(not ID.search(v) for k, v in e.fields.items() if k not in e.person_fields)


def test_public_payroll(world):
    hit, temp, exited = world.household(), world.household(), world.household(status="exited")
    world.load("payroll", ("身份证号码", "姓名", "工作单位", "编制类型"),
               [(hit["配偶"], "王配偶", "县第三中学", "事业编制"), (temp["配偶"], "王配偶", "镇政府", "公益性岗位"),
                (exited["配偶"], "王配偶", "县医院", "事业编制")])
    hits = world.hits("persons.public_payroll")
    assert set(hits) == {hit["id"]}
    _explained(hits[hit["id"]], "财政供养人员")
    assert "县第三中学" in hits[hit["id"]].reason and "(配偶)" in hits[hit["id"]].reason


def test_vehicle_worth_the_threshold_but_not_a_tractor_or_a_cheap_one(world):
    car, tractor, cheap, gone = (world.household() for _ in range(4))
    world.load("vehicles", ("号牌号码", "车辆类型", "身份证明号码", "车辆价值(元)", "机动车状态"),
               [("黔J1", "小型轿车", car["子女"], 85000, "正常"), ("黔J2", "轮式拖拉机", tractor["配偶"], 45000, "正常"),
                ("黔J3", "小型轿车", cheap["配偶"], 29999, "正常"), ("黔J4", "小型轿车", gone["配偶"], 90000, "注销")])
    hits = world.hits("persons.vehicle")
    assert set(hits) == {car["id"]}
    _explained(hits[car["id"]], "车辆登记")
    assert "85,000 元" in hits[car["id"]].reason and "30,000 元" in hits[car["id"]].reason


def test_an_operators_threshold_changes_what_the_vehicle_rule_finds(world, tmp_path):
    car = world.household()
    world.load("vehicles", ("号牌号码", "车辆类型", "身份证号", "车辆价值(元)"), [("黔J1", "小型轿车", car["配偶"], 85000)])
    text = (load_thresholds.__globals__["files"]("sandbox.store.risk").joinpath("thresholds/persons.toml")
            .read_text(encoding="utf-8").replace("min_value_yuan = 30000", "min_value_yuan = 100000"))
    (tmp_path / "persons.toml").write_text(text, encoding="utf-8")
    assert world.hits("persons.vehicle", load_thresholds("persons", tmp_path / "persons.toml")) == {}


def test_town_flat_but_not_a_village_house(world):
    flat, house = world.household(), world.household()
    world.load("property", ("身份证号码", "不动产权证号", "权利性质", "用途", "坐落"),
               [(flat["户主"], "第1号", "国有建设用地使用权/房屋所有权", "住宅", "城关镇环城路1号"),
                (house["户主"], "第2号", "集体土地使用权/宅基地使用权/房屋所有权", "住宅", "北村3组")])
    hits = world.hits("persons.town_property")
    assert set(hits) == {flat["id"]}
    _explained(hits[flat["id"]], "不动产登记")


def test_business_running_but_not_closed(world):
    share, closed = world.household(), world.household()
    world.load("business", ("身份证号码", "统一社会信用代码", "企业名称", "人员类型", "登记状态", "注销日期"),
               [(share["配偶"], "91A", "试点县商贸有限公司", "股东", "存续", ""),
                (closed["配偶"], "92B", "北村小卖部", "经营者", "注销", "2016-05-01")])
    hits = world.hits("persons.business")
    assert set(hits) == {share["id"]}
    _explained(hits[share["id"]], "工商登记")


def test_deceased_member_but_not_a_recent_death_or_a_move(world):
    dead, recent, moved, closed = world.household(), world.household(), world.household(), world.household(status="closed")
    world.load("deaths", ("公民身份号码", "注销原因", "注销日期"),
               [(dead["配偶"], "死亡", "2019.03.15"), (recent["配偶"], "死亡", "2020-12-20"),
                (moved["配偶"], "迁出", "2019-03-15"), (closed["户主"], "死亡", "2019-03-15")])
    hits = world.hits("persons.deceased_member")
    assert set(hits) == {dead["id"]}
    _explained(hits[dead["id"]], "户籍注销")
    assert "2019-03-15" in hits[dead["id"]].reason and "90 天" in hits[dead["id"]].reason


def test_imprisoned_member_but_not_a_sentence_served(world):
    inside, served = world.household(), world.household()
    world.load("prison", ("公民身份号码", "入监日期", "刑满日期", "服刑场所"),
               [(inside["配偶"], "2018-03-01", "2023-02-28", "都匀监狱"), (served["配偶"], "2016-01-10", "2019-07-09", "都匀监狱")])
    hits = world.hits("persons.imprisoned_member")
    assert set(hits) == {inside["id"]}
    _explained(hits[inside["id"]], "服刑人员")


def test_one_person_in_two_households_and_in_two_counties(world):
    a = world.household()
    b = world.household(people={"户主": make_id_number("990101", dt.date(1960, 1, 1), 11, True), "子女": a["子女"]})
    c = world.household()
    d = world.household(village=OTHER_VILLAGE,
                        people={"户主": make_id_number("990102", dt.date(1961, 1, 1), 11, True), "配偶": c["配偶"]})
    namesake = world.household()  # same names as others, own ID numbers: innocent
    hits = world.hits("persons.two_households")
    assert set(hits) == {a["id"], b["id"], c["id"], d["id"]} and namesake["id"] not in hits
    assert "本县另一户" in hits[a["id"]].reason and f"{VILLAGE}{b['id']:05d}" in hits[a["id"]].reason
    assert "另一个县的登记表" in hits[c["id"]].reason and hits[d["id"]].region == OTHER_VILLAGE
    assert {e.fields["县级代码"] for e in hits[c["id"]].evidence} == {"990101", "990102"}


def test_income_above_the_line_two_years_but_not_one_year_or_exited(world):
    two = world.household(income=(LINES[2019] * 1.6, LINES[2020] * 1.6))
    one = world.household(income=(LINES[2019] * 0.8, LINES[2020] * 1.6))
    exited = world.household(status="exited", income=(LINES[2019] * 1.6, LINES[2020] * 1.6))
    just = world.household(income=(LINES[2019] * 1.1, LINES[2020] * 1.1))  # above the line, below 1.2 ×
    hits = world.hits("persons.income_above_line")
    assert set(hits) == {two["id"]}
    reason = hits[two["id"]].reason
    assert "2019 年 5,995 元 (贫困线 3,747 元, 1.60 倍)" in reason and "1.2 倍" in reason
    assert {e.fields["年度"] for e in hits[two["id"]].evidence} == {"2019", "2020"}
    assert one["id"] not in hits and exited["id"] not in hits and just["id"] not in hits


def test_school_age_child_not_enrolled_contradicts_no_dropout(world):
    missing, enrolled, marked = world.household(), world.household(), world.household(dropout=True)
    exited = world.household(status="exited")
    world.load("school", ("身份证件号码", "全国学籍号", "学校名称", "学籍状态"),
               [(enrolled["子女"], "G1", "北村小学", "在校")])
    hits = world.hits("persons.education_contradicted")
    assert set(hits) == {missing["id"], exited["id"]} and marked["id"] not in hits
    _explained(hits[missing["id"]], "学籍")
    assert "(子女)" in hits[missing["id"]].reason and "(配偶)" not in hits[missing["id"]].reason  # adults are not school age


def test_member_not_insured_contradicts_all_insured(world):
    gap, full, marked = world.household(), world.household(), world.household(all_insured=False)
    rows = [(p, "城乡居民基本医疗保险", "参保缴费") for h in (full, marked) for p in (h["户主"], h["配偶"], h["子女"])]
    rows += [(gap["户主"], "城乡居民基本医疗保险", "参保缴费"), (gap["子女"], "城乡居民基本医疗保险", "参保缴费"),
             (gap["配偶"], "城乡居民基本医疗保险", "终止参保")]
    world.load("medical", ("公民身份号码", "险种类型", "参保状态"), rows)
    hits = world.hits("persons.medical_contradicted")
    assert set(hits) == {gap["id"]}
    _explained(hits[gap["id"]], "医保参保")


def test_a_source_never_imported_finds_nothing(world):
    world.household()
    assert world.hits("persons.medical_contradicted") == {}
    assert world.hits("persons.education_contradicted") == {}
    assert world.hits("persons.vehicle") == {}
