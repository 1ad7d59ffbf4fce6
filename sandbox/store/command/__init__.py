"""The command loop's records: instructions, inspections, complaints, notices, call-backs (issue 16).

Each feature keeps its tables and operations in its own module here. Importing this package puts
every feature's tables on `Base.metadata` (migrations, the models-match-migrations test): add a
feature's table module to the import list below.
"""

import sandbox.store.command.instructions  # noqa: F401  (指令/批示)
import sandbox.store.command.notices  # noqa: F401  (通知公告, 办事指南)
from sandbox.store.command import (
    callbacks,  # noqa: F401  (call-backs: the callbacks table)
    duty,  # noqa: F401  (no tables: the open items the wall's 督办 layer counts)
    inspection,  # noqa: F401  (督查: groups, plans, findings, rectifications)
)
