"""Cell values of a register turned into record values, or a reason in Chinese why not."""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Iterable

from sandbox.store.importers.dates import parse_date
from sandbox.store.importers.tables import normalise_value

__all__ = ["CellError", "Corrected", "is_blank", "is_none_word", "optional", "as_text", "as_int", "as_year",
           "as_date", "as_number", "as_bool", "as_code", "id_number_problem", "as_id_number", "as_phone", "as_digits"]

_EXACT_FLOAT = 2 ** 53  # above this a float no longer holds every integer: digits were lost
_NUMBER_NOISE = re.compile(r"[,，\s元￥¥]")
_INT = re.compile(r"^[+-]?\d+(\.0+)?(人|户|口|年)?$")
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
_DASHES = {"-", "—", "--", "——", "/", "无"}
# What people write in an optional cell for "none": no value, not a value that fails its check.
_NONE_WORDS = frozenset({"无", "暂无", "没有", "空", "无号码", "无电话", "未填", "不详", "/", "\\", "-", "--", "—", "——",
                         "－", "–", "·", "NULL", "NONE", "N/A", "NA", "#N/A", "无手机", "无联系电话"})
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_COUNT = re.compile(r"^([〇零一二两三四五六七八九十]{1,3})(人|户|口)?$")
# GB 11643 weights and check characters (as sandbox.domain.idcard; mapped here, a few times faster
# over a hundred thousand numbers).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_TODAY = dt.date.today()
# Full-width forms typed with a Chinese input method (５２２７…, Ｘ) and the ideographic space: the
# ASCII they stand for, so that digits are digits to every check below.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


class CellError(ValueError):
    """A cell that cannot become the field's value; str() is the reason shown in the report."""


class Corrected:
    """A value read from a spelling the field does not use (四 for 4, 缺劳力 for 缺劳动力): imported, and
    listed in the report as a warning that says what it was taken as."""

    __slots__ = ("value", "taken_as")

    def __init__(self, value, taken_as: str) -> None:
        self.value, self.taken_as = value, taken_as


def is_none_word(v) -> bool:
    """无, 暂无, /, —, - …: what people write in a cell that has nothing to say."""
    return isinstance(v, str) and normalise_value(v) in _NONE_WORDS


def optional(convert):
    """A converter for an optional field: a "none" word is no value (a phone of 无 is no phone)."""
    def read(v):
        return None if is_none_word(v) else convert(v)
    return read


def is_blank(v) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def as_text(v) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if v.is_integer():
            if abs(v) >= _EXACT_FLOAT:
                raise CellError("被 Excel 存成了数字, 末几位已丢失; 请把该列设为文本格式后重新导出")
            return str(int(v))
        return repr(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    s = str(v).strip()
    # Exports keep long numbers as text with ="…" or a leading apostrophe; the content is what counts.
    if s.startswith('="') and s.endswith('"') and len(s) >= 3:
        s = s[2:-1].strip()
    elif s.startswith("'"):
        s = s[1:].strip()
    return s


def as_digits(v) -> str:
    """A cell that holds a number or code, as text with full-width forms made ASCII (names keep theirs:
    they must match the boundary file's spelling)."""
    return as_text(v).translate(_FULL_WIDTH).strip()


def as_int(v, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(v, bool):
        raise CellError("应为整数")
    if isinstance(v, float):
        if not v.is_integer():
            raise CellError("应为整数")
        n = int(v)
    elif isinstance(v, int):
        n = v
    else:
        s = str(v).translate(_FULL_WIDTH).strip().replace(",", "")
        if m := _CN_COUNT.match(s):
            n = _chinese_number(m.group(1))
            if n is None:
                raise CellError("应为整数")
            _check_range(n, lo, hi)
            return Corrected(n, f"{n} (中文数字)")
        if not _INT.match(s):
            raise CellError("应为整数")
        n = int(float(s.rstrip("人户口年")))
        if s[-1] in "人户口年":
            _check_range(n, lo, hi)
            return Corrected(n, f"{n} (去掉单位 {s[-1]})")
    _check_range(n, lo, hi)
    return n


def _check_range(n: int, lo: int | None, hi: int | None) -> None:
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise CellError(f"应在 {lo} 到 {hi} 之间")


def _chinese_number(s: str) -> int | None:
    """一 … 九十九 (十, 十二, 二十, 二十三); None for anything else."""
    if "十" not in s:
        return _CN_DIGITS[s] if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    t = _CN_DIGITS[tens] if tens else 1
    return t * 10 + (_CN_DIGITS[ones] if ones else 0)


def as_year(v) -> int:
    """A year, or the year of a date in any form registers write one (2014.10.12, 20141012, 2014年10月12日,
    an Excel serial or date cell)."""
    _, year = parse_date(v)
    if year is None:
        raise CellError("应为四位年份或日期, 如 2016 或 2016-10-12")
    if not 1950 <= year <= 2100:
        raise CellError("应在 1950 到 2100 之间")
    return year


def as_date(v) -> dt.date:
    d, _ = parse_date(v)
    if d is None:
        raise CellError("应为日期, 如 2020-12-31 或 2020年12月31日")
    return d


def as_number(v) -> float | None:
    if isinstance(v, bool):
        raise CellError("应为数字")
    if isinstance(v, (int, float)):
        x = float(v)
    else:
        s = _NUMBER_NOISE.sub("", str(v).translate(_FULL_WIDTH))
        if s in _DASHES:
            return None
        try:
            x = float(s)
        except ValueError:
            raise CellError("应为数字") from None
    if not math.isfinite(x):
        raise CellError("应为有限的数字")
    return x


def as_bool(v, true_values: frozenset[str], false_values: frozenset[str], extra: dict | None = None) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    s = normalise_value(str(v))
    if extra and s in extra:
        return bool(extra[s])
    if s in true_values:
        return True
    if s in false_values:
        return False
    raise CellError("应为 是/否")


def as_code(v, lookup: dict[str, object], labels: Iterable[str]) -> object:
    """`lookup` maps normalised spellings to codes; the message lists the standard labels."""
    key = normalise_value(as_text(v))
    if key in lookup:
        return lookup[key]
    raise CellError("不在代码表中, 可用: " + "、".join(labels))


def id_number_problem(s: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643) is not valid, or None if it is."""
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", s):  # 5.22727E+17: a CSV saved from Excel with the ID as a number
        return "被 Excel 存成了科学计数法数字 (如 5.22727E+17), 末几位已丢失; 请把该列设为文本格式后重新导出"
    if len(s) == 15 and s.isascii() and s.isdigit():
        return "是 15 位旧身份证号码, 应为 18 位"
    if len(s) != 18:
        return f"长度为 {len(s)} 位, 应为 18 位"
    if not s.isascii() or not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        return "含有数字以外的字符 (只有最后一位可以是 X)"
    try:
        born = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return f"出生日期 {s[6:14]} 不存在"
    if born.year < 1890 or born > _TODAY:
        return f"出生日期 {s[6:14]} 不合理"
    expected = _ID_CHECK[sum(map(operator.mul, map(int, s[:17]), _ID_WEIGHTS)) % 11]
    if expected != s[17]:
        return f"校验位错误: 按前 17 位应为 {expected}, 实为 {s[17]}"
    return None


def as_id_number(v) -> str:
    s = as_digits(v).upper().replace(" ", "")
    problem = id_number_problem(s)
    if problem:
        raise CellError(f"证件号码无效: {problem}")
    return s


def as_phone(v) -> str:
    s = as_digits(v)
    if not _PHONE.match(s):
        raise CellError("不像电话号码 (只应含数字、+、-、括号)")
    return s
