"""Check-in photos: a phone camera's size at most (checked in the header, before decoding), decoded a
few at a time, stored without EXIF or GPS."""

from __future__ import annotations

import base64
import io
import threading
import time

import pytest
from PIL import Image, ImageFile

from sandbox.server.checkins import photos as photos_module
from sandbox.server.checkins.photos import MAX_PHOTO_PIXELS, decode_photos
from sandbox.server.checkins.schemas import BadCheckin


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def _jpeg_with_gps(size=(800, 600)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0112] = 6  # Orientation: rotated 90° clockwise
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (25.0, 49.0, 48.0), 3: "E", 4: (107.0, 32.0, 42.0)})
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


@pytest.fixture()
def decodes(monkeypatch) -> list[tuple[int, int]]:
    """Every image whose pixels are decoded (ImageFile.load), with its size."""
    seen: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self):
        seen.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_a_49_megapixel_png_is_refused_before_decoding(decodes):
    bomb = _png((7000, 7000))  # 49 Mpx of one colour: a few KB on the wire, ~150 MB decoded as RGB
    assert len(bomb) < 200_000
    with pytest.raises(BadCheckin) as err:
        decode_photos([_b64(bomb)])
    assert "像素过多" in str(err.value) and "7000×7000" in str(err.value)
    assert decodes == []  # refused from the header alone


def test_a_phone_sized_photo_is_accepted_and_drafted(decodes):
    w, h = 4000, 3000  # 12 Mpx, as a phone takes it
    assert w * h <= MAX_PHOTO_PIXELS
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (90, 120, 60)).save(buf, "JPEG", quality=60)
    [photo] = decode_photos([_b64(buf.getvalue())])
    with Image.open(io.BytesIO(photo.data)) as img:
        assert img.format == "JPEG" and max(img.size) <= photos_module.MAX_STORED_SIDE
    # decoded at a reduced scale (JPEG draft), not at 4000×3000
    assert decodes and max(decodes[0]) < w


def test_stored_jpeg_has_no_exif_and_no_gps():
    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as img:
        assert img.getexif().get_ifd(0x8825)  # the test photo does carry GPS
    [photo] = decode_photos([_b64(original)])
    assert b"Exif" not in photo.data and b"PhoneMaker" not in photo.data
    with Image.open(io.BytesIO(photo.data)) as img:
        assert not img.getexif() and not img.getexif().get_ifd(0x8825)
        assert img.size == (600, 800)  # turned upright before the orientation tag was dropped


def test_stored_png_has_no_metadata():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "25.83,107.54")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buf = io.BytesIO()
    Image.new("RGB", (40, 30)).save(buf, "PNG", pnginfo=info, exif=exif)
    [photo] = decode_photos([_b64(buf.getvalue())])
    assert b"25.83" not in photo.data and b"PhoneMaker" not in photo.data and b"eXIf" not in photo.data


def test_decodes_run_a_few_at_a_time(monkeypatch):
    busy = peak = 0
    lock = threading.Lock()
    real = ImageFile.ImageFile.load

    def slow_load(self):
        nonlocal busy, peak
        with lock:
            busy += 1
            peak = max(peak, busy)
        time.sleep(0.05)
        try:
            return real(self)
        finally:
            with lock:
                busy -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", slow_load)
    photo = _b64(_png((64, 48), "RGB"))
    threads = [threading.Thread(target=decode_photos, args=([photo],)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == photos_module.MAX_CONCURRENT_DECODES


def _phone_jpeg(size=(1600, 1200), **save) -> bytes:
    """A photo as the phone app sends it (≤ 1600 px), with the metadata a camera adds: EXIF with GPS,
    XMP, a comment. Noise upscaled, so it does not compress away, like a real picture."""
    import random

    rnd = random.Random(7)
    w, h = size[0] // 8, size[1] // 8
    small = Image.frombytes("RGB", (w, h), bytes(rnd.getrandbits(8) for _ in range(w * h * 3)))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 1  # upright
    exif.get_ifd(0x8825).update({1: "N", 2: (25.0, 49.0, 48.0), 3: "E", 4: (107.0, 32.0, 42.0)})
    buf = io.BytesIO()
    small.resize(size, Image.BICUBIC).save(buf, "JPEG", quality=80, exif=exif, comment=b"shot at 25.83,107.54",
                                           xmp=b"<x:xmpmeta>PhoneMaker GPS 25.83</x:xmpmeta>", **save)
    return buf.getvalue()


@pytest.mark.parametrize("save", [{}, {"progressive": True}, {"restart_marker_rows": 2}],
                         ids=["baseline", "progressive", "restart-markers"])
def test_an_upright_phone_sized_jpeg_is_stored_as_sent_less_its_metadata(save):
    original = _phone_jpeg(**save)
    with Image.open(io.BytesIO(original)) as img:
        assert img.getexif().get_ifd(0x8825) and b"PhoneMaker" in original and b"25.83" in original
        pixels = img.convert("RGB").tobytes()
    [photo] = decode_photos([_b64(original)])
    assert len(photo.data) <= len(original)  # re-encoding at quality 88 made it half as large again
    assert b"Exif" not in photo.data and b"PhoneMaker" not in photo.data and b"25.83" not in photo.data
    with Image.open(io.BytesIO(photo.data)) as img:
        assert img.format == "JPEG" and img.size == (1600, 1200)
        assert not img.getexif() and "comment" not in img.info and "xmp" not in img.info
        assert img.convert("RGB").tobytes() == pixels  # the picture data as sent: not a second lossy pass


def test_a_phones_second_picture_is_not_kept():
    first, second = Image.new("RGB", (640, 480), (200, 40, 40)), Image.new("RGB", (640, 480), (40, 40, 200))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], exif=_jpeg_exif_with_gps())
    original = buf.getvalue()
    with Image.open(io.BytesIO(original)) as img:
        assert img.format == "MPO" and img.n_frames == 2
    [photo] = decode_photos([_b64(original)])
    assert len(photo.data) < len(original) * 0.6 and b"MPF" not in photo.data and b"PhoneMaker" not in photo.data
    with Image.open(io.BytesIO(photo.data)) as img:
        assert img.format == "JPEG" and getattr(img, "n_frames", 1) == 1
        assert img.convert("RGB").getpixel((320, 240))[0] > 150  # the first picture


def _jpeg_exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (25.0, 49.0, 48.0)})
    return exif


@pytest.mark.parametrize("cut", [200, -200, -2])
def test_a_cut_off_jpeg_is_still_refused(cut):
    original = _phone_jpeg((400, 300))
    with pytest.raises(BadCheckin) as err:
        decode_photos([_b64(original[:cut])])
    assert "已损坏" in str(err.value)


def test_strip_jpeg_metadata_refuses_what_does_not_parse():
    assert photos_module.strip_jpeg_metadata(b"\xff\xd8\xff\xe1\x00") is None
    assert photos_module.strip_jpeg_metadata(b"\xff\xd8garbage") is None
    assert photos_module.strip_jpeg_metadata(b"GIF89a") is None
