"""department data: records of nine sources keyed by ID number, each source's import; ID-number indexes

Revision ID: 0013_department
Revises: 0012_risk_register
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_department"
down_revision = "0012_risk_register"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_records",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("place", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.String(length=128), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "id_number", "record_key"),
    )
    op.create_index("ix_department_records_id_number", "department_records", ["id_number"])
    op.create_table(
        "department_sources",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("in_register", sa.Integer(), nullable=False),
        sa.Column("not_in_register", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_index("ix_members_id_number", "members", ["id_number"])
    op.create_index("ix_households_id_number", "households", ["id_number"])


def downgrade() -> None:
    op.drop_index("ix_households_id_number", table_name="households")
    op.drop_index("ix_members_id_number", table_name="members")
    op.drop_table("department_sources")
    op.drop_index("ix_department_records_id_number", table_name="department_records")
    op.drop_table("department_records")
