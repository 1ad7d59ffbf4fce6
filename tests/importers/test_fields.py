"""Cell conversions: full-width forms typed with a Chinese input method are digits in numbers and codes,
and stay as they are in names (which must match the boundary file's spelling)."""

from __future__ import annotations

from sandbox.store.importers.fields import as_id_number, as_int, as_number, as_phone, as_text, as_year


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_digits_are_digits_in_numbers_and_codes():
    assert as_id_number(_wide("522726199001011032")) == "522726199001011032"
    assert as_phone(_wide("13812345678")) == "13812345678"
    assert as_number(_wide("1,234.5")) == 1234.5
    assert as_int(_wide("12")) == 12
    assert as_year(_wide("2016")) == 2016


def test_names_keep_their_full_width_brackets():
    assert as_text("北村（社区）") == "北村（社区）"
    assert as_text("  王小明 ") == "王小明"


def test_one_line_messages_mask_ids_and_accounts_but_not_household_numbers():
    from sandbox.store.importers.report import Issue

    issue = Issue("错误", "reg.xlsx", None, 5, "户编号", "52272610320100001",
                  "户主 522726199001011032 的银行卡 6217000011112222 与户编号 52272610320100001 不符")
    line = issue.describe()
    assert "52272610320100001" in line  # the row's key: the user needs it to find the row
    assert "522726199001011032" not in line and "6217000011112222" not in line
