"""What the loaded dataset is: demo or real, its as-of time, its build stamp (for caches)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox.store import queries

__all__ = ["dataset_info"]


def dataset_info(session: Session) -> dict:
    meta = queries.meta(session)
    demo = meta.get("demo") == "true"
    return {
        "demo": demo,
        "data_label": "演示数据" if demo else None,
        "as_of": meta.get("data_as_of"),
        "imported_at": meta.get("imported_at"),  # apart from as_of: when the register came in, not its date
        "build": f'{meta.get("built_at")}/{meta.get("facts_version")}',
        # a demo province roots at the province (sandbox.store.demo.province); a county's data at the county
        "root_region": meta.get("root_region") or ((meta["county_code"] + "000000") if meta.get("county_code") else None),
    }
