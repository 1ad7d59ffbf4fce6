"""check-in photos checked after the answer: each check-in's photo verdict (pending / ok / bad) and its problem

Revision ID: h18c_photo_check
Revises: hfix_console_drafts
"""
import sqlalchemy as sa
from alembic import op

revision = "h18c_photo_check"
down_revision = "hfix_console_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch_op:
        batch_op.add_column(sa.Column("photo_check", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("photo_problem", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("photo_check_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_checkins_photo_check", ["photo_check"])


def downgrade() -> None:
    with op.batch_alter_table("checkins") as batch_op:
        batch_op.drop_index("ix_checkins_photo_check")
        batch_op.drop_column("photo_check_at")
        batch_op.drop_column("photo_problem")
        batch_op.drop_column("photo_check")
