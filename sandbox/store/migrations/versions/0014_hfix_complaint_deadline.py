"""complaints received before the desk had deadlines (0009) get one: the same working-day rule from when they came

Revision ID: hfix_complaint_deadline
Revises: 0013_department
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

from sandbox.domain.complaints import reply_deadline

revision = "hfix_complaint_deadline"
down_revision = "0013_department"
branch_labels = None
depends_on = None

_BEIJING = dt.timezone(dt.timedelta(hours=8))
_complaints = sa.table("complaints", sa.column("id", sa.BigInteger), sa.column("created_at", sa.DateTime),
                       sa.column("deadline", sa.Date))


def upgrade() -> None:
    # Without a deadline a complaint is never overdue: the oldest ones, the likeliest forgotten, were invisible
    # to the desk's 逾期 list and the wall's 督办 figures.
    conn = op.get_bind()
    rows = conn.execute(sa.select(_complaints.c.id, _complaints.c.created_at)
                        .where(_complaints.c.deadline.is_(None), _complaints.c.created_at.is_not(None))).all()
    for complaint_id, created in rows:
        received = created.replace(tzinfo=dt.UTC).astimezone(_BEIJING).date()  # stored as naive UTC
        conn.execute(sa.update(_complaints).where(_complaints.c.id == complaint_id)
                     .values(deadline=reply_deadline(received)))


def downgrade() -> None:
    pass  # the deadlines given stay: they are what the rule says, and nothing tells them from others
