"""The camera grid beside the map on a wide wall: whole tiles in each panel of the video wall."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from sandbox.ui.cameras.surface import TileSurface

__all__ = ["BesideCameras"]


class BesideCameras(QFrame):
    """Live tiles of the region's cameras beside the map (sub-streams); a click opens the camera full
    screen (its main stream). Tiles are placed panel by panel: each panel of the video wall shows whole
    tiles (two across), never one cut by a seam."""

    def __init__(self, make_tile, open_full, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("besideCameras")
        self.setProperty("seamSafe", True)
        self._make_tile, self._open_full = make_tile, open_full
        self.tiles: list = []
        self.cameras: list[dict] = []
        self.max_rows = 3  # tile rows in the module's height (fewer when it shares its column)
        self._bands: tuple = ((), ())  # seam bands in window coordinates (x, y)
        self.title = QLabel("项目现场实时画面", self, objectName="panelTitle")
        self._surface = TileSurface(self)  # the pictures painted together: one paint event per frame tick

    def set_bands(self, bands_x, bands_y, max_rows: int) -> None:
        self._bands, self.max_rows = (tuple(bands_x), tuple(bands_y)), max_rows
        self.relayout()

    def set_cameras(self, cameras: list[dict]) -> None:
        self.cameras = list(cameras)
        self.relayout()

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self.relayout()

    def _cells(self, lo: int, hi: int, bands, origin: int) -> list[tuple[int, int]]:
        """[lo, hi) cut by the seam bands (given in window coordinates, `origin` = this widget's offset)."""
        out, start = [], lo
        for blo, bhi in sorted(bands):
            a, b = int(blo) - origin, int(bhi) - origin + 1
            if a < hi and b > start:
                if a - start > 40:
                    out.append((start, a))
                start = max(start, b)
        if hi - start > 40:
            out.append((start, hi))
        return out

    def relayout(self) -> None:
        w, h = self.width(), self.height()
        if w <= 0 or h <= 0:
            return
        win = self.window()
        o = self.mapTo(win, QPoint(0, 0))
        th = self.title.sizeHint().height()
        self.title.setGeometry(0, 0, w, th)
        gap = max(6, th // 4)
        slots = []
        for y0, y1 in self._cells(th + gap, h, self._bands[1], o.y()):
            for x0, x1 in self._cells(0, w, self._bands[0], o.x()):
                cw, ch = x1 - x0, y1 - y0
                cols = 2 if cw > 2 * 320 else 1
                tw = (cw - (cols - 1) * gap) / cols
                rows = max(1, min(self.max_rows, int((ch + gap) / (tw * 9 / 16 + th * 1.6 + gap))))
                rh = (ch - (rows - 1) * gap) / rows
                for r in range(rows):
                    for c in range(cols):
                        slots.append(QRect(int(x0 + c * (tw + gap)), int(y0 + r * (rh + gap)), int(tw), int(rh)))
        while len(self.tiles) < min(len(slots), len(self.cameras)):
            tile = self._make_tile()
            tile.setParent(self)
            tile.clicked.connect(self._open_full)
            self._surface.attach(tile._video)
            self.tiles.append(tile)
        for i, tile in enumerate(self.tiles):
            if i < len(slots) and i < len(self.cameras):
                tile.set_camera(self.cameras[i])
                tile.setGeometry(slots[i])
                tile.show()
            else:
                tile.hide()
        shown = min(len(slots), len(self.cameras))
        self.title.setText(f"项目现场实时画面 · {shown}/{len(self.cameras)} 路" if self.cameras
                           else "项目现场实时画面 · 本区域暂无摄像头")

    def close_streams(self) -> None:
        for t in self.tiles:
            t.close()
