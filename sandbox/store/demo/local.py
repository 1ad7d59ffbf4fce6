"""What a demo county takes from where it is: fund authorities, ethnic groups and industries by province."""

from __future__ import annotations

__all__ = [
    "FundSourceSpec", "PROVINCE_ABBR", "autonomous_parts", "prefecture_short", "fund_sources", "ethnic_mix",
    "industry_pool", "project_labels",
]

# (level, fund_type, document-number prefix) of one funding authority.
FundSourceSpec = tuple[str, str, str]

# 简称 by the 2-digit province code: the prefix of a provincial finance department's documents.
PROVINCE_ABBR = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新", "71": "台",
    "81": "港", "82": "澳",
}

# The 55 minority nationalities, without 族; longest first so 土家 wins over 土.
_MINORITIES = sorted((
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split(), key=len, reverse=True)

# Main minority groups of rural counties, share of population, by province; 汉族 makes up the rest
# (provinces not listed: 汉族 only).
_PROVINCE_ETHNIC: dict[str, tuple[tuple[str, float], ...]] = {
    "13": (("满族", .04), ("回族", .01)),
    "15": (("蒙古族", .18), ("满族", .02), ("回族", .01)),
    "21": (("满族", .13), ("蒙古族", .02), ("回族", .01), ("朝鲜族", .01)),
    "22": (("朝鲜族", .04), ("满族", .04)),
    "23": (("满族", .03), ("朝鲜族", .01)),
    "42": (("土家族", .05),),
    "43": (("土家族", .04), ("苗族", .03), ("侗族", .01), ("瑶族", .01)),
    "45": (("壮族", .32), ("瑶族", .03), ("苗族", .01), ("侗族", .01)),
    "46": (("黎族", .15), ("苗族", .01)),
    "50": (("土家族", .05), ("苗族", .02)),
    "51": (("彝族", .03), ("藏族", .02), ("羌族", .01)),
    "52": (("苗族", .12), ("布依族", .07), ("侗族", .04), ("土家族", .04), ("彝族", .02)),
    "53": (("彝族", .11), ("哈尼族", .04), ("白族", .03), ("傣族", .03), ("壮族", .03), ("苗族", .03)),
    "54": (("藏族", .90),),
    "62": (("回族", .05), ("藏族", .02), ("东乡族", .02)),
    "63": (("藏族", .25), ("回族", .15), ("土族", .04), ("撒拉族", .02)),
    "64": (("回族", .36),),
    "65": (("维吾尔族", .45), ("哈萨克族", .07), ("回族", .04), ("柯尔克孜族", .01)),
}
# An autonomous prefecture's or county's own groups take this much of the population at least.
_AUTONOMOUS_SHARE = {"prefecture": .40, "county": .55}
_MAX_MINORITY = .95

# Industries by region, most typical first (codes of sandbox.domain.enums.Industry).
_SOUTH = ("tea", "vegetables", "fruit", "livestock", "mushrooms", "herbs", "tourism", "ecommerce", "solar")
_NORTH = ("vegetables", "fruit", "livestock", "mushrooms", "herbs", "solar", "tourism", "ecommerce")
_PASTORAL = ("livestock", "vegetables", "fruit", "herbs", "solar", "tourism", "ecommerce")
_SOUTH_PROVINCES = {"32", "33", "34", "35", "36", "42", "43", "44", "45", "46", "50", "51", "52", "53",
                    "71", "81", "82"}
_PASTORAL_PROVINCES = {"15", "54", "63", "64", "65"}
_COASTAL_PROVINCES = {"12", "13", "21", "31", "32", "33", "35", "37", "44", "45", "46", "71", "81", "82"}

_LABELS = {
    "tea": ("生态茶园", "茶叶种植基地", "茶叶加工厂"),
    "vegetables": ("蔬菜种植基地", "蔬菜保供基地", "设施蔬菜大棚"),
    "fruit": ("水果种植基地", "精品水果示范园", "果园提质增效项目"),
    "livestock": ("生猪养殖场", "肉牛养殖基地", "家禽养殖基地"),
    "mushrooms": ("食用菌种植基地", "食用菌大棚", "食用菌加工厂"),
    "herbs": ("中药材种植基地", "中药材示范园", "中药材初加工厂"),
    "aquaculture": ("水产养殖基地", "稻渔综合种养基地", "生态养殖池塘"),
    "solar": ("村级光伏扶贫电站", "光伏扶贫电站", "农光互补光伏电站"),
    "tourism": ("乡村旅游示范点", "农家乐集聚区", "乡村旅游接待中心"),
    "ecommerce": ("电商扶贫服务站", "农村电商服务中心", "农产品电商仓储中心"),
}
# Herding regions (and Muslim areas, where pigs are no project) raise cattle and sheep.
_PASTORAL_LIVESTOCK = ("肉牛养殖基地", "肉羊养殖场", "家禽养殖基地")


def autonomous_parts(name: str) -> tuple[str, tuple[str, ...]]:
    """Place name and nationalities of an autonomous area: 黔南布依族苗族自治州 → (黔南, (布依族, 苗族))."""
    if "自治" not in name:
        return name, ()
    base, groups = name[: name.index("自治")], []
    while base:
        with_zu = base.endswith("族")
        stem = base[:-1] if with_zu else base
        # a one-character name only counts before 族: 西藏自治区 is not a 藏族 area by its name
        hit = next((g for g in _MINORITIES if stem.endswith(g) and (with_zu or len(g) > 1)), None)
        if hit is None:
            break
        groups.insert(0, hit + "族")
        base = stem[: -len(hit)]
    return base, tuple(groups)


def _has_prefecture(province: str, prefecture: str, county: str) -> bool:
    # Municipality districts name the municipality, province-managed counties (省直辖县级) themselves.
    return bool(prefecture) and prefecture not in (province, county)


def prefecture_short(prefecture: str) -> str:
    """黔南布依族苗族自治州 → 黔南, 福州市 → 福州, 阿里地区 → 阿里, 阿拉善盟 → 阿拉善."""
    if prefecture.endswith("自治州"):
        short = autonomous_parts(prefecture)[0]
    else:
        short = next((prefecture[: -len(s)] for s in ("地区", "盟", "市") if prefecture.endswith(s)), prefecture)
    return short if len(short) >= 2 else prefecture


def _level_word(name: str, words: tuple[tuple[str, str], ...], default: str) -> str:
    return next((w for suffix, w in words if name.endswith(suffix)), default)


def fund_sources(code: str, province: str, prefecture: str, county: str) -> tuple[FundSourceSpec, ...]:
    """中央, 省, 市/州 (where the county has a prefecture) and 县 funds, named after the county's own authorities."""
    prov_level = _level_word(province, (("自治区", "自治区级"), ("特别行政区", "特区"), ("市", "市级")), "省级")
    out = [
        ("central", "中央财政专项扶贫资金", "财农"),
        ("province", f"{prov_level}财政专项扶贫资金", f"{PROVINCE_ABBR.get(code[:2], '省')}财农"),
    ]
    if _has_prefecture(province, prefecture, county):
        pref_level = _level_word(prefecture, (("自治州", "州级"), ("地区", "地区级"), ("盟", "盟级")), "市级")
        out.append(("prefecture", f"{pref_level}财政扶贫资金", f"{prefecture_short(prefecture)}财农"))
    county_kind = county[-1:] if county[-1:] in ("县", "区", "市", "旗") else "县"
    out.append(("county", "县级统筹整合涉农资金", f"{county_kind}财"))
    return tuple(out)


def _split(total: float, n: int) -> list[float]:
    """The first-named group of an autonomous area is the largest: halves, normalised to `total`."""
    w = [0.5 ** k for k in range(n)]
    return [total * x / sum(w) for x in w]


def ethnic_mix(code: str, prefecture: str, county: str) -> tuple[tuple[str, float], ...]:
    """(nationality, share) summing to 1: the province's main minorities; an autonomous prefecture's
    or county's own nationalities come first there, and the others count half."""
    shares = dict(_PROVINCE_ETHNIC.get(code[:2], ()))
    for level, name in (("prefecture", prefecture), ("county", county)):
        groups = autonomous_parts(name)[1]
        if groups:
            own = dict(zip(groups, _split(_AUTONOMOUS_SHARE[level], len(groups))))
            shares = {g: max(own.get(g, 0.0), s / 2) for g, s in shares.items()} | \
                     {g: max(s, shares.get(g, 0.0)) for g, s in own.items()}
    total = sum(shares.values())
    scale = min(1.0, _MAX_MINORITY / total) if total else 1.0
    minorities = [(g, round(s * scale, 3)) for g, s in sorted(shares.items(), key=lambda kv: -kv[1])]
    return (("汉族", round(1.0 - sum(s for _, s in minorities), 3)), *minorities)


def industry_pool(code: str) -> tuple[str, ...]:
    """Industries typical of the county's region, most typical first."""
    province = code[:2]
    pool = _PASTORAL if province in _PASTORAL_PROVINCES else _SOUTH if province in _SOUTH_PROVINCES else _NORTH
    if province in _COASTAL_PROVINCES:
        pool = pool[:2] + ("aquaculture",) + pool[2:]
    return pool


def project_labels(code: str) -> dict[str, tuple[str, ...]]:
    """Project names by industry (three each, so a town's projects do not repeat a name)."""
    labels = dict(_LABELS)
    if code[:2] in _PASTORAL_PROVINCES:
        labels["livestock"] = _PASTORAL_LIVESTOCK
    return labels
