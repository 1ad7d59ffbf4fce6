"""Real data in and out: boundary files and 建档立卡 registers, validated, upserted in one transaction."""

from sandbox.store.importers.boundaries import BoundaryImport, import_boundaries
from sandbox.store.importers.export import export_boundaries, export_households
from sandbox.store.importers.households import RegisterImport, import_households, import_villages
from sandbox.store.importers.report import ImportFailed, ImportReport

__all__ = [
    "import_boundaries", "import_households", "import_villages", "export_boundaries", "export_households",
    "BoundaryImport", "RegisterImport", "ImportFailed", "ImportReport",
]
