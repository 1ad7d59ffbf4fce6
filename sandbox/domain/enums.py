"""Coded values of the 建档立卡 records: statuses, causes, 五个一批, stages, roles."""

from __future__ import annotations

import enum

__all__ = [
    "HouseholdStatus", "HouseholdAttribute", "PovertyCause", "ExitBatch", "ProjectStage",
    "FundStage", "CadreRole", "HousingGrade", "Role", "Industry",
]


class LabelledEnum(str, enum.Enum):
    """A str enum whose members carry a Chinese label; the value is the stable code."""

    def __new__(cls, value: str, label_zh: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label_zh = label_zh
        return obj

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {m.value: m.label_zh for m in cls}


class HouseholdStatus(LabelledEnum):
    poor = ("poor", "未脱贫")
    exited = ("exited", "已脱贫")
    relapsed = ("relapsed", "返贫")
    closed = ("closed", "销户")  # deceased or misidentified

    @classmethod
    def counted_poor(cls) -> tuple[str, str]:
        return (cls.poor.value, cls.relapsed.value)


class HouseholdAttribute(LabelledEnum):
    general = ("general", "一般贫困户")
    dibao = ("dibao", "低保贫困户")
    tekun = ("tekun", "特困供养贫困户")


class PovertyCause(LabelledEnum):
    illness = ("01", "因病")
    disability = ("02", "因残")
    schooling = ("03", "因学")
    disaster = ("04", "因灾")
    no_land = ("05", "缺土地")
    no_water = ("06", "缺水")
    no_skills = ("07", "缺技术")
    no_labour = ("08", "缺劳动力")
    no_capital = ("09", "缺资金")
    remote = ("10", "交通条件落后")
    no_drive = ("11", "自身发展动力不足")
    other = ("99", "其他")


class ExitBatch(LabelledEnum):
    """五个一批: the five ways out of poverty."""

    production = ("production", "发展生产脱贫一批")
    relocation = ("relocation", "易地搬迁脱贫一批")
    ecology = ("ecology", "生态补偿脱贫一批")
    education = ("education", "发展教育脱贫一批")
    social_security = ("social_security", "社会保障兜底一批")


class ProjectStage(LabelledEnum):
    pool = ("pool", "项目库")
    approved = ("approved", "批复")
    filed = ("filed", "备案")
    in_progress = ("in_progress", "实施中")
    accepted = ("accepted", "验收")
    handed_over = ("handed_over", "移交")

    @classmethod
    def started(cls) -> tuple[str, ...]:
        return (cls.in_progress.value, cls.accepted.value, cls.handed_over.value)


class FundStage(LabelledEnum):
    allocated = ("allocated", "下达")
    arrived = ("arrived", "到位")
    filed = ("filed", "备案")
    reimbursed = ("reimbursed", "报账")
    paid = ("paid", "支付")


class FundLevel(LabelledEnum):
    central = ("central", "中央")
    province = ("province", "省级")
    prefecture = ("prefecture", "市(州)级")  # 市, 自治州, 地区 or 盟: the demo names each its own way
    county = ("county", "县级")


class CadreRole(LabelledEnum):
    helper = ("helper", "帮扶责任人")
    first_secretary = ("first_secretary", "第一书记")
    village_team = ("village_team", "驻村工作队")
    town_cadre = ("town_cadre", "镇干部")


class HousingGrade(LabelledEnum):
    A = ("A", "A级")
    B = ("B", "B级")
    C = ("C", "C级危房")
    D = ("D", "D级危房")

    @property
    def safe(self) -> bool:
        return self in (HousingGrade.A, HousingGrade.B)


class Industry(LabelledEnum):
    dendrobium = ("dendrobium", "铁皮石斛")
    tea = ("tea", "茶叶")
    livestock = ("livestock", "生态畜牧")
    vegetables = ("vegetables", "蔬菜")
    fruit = ("fruit", "精品水果")
    mushrooms = ("mushrooms", "食用菌")
    herbs = ("herbs", "中药材")
    aquaculture = ("aquaculture", "水产养殖")
    solar = ("solar", "光伏扶贫")
    tourism = ("tourism", "乡村旅游")
    ecommerce = ("ecommerce", "电商扶贫")


class Role(LabelledEnum):
    """API roles; what each may see is in sandbox.domain.masking."""

    admin = ("admin", "管理员")
    leader = ("leader", "领导")
    display = ("display", "大屏展示")
    delegation = ("delegation", "参观接待")
    public = ("public", "公众")
    cadre = ("cadre", "帮扶干部")
