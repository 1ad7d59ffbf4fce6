"""The typed interface between a tour (or the kiosk shell) and the wall's session: every call it makes, checked up front."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sandbox.ui.state import WallState

__all__ = ["TourTarget", "check_tour_target", "TOUR_METHODS"]


@runtime_checkable
class TourTarget(Protocol):
    """What the tour player calls on the wall's session (sandbox.ui.session.WallSession), and nothing
    else. A target lacking one of these is refused when the player is made (TypeError), never found
    out mid-tour by a call that does nothing."""

    state: WallState  # map (region, year, indicator) and the village panel

    def load(self, region: str, year: int | None = None) -> None: ...

    def set_year(self, year: int) -> None: ...

    def set_indicator(self, key: str) -> None: ...

    def layer_names(self) -> Sequence[str]: ...

    def set_layer(self, name: str, on: bool) -> None: ...

    def show_camera(self, camera_id: int) -> None: ...

    def close_full_camera(self) -> bool: ...


# name → the number of positional parameters (after self) the player passes
TOUR_METHODS: dict[str, int] = {
    "load": 2, "set_year": 1, "set_indicator": 1, "layer_names": 0, "set_layer": 2, "show_camera": 1,
    "close_full_camera": 0,
}


def check_tour_target(wall: Any) -> None:
    """Raise TypeError naming every method the tour needs that `wall` lacks or cannot take its arguments."""
    problems = []
    if not hasattr(wall, "state"):
        problems.append("state")
    for name, nargs in TOUR_METHODS.items():
        fn = getattr(wall, name, None)
        if not callable(fn):
            problems.append(f"{name}() missing")
            continue
        try:
            inspect.signature(fn).bind(*([None] * nargs))
        except TypeError as exc:
            problems.append(f"{name}() cannot take {nargs} argument(s): {exc}")
        except ValueError:  # a builtin without a signature: trust it
            pass
    if problems:
        raise TypeError(f"{type(wall).__name__} is not a TourTarget: " + "; ".join(problems))
