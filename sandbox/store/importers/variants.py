"""Spelled variants of coded values and region names (缺劳力, …村委会, 卡蒲乡), and the nearest names to suggest."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["unique_variant", "nearest", "village_aliases", "town_aliases", "town_written", "suggest"]

# A village written as its committee: 北村村委会, 北村村民委员会, 城南社区居委会.
_VILLAGE_SUFFIXES = re.compile(r"(村民委员会|村委会|居民委员会|居委会|委员会)$")
# A town written as its government or office: 卡蒲乡人民政府, 百泉镇政府, 城关街道办事处.
_TOWN_SUFFIXES = re.compile(r"(人民政府|政府|办事处)$")
# An ethnic township's short name leaves out its people: 卡蒲毛南族乡 → 卡蒲乡, 周覃布依族水族乡 → 周覃乡.
_PEOPLES = sorted(
    "毛南 布依 苗 水 侗 瑶 彝 壮 土家 仡佬 回 白 蒙古 满 哈尼 傣 黎 傈僳 佤 畲 拉祜 纳西 土 羌 仫佬 景颇 达斡尔 撒拉 布朗 锡伯 "
    "普米 阿昌 怒 德昂 独龙 京 基诺 门巴 珞巴 鄂温克 裕固 保安 东乡 塔吉克 哈萨克 维吾尔 柯尔克孜 朝鲜 藏 鄂伦春 赫哲 高山".split(),
    key=len, reverse=True)
_ETHNIC = re.compile(f"(?:(?:{'|'.join(_PEOPLES)})族)+(?=(乡|镇|民族乡)$)")


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def unique_variant(value: str, spellings: dict[str, object], min_len: int = 2) -> object | None:
    """The one code whose spelling the value abbreviates or extends (缺劳力 ⊂ 缺劳动力, 因病致贫 ⊃ 因病),
    character order kept; None when no code or more than one fits."""
    if len(value) < min_len:
        return None
    codes = {code for spelling, code in spellings.items()
             if len(spelling) >= min_len and (_is_subsequence(value, spelling) or _is_subsequence(spelling, value))}
    return codes.pop() if len(codes) == 1 else None


def nearest(value: str, names: Iterable[str], n: int = 3) -> list[str]:
    """The names most like `value` (difflib's ratio), best first."""
    names = list(dict.fromkeys(names))
    found = difflib.get_close_matches(value, names, n=n, cutoff=0.4)
    if not found:  # short Chinese names share few characters: at least name the ones that share one
        found = [x for x in names if set(x) & set(value)][:n]
    return found


def suggest(value: str, names: Iterable[str]) -> str:
    """'; 最接近的: A、B' or ''."""
    found = nearest(value, names)
    return f"; 最接近的: {'、'.join(found)}" if found else ""


def village_aliases(name: str) -> set[str]:
    """Other ways a register writes this village."""
    out = {name}
    stripped = _VILLAGE_SUFFIXES.sub("", name)
    if stripped != name and stripped:
        out.add(stripped if stripped.endswith(("村", "社区")) else stripped + "村")
        out.add(stripped)
    return out


def town_written(name: str) -> str:
    """A register's town without its office: 卡蒲乡人民政府 → 卡蒲乡."""
    return _TOWN_SUFFIXES.sub("", name) or name


def town_aliases(name: str) -> set[str]:
    """A town's name and its short forms: without 人民政府, without its peoples (卡蒲毛南族乡 → 卡蒲乡)."""
    out = {name}
    base = _TOWN_SUFFIXES.sub("", name) or name
    out.add(base)
    short = _ETHNIC.sub("", base).replace("民族乡", "乡")
    if short and short != base:
        out.add(short)
    return out
