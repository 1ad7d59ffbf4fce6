"""CameraWall: a 2×2, 3×3 or 4×4 grid of camera tiles that pages through more cameras; a click opens the
camera full screen (CameraFullView), Esc or a click goes back."""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from sandbox.ui.cameras.health import CameraHealth
from sandbox.ui.cameras.look import MUTED
from sandbox.ui.cameras.policy import UrlPolicy
from sandbox.ui.cameras.reconnect import StaggerGate, StreamSettings, default_gate
from sandbox.ui.cameras.surface import TileSurface
from sandbox.ui.cameras.tile import CameraTile

__all__ = ["CameraWall", "CameraFullView", "open_fullscreen", "GRID_SIZES", "grid_for"]

GRID_SIZES = (2, 3, 4)  # 2×2, 3×3, 4×4


def grid_for(count: int) -> int:
    """The smallest grid that shows `count` cameras on one page (4×4 pages through more)."""
    return next((n for n in GRID_SIZES if count <= n * n), GRID_SIZES[-1])

_BUTTON_QSS = (
    "QPushButton { color: #e8f1ff; background: #0c1d36; border: 2px solid #1f4f80; border-radius: 4px;"
    " padding: 2px 14px; } QPushButton:checked { color: #06101f; background: #33d6ff; border-color: #33d6ff; }"
    " QPushButton:disabled { color: #4b5566; border-color: #22344d; }"
)


class CameraFullView(QWidget):
    """One camera over the whole host window; Esc, a click or `close()` returns. Emits `closed`."""

    closed = Signal()

    def __init__(self, camera: dict, policy: UrlPolicy, host: QWidget, *, settings: StreamSettings | None = None,
                 health: CameraHealth | None = None, gate: StaggerGate | None = None) -> None:
        super().__init__(host)
        self.setObjectName("cameraFullView")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.tile = CameraTile(camera, policy, settings=settings, health=health, gate=gate, profile="main",
                               parent=self)
        self.tile.clicked.connect(lambda _c: self.close())
        self.hint = QLabel("按 Esc 键或点击画面返回", self)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet(f"color: {MUTED.name()}; background: transparent; padding: 4px;")
        lay = QVBoxLayout(self)
        lay.addWidget(self.tile, 1)
        lay.addWidget(self.hint)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._over: list[QWidget] = []  # siblings drawn over the view (a tour's caption): the hint avoids them
        host.installEventFilter(self)
        self.setGeometry(host.rect())
        self._scale_text()

    def keep_clear_of(self, *widgets: QWidget) -> None:
        """Keep the Esc hint visible beside `widgets` stacked over the view (a tour's caption across its
        foot): where one covers the hint's place at the bottom, the hint goes to the top."""
        for w in widgets:
            if w not in self._over:
                self._over.append(w)
                w.installEventFilter(self)
        self._place_hint()

    def hint_rect(self) -> QRect:
        """Where the hint is, in the view's coordinates (tests)."""
        return self.hint.geometry()

    def _place_hint(self) -> None:
        lay = self.layout()
        h = self.hint.sizeHint().height()
        foot = QRect(0, self.height() - h - lay.contentsMargins().bottom(), self.width(), h)
        covered = any(w.isVisible() and QRect(self.mapFromGlobal(w.mapToGlobal(QPoint(0, 0))), w.size())
                      .intersects(foot) for w in self._over)
        at = 0 if covered else 1
        if lay.indexOf(self.hint) != at:
            lay.removeWidget(self.hint)
            lay.insertWidget(at, self.hint)
            lay.activate()

    def _scale_text(self) -> None:
        """The hint and margins in proportion to the height (1080p sizes at 1080, twice that at 4K)."""
        k = max(1.0, self.height() / 1080)
        f = self.hint.font()
        f.setPixelSize(int(18 * k))
        self.hint.setFont(f)
        m = int(16 * k)
        self.layout().setContentsMargins(m, m, m, m // 2)
        self._place_hint()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - follow the host window's size
        if obj is self.parentWidget() and event.type() == event.Type.Resize:
            self.setGeometry(obj.rect())
            self._scale_text()
        elif obj in self._over and event.type() in (event.Type.Show, event.Type.Hide, event.Type.Move,
                                                    event.Type.Resize):
            self._place_hint()
        return False

    def keyPressEvent(self, e) -> None:  # noqa: N802
        if e.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(e)

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.LeftButton:
            self.close()

    def paintEvent(self, e) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#06101f"))
        p.end()

    def closeEvent(self, e) -> None:  # noqa: N802
        host = self.parentWidget()
        if host is not None:
            host.removeEventFilter(self)
        for w in self._over:
            w.removeEventFilter(self)
        self._over = []
        self.tile.close()
        super().closeEvent(e)
        self.closed.emit()


def open_fullscreen(camera: dict, policy: UrlPolicy, host: QWidget, **kwargs) -> CameraFullView:
    """Show `camera` over all of `host` (the wall's window); used by the camera wall and a project card."""
    view = CameraFullView(camera, policy, host.window(), **kwargs)
    view.show()
    view.raise_()
    view.setFocus(Qt.FocusReason.OtherFocusReason)
    return view


class CameraWall(QWidget):
    """A grid of camera tiles (`columns` 2 → 2×2, 3 → 3×3, 4 → 4×4) paging through `cameras` (dicts from
    GET /cameras). Tiles play each camera's sub-stream; a camera opened full screen plays its main stream.

    Only the tiles of the current page stream, and none while a camera is open full screen. The tiles'
    pictures are painted together (TileSurface): one paint event per frame tick, however many tiles.
    Signals: pageChanged(page, pages), fullScreenOpened(camera id), fullScreenClosed(). `health`
    (a CameraHealth, made here if not given) tells the map which cameras are live. `page_interval_s`
    > 0 turns the pages by themselves (an unattended wall).
    """

    pageChanged = Signal(int, int)
    fullScreenOpened = Signal(int)
    fullScreenClosed = Signal()

    def __init__(self, cameras: list[dict], policy: UrlPolicy, parent=None, *, columns: int = 3,
                 settings: StreamSettings | None = None, health: CameraHealth | None = None,
                 gate: StaggerGate | None = None, page_interval_s: float = 0.0, coalesce: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("cameraWall")
        # all pictures painted by one widget, a paint event per frame tick (False: each tile its own)
        self._surface = TileSurface(self) if coalesce else None
        self.policy = policy
        self.settings = settings or StreamSettings()
        self.health = health or CameraHealth(self)
        self.gate = gate or default_gate()
        self.cameras: list[dict] = []
        self.columns = 3
        self.page = 0
        self.tiles: list[CameraTile] = []
        self.full_view: CameraFullView | None = None

        self._grid = QGridLayout()
        self._grid.setSpacing(8)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._empty = QLabel("暂无摄像头", self)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet(f"color: {MUTED.name()};")
        self._prev, self._next = QPushButton("上一页", self), QPushButton("下一页", self)
        self._page_label = QLabel(self)
        self._layout_buttons = {n: QPushButton(f"{n}×{n}", self) for n in GRID_SIZES}
        for b in (self._prev, self._next, *self._layout_buttons.values()):
            b.setStyleSheet(_BUTTON_QSS)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
        for n, b in self._layout_buttons.items():
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, n=n: self.set_columns(n))
        self._prev.clicked.connect(lambda: self.set_page(self.page - 1))
        self._next.clicked.connect(lambda: self.set_page(self.page + 1))
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for b in self._layout_buttons.values():
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self._prev)
        bar.addWidget(self._page_label)
        bar.addWidget(self._next)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        lay.addLayout(self._grid, 1)
        lay.addWidget(self._empty, 1)
        lay.addLayout(bar)

        self._pager = QTimer(self)
        self._pager.timeout.connect(lambda: self.set_page((self.page + 1) % max(1, self.pages)))
        if page_interval_s > 0:
            self._pager.start(int(page_interval_s * 1000))
        self.set_columns(columns)
        self.set_cameras(cameras)

    # -- public ---------------------------------------------------------------------------------
    @property
    def per_page(self) -> int:
        return self.columns * self.columns

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.cameras) / self.per_page))

    def visible_tiles(self) -> list[CameraTile]:
        return [t for t in self.tiles if not t.isHidden()]

    def set_cameras(self, cameras: list[dict]) -> None:
        """A fresh GET /cameras answer: same cameras keep their links (new signed URLs are taken up)."""
        self.cameras = [dict(c) for c in cameras or []]
        self.health.seed(self.cameras)
        self.page = min(self.page, self.pages - 1)
        self._fill()

    def set_columns(self, columns: int) -> None:
        if columns not in GRID_SIZES:
            raise ValueError(f"columns must be one of {GRID_SIZES}")
        first = self.page * self.per_page if self.tiles else 0
        self.columns = columns
        for n, b in self._layout_buttons.items():
            b.setChecked(n == columns)
        while len(self.tiles) < self.per_page:
            tile = CameraTile({}, self.policy, settings=self.settings, health=self.health, gate=self.gate, parent=self)
            tile.hide()
            tile.clicked.connect(self.open_camera)
            if self._surface is not None:
                self._surface.attach(tile._video)
            self.tiles.append(tile)
        for t in self.tiles:
            self._grid.removeWidget(t)
        for i, t in enumerate(self.tiles):
            if i < self.per_page:
                self._grid.addWidget(t, i // columns, i % columns)
            else:
                t.hide()
        for i in range(max(GRID_SIZES)):
            self._grid.setRowStretch(i, 1 if i < columns else 0)
            self._grid.setColumnStretch(i, 1 if i < columns else 0)
        self.page = min(first // self.per_page, self.pages - 1) if self.cameras else 0
        self._fill()

    def set_page(self, page: int) -> None:
        page = max(0, min(page, self.pages - 1))
        if page != self.page:
            self.page = page
            self._fill()

    def open_camera(self, camera: dict) -> CameraFullView:
        """Full screen over the window; the grid stops streaming meanwhile."""
        if self.full_view is not None:
            self.full_view.close()
        for t in self.tiles:
            t.set_active(False)
        view = open_fullscreen(camera, self.policy, self, settings=self.settings, health=self.health, gate=self.gate)
        view.closed.connect(self._full_closed)
        self.full_view = view
        if isinstance(camera.get("id"), int):
            self.fullScreenOpened.emit(camera["id"])
        return view

    def close_full_screen(self) -> None:
        if self.full_view is not None:
            self.full_view.close()

    # -- internals ------------------------------------------------------------------------------
    def _full_closed(self) -> None:
        self.full_view = None
        for t in self.tiles:
            t.set_active(True)
        self.fullScreenClosed.emit()

    def _fill(self) -> None:
        start = self.page * self.per_page
        shown = self.cameras[start:start + self.per_page]
        for i, tile in enumerate(self.tiles):
            if i < len(shown) and i < self.per_page:
                tile.set_camera(shown[i])
                tile.show()
            else:
                tile.hide()
        self._empty.setVisible(not self.cameras)
        many = self.pages > 1
        for w in (self._prev, self._next, self._page_label):
            w.setVisible(many)
        self._prev.setEnabled(self.page > 0)
        self._next.setEnabled(self.page < self.pages - 1)
        self._page_label.setText(f"第 {self.page + 1}/{self.pages} 页")
        self.pageChanged.emit(self.page, self.pages)

    def closeEvent(self, e) -> None:  # noqa: N802
        self.close_full_screen()
        for t in self.tiles:
            t.close()
        super().closeEvent(e)
