"""field: phone enrolment (invites, devices) and a check-in's client id (issue 15)

Revision ID: 0005_field_devices
Revises: 0004_camera_sub_stream
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_field_devices"
down_revision = "0004_camera_sub_stream"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_invites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("cadre_id", sa.Integer(), sa.ForeignKey("cadres.id"), nullable=True),
        sa.Column("region_code", sa.String(12), nullable=True),
        sa.Column("label", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_field_invites_cadre_id", "field_invites", ["cadre_id"])
    op.create_table(
        "field_devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_tokens.id"), nullable=False, unique=True),
        sa.Column("invite_id", sa.Integer(), sa.ForeignKey("field_invites.id"), nullable=True),
        sa.Column("cadre_id", sa.Integer(), sa.ForeignKey("cadres.id"), nullable=True),
        sa.Column("user_agent", sa.String(256), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_field_devices_cadre_id", "field_devices", ["cadre_id"])
    # Nullable: check-ins from the wall's simulator and older clients have none; unique where set.
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("client_id", sa.String(36), nullable=True))
        batch.create_index("ix_checkins_client_id", ["client_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.drop_index("ix_checkins_client_id")
        batch.drop_column("client_id")
    op.drop_table("field_devices")
    op.drop_table("field_invites")
