"""What the check-in rules keep of a photo: its perceptual hash and the EXIF time it was taken (never its GPS)."""

from __future__ import annotations

import datetime as dt
import io

__all__ = ["photo_hash", "exif_taken_at", "hash_distance", "BEIJING"]

BEIJING = dt.timezone(dt.timedelta(hours=8))
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_OFFSET_TIME_ORIGINAL = 0x9011
_DATETIME = 0x0132  # IFD0: when the file was last written, the fallback


def photo_hash(data: bytes) -> str | None:
    """The photo's perceptual hash (imagehash's pHash, 64 bits as 16 hex digits): the same scene re-encoded,
    shrunk or slightly cropped keeps a hash a few bits away. None when the bytes do not decode."""
    import imagehash
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format in ("JPEG", "MPO"):
                img.draft("L", (64, 64))  # decoded at 1/8 scale: the hash looks at 32×32 pixels anyway
            return str(imagehash.phash(img.convert("L")))
    except Exception:  # Pillow raises many types for broken data; a photo that does not decode has no hash
        return None


def hash_distance(a: str, b: str) -> int:
    """Bits that differ between two hex hashes."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def exif_taken_at(data: bytes) -> dt.datetime | None:
    """When the photo says it was taken (EXIF DateTimeOriginal, else DateTimeDigitized, else DateTime), as a
    naive Beijing time like the check-ins' own; a camera's offset tag is honoured, without one the phone's
    clock is taken to be Beijing time. None when the photo carries no readable time. Reads the header only."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
            raw = sub.get(_DATETIME_ORIGINAL) or sub.get(_DATETIME_DIGITIZED) or exif.get(_DATETIME)
            offset = sub.get(_OFFSET_TIME_ORIGINAL)
    except Exception:
        return None
    if not isinstance(raw, str):
        return None
    try:
        taken = dt.datetime.strptime(raw.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if isinstance(offset, str):
        try:
            sign = -1 if offset.strip().startswith("-") else 1
            hours, minutes = offset.strip().lstrip("+-").split(":")
            tz = dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))
            taken = taken.replace(tzinfo=tz).astimezone(BEIJING).replace(tzinfo=None)
        except (ValueError, OverflowError):
            pass
    return taken
