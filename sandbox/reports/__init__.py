"""Printed documents (reportlab PDFs): the 利益联结明白卡 and the project's 扶贫信息榜, from the public views."""
