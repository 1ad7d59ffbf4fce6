"""console drafts: a form's typed values kept on the server through a sign-in (long notices passed the URL limit)

Revision ID: hfix_console_drafts
Revises: hfix_complaint_deadline
"""
import sqlalchemy as sa
from alembic import op

revision = "hfix_console_drafts"
down_revision = "hfix_complaint_deadline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_console_drafts_created_at", "console_drafts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_console_drafts_created_at", table_name="console_drafts")
    op.drop_table("console_drafts")
