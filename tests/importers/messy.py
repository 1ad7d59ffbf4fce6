"""A neighbouring county's 建档立卡 export as counties really send it: 2,000 households, an .xlsx with merged
title rows, 序号, full-width digits, lower-case x, dates in every form, 无 for a phone, 四 for a size, spelled
variants, 合计 and 制表人 rows, a header repeated mid-sheet and a trailing 说明 sheet; and the same as a GBK CSV.

Exactly `INVALID` households are truly invalid (wrong check digits, a head twice, IDs Excel turned into
numbers, blank heads): every other one must import.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.domain.idcard import make_id_number
from tests.importers.conftest import box, feature, write_geojson

COUNTY = ("522727000000", "平塘县")
# Towns and villages (synthetic codes, real-looking names): one ethnic township, written short in places.
TOWNS = {
    "522727100000": ("平舟镇", ["城关村", "河中村", "京舟村"]),
    "522727200000": ("卡蒲毛南族乡", ["场河村", "甲青村", "新关村"]),
    "522727300000": ("通州镇", ["通州村", "平里河村", "六硐村"]),
}
STATED = dt.date(2020, 12, 31)  # the 填报日期 in the footer
HEADER = ["序号", "户编号", "县", "乡镇", "村", "户主姓名", "证件号码", "联系电话", "贫困户属性", "识别时间",
          "主要致贫原因", "年度", "脱贫状态", "脱贫年度", "家庭人口数", "工资性收入", "生产经营性收入", "转移性收入",
          "财产性收入", "生产经营性支出", "住房安全等级", "饮水安全", "是否有辍学", "是否全部参保"]
MEMBER_HEADER = ["户编号", "姓名", "证件号码", "与户主关系", "性别", "民族"]
_WIDE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗莫韦蒙"
_GIVEN = "明华英芳军平秀兰建国志强丽娟文华春梅德才金花玉成正"


def villages() -> list[tuple[str, str, str, str]]:
    """(village code, village name, town code, town name)."""
    return [(f"{t[:9]}{k + 1:03d}", v, t, tn) for t, (tn, vs) in TOWNS.items() for k, v in enumerate(vs)]


def boundaries(path: Path) -> Path:
    feats = [feature(COUNTY[0], COUNTY[1], box(107.0, 25.0, 107.3, 25.3))]
    for k, (code, (name, _)) in enumerate(TOWNS.items()):
        feats.append(feature(code, name, box(107.0 + 0.1 * k, 25.0, 107.1 + 0.1 * k, 25.3)))
    for code, name, town, _ in villages():
        k, j = list(TOWNS).index(town), int(code[-3:]) - 1
        feats.append(feature(code, name, box(107.0 + 0.1 * k, 25.0 + 0.1 * j, 107.1 + 0.1 * k, 25.1 + 0.1 * j)))
    return write_geojson(path, feats)


@dataclass
class Messy:
    households: list[list] = field(default_factory=list)  # rows under HEADER (序号 first)
    members: list[list] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # 户编号 → why it is truly invalid
    people: int = 0  # in the valid households


def _id(seq: int, born: dt.date) -> str:
    return make_id_number("522727", born, seq, True)


def build(n: int = 2000, seed: int = 12) -> Messy:
    rng = random.Random(seed)
    out = Messy()
    vs = villages()
    # Which households are truly invalid, and how: 8 wrong check digits, 6 heads that head an earlier
    # household too, 6 IDs Excel kept as numbers (digits lost), 5 blank heads.
    picks = rng.sample(range(10, n), 25)
    kinds = dict(zip(picks, ["check"] * 8 + ["dup"] * 6 + ["excel"] * 6 + ["blank"] * 5))
    valid_heads: list[str] = []
    for h in range(n):
        code, vname, _, tname = vs[h % len(vs)]
        number = f"{code}{h + 1:05d}"
        # one (birthday, sequence) per head and per member: IDs of their own at any size (born ≤ 1989 / ≥ 1990)
        born = dt.date(1940, 1, 1) + dt.timedelta(days=3 * (h % 6000))
        ident = _id(2 * (h // 6000) + 1, born)
        size = rng.randint(1, 6)
        kind = kinds.get(h)
        head_name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        written_id: object = ident.lower() if ident.endswith("X") else ident
        if kind == "check":
            written_id = ident[:17] + ("0" if ident[17] != "0" else "1")
        elif kind == "dup":
            written_id = valid_heads[rng.randrange(len(valid_heads))]
        elif kind == "excel":
            written_id = float(ident[:17] + "0")  # 5.22727…e+17: the last digits are gone
        elif kind == "blank":
            head_name = ""
        if kind:
            out.invalid[number] = kind
        else:
            out.people += size
            valid_heads.append(ident)
        if h % 7 == 0:
            written_id = str(written_id).translate(_WIDE) if isinstance(written_id, str) else written_id
        town = "卡蒲乡" if tname == "卡蒲毛南族乡" and h % 3 == 0 else tname
        village = f"{vname}村委会" if h % 11 == 0 else f"{vname[:-1]}村民委员会" if h % 13 == 0 else vname
        phone = ["无", "/", "—", "暂无", "-"][h % 5] if h % 4 == 0 else f"1{rng.randint(3, 8)}{rng.randrange(10**9):09d}"
        if h % 9 == 0 and phone[0].isdigit():
            phone = phone.translate(_WIDE)
        when = dt.date(2014, rng.randint(4, 10), rng.randint(1, 28))
        written_when = [when.strftime("%Y.%m.%d"), when.strftime("%Y%m%d"), when.strftime("%Y/%m/%d"),
                        f"{when.year}年{when.month}月{when.day}日", when.isoformat(), (when - dt.date(1899, 12, 30)).days,
                        when][h % 7]
        attribute = ["一般贫困户", "低保贫困户", "低保兜底户", "特困供养贫困户"][h % 4]
        cause = ["因病", "因残", "缺劳力", "缺技术", "缺资金", "因学"][h % 6]
        exited = h % 3 == 0
        members = ["四", "4人"][h % 2] if size == 4 and h % 5 == 0 else size
        wage = rng.randint(0, 12000)
        out.households.append([
            h + 1, number, "平塘县", town, village, head_name, written_id, phone, attribute, written_when, cause,
            2016, "已脱贫" if exited else "未脱贫", 2016 if exited else None, members, f"{wage:,}", rng.randint(0, 6000),
            rng.randint(0, 3000), 0, rng.randint(0, 1500), rng.choice("ABBBCD"), rng.choice(["是", "是", "否"]),
            "否", rng.choice(["是", "是", "是", "否"])])
        for k in range(size):
            mid = ident if k == 0 else _id(2 * k + 1 + 20 * (h // 6000), dt.date(1990, 1, 1) + dt.timedelta(days=h % 6000))
            out.members.append([number, head_name if k == 0 else rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                                str(written_id) if k == 0 else mid, "户主" if k == 0 else "子女",
                                "男" if int(mid[16]) % 2 else "女", rng.choice(["布依族", "毛南族", "苗族", "汉族"])])
    return out


def _sheet_rows(m: Messy) -> list[list]:
    """Title rows, the header, the data with the header again mid-way, a 合计 row and the footers."""
    half = len(m.households) // 2
    body = m.households[:half] + [HEADER] + m.households[half:]
    total = ["合计", None, None, None, None, None, None, None, None, None, None, None, None, None,
             sum(r[14] if isinstance(r[14], int) else 4 for r in m.households)]
    return [["平塘县建档立卡贫困户信息采集表"], ["填报单位：平塘县扶贫开发办公室", None, None, None, None, None, None,
                                         "单位：元、人"], HEADER, *body, total,
            ["制表人：罗某某", None, None, None, None, "审核人：莫某某", None, None, None, None,
             f"填报日期：{STATED.year}年{STATED.month}月{STATED.day}日"],
            ["说明：1. 本表数据来源于全国扶贫开发信息系统。"]]


def write_xlsx(m: Messy, path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "贫困户信息"
    for row in _sheet_rows(m):
        ws.append(row)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=7)
    for r in ws.iter_rows(min_row=4, min_col=10, max_col=10):
        if isinstance(r[0].value, dt.date):
            r[0].number_format = "yyyy-mm-dd"
    members = wb.create_sheet("家庭成员")
    members.append(MEMBER_HEADER)
    for row in m.members:
        members.append(row)
    notes = wb.create_sheet("说明")
    notes.append(["说明"])
    notes.append(["1. 户编号为 17 位: 村级区划代码 + 5 位顺序号。"])
    notes.append(["2. 数据截至 2020 年 12 月 31 日。"])
    wb.save(path)
    return path


def write_gbk_csv(m: Messy, path: Path) -> Path:
    """The household sheet as a GBK CSV, as Excel on Chinese Windows saves one (IDs as 5.22727E+17)."""
    def cell(v):
        if isinstance(v, float):
            return f"{v:.5E}".replace("E+", "E+")
        if isinstance(v, dt.date):
            return v.strftime("%Y/%m/%d")
        return "" if v is None else v
    with path.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        for row in _sheet_rows(m):
            w.writerow([cell(v) for v in row])
    return path
