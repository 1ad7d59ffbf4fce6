"""One demo camera's picture: a pre-rendered site (sky, hills, greenhouses or fields, a wind
turbine, the camera's name), with moving parts (turning blades, a drifting cloud, a walking
worker, a sweeping light, a blinking REC dot) and a clock burned in, so a frozen picture is
visible at a glance. No Qt here: numpy and Pillow.

Keeping the CPU low. A plain render-and-encode costs ~3 ms per 640×360 frame (JPEG ~2 ms), i.e.
~5 % of a core per camera at 20 fps. So frames are built from two JPEG encodings that share
quantisation and Huffman tables and have a restart marker after every MCU row (16 px):

- the scene above the clock bar moves with a period of `LOOP_S` seconds; each of its
  `LOOP_S × fps` frames is encoded once and kept (about 2-3 MB per watched camera);
- the bottom bar with the clock is encoded alone (a 640×56 strip, ~0.3 ms) when its text changes
  (10 times a second);

and a frame is the scene's header and MCU rows, then the strip's rows with their restart markers
renumbered: a valid baseline JPEG, identical to encoding the composed picture (tests check
that). Steady state: ~0.5 % of a core per camera. If splicing ever fails, frames are encoded
whole.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
from pathlib import Path

import numpy as np

__all__ = ["SceneRenderer", "CLOCK_BOX", "TZ", "LOOP_S"]

log = logging.getLogger(__name__)
TZ = dt.timezone(dt.timedelta(hours=8))  # the clock shows Beijing time, as a site camera would
LOOP_S = 6.0  # the moving scene repeats after this many seconds (the clock does not)
_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
_CLOCK_CHARS = "0123456789-:. "
# (left, top, right, bottom) of the clock as a fraction of the frame: tests crop it to compare
CLOCK_BOX = (0.52, 0.86, 0.99, 0.985)
_MCU = 16  # MCU height with 4:2:0 chroma subsampling (Pillow's default below quality 95)
_RST = re.compile(rb"\xff[\xd0-\xd7]")


def _font(size: int):
    from PIL import ImageFont

    for path in _FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def _entropy(jpeg: bytes) -> tuple[bytes, list[bytes]]:
    """(everything up to the scan data, the scan's restart intervals) of a baseline JPEG."""
    sos = jpeg.find(b"\xff\xda")
    if sos < 0 or not jpeg.endswith(b"\xff\xd9"):
        raise ValueError("not a baseline JPEG with one scan")
    start = sos + 2 + int.from_bytes(jpeg[sos + 2: sos + 4], "big")
    return jpeg[:start], _RST.split(jpeg[start:-2])


class SceneRenderer:
    def __init__(self, camera_id: int, name: str, site: str | None = None, width: int = 640, height: int = 360,
                 fps: float = 20.0, quality: int = 70) -> None:
        from PIL import Image, ImageDraw

        self._Image, self._ImageDraw = Image, ImageDraw
        self.camera_id, self.name, self.site = camera_id, name, site or ""
        self.width, self.height, self.fps, self.quality = width, height, fps, quality
        self.rng = np.random.default_rng(camera_id * 7919 + 17)
        self.greenhouse = "大棚" in name or "石斛" in name or "菌" in name
        # the clock bar starts on an MCU row: it can be encoded on its own and spliced in
        self.bar_top = (int(height * CLOCK_BOX[1]) - 8) // _MCU * _MCU
        self._rows = -(-height // _MCU)
        self._bar_rows = self._rows - self.bar_top // _MCU
        self.horizon = int(height * self.rng.uniform(0.42, 0.55))
        self.turbine = (int(width * self.rng.uniform(0.6, 0.9)), self.horizon - int(self.rng.uniform(20, 45)))
        self.background = self._background()
        self._bar_background = self.background.crop((0, self.bar_top, width, height))
        self._glyphs, self._glyph_w, self._glyph_h = self._clock_glyphs()
        self._cloud = self._cloud_sprite()
        self.frames_in_loop = max(1, int(round(LOOP_S * fps)))
        self._scenes: dict[int, tuple[bytes, list[bytes]]] = {}  # loop index → (header, scene rows)
        self._bar: tuple[str, list[bytes]] | None = None  # (clock text, the bar's rows)
        self.splice = True

    # -- pre-rendered parts ---------------------------------------------------------------------
    def _background(self):
        W, H, horizon = self.width, self.height, self.horizon
        rng = self.rng
        hue = rng.uniform(0, 1)
        y = np.linspace(0, 1, horizon)[:, None]
        top = np.array([40 + 30 * hue, 90 + 40 * hue, 160 + 40 * (1 - hue)])
        bottom = np.array([170, 200, 225])
        sky = (top * (1 - y) + bottom * y)[:, None, :].repeat(W, axis=1)
        ground = np.zeros((H - horizon, W, 3))
        g = np.linspace(0, 1, H - horizon)[:, None]
        ground[:] = (np.array([70, 110, 55]) * (1 - g) + np.array([45, 80, 35]) * g)[:, None, :]
        pixels = np.concatenate([sky, ground]).clip(0, 255).astype(np.uint8)
        img = self._Image.fromarray(pixels, "RGB")
        d = self._ImageDraw.Draw(img)
        for layer, shade in ((0, (60, 95, 75)), (1, (50, 85, 60))):  # hills on the horizon
            xs = np.linspace(0, W, 12)
            ys = horizon - rng.uniform(10, 60 - 20 * layer, len(xs))
            d.polygon([(0, horizon)] + list(zip(xs.tolist(), ys.tolist())) + [(W, horizon)], fill=shade)
        tx, ty = self.turbine  # the wind turbine's tower; its blades turn each frame
        d.line([(tx, ty), (tx, horizon + 6)], fill=(235, 238, 240), width=3)
        if self.greenhouse:
            n = int(rng.integers(4, 7))
            for k in range(n):
                x0 = int(W * (k + 0.15) / n)
                x1 = int(W * (k + 0.9) / n)
                top_y = horizon + 20 + (k % 2) * 6
                d.rectangle([x0, top_y + 25, x1, H - 40], fill=(205, 215, 220), outline=(150, 165, 170))
                d.chord([x0, top_y, x1, top_y + 50], 180, 360, fill=(225, 232, 236), outline=(150, 165, 170))
                for rib in np.linspace(x0, x1, 6)[1:-1]:
                    d.line([(rib, top_y + 8), (rib, H - 40)], fill=(170, 182, 188), width=1)
        else:
            for k in range(14):
                yk = horizon + 8 + k * (H - horizon) / 14
                d.line([(0, yk), (W, yk + rng.uniform(-6, 6))], fill=(60 + 4 * k, 105 + 2 * k, 45), width=2)
        # top bar: camera name and a "demo" tag
        k = H / 360  # the bars' text keeps its share of the picture on the main stream (1280×720)
        bar = self._Image.new("RGBA", (W, int(34 * k)), (0, 0, 0, 150))
        img.paste(bar, (0, 0), bar)
        d.text((int(10 * k), int(5 * k)), self.name[:28], font=_font(int(20 * k)), fill=(255, 255, 255))
        tag = f"CAM {self.camera_id:02d} · 演示画面"
        font = _font(int(14 * k))
        d.text((W - int(10 * k) - d.textlength(tag, font=font), int(9 * k)), tag, font=font, fill=(255, 210, 120))
        # bottom bar under the clock, with the site's name
        bottom = self._Image.new("RGBA", (W, H - self.bar_top), (0, 0, 0, 140))
        img.paste(bottom, (0, self.bar_top), bottom)
        d.text((int(10 * k), self.bar_top + (H - self.bar_top - int(18 * k)) // 2), (self.site or "项目现场")[:20],
               font=_font(int(16 * k)),
               fill=(210, 230, 210))
        return img

    def _clock_glyphs(self):
        font = _font(int(self.height * 0.075))
        digit_w = max(font.getbbox(c)[2] for c in "0123456789") + 1
        h = max(font.getbbox(c)[3] for c in _CLOCK_CHARS) + 2
        glyphs = {}
        for c in _CLOCK_CHARS:
            # digits share one width (the clock does not jitter); separators take their own
            w = digit_w if c.isdigit() else max(int(font.getlength(c)) + 1, digit_w // 3)
            mask = self._Image.new("L", (w, h), 0)
            self._ImageDraw.Draw(mask).text((0, 0), c, font=font, fill=255)
            glyphs[c] = mask
        return glyphs, digit_w, h

    def _cloud_sprite(self):
        cloud = self._Image.new("L", (120, 50), 0)
        d = self._ImageDraw.Draw(cloud)
        for cx, cy, r in ((30, 30, 18), (55, 22, 22), (82, 28, 18), (60, 35, 16)):
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=210)
        return cloud

    # -- per frame ------------------------------------------------------------------------------
    def clock_text(self, t: float) -> str:
        now = dt.datetime.fromtimestamp(t, TZ)
        return now.strftime("%Y-%m-%d %H:%M:%S") + f".{int(now.microsecond / 100_000)}"

    def scene(self, k: int):
        """The picture above the clock bar at loop index k (0 … frames_in_loop-1), full size."""
        W = self.width
        img = self.background.copy()
        d = self._ImageDraw.Draw(img)
        u = k / self.frames_in_loop  # 0 … 1 over the loop
        turn = 2 * math.pi * u
        seed = self.camera_id * 0.37
        # a cloud drifting to and fro
        cx = int(W * (0.15 + 0.25 * ((seed * 7) % 1.0)) + 60 * math.sin(turn))
        img.paste((250, 250, 250), (cx, 42 + int(6 * math.cos(turn))), self._cloud)
        # the turbine's three blades: two turns per loop
        tx, ty = self.turbine
        for b in range(3):
            a = 2 * turn + b * 2 * math.pi / 3
            d.line([(tx, ty), (tx + 26 * math.cos(a), ty + 26 * math.sin(a))], fill=(245, 246, 248), width=3)
        d.ellipse([tx - 3, ty - 3, tx + 3, ty + 3], fill=(200, 200, 205))
        # a worker pacing along the field
        x = W * (0.2 + 0.5 * ((seed * 3) % 1.0)) + 90 * math.sin(turn)
        direction = 1 if math.cos(turn) >= 0 else -1
        wy = int(self.bar_top - 40 - 4 * abs(math.sin(4 * turn)))
        wx = int(x)
        step = int(4 * math.sin(12 * turn))
        d.ellipse([wx - 5, wy - 24, wx + 5, wy - 14], fill=(235, 200, 160))
        d.rectangle([wx - 5, wy - 14, wx + 5, wy + 2], fill=(30, 90, 170))
        d.line([(wx + 5 * direction, wy - 10), (wx + 11 * direction, wy - 4)], fill=(30, 90, 170), width=3)
        d.line([(wx - 2, wy + 2), (wx - 4 - step, wy + 14)], fill=(40, 40, 40), width=3)
        d.line([(wx + 2, wy + 2), (wx + 4 + step, wy + 14)], fill=(40, 40, 40), width=3)
        # a light sweeping across, once per loop
        sx = int(u * W)
        d.line([(sx, 40), (sx, self.bar_top - 4)], fill=(255, 255, 200), width=2)
        # REC dot blinking once a second
        if int(u * LOOP_S * 2) % 2 == 0:
            d.ellipse([W - 24, 44, W - 12, 56], fill=(230, 30, 30))
        return img

    def bar(self, text: str):
        img = self._bar_background.copy()
        x = int(self.width * CLOCK_BOX[2]) - sum(self._glyphs[c].width for c in text)
        y = (img.height - self._glyph_h) // 2
        for c in text:
            glyph = self._glyphs[c]
            img.paste((255, 255, 255), (x, y), glyph)
            x += glyph.width
        return img

    def compose(self, t: float):
        """The whole picture at time t (what `render` encodes)."""
        img = self.scene(self.loop_index(t))
        img.paste(self.bar(self.clock_text(t)), (0, self.bar_top))
        return img

    def loop_index(self, t: float) -> int:
        return int(t * self.fps) % self.frames_in_loop

    def _encode(self, img, restart: bool) -> bytes:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=self.quality, subsampling="4:2:0",
                 **({"restart_marker_rows": 1} if restart else {}))
        return buf.getvalue()

    def render(self, t: float | None = None) -> bytes:
        """A JPEG of the scene at unix time `t` (now if None)."""
        if t is None:
            t = dt.datetime.now().timestamp()
        if self.splice:
            try:
                return self._spliced(t)
            except Exception:  # never a dead camera because of the optimisation
                log.exception("demo camera %s: splicing failed, encoding whole frames", self.camera_id)
                self.splice = False
        return self._encode(self.compose(t), restart=False)

    def _spliced(self, t: float) -> bytes:
        k = self.loop_index(t)
        scene = self._scenes.get(k)
        if scene is None:
            img = self.scene(k)
            header, rows = _entropy(self._encode(img, restart=True))
            if len(rows) != self._rows:
                raise ValueError(f"{len(rows)} restart intervals, expected {self._rows}")
            keep = self._rows - self._bar_rows
            head = [header]
            for i in range(keep):
                head += [rows[i], bytes((0xFF, 0xD0 + i % 8))]
            scene = self._scenes[k] = (b"".join(head), [])
        text = self.clock_text(t)
        if self._bar is None or self._bar[0] != text:
            _, rows = _entropy(self._encode(self.bar(text), restart=True))
            if len(rows) != self._bar_rows:
                raise ValueError(f"{len(rows)} bar intervals, expected {self._bar_rows}")
            first = self._rows - self._bar_rows
            tail = []
            for j, row in enumerate(rows):
                tail.append(row)
                if j < len(rows) - 1:
                    tail.append(bytes((0xFF, 0xD0 + (first + j) % 8)))
            tail.append(b"\xff\xd9")
            self._bar = (text, [b"".join(tail)])
        return scene[0] + self._bar[1][0]
