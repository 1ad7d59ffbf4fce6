"""The interface every stream source offers a tile: open/close, signals, the latest frame only."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

__all__ = ["StreamSource", "FAIL_TEXT"]

# failure codes → what a tile may say (never the URL, never an exception's text)
FAIL_TEXT = {
    "refused": "无法连接摄像头",
    "timeout": "连接超时",
    "http": "摄像头服务返回错误",
    "offline": "摄像头离线",
    "expired": "视频地址已失效, 等待刷新",
    "format": "不是可播放的视频流",
    "ended": "视频流已断开",
    "decode": "画面解码失败",
    "media": "播放器错误",
}


class StreamSource(QObject):
    """A connection to one stream. `open` starts an attempt and returns its generation; signals carry
    the generation so a tile can ignore a late word from an attempt it already dropped.

    Frames are polled, not signalled: `take()` returns the newest frame since the last take (older
    ones were dropped) or None; a FrameClock calls it for every streaming tile.
    connected(gen): the stream answered. failed(gen, code): the attempt or stream is over; `code` is
    a key of FAIL_TEXT.
    """

    connected = Signal(int)
    failed = Signal(int, str)

    kind = "base"

    def open(self, url: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def take(self) -> QImage | None:  # pragma: no cover - interface
        """The newest frame not yet taken (valid until the next take), or None."""
        raise NotImplementedError

    def has_frame(self) -> bool:
        """A recent frame is waiting to be taken (without taking it). A source that cannot tell says False."""
        return False

    def set_target_size(self, width: int, height: int) -> None:
        """The size the frames are shown at: a source may decode smaller frames when it is much smaller."""
