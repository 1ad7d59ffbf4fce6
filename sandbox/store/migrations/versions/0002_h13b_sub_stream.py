"""cameras: the sub-stream URL (a video platform's low-resolution stream for wall tiles)

Revision ID: h13b_sub_stream
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "h13b_sub_stream"
down_revision = "h12a_unknown_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sub_stream_url", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("sub_stream_url")
