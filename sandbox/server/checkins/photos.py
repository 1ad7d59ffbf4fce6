"""Check-in photos: base64 → bytes, checked to be a real JPEG or PNG of a phone's size, re-encoded
without EXIF/GPS, stored under random names."""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import secrets
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from sandbox.server.checkins.schemas import MAX_PHOTO_BYTES, BadCheckin

__all__ = ["Photo", "decode_photos", "save_photos", "remove_photos", "MAX_PHOTO_PIXELS"]

_DATA_URL = re.compile(r"^data:image/[a-zA-Z0-9.+-]+;base64,", re.ASCII)
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
# A phone camera makes 12-20 Mpx; a small file that claims more is a decompression bomb, not a photo.
MAX_PHOTO_PIXELS = 20_000_000
MAX_STORED_SIDE = 2000  # what is kept: enough to see the visit; a 12 Mpx JPEG is decoded at half scale
# Decoding is the costly step (CPU and ~4 bytes a pixel): at most this many at once, whatever comes in.
MAX_CONCURRENT_DECODES = 2
_DECODE_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_DECODES)


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
    return Photo(_reencode(which, data, fmt), ext)


def _reencode(which: str, data: bytes, fmt: str) -> bytes:
    """The photo as stored: decoded at most once, through the cheap path, re-encoded without metadata.

    The size in the header is checked before any pixel is decoded (Pillow reads it lazily); a JPEG is
    decoded at a reduced scale (draft) when it is larger than kept; EXIF, GPS and text chunks are not
    carried over, so what is stored says nothing about where or with what the photo was taken.
    """
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                # a phone's JPEG with a second picture in it opens as MPO: still a JPEG
                if img.format != fmt and not (fmt == "JPEG" and img.format == "MPO"):
                    raise BadCheckin(f"{which}不是有效的 {fmt} 图片")
                w, h = img.size
                if w < 1 or h < 1:
                    raise BadCheckin(f"{which}尺寸异常: {w}×{h}")
                if w * h > MAX_PHOTO_PIXELS:
                    raise BadCheckin(_too_many_pixels(which, w, h))
                with _DECODE_SLOTS:
                    if fmt == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when the kept size allows
                        ratio = min(1.0, MAX_STORED_SIDE / max(w, h))
                        img.draft("RGB", (max(1, int(w * ratio)), max(1, int(h * ratio))))
                    img.load()  # every (drafted) pixel: a truncated or corrupt file fails here
                    out = ImageOps.exif_transpose(img)  # upright before the orientation tag is dropped
                    out.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
                    buf = io.BytesIO()
                    if fmt == "JPEG":
                        if out.mode not in ("RGB", "L"):
                            out = out.convert("RGB")
                        out.save(buf, "JPEG", quality=88)
                    else:
                        out.save(buf, "PNG")
                    return buf.getvalue()
    except BadCheckin:
        raise
    except Image.DecompressionBombError:
        raise BadCheckin(f"{which}像素过多: 最多 {MAX_PHOTO_PIXELS // 1_000_000} 百万像素") from None
    except Exception:  # Pillow raises many types for broken data (OSError, SyntaxError, ValueError, …)
        raise BadCheckin(f"{which}已损坏或不是有效的 {fmt} 图片") from None


def _too_many_pixels(which: str, w: int, h: int) -> str:
    return (f"{which}像素过多: {w}×{h} (约 {w * h / 1e6:.0f} 百万像素), "
            f"最多 {MAX_PHOTO_PIXELS // 1_000_000} 百万像素 (手机相机的尺寸)")


def decode_photos(items: list[str]) -> list[Photo]:
    return [_decode_one(i, text) for i, text in enumerate(items)]


def save_photos(directory: Path, photos: list[Photo]) -> list[str]:
    """Write each photo under a random name in `directory`; returns the names."""
    if not photos:
        return []
    directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the data directory: private
    directory.mkdir(exist_ok=True, mode=0o700)
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
