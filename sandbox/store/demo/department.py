"""Demo step: department files for the demo county (seeded), with planted 伪贫困户 cases, imported by the real importer.

Most of the register's people are in 医保, its children in 学籍, a few members have a vehicle, a village
house, a payroll job …, and people outside the register fill every file. A few households of the
latest year are planted for each persons rule, next to innocent look-alikes (a tractor, a village
house, a death within the grace period, a sentence served, income above the line one year only); the
planted households are kept in meta `planted_persons` so bench/risk_persons.py can measure recall.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from sandbox.domain.idcard import make_id_number
from sandbox.store.department.importer import import_department
from sandbox.store.importers.xlsx import write_xlsx

__all__ = ["build_department_files", "PLANTED_PER_RULE"]

PLANTED_PER_RULE = 3
_ID = "公民身份号码"


def build_department_files(conn: Connection, seed: int, files_dir: Path | None = None) -> dict[str, list[int]]:
    """Write the nine files into `files_dir` (a temporary folder if None), import each, and return
    rule id → planted household ids (also stored in meta `planted_persons`)."""
    if files_dir is None:
        with tempfile.TemporaryDirectory(prefix="demo-department-") as tmp:
            return build_department_files(conn, seed, Path(tmp))
    files_dir = Path(files_dir)
    files_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 17)
    year = conn.execute(text("SELECT MAX(year) FROM household_years")).scalar()
    county_code, cn = conn.execute(text("SELECT code, name FROM regions WHERE level = 'county' ORDER BY code")).first()
    county = county_code[:6]
    towns = conn.execute(text("SELECT name FROM regions WHERE level = 'town' AND parent_code = :c ORDER BY code"),
                         {"c": county_code}).scalars().all() or [cn]
    # Names of the county's own place (the demo builds any county): its province's plate and certificate
    # prefix, its own towns and units.
    abbr = _PROVINCE_ABBR.get(county[:2], "")
    plate, prison = f"{abbr}A", f"{_PROVINCE.get(county[:2], '')}第一监狱"
    units = (f"{cn}人民医院", f"{cn}第一中学", f"{cn}财政局", f"{towns[0]}人民政府", f"{towns[-1]}中心学校", f"{cn}公安局")
    status = dict(conn.execute(text("SELECT household_id, status FROM household_years WHERE year = :y"), {"y": year}).all())
    prev = dict(conn.execute(text("SELECT household_id, status FROM household_years WHERE year = :y"), {"y": year - 1}).all())
    members = conn.execute(text("SELECT household_id, name, id_number, relation, id FROM members ORDER BY id")).all()
    attribute = dict(conn.execute(text("SELECT id, attribute FROM households")).all())
    by_household: dict[int, list] = {}
    for r in members:
        by_household.setdefault(r[0], []).append(r)

    poor = [h for h, s in sorted(status.items()) if s in ("poor", "relapsed") and len(by_household.get(h, ())) >= 2
            and prev.get(h) in ("poor", "relapsed")]
    exited = [h for h, s in sorted(status.items()) if s == "exited" and len(by_household.get(h, ())) >= 2]
    if not poor:  # a register with no household poor two years running: nothing to plant
        return {}
    rng.shuffle(poor)
    # A small county runs out of poor households: then households serve several rules (each rule's
    # planted set stays its own, so recall and precision per rule are still measured).
    pick = itertools.cycle(poor)

    def take(n: int) -> list[int]:
        return list(dict.fromkeys(next(pick) for _ in range(n)))

    def non_head(h: int):
        rows = [r for r in by_household[h] if r[3] != "户主"] or by_household[h]
        return rows[int(rng.integers(len(rows)))]

    born = lambda r: dt.date(int(r[2][6:10]), int(r[2][10:12]), int(r[2][12:14]))  # noqa: E731
    children = {h: [r for r in rows if 6 <= year - born(r).year <= 15] for h, rows in by_household.items()}
    outsiders = _outsiders(rng, county, 6000, {r[2] for r in members})
    planted: dict[str, list[int]] = {}
    end = dt.date(year, 12, 31)
    k = PLANTED_PER_RULE

    # 财政供养人员: planted members; a 公益性岗位 look-alike; payroll people outside the register.
    rows = []
    hits, alike = take(k), take(1)
    planted["persons.public_payroll"] = hits
    for h in hits:
        r = non_head(h)
        rows.append((r[2], r[1], f"{cn}第三中学", "事业编制", f"{int(rng.integers(2008, 2016))}-09-01"))
    for h in alike:
        r = non_head(h)
        rows.append((r[2], r[1], f"{towns[-1]}人民政府", "公益性岗位", "2019-03-01"))
    for ident, name in outsiders[:1500]:
        rows.append((ident, name, _pick(rng, units), _pick(rng, ("行政编制", "事业编制", "参公管理")),
                     f"{int(rng.integers(1990, 2020))}-{int(rng.integers(1, 13)):02d}-01"))
    _csv(files_dir / "财政供养人员.csv", (_ID, "姓名", "工作单位", "编制类型", "参加工作时间", "数据截至"),
         [(*r, end.isoformat()) for r in rows])

    # 车辆登记: planted cars ≥ 30,000; a tractor and a motorbike as look-alikes; outsiders' vehicles.
    rows = []
    hits, alike = take(k), take(2)
    planted["persons.vehicle"] = hits
    for i, h in enumerate(hits):
        r = non_head(h)
        rows.append((r[2], r[1], f"{plate}{70000 + i}", "小型普通客车", round(float(rng.integers(60, 160)) * 1000), "正常",
                     "2018-06-12"))
    rows.append((non_head(alike[0])[2], non_head(alike[0])[1], f"{plate}T0001", "轮式拖拉机", 45000, "正常", "2017-04-02"))
    rows.append((non_head(alike[1])[2], non_head(alike[1])[1], f"{plate}M0002", "普通二轮摩托车", 6500, "正常", "2016-08-20"))
    for i, (ident, name) in enumerate(outsiders[1500:4500]):
        kind = _pick(rng, ("小型普通客车", "小型越野客车", "普通二轮摩托车", "轻型普通货车", "三轮汽车"))
        rows.append((ident, name, f"{plate}{10000 + i}", kind, round(float(rng.uniform(5, 250)) * 1000), "正常",
                     f"{int(rng.integers(2008, 2021))}-05-01"))
    write_xlsx(files_dir / "机动车登记信息.xlsx", [("机动车登记信息", ("号牌号码", "车辆类型", "所有人", "身份证明号码",
                                                                 "车辆价值(元)", "机动车状态", "初次登记日期"),
                                                   [(r[2], r[3], r[1], r[0], r[4], r[5], r[6]) for r in rows])])

    # 不动产登记: planted town flats; village houses (集体 宅基地) for many register members.
    rows = []
    hits = take(k)
    planted["persons.town_property"] = hits
    for i, h in enumerate(hits):
        r = non_head(h)
        rows.append((r[2], r[1], f"{abbr}(2019){cn}不动产权第00{1000 + i}号", "国有建设用地使用权/房屋所有权", "住宅",
                     f"{towns[0]}环城路{i + 3}号{i + 1}单元", 96.5))
    sample = rng.choice(len(members), size=min(4000, len(members)), replace=False)
    for j in sorted(sample.tolist()):
        r = members[j]
        if r[3] == "户主":
            rows.append((r[2], r[1], f"{abbr}(2018){cn}不动产权第1{j:06d}号", "集体土地使用权/宅基地使用权/房屋所有权", "住宅",
                         "村民组", 120.0))
    for i, (ident, name) in enumerate(outsiders[4500:5500]):
        rows.append((ident, name, f"{abbr}(2020){cn}不动产权第2{i:06d}号", "国有建设用地使用权/房屋所有权",
                     _pick(rng, ("住宅", "住宅", "商业")), f"{towns[0]}{_pick(rng, ('环城路', '新华路', '建设路'))}{i}号", 88.0))
    _csv(files_dir / "不动产登记信息.csv", ("权利人", "身份证号码", "不动产权证号", "权利性质", "用途", "坐落", "建筑面积"),
         [(r[1], r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows])

    # 工商登记: planted shareholders of live companies; a closed business as the look-alike.
    rows = []
    hits, alike = take(k), take(1)
    planted["persons.business"] = hits
    for i, h in enumerate(hits):
        r = non_head(h)
        rows.append((r[2], r[1], f"91{county}MA6{i:07d}", f"{cn}{_pick(rng, _SHOPS)}有限公司", "股东", "存续", 20.0, "2017-07-07", ""))
    r = non_head(alike[0])
    rows.append((r[2], r[1], f"92{county}MA6X000001", f"{towns[0]}小卖部", "经营者", "注销", 0.5, "2012-03-01", "2016-05-01"))
    for i, (ident, name) in enumerate(outsiders[5500:6000]):
        rows.append((ident, name, f"91{county}MA7{i:07d}", f"{cn}{_pick(rng, _SHOPS)}有限公司",
                     _pick(rng, ("法定代表人", "股东", "经营者")), "存续", float(rng.integers(1, 200)), "2015-01-01", ""))
    _csv(files_dir / "市场主体登记信息.csv", (_ID, "姓名", "统一社会信用代码", "企业名称", "人员类型", "登记状态",
                                            "认缴出资额(万元)", "成立日期", "注销日期"), rows)

    # 户籍注销: planted deaths long before the year's end; a death in December and a move away as look-alikes.
    rows = []
    hits, alike = take(k), take(2)
    planted["persons.deceased_member"] = hits
    for h in hits:
        r = non_head(h)
        rows.append((r[2], r[1], "死亡", f"{year - 1}-0{int(rng.integers(3, 9))}-15"))
    rows.append((non_head(alike[0])[2], non_head(alike[0])[1], "死亡", f"{year}-12-02"))
    rows.append((non_head(alike[1])[2], non_head(alike[1])[1], "迁出", f"{year - 1}-04-01"))
    closed = [h for h, s in sorted(status.items()) if s == "closed"]
    for h in closed[:300]:
        r = by_household[h][0] if by_household.get(h) else None
        if r:
            rows.append((r[2], r[1], "死亡", f"{int(rng.integers(2015, year + 1))}-06-30"))
    for ident, name in outsiders[:400]:
        rows.append((ident, name, _pick(rng, ("死亡", "迁出")), f"{int(rng.integers(2014, year + 1))}-10-10"))
    _csv(files_dir / "户籍注销人员.csv", (_ID, "姓名", "注销原因", "注销日期"), rows,
         footer=f"填报日期：{end:%Y年%m月%d日}")

    # 服刑人员: planted sentences covering the year's end; a sentence served as the look-alike.
    rows = []
    hits, alike = take(k), take(1)
    planted["persons.imprisoned_member"] = hits
    for h in hits:
        r = non_head(h)
        rows.append((r[2], r[1], f"{year - 2}-03-01", f"{year + 3}-02-28", prison, "盗窃罪"))
    r = non_head(alike[0])
    rows.append((r[2], r[1], f"{year - 3}-01-10", f"{year - 1}-07-09", prison, "故意伤害罪"))
    for ident, name in outsiders[400:520]:
        rows.append((ident, name, f"{int(rng.integers(2012, year))}-05-01", f"{int(rng.integers(year, year + 8))}-05-01",
                     prison, _pick(rng, ("盗窃罪", "诈骗罪", "危险驾驶罪"))))
    _csv(files_dir / "服刑人员.csv", (_ID, "姓名", "入监日期", "刑满日期", "服刑场所", "罪名"), rows)

    # One person in two households: a child of one household copied into another (both are hits).
    pairs = [pair for pair in (take(2) for _ in range(2)) if len(pair) == 2]
    planted["persons.two_households"] = [h for pair in pairs for h in pair]
    for a, b in pairs:
        src, dst = non_head(a), non_head(b)
        conn.execute(text("UPDATE members SET id_number = :i, name = :n WHERE id = :id"),
                     {"i": src[2], "n": src[1], "id": dst[4]})

    # Income above the line for two years yet still poor; one year only as the look-alike.
    hits, alike = take(k), take(1)
    planted["persons.income_above_line"] = hits
    lines = dict(conn.execute(text("SELECT year, line_yuan FROM poverty_lines")).all())
    for h, years in [(h, (year - 1, year)) for h in hits] + [(h, (year,)) for h in alike]:
        for y in years:
            pc = round(lines[y] * 1.6)
            conn.execute(text("UPDATE household_years SET per_capita_net_income = :pc, net_income = :pc * members "
                              "WHERE household_id = :h AND year = :y"), {"pc": pc, "h": h, "y": y})

    # 学籍 and 医保: every register child 6–15 enrolled, every member insured, but for the planted.
    no_school = [h for h in poor if children.get(h) and h not in _used(planted)][:k]
    no_school += [h for h in exited if children.get(h)][:1]  # an exited household: 三保障 matters for exits too
    planted["persons.education_contradicted"] = no_school
    skip_child = {children[h][0][2] for h in no_school}
    rows = []
    for h, kids in sorted(children.items()):
        if status.get(h) == "closed":
            continue
        for r in kids:
            if r[2] in skip_child:
                continue
            grade = min(9, max(1, year - born(r).year - 5))
            rows.append((r[1], r[2], f"G{r[2]}", f"{_pick(rng, towns)}中心学校",
                         f"{grade}年级", _pick(rng, ("在读", "在校", "在读")), f"{year - grade + 1}-09-01"))
    for ident, name in outsiders[2000:3000]:
        rows.append((name, ident, f"G{ident}", f"{cn}第一小学", "3年级", "在读", f"{year - 2}-09-01"))
    _csv(files_dir / "学生学籍.csv", ("学生姓名", "身份证件号码", "全国学籍号", "学校名称", "年级", "学籍状态", "入学日期"), rows)

    no_cover = [h for h in poor if h not in _used(planted)][:k] + exited[-1:]
    planted["persons.medical_contradicted"] = no_cover
    skip_member = {non_head(h)[2] for h in no_cover}
    rows = [(r[2], r[1], "城乡居民基本医疗保险", "参保缴费", "2016-01-01") for r in members
            if r[2] not in skip_member and status.get(r[0]) != "closed"]
    rows += [(ident, name, _pick(rng, ("城乡居民基本医疗保险", "职工基本医疗保险")), "参保缴费", "2017-01-01")
             for ident, name in outsiders]
    _csv(files_dir / "参保人员.csv", (_ID, "姓名", "险种类型", "参保状态", "参保日期"), rows)

    # 低保/特困: the register's 低保 and 特困 households' heads, and some outside it (no rule reads it yet).
    rows = [(r[2], r[1], "农村低保" if attribute[h] == "dibao" else "特困供养", 300.0, "2016-01-01")
            for h, rows_h in sorted(by_household.items()) if attribute.get(h) in ("dibao", "tekun")
            for r in rows_h[:1]]
    rows += [(ident, name, "城市低保", 450.0, "2018-01-01") for ident, name in outsiders[3000:3300]]
    _csv(files_dir / "低保对象.csv", (_ID, "姓名", "保障类型", "月保障金额", "纳入时间"), rows)

    # The files are written: let go of the register's people before the imports read them back. At --scale 80
    # (7 million members) these lists and dicts held ≈ 6 GB while the 医保 import built as much again.
    members = by_household = children = status = prev = attribute = outsiders = rows = None  # noqa: F841
    for source, name in (("payroll", "财政供养人员.csv"), ("vehicles", "机动车登记信息.xlsx"),
                         ("property", "不动产登记信息.csv"), ("business", "市场主体登记信息.csv"),
                         ("deaths", "户籍注销人员.csv"), ("prison", "服刑人员.csv"), ("school", "学生学籍.csv"),
                         ("medical", "参保人员.csv"), ("assistance", "低保对象.csv")):
        import_department(conn, source, files_dir / name, as_of=end)
    conn.execute(text("INSERT INTO meta (key, value) VALUES ('planted_persons', :v)"),
                 {"v": json.dumps(planted, sort_keys=True)})
    return planted


def _used(planted: dict[str, list[int]]) -> set[int]:
    return {h for hs in planted.values() for h in hs}


_PROVINCE_ABBR = {"11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑", "31": "沪",
                  "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫", "42": "鄂", "43": "湘",
                  "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔", "53": "云", "54": "藏", "61": "陕",
                  "62": "甘", "63": "青", "64": "宁", "65": "新"}
_PROVINCE = {"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省", "22": "吉林省",
             "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
             "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西", "46": "海南省",
             "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省",
             "63": "青海省", "64": "宁夏", "65": "新疆"}
_SHOPS = ("商贸", "建材", "农业开发", "运输", "餐饮管理", "种植")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗莫韦蒙潘陆"
_GIVEN = "明华国强丽芳军伟秀英勇杰娟敏静燕玲平刚桂兰"


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _outsiders(rng: np.random.Generator, county: str, n: int, taken: set[str]) -> list[tuple[str, str]]:
    """People of the county outside the register, each with an ID number no one in the register has."""
    out = []
    taken = set(taken)
    while len(out) < n:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 60)))
        ident = make_id_number(county, birth, int(rng.integers(0, 1000)), bool(rng.random() < .5))
        if ident not in taken:
            taken.add(ident)
            out.append((ident, _pick(rng, _SURNAMES) + _pick(rng, _GIVEN) + _pick(rng, _GIVEN)))
    return out


def _csv(path: Path, header, rows, footer: str | None = None) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
        if footer:
            w.writerow((footer,))
