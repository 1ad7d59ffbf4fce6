"""Target figures of the demo county: the seed article's for Dushan, plausible ones elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sandbox.store.demo.local import industry_pool, project_labels

__all__ = ["CountyTargets", "Flagship", "targets_for", "YEARS", "POVERTY_LINES"]

YEARS = tuple(range(2014, 2021))

# Yuan per person per year at current prices (2,300 at 2010 prices); one row per year in the DB.
POVERTY_LINES = {2014: 2800, 2015: 2855, 2016: 2952, 2017: 3335, 2018: 3535, 2019: 3747, 2020: 4000}


@dataclass(frozen=True)
class Flagship:
    """A real project site the seed article names, shown with its cameras."""

    town: str
    name: str
    industry: str
    cameras: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class CountyTargets:
    towns: tuple[str, ...]
    seat_town: str
    villages: int
    poor_villages: int
    rural_population_2016: int
    poor_population_2016: int
    registered_households_2017: int
    cadres_2017: int
    helpers_2017: int
    first_secretary_villages: int
    town_cadres: int
    # Incidence (%) per year; the 2016 figure comes from the two exact numbers above.
    incidence: dict[int, float] = field(default_factory=dict)
    example_cadre: str | None = None  # the seed's named cadre; elsewhere a generated name
    flagship: Flagship | None = None
    industries_by_town: dict[str, tuple[str, ...]] = field(default_factory=dict)
    project_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # industry → project names
    # (nationality, share) of members; None: from the county's province and autonomous areas
    ethnic_groups: tuple[tuple[str, float], ...] | None = None

    def scaled(self, n: int) -> CountyTargets:
        """`--scale N`: N times the households, people and cadres; villages stay."""
        if n == 1:
            return self
        return replace(
            self,
            rural_population_2016=self.rural_population_2016 * n,
            poor_population_2016=self.poor_population_2016 * n,
            registered_households_2017=self.registered_households_2017 * n,
            cadres_2017=self.cadres_2017 * n,
            helpers_2017=self.helpers_2017 * n,
            town_cadres=self.town_cadres * n,
        )


_STORY = {2014: 21.5, 2015: 18.6, 2017: 9.6, 2018: 5.2, 2019: 1.8, 2020: 0.15}

DUSHAN = CountyTargets(
    # After the 2013-2014 merger: 8 towns (seed: 二城六区八镇).
    towns=("百泉镇", "麻尾镇", "影山镇", "基长镇", "玉水镇", "上司镇", "下司镇", "麻万镇"),
    seat_town="百泉镇",
    villages=133,
    poor_villages=74,
    rural_population_2016=308_400,  # 46,572 / 308,400 = 15.10%
    poor_population_2016=46_572,
    registered_households_2017=24_006,
    cadres_2017=6_791,
    helpers_2017=6_746,
    first_secretary_villages=61,
    town_cadres=45,
    incidence=_STORY,
    example_cadre="白加泉",
    flagship=Flagship("基长镇", "济生铁皮石斛产业园", "dendrobium", ("园区大门", "1号种植大棚", "2号种植大棚"),
                      "种植大棚门口张贴精准扶贫利益联结明白卡,扫码可查贫困户扶贫信息"),
    industries_by_town={
        "基长镇": ("dendrobium", "tea", "livestock"),
        "影山镇": ("tea", "fruit"),
        "麻尾镇": ("vegetables", "livestock"),
        "百泉镇": ("vegetables", "fruit"),
        "玉水镇": ("fruit", "livestock"),
        "上司镇": ("tea", "livestock"),
        "下司镇": ("vegetables", "dendrobium"),
        "麻万镇": ("livestock", "tea"),
    },
    project_labels={
        "dendrobium": ("铁皮石斛种植基地", "铁皮石斛仿野生种植示范园"),
        "tea": ("生态茶园", "高山茶叶种植基地", "茶叶加工厂"),
        "livestock": ("生态养牛场", "林下生态鸡养殖基地", "生猪代养场"),
        "vegetables": ("蔬菜保供基地", "食用菌大棚", "辣椒种植基地"),
        "fruit": ("百香果种植基地", "精品水果示范园", "蓝莓种植基地"),
    },
    # 布依族, 苗族, 水族 ≈ 75% of the population (seed article)
    ethnic_groups=(("布依族", .45), ("苗族", .13), ("水族", .17), ("汉族", .23), ("瑶族", .02)),
)

# Syllables for synthetic town names of counties without a target list.
_TOWN_SYLLABLES = "清石龙凤云溪平安和兴东西南北新金长江河山桥田坝坪塘岩水花松柏林"


_INCIDENCE = {2014: 17.5, 2015: 15.0, 2017: 8.0, 2018: 4.4, 2019: 1.6, 2020: 0.1}  # % (2016: 12, from the counts)
_INCIDENCE_2016 = 12.0


def targets_for(code: str, area_km2: float, towns: tuple[str, ...] = (), villages: int = 0,
                poor_2014: tuple[int, float] | None = None) -> CountyTargets:
    """Dushan's figures for 522726; elsewhere, figures in proportion to the county's area (or, with
    `poor_2014` = (poor people, incidence %) in 2014, its share of a real province's: sandbox.store.demo.proportion)
    and industries typical of its province, for the county's real `towns` and number of `villages`
    when given (else made-up town names, 16 villages a town)."""
    if code == "522726":
        return DUSHAN
    names: list[str] = list(towns)
    towns_n = len(names) or max(5, min(15, round(area_km2 / 230)))
    i = 0
    while len(names) < towns_n:
        a = _TOWN_SYLLABLES[(i * 7 + int(code[-2:])) % len(_TOWN_SYLLABLES)]
        b = _TOWN_SYLLABLES[(i * 13 + int(code[-3:-1]) + 3) % len(_TOWN_SYLLABLES)]
        name = f"{a}{b}镇"
        if a != b and name not in names:
            names.append(name)
        i += 1
    villages = villages or towns_n * 16
    pool = industry_pool(code)
    rural = int(max(60_000, min(900_000, area_km2 * 140)))
    ratio = 1.0  # of the county's incidence to the default curve's, every year
    if poor_2014 is not None:
        people, pct = poor_2014
        ratio = pct / _INCIDENCE[2014]
        rural = round(people / (pct / 100) / 1.008)  # builder.plan_county: the 2014 rural population is 1.008 × 2016's
    poor = int(rural * _INCIDENCE_2016 * ratio / 100)
    households = int(poor * 0.52)
    helpers = int(households / 3.6)
    return CountyTargets(
        towns=tuple(names), seat_town=names[0], villages=villages, poor_villages=max(1, int(villages * 0.45)),
        rural_population_2016=rural, poor_population_2016=poor, registered_households_2017=households,
        cadres_2017=helpers + towns_n * 6, helpers_2017=helpers,
        first_secretary_villages=int(villages * 0.4), town_cadres=towns_n * 6,
        incidence={y: round(v * ratio, 4) for y, v in _INCIDENCE.items()},
        flagship=None,
        # two industries a town, one from each half of the region's list (most typical first)
        industries_by_town={n: (pool[k % len(pool)], pool[(k + len(pool) // 2) % len(pool)])
                            for k, n in enumerate(names)},
        project_labels=project_labels(code),
    )
