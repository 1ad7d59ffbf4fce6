"""Household-register import speed: rows per second at 10k and 100k rows (xlsx and CSV), first import
and re-import of the same file (which must change nothing); and a county's messy export next to it.

The registers are the demo county's, exported in the 建档立卡 layout and cut to N rows; each run
imports into a fresh database that holds only the county's boundaries.

    python bench/import.py [--rows 10000,100000] [--formats xlsx,csv] [--messy 2000,20000] [--workdir /tmp/sandbox-bench-import]
    python bench/import.py --pg postgresql://sandbox:sandbox@127.0.0.1:5432/sandbox_import   # a scratch database:
                                                                                         # its tables are dropped
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.demo.builder import build_demo  # noqa: E402
from sandbox.store.importers import (  # noqa: E402
    export_boundaries,
    export_households,
    import_boundaries,
    import_households,
)
from sandbox.store.importers.xlsx import write_xlsx  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402
from sandbox.store.models import Base  # noqa: E402


def source_files(workdir: Path) -> tuple[Path, Path, Path]:
    """The demo (built once), its boundaries and its whole register as CSV (all years)."""
    demo = workdir / "demo.db"
    engine = make_engine(f"sqlite:///{demo}")
    upgrade(engine)
    with engine.connect() as conn:
        built = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'scale'").scalar()
    if built != "1":
        print("building the demo county (scale 1) …", file=sys.stderr)
        build_demo(engine, progress=True)
    regions = workdir / "regions.gpkg"
    register = workdir / "register.csv"
    if not regions.exists() or not register.exists():
        export_boundaries(engine, regions)
        export_households(engine, register, members=False)
    engine.dispose()
    return regions, register, register.with_name("register.村级数据.csv")


def cut(register: Path, villages: Path, rows: int, fmt: str, workdir: Path) -> Path:
    with register.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        body = [r for _, r in zip(range(rows), reader)]
    if len(body) < rows:
        raise SystemExit(f"the demo register has only {len(body)} rows; ask for fewer")
    with villages.open(encoding="utf-8-sig", newline="") as f:
        vrows = list(csv.reader(f))
    # CSV cells are text; an Excel export holds numbers as numbers: convert the numeric columns.
    numeric = {i for i, h in enumerate(header) if h in {"识别年度", "年度", "脱贫年度", "家庭人口数", "工资性收入",
                                                         "生产经营性收入", "转移性收入", "财产性收入", "生产经营性支出",
                                                         "纯收入", "人均纯收入", "经度", "纬度"}}
    path = workdir / f"register_{rows}.{fmt}"
    if fmt == "xlsx":
        typed = [[(float(v) if "." in v else int(v)) if i in numeric and v else (v or None) for i, v in enumerate(r)]
                 for r in body]
        write_xlsx(path, [("户信息", header, typed), ("村级数据", vrows[0], vrows[1:])])
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([header, *body])
        with path.with_name(f"{path.stem}.村级数据.csv").open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(vrows)
    return path


def fresh_target(url: str | None, workdir: Path, name: str):
    if url:
        engine = make_engine(url)
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    else:
        path = workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def messy_lines(sizes: list[int], formats: list[str], workdir: Path) -> list[str]:
    """The messy export of tests/importers/messy.py (merged titles, 序号, full-width digits, dates in every
    form, 无 for a phone, spelled variants, 合计/制表人 rows, 25 truly invalid households) at each size."""
    from tests.importers import messy

    lines = ["| case | format | households | rows read | import (s) | rows/s | accepted | rejected | warnings "
             "| skipped rows |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    regions = messy.boundaries(workdir / "messy.geojson")
    for n in sizes:
        register = messy.build(n)
        for fmt in formats:
            path = workdir / f"messy_{n}.{fmt}"
            (messy.write_xlsx if fmt == "xlsx" else messy.write_gbk_csv)(register, path)
            engine = fresh_target(None, workdir, f"messy_{n}_{fmt}")
            import_boundaries(engine, regions)
            t0 = time.perf_counter()
            r = import_households(engine, path)
            t = time.perf_counter() - t0
            lines.append(f"| messy | {fmt}{' + 家庭成员' if fmt == 'xlsx' else ' (GBK)'} | {n:,} | {r.rows_read:,} | "
                         f"{t:.1f} | {r.rows_read / t:,.0f} | {r.households_imported:,} | {r.households_rejected:,} | "
                         f"{len(r.report.warnings):,} | {sum(r.rows_skipped.values())} |")
            print(lines[-1], file=sys.stderr, flush=True)
            engine.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="10000,100000")
    p.add_argument("--formats", default="xlsx,csv")
    p.add_argument("--workdir", default="/tmp/sandbox-bench-import")
    p.add_argument("--pg", help="also run on this scratch PostgreSQL database (its tables are dropped)")
    p.add_argument("--messy", default="2000,20000", help="households in the messy-export case ('' to skip)")
    args = p.parse_args(argv)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    regions, register, villages = source_files(workdir)
    targets = [("SQLite", None)] + ([("PostgreSQL", args.pg)] if args.pg else [])
    lines = ["| database | format | rows | first import (s) | rows/s | read | validate | write | rollup "
             "| same file again (s) | rows/s | changed |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n in [int(x) for x in args.rows.split(",")]:
        for fmt in args.formats.split(","):
            path = cut(register, villages, n, fmt, workdir)
            for label, url in targets:
                engine = fresh_target(url, workdir, f"target_{n}_{fmt}")
                import_boundaries(engine, regions)
                t0 = time.perf_counter()
                first = import_households(engine, path)
                t1 = time.perf_counter() - t0
                t0 = time.perf_counter()
                again = import_households(engine, path)
                t2 = time.perf_counter() - t0
                assert first.rows_rejected == 0, first.report.summary(3)
                s = first.seconds
                lines.append(f"| {label} | {fmt} | {n:,} | {t1:.1f} | {n / t1:,.0f} | {s.get('read', 0):.1f} | "
                             f"{s.get('validate', 0):.1f} | {s.get('write', 0):.1f} | {s.get('rollup', 0):.1f} | "
                             f"{t2:.1f} | {n / t2:,.0f} | {'yes' if again.changed else 'no'} |")
                print(lines[-1], file=sys.stderr, flush=True)
                engine.dispose()
    if args.messy:
        # the messy export next to the clean one: its rows read include the 家庭成员 sheet (xlsx)
        lines += [""] + messy_lines([int(x) for x in args.messy.split(",")], args.formats.split(","), workdir)
    print("\n".join(lines))
    print("\nrows: 户信息 rows (one per household and year) plus the 村级数据 sheet; read = parsing the file, "
          "validate = every cell converted and checked, write = upserts, rollup = indicators recomputed "
          "(refresh_facts/refresh_totals), all in one transaction. 'same file again' must change nothing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
