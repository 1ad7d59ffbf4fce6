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


def test_dates_in_every_form_registers_write_them_give_their_year():
    import datetime as dt

    from sandbox.store.importers.fields import as_date

    for written in ("2014.10.12", "20141012", "2014/10/12", "2014年10月12日", "2014-10-12", 41924, 41924.5,
                    "41924", dt.date(2014, 10, 12), dt.datetime(2014, 10, 12, 8, 30), _wide("2014.10.12"),
                    "２０１４年１０月１２日", 20141012):
        assert as_year(written) == 2014, written
        assert as_date(written) == dt.date(2014, 10, 12), written
    assert as_year("2014年") == as_year("2014.0") == as_year(2014.0) == as_year("2014年10月") == 2014


def test_what_is_not_a_date_or_year_is_still_refused():
    import pytest

    from sandbox.store.importers.fields import CellError

    for written in ("2014.13.12", "去年", "14", "2014.02.30", 123):
        with pytest.raises(CellError):
            as_year(written)


def test_none_words_are_no_value_in_optional_fields():
    from sandbox.store.importers.fields import optional

    phone = optional(as_phone)
    for written in ("无", "/", "—", "-", "暂无", "－", "N/A"):
        assert phone(written) is None, written
    assert phone("13812345678") == "13812345678"


def test_sizes_in_words_or_with_units_are_taken_and_say_so():
    from sandbox.store.importers.fields import Corrected

    for written, n in (("四", 4), ("4人", 4), ("十二", 12), ("二十", 20), ("两口", 2), ("四口", 4)):
        got = as_int(written, 1, 99)
        assert isinstance(got, Corrected) and got.value == n, written
    assert as_int("4", 1, 99) == 4 and as_int(4.0) == 4
