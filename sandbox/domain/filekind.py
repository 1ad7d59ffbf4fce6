"""What a file's first bytes say it is, in Chinese, for "扩展名是 .xlsx, 但内容是 …" messages."""

from __future__ import annotations

__all__ = ["describe_content"]


def describe_content(head: bytes) -> str:
    """What the first bytes of a file look like, for "扩展名是 .xlsx, 但内容是 …"."""
    if head.startswith(b"PK\x03\x04"):
        return "ZIP 压缩包 (如 .xlsx 工作簿)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "旧版 Office 文件 (.xls)"
    if head.startswith(b"SQLite format 3\x00"):
        return "SQLite 数据库 (如 GeoPackage)"
    if head.startswith(b"%PDF"):
        return "PDF 文档"
    if head[:4] == b"\x00\x00\x27\x0a":
        return "Shapefile 几何文件 (.shp)"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
        return "网页或 XML 文本"
    if stripped.startswith((b"{", b"[")):
        return "JSON 文本"
    if not head:
        return "空文件"
    if b"\x00" in head:
        return "二进制数据"
    return "纯文本 (如 CSV)"
