"""A village table's models swapped all day leave no selection models behind (Qt keeps them until their model dies)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QItemSelectionModel
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QTableView

from sandbox.ui.village_rows import set_model


def _selection_models(view: QTableView) -> int:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return len(view.findChildren(QItemSelectionModel))


def test_swapping_kept_models_leaves_a_bounded_number_of_selection_models(qapp):
    view = QTableView()
    pages = [QStandardItemModel(3, 4) for _ in range(5)]  # kept alive, as the wall keeps its pages
    set_model(view, pages[0])
    first = _selection_models(view)
    for i in range(200):
        set_model(view, pages[i % 5] if i % 3 else None)
    assert _selection_models(view) <= first
    view.deleteLater()


def _dead_selection_wrappers() -> int:
    """Python wrappers of selection models whose Qt object is gone (held by something, never used again)."""
    import gc

    import shiboken6

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, QItemSelectionModel) and not shiboken6.isValid(o))


def test_swapping_models_all_day_keeps_no_python_wrapper_of_a_deleted_selection_model(qapp):
    # Issue 20 (memory, tenth round): the selection models were deleted, but looked up with findChildren,
    # which makes PySide keep each one's wrapper under the table: ≈ 280 bytes per model shown, for ever.
    view = QTableView()
    pages = [QStandardItemModel(3, 4) for _ in range(5)]
    before = _dead_selection_wrappers()
    for i in range(200):
        set_model(view, pages[i % 5] if i % 3 else None)
    assert _dead_selection_wrappers() - before == 0
    assert _selection_models(view) <= 3  # and the selection models themselves still go
    view.deleteLater()
