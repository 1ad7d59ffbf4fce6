"""the event log: /events shared by every API worker on PostgreSQL (LISTEN/NOTIFY, resume by id)

Revision ID: 0011_event_log
Revises: 0010_staff_accounts
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_event_log"
down_revision = "0010_staff_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("event_log")
