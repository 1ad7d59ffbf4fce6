"""Qt-free colours of the wall: named theme colours, the 无数据 colour and the good→bad class ramp."""

from __future__ import annotations

__all__ = ["Colors", "NO_DATA_COLOR", "NOTHING_TO_MEASURE_COLOR", "SINGLE_CLASS_COLOR", "GOOD_TO_BAD", "ramp",
           "lerp_hex", "no_value_colour"]


class Colors:
    """Named colours of the command-centre look (dark navy, cyan accents, amber warnings)."""

    background = "#06101f"
    background_top = "#0a1a33"
    panel = "#0c1d36"
    panel_border = "#1f4f80"
    accent = "#33d6ff"
    accent_dim = "#1b7fa6"
    text = "#e8f1ff"
    text_muted = "#8fa9c8"
    region_border = "#06101f"
    hover = "#ffffff"
    selected = "#33d6ff"
    error_bg = "#8b1420"
    error_text = "#ffffff"
    demo = "#ffb020"
    label_halo = "#02060d"


SINGLE_CLASS_COLOR = "#4f9fd8"  # every region equal: neither good nor bad, so no ramp colour
NO_DATA_COLOR = "#4b5566"  # neutral slate: visibly "not a class", never mistaken for green or red
# A rate over nothing (无贫困户): not a class either, but known, so a lighter slate than the unknown.
NOTHING_TO_MEASURE_COLOR = "#6f7d91"


def no_value_colour(note: str | None) -> str:
    """The fill of a region without a value: unknown (无数据), or nothing to measure (the API's note)."""
    return NOTHING_TO_MEASURE_COLOR if note else NO_DATA_COLOR

# Good → bad. Brewer RdYlGn anchors, tuned to stay saturated on a dark background.
GOOD_TO_BAD = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")


def lerp_hex(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def _sample(anchors: tuple[str, ...], t: float) -> str:
    pos = t * (len(anchors) - 1)
    i = min(int(pos), len(anchors) - 2)
    return lerp_hex(anchors[i], anchors[i + 1], pos - i)


def ramp(k: int, higher_is_better: bool) -> list[str]:
    """k hex colours for classes ordered by ascending value: the 'bad' end is always red."""
    if k <= 0:
        return []
    if k == 1:
        return [SINGLE_CLASS_COLOR]
    colours = [_sample(GOOD_TO_BAD, i / (k - 1)) for i in range(k)]
    return colours[::-1] if higher_is_better else colours
