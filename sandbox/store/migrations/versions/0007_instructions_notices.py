"""instructions (指令/批示) with one item per recipient; notices and guides (通知公告, 办事指南) with read receipts

Revision ID: 0007_instructions_notices
Revises: 0006_public_pages
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_instructions_notices"
down_revision = "0006_public_pages"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "instructions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("issuer_role", sa.String(length=16), nullable=False),
        sa.Column("issuer_region", sa.String(length=12), nullable=True),
        sa.Column("issuer_cadre_id", sa.Integer(), nullable=True),
        sa.Column("issuer_name", sa.String(length=64), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_ref", sa.String(length=32), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("photos", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["issuer_cadre_id"], ["cadres.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_instructions_region_code"), "instructions", ["region_code"])
    op.create_index(op.f("ix_instructions_created_at"), "instructions", ["created_at"])
    op.create_table(
        "instruction_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("instruction_id", _ID, nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photos", sa.Text(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instruction_id"], ["instructions.id"]),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_instruction_items_instruction_id"), "instruction_items", ["instruction_id"])
    op.create_index(op.f("ix_instruction_items_region_code"), "instruction_items", ["region_code"])
    op.create_index(op.f("ix_instruction_items_status"), "instruction_items", ["status"])
    op.create_index("ix_instruction_items_cadre_status", "instruction_items", ["cadre_id", "status"])
    op.create_table(
        "notices",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_notices_region_code"), "notices", ["region_code"])
    op.create_index(op.f("ix_notices_created_at"), "notices", ["created_at"])
    op.create_table(
        "notice_reads",
        sa.Column("notice_id", _ID, nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"]),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"]),
        sa.PrimaryKeyConstraint("notice_id", "cadre_id"),
    )
    op.create_index(op.f("ix_notice_reads_cadre_id"), "notice_reads", ["cadre_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_reads_cadre_id"), table_name="notice_reads")
    op.drop_table("notice_reads")
    op.drop_index(op.f("ix_notices_created_at"), table_name="notices")
    op.drop_index(op.f("ix_notices_region_code"), table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_instruction_items_cadre_status", table_name="instruction_items")
    op.drop_index(op.f("ix_instruction_items_status"), table_name="instruction_items")
    op.drop_index(op.f("ix_instruction_items_region_code"), table_name="instruction_items")
    op.drop_index(op.f("ix_instruction_items_instruction_id"), table_name="instruction_items")
    op.drop_table("instruction_items")
    op.drop_index(op.f("ix_instructions_created_at"), table_name="instructions")
    op.drop_index(op.f("ix_instructions_region_code"), table_name="instructions")
    op.drop_table("instructions")
