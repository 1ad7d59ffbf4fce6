"""cameras: the sub-stream URL (a video platform's low-resolution stream for wall tiles)

Revision ID: 0004_camera_sub_stream
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_camera_sub_stream"
down_revision = "0003_unknown_register_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sub_stream_url", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("sub_stream_url")
