"""`sandbox import households`: 建档立卡 registers validated row by row, upserted in one transaction.

A register is one row per household and year (户信息), optionally with the members (家庭成员) and
the villages' rural population and poor-village flags (村级数据). Valid rows are upserted by
户编号 (and 年度); invalid rows go to the error report. Importing the same file twice changes
nothing: rows equal to the database are left alone and the indicators are not even recomputed.
A person heads at most one household in any one year: a head's ID number heading another household
in the same year (in the file, or a year the database holds) is an error of the later row; across years
it may (a renumbered household, a closed one's head registering again). A household's own fields (head,
ID …) come from its latest year in the file, unless the database already holds a later year for it.
A member's ID listed under two households is an error of the later row, and a household with a
rejected member row keeps its stored member list whole.
A rejected household is one line of the report, in 户信息; its member rows follow it as notes, not as
errors of their own, and the summary counts households and people in and out (RegisterImport.summary_zh).

The pipeline (pipeline.py): read the tables (read.py), check each into a plan (checks.py,
member_checks.py, village_checks.py → plan.py), write the plan over the database where it differs
(write.py, over upsert.upsert_changed), recompute the indicators (rollup.py); result.py is what it did.
"""

from sandbox.store.importers.households.pipeline import import_households, import_villages
from sandbox.store.importers.households.result import Counts, RegisterImport

__all__ = ["import_households", "import_villages", "RegisterImport", "Counts"]
