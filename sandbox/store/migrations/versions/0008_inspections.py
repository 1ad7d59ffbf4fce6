"""inspections (督查): groups, sub-groups, members, monthly plans, findings, rectifications

Revision ID: 0008_inspections
Revises: 0007_instructions_notices
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_inspections"
down_revision = "0007_instructions_notices"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inspection_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("leader_name", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "inspection_subgroups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["inspection_groups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_inspection_subgroups_group_id"), "inspection_subgroups", ["group_id"])
    op.create_table(
        "inspection_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"]),
        sa.ForeignKeyConstraint(["device_id"], ["field_devices.id"]),
        sa.ForeignKeyConstraint(["subgroup_id"], ["inspection_subgroups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_inspection_members_subgroup_id"), "inspection_members", ["subgroup_id"])
    op.create_index(op.f("ix_inspection_members_cadre_id"), "inspection_members", ["cadre_id"])
    op.create_index(op.f("ix_inspection_members_device_id"), "inspection_members", ["device_id"])
    op.create_table(
        "inspection_plans",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("cross_inspection", sa.Boolean(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("generated_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "inspection_assignments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["month"], ["inspection_plans.month"]),
        sa.ForeignKeyConstraint(["subgroup_id"], ["inspection_subgroups.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "village_code", name="uq_inspection_assignment_month_village"),
    )
    op.create_index(op.f("ix_inspection_assignments_month"), "inspection_assignments", ["month"])
    op.create_index(op.f("ix_inspection_assignments_village_code"), "inspection_assignments", ["village_code"])
    op.create_index(op.f("ix_inspection_assignments_subgroup_id"), "inspection_assignments", ["subgroup_id"])
    op.create_table(
        "inspection_findings",
        sa.Column("id", _ID, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("household_id", _ID, nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photos", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["inspection_members.id"]),
        sa.ForeignKeyConstraint(["subgroup_id"], ["inspection_subgroups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_inspection_findings_month"), "inspection_findings", ["month"])
    op.create_index(op.f("ix_inspection_findings_subgroup_id"), "inspection_findings", ["subgroup_id"])
    op.create_index(op.f("ix_inspection_findings_village_code"), "inspection_findings", ["village_code"])
    op.create_index(op.f("ix_inspection_findings_created_at"), "inspection_findings", ["created_at"])
    op.create_table(
        "inspection_rectifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("finding_id", _ID, nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("responsible_unit", sa.String(length=64), nullable=False),
        sa.Column("responsible_cadre_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence_note", sa.Text(), nullable=True),
        sa.Column("evidence_photos", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_on_time", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["finding_id"], ["inspection_findings.id"]),
        sa.ForeignKeyConstraint(["responsible_cadre_id"], ["cadres.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("finding_id"),
    )
    op.create_index(op.f("ix_inspection_rectifications_village_code"), "inspection_rectifications", ["village_code"])
    op.create_index(op.f("ix_inspection_rectifications_responsible_cadre_id"), "inspection_rectifications",
                    ["responsible_cadre_id"])
    op.create_index(op.f("ix_inspection_rectifications_status"), "inspection_rectifications", ["status"])


def downgrade() -> None:
    for table in ("inspection_rectifications", "inspection_findings", "inspection_assignments", "inspection_plans",
                  "inspection_members", "inspection_subgroups", "inspection_groups"):
        op.drop_table(table)
