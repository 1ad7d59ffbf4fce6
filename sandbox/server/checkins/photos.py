"""Check-in photos: base64 → bytes, checked to be a real JPEG or PNG of a phone's size, stored without
EXIF/GPS (a JPEG that needs no turning or shrinking keeps its picture data as sent), under random names."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import os
import re
import secrets
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from sandbox.server.checkins.schemas import MAX_PHOTO_BYTES, BadCheckin
from sandbox.store.risk.photo_marks import exif_taken_at, photo_hash

__all__ = ["Photo", "decode_photos", "photo_from_bytes", "check_stored", "save_photos", "remove_photos", "strip_jpeg_metadata", "MAX_PHOTO_PIXELS"]

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
    # for the check-in rules (issue 17): the EXIF time, read before the EXIF is stripped, and the stored
    # picture's perceptual hash
    taken_at: dt.datetime | None = None
    phash: str | None = None
    # its pixels not decoded yet (photo_checks.py decodes them after the answer; `phash` comes then)
    pending: bool = False


def _decode_one(i: int, text: str, defer: bool = False) -> Photo:
    which = f"第 {i + 1} 张照片"
    text = _DATA_URL.sub("", text.strip(), count=1)
    if len(text) > (MAX_PHOTO_BYTES + 2) // 3 * 4 + 8:
        raise BadCheckin(f"{which}过大: 每张不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadCheckin(f"{which}不是有效的 base64 编码") from None
    return photo_from_bytes(i, data, defer)


def photo_from_bytes(i: int, data: bytes, defer: bool = False) -> Photo:
    """The `i`th photo (0-based) from its file's bytes (an upload), checked and stripped as stored.

    `defer`: a JPEG that needs no turning or shrinking (what the phone app sends) is checked from its header
    and markers only and comes back `pending`; its pixels are decoded later (`check_stored`)."""
    which = f"第 {i + 1} 张照片"
    if len(data) > MAX_PHOTO_BYTES:
        raise BadCheckin(f"{which}过大: 每张不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if data.startswith(_JPEG):
        ext, fmt = "jpg", "JPEG"
    elif data.startswith(_PNG):
        ext, fmt = "png", "PNG"
    else:
        raise BadCheckin(f"{which}不是图片: 仅接受 JPEG 或 PNG")
    if defer and fmt == "JPEG":
        kept = _kept_as_sent(data)
        if kept is not None:
            return Photo(kept, ext, exif_taken_at(data), None, pending=True)
    stored = _stored(which, data, fmt)  # checked (size, pixels, a whole picture) before anything else reads it
    with _DECODE_SLOTS:  # the hash decodes the kept picture again (at 1/8 scale): one more decode to count
        # the EXIF time from the bytes as sent (the stored ones carry none); a PNG's would need a full decode
        taken = exif_taken_at(data) if fmt == "JPEG" else None
        return Photo(stored, ext, taken, photo_hash(stored))


def _kept_as_sent(data: bytes) -> bytes | None:
    """An upright JPEG of the kept size and a phone camera's pixels at most, less its metadata, found so from
    its header and its markers (which reach the end of a picture) without decoding a pixel. None for any
    other: it is decoded now (turned, shrunk, or refused with the reason, a file cut off in transfer too)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                w, h = img.size
                if img.format not in ("JPEG", "MPO") or not 0 < w * h <= MAX_PHOTO_PIXELS \
                        or max(w, h) > MAX_STORED_SIDE or img.mode not in ("RGB", "L") \
                        or img.getexif().get(_ORIENTATION, 1) != 1:
                    return None
    except Exception:  # noqa: BLE001 — Pillow raises many types for broken data; the full path says which
        return None
    return strip_jpeg_metadata(data)


def check_stored(i: int, data: bytes) -> tuple[str | None, str | None]:
    """A pending photo's deferred check, on its stored bytes: (its perceptual hash, None) when every pixel
    decodes, else (None, the problem in Chinese — the words a 422 said when it was checked in the request)."""
    from PIL import Image

    which = f"第 {i + 1} 张照片"
    with _DECODE_SLOTS:
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # every pixel: a broken table or picture data fails here
        except Exception:  # noqa: BLE001 — Pillow raises many types for broken data
            return None, f"{which}已损坏或不是有效的 JPEG 图片"
        return photo_hash(data), None


def _stored(which: str, data: bytes, fmt: str) -> bytes:
    """The photo as stored: decoded at most once, through the cheap path, without metadata.

    The size in the header is checked before any pixel is decoded (Pillow reads it lazily); every pixel is
    decoded, so a broken file is refused. An upright JPEG of the kept size is stored as sent less its
    metadata segments (re-encoding it would lose detail and grow it: 418 KB → 655 KB at quality 88); any
    other photo is decoded (a large JPEG at a reduced scale), turned upright, shrunk and re-encoded.
    EXIF, GPS and text chunks are not carried over either way, so what is stored says nothing about where
    or with what the photo was taken.
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
                    if fmt == "JPEG" and max(w, h) <= MAX_STORED_SIDE and img.mode in ("RGB", "L") \
                            and img.getexif().get(_ORIENTATION, 1) == 1:
                        kept = strip_jpeg_metadata(data)  # upright and small enough: no second lossy pass
                        if kept is not None:
                            return kept
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


# Segments kept when a JPEG is stored as sent: JFIF (APP0), the colour profile (APP2 "ICC_PROFILE") and
# Adobe's colour transform (APP14) say how to show the pixels; every other APPn (EXIF and GPS in APP1,
# XMP, maker notes, the MPF index of a second picture) and comments say who, where and with what.
_KEEP_APP = {0xE0: b"JFIF\0", 0xE2: b"ICC_PROFILE\0", 0xEE: b"Adobe"}
_ORIENTATION = 0x0112


def strip_jpeg_metadata(data: bytes) -> bytes | None:
    """The JPEG's first picture with only the segments needed to show it: the compressed picture data
    untouched, nothing after its end (a phone's second picture); None when the markers do not parse."""
    if not data.startswith(b"\xff\xd8"):
        return None
    out, i, n = [b"\xff\xd8"], 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:  # end of the picture
            out.append(b"\xff\xd9")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out.append(bytes((0xFF, marker)))
            continue
        if i + 2 > n:
            return None
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2 or i + length > n:
            return None
        body = data[i + 2:i + length]
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or \
                (marker in _KEEP_APP and body.startswith(_KEEP_APP[marker])):
            out.append(bytes((0xFF, marker)) + data[i:i + length])
        i += length
        if marker == 0xDA:  # a scan: entropy-coded data up to the next marker that is not a restart
            j = i
            while True:
                j = data.find(b"\xff", j)
                if j < 0 or j + 1 >= n:
                    return None
                if data[j + 1] == 0x00 or 0xD0 <= data[j + 1] <= 0xD7:
                    j += 2
                    continue
                break
            out.append(data[i:j])
            i = j
    return None


def _too_many_pixels(which: str, w: int, h: int) -> str:
    return (f"{which}像素过多: {w}×{h} (约 {w * h / 1e6:.0f} 百万像素), "
            f"最多 {MAX_PHOTO_PIXELS // 1_000_000} 百万像素 (手机相机的尺寸)")


def decode_photos(items: list[str], defer: bool = False) -> list[Photo]:
    """The base64 photos of a request, checked; `defer` as in `photo_from_bytes`."""
    return [_decode_one(i, text, defer) for i, text in enumerate(items)]


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
