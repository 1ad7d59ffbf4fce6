"""扶贫电子沙盘: the poverty-alleviation electronic sandbox (central API and wall display)."""

__version__ = "0.1.0"
