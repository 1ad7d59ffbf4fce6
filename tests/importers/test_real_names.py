"""A register placed by 乡镇+村 names is checked against the statistics bureau's real names
(maps/divisions.tsv.gz): a name the bureau does not list is imported with a warning naming the nearest
real ones, once per name; real names, and rows placed by code, pass without a word."""

from __future__ import annotations

from sandbox.store.importers import import_boundaries, import_households
from sandbox.store.importers.realnames import RealNames
from tests.importers.conftest import H, box, distinct_household_row, feature, write_geojson, write_register

# 平潭县 (350128): 金井镇 with its real 湖西村 and a boundary file's 北羊村 (the bureau's 北洋村).
COUNTY = "350128000000"
JINJING, JUNSHAN = "350128107000", "350128108000"
VILLAGES = {
    "350128107200": ("湖西村", JINJING, (119.7, 25.5, 119.8, 25.6)),
    "350128107201": ("北羊村", JINJING, (119.7, 25.4, 119.8, 25.5)),
    "350128108200": ("流水村", JUNSHAN, (119.8, 25.5, 119.9, 25.6)),
    "350128108201": ("户楼村", JUNSHAN, (119.8, 25.4, 119.9, 25.5)),
}


def _boundaries(tmp_path):
    features = [feature(COUNTY, "平潭县", box(119.7, 25.4, 119.9, 25.6)),
                feature(JINJING, "金井镇", box(119.7, 25.4, 119.8, 25.6)),
                feature(JUNSHAN, "君山镇", box(119.8, 25.4, 119.9, 25.6))]
    features += [feature(c, n, box(*b)) for c, (n, _, b) in VILLAGES.items()]
    return write_geojson(tmp_path / "pingtan.geojson", features)


def _row(n: int, code: str, by_name: bool = True) -> dict:
    name, town, _ = VILLAGES[code]
    row = distinct_household_row(n)
    row.update({H["household_number"]: f"{code}{n:05d}", H["county"]: "平潭县",
                H["town"]: "金井镇" if town == JINJING else "君山镇", H["village"]: name,
                H["village_code"]: None if by_name else code})
    return row


def test_names_not_in_the_bureaus_list_are_warned_with_the_nearest(empty_engine, tmp_path):
    import_boundaries(empty_engine, _boundaries(tmp_path))
    rows = [_row(1, "350128107200"), _row(2, "350128107201"), _row(3, "350128107201"),
            _row(4, "350128108200"), _row(5, "350128107201", by_name=False)]
    result = import_households(empty_engine, write_register(tmp_path / "reg.xlsx", rows))
    assert result.report.errors == []
    unreal = [w for w in result.report.warnings if "国家统计局" in w.reason]
    # once for the name (rows 2 and 3 both say 北羊村), none for 湖西村 or 流水村, none for the row with a code
    assert len(unreal) == 1, [w.reason for w in result.report.warnings]
    assert unreal[0].row == 3 and unreal[0].value == "北羊村" and "北洋村" in unreal[0].reason.split("最接近的")[1]


def test_town_names_and_everyday_village_forms(empty_engine, tmp_path):
    import_boundaries(empty_engine, _boundaries(tmp_path))
    with empty_engine.connect() as conn:
        real = RealNames(conn)
    assert real.check("350128107200", "金井", "湖西村委会") is None  # 金井 = 金井镇, 湖西村委会 = 湖西村
    assert real.check("350128107200", "金井镇", "湖西") is None
    warning = real.check("350128108200", "君山县镇", "流水村")
    assert warning and "君山镇" in warning.split("最接近的")[1]
    assert real.check("990101100201", "西镇", "北村") is None  # a county the list does not hold: no check
