"""Writes a document all at once: to a temporary file beside the target, renamed over it when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["check_writable", "write_atomically"]


def check_writable(out: Path) -> Path:
    """`out` resolved, or ValueError in words a clerk reads when it cannot be written (checked before any
    work is done, so a wrong path costs nothing)."""
    out = Path(out).expanduser()
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise ValueError(f"无法写入 {out}: 这是一个文件夹, 请给出文件名, 如 {out / 'cards.pdf'}")
    if not folder.is_dir():
        raise ValueError(f"无法写入 {out}: 文件夹 {folder} 不存在")
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"无法写入 {out}: 没有写入权限")
    return out


def write_atomically(out: Path, render: Callable[[str], None]) -> int:
    """Calls `render(path)` to write into a temporary file next to `out`, then renames it to `out`:
    a failure leaves no file, or the old one untouched. Returns the size in bytes."""
    out = check_writable(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        render(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return out.stat().st_size
