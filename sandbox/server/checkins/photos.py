"""Check-in photos: base64 → bytes, checked to be a real JPEG or PNG, stored under random names."""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from sandbox.server.checkins.schemas import MAX_PHOTO_BYTES, BadCheckin

__all__ = ["Photo", "decode_photos", "save_photos", "remove_photos"]

_DATA_URL = re.compile(r"^data:image/[a-zA-Z0-9.+-]+;base64,", re.ASCII)
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_MAX_PIXELS = 50_000_000  # a 2 MB file that claims more is a decompression bomb, not a photo


@dataclass(frozen=True)
class Photo:
    data: bytes
    ext: str  # "jpg" or "png"


def _decode_one(i: int, text: str) -> Photo:
    which = f"第 {i + 1} 张照片"
    text = _DATA_URL.sub("", text.strip(), count=1)
    if len(text) > (MAX_PHOTO_BYTES + 2) // 3 * 4 + 8:
        raise BadCheckin(f"{which}过大: 每张不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadCheckin(f"{which}不是有效的 base64 编码") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise BadCheckin(f"{which}过大: 每张不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if data.startswith(_JPEG):
        ext, fmt = "jpg", "JPEG"
    elif data.startswith(_PNG):
        ext, fmt = "png", "PNG"
    else:
        raise BadCheckin(f"{which}不是图片: 仅接受 JPEG 或 PNG")
    _check_image(which, data, fmt)
    return Photo(data, ext)


def _check_image(which: str, data: bytes, fmt: str) -> None:
    """Decode with Pillow when it is installed (it is a dependency; the check degrades to the
    magic bytes above without it)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != fmt:
                    raise BadCheckin(f"{which}不是有效的 {fmt} 图片")
                w, h = img.size
                if w < 1 or h < 1 or w * h > _MAX_PIXELS:
                    raise BadCheckin(f"{which}尺寸异常: {w}×{h}")
                img.load()  # decodes every pixel: a truncated or corrupt file fails here
    except BadCheckin:
        raise
    except Exception:  # Pillow raises many types for broken data (OSError, SyntaxError, ValueError, …)
        raise BadCheckin(f"{which}已损坏或不是有效的 {fmt} 图片") from None


def decode_photos(items: list[str]) -> list[Photo]:
    return [_decode_one(i, text) for i, text in enumerate(items)]


def save_photos(directory: Path, photos: list[Photo]) -> list[str]:
    """Write each photo under a random name in `directory`; returns the names."""
    if not photos:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    try:
        for p in photos:
            name = f"{secrets.token_hex(16)}.{p.ext}"
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            with os.fdopen(fd, "wb") as f:
                f.write(p.data)
            names.append(name)
    except BaseException:
        remove_photos(directory, names)
        raise
    return names


def remove_photos(directory: Path, names: list[str]) -> None:
    for name in names:
        try:
            (directory / name).unlink()
        except OSError:
            pass
