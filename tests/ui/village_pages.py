"""A village's households page as the server sends it (masked names and ID numbers), for the village tests."""

from __future__ import annotations


def households_page(prefix: str = "王", n: int = 3) -> dict:
    return {"total": n, "page": 1, "page_size": 50, "year": 2020, "items": [
        {"head_name": f"{prefix}{i}*", "id_number": f"522726********{i:04d}", "members": 3} for i in range(n)]}
