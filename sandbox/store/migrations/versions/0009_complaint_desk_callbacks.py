"""complaints desk: category, town, working-day deadline, photos, reply; satisfaction call-backs

Revision ID: 0009_complaint_desk_callbacks
Revises: 0008_inspections
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_complaint_desk_callbacks"
down_revision = "0008_inspections"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_COLUMNS = (
    ("category", sa.String(length=16)),
    ("town_code", sa.String(length=12)),
    ("deadline", sa.Date()),
    ("photos", sa.Text()),
    ("assignee", sa.String(length=64)),
    ("reply", sa.Text()),
    ("replied_at", sa.DateTime()),
    ("escalated_at", sa.DateTime()),
    ("closed_at", sa.DateTime()),
    ("handled_by", sa.String(length=64)),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:  # nullable: complaints made before this revision have none of these
        op.add_column("complaints", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_complaints_town_code"), "complaints", ["town_code"])
    # complaints made before: the town of the page they were made on
    op.execute("UPDATE complaints SET town_code = substr(region_code, 1, 9) || '000' "
               "WHERE region_code IS NOT NULL AND length(region_code) = 12")
    op.create_table(
        "callbacks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("caller", sa.String(length=32), nullable=True),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("household_id", "month", name="uq_callbacks_household_month"),
    )
    op.create_index(op.f("ix_callbacks_month"), "callbacks", ["month"])
    op.create_index(op.f("ix_callbacks_village_code"), "callbacks", ["village_code"])
    op.create_index(op.f("ix_callbacks_household_id"), "callbacks", ["household_id"])


def downgrade() -> None:
    op.drop_table("callbacks")
    op.drop_index(op.f("ix_complaints_town_code"), table_name="complaints")
    with op.batch_alter_table("complaints") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
