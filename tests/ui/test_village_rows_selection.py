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
