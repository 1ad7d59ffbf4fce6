"""RTSP and HLS through Qt Multimedia (QMediaPlayer → QVideoSink), behind the same source interface.

Qt Multimedia does not reconnect a dropped stream: the tile's supervisor does, by closing and opening
this source again. Frames are converted to QImage only when the tile takes one (latest only).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink

from sandbox.ui.cameras.policy import redact
from sandbox.ui.cameras.source import StreamSource

__all__ = ["MediaSource"]

log = logging.getLogger(__name__)


class MediaSource(StreamSource):
    kind = "media"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._gen = 0
        self._player: QMediaPlayer | None = None
        self._sink: QVideoSink | None = None
        self._frame: QVideoFrame | None = None
        self._image: QImage | None = None
        self._shown = ""

    def open(self, url: str) -> int:
        self.close()
        self._gen += 1
        gen, self._shown = self._gen, redact(url)
        player, sink = QMediaPlayer(self), QVideoSink(self)
        player.setVideoSink(sink)
        sink.videoFrameChanged.connect(lambda f, g=gen: self._on_frame(g, f))
        player.errorOccurred.connect(lambda err, _msg, g=gen: self._on_error(g, err))
        player.mediaStatusChanged.connect(lambda st, g=gen: self._on_status(g, st))
        self._player, self._sink = player, sink
        player.setSource(QUrl(url))
        player.play()
        return gen

    def close(self) -> None:
        player, sink = self._player, self._sink
        self._player = self._sink = None
        self._frame = None
        if player is not None:
            player.stop()
            player.setVideoSink(None)
            player.deleteLater()
        if sink is not None:
            sink.deleteLater()

    def take(self) -> QImage | None:
        frame, self._frame = self._frame, None
        if frame is None or not frame.isValid():
            return None
        self._image = frame.toImage()  # converted on demand: skipped frames are never converted
        return self._image

    # -- player callbacks (GUI thread) ----------------------------------------------------------
    def _on_frame(self, gen: int, frame: QVideoFrame) -> None:
        if gen != self._gen or self._player is None:
            return
        self._frame = frame  # converted to a QImage only if the tile takes it

    def _on_status(self, gen: int, status) -> None:
        if gen != self._gen or self._player is None:
            return
        if status in (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia):
            self.connected.emit(gen)
        elif status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.failed.emit(gen, "ended")
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self.failed.emit(gen, "format")

    def _on_error(self, gen: int, error) -> None:
        if gen != self._gen or self._player is None or error == QMediaPlayer.Error.NoError:
            return
        log.info("camera stream %s: media error %s", self._shown, getattr(error, "name", error))
        self.failed.emit(gen, "refused" if error == QMediaPlayer.Error.NetworkError else "media")
