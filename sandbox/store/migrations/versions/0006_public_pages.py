"""public QR pages: slugs, complaints, and what a household gets from a project (利益联结)

Revision ID: 0006_public_pages
Revises: 0005_field_devices
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_public_pages"
down_revision = "0005_field_devices"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "public_slugs",
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_index("ix_public_slugs_subject", "public_slugs", ["kind", "subject_id"])
    op.create_table(
        "complaints",
        sa.Column("id", _ID, nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("subject_name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
        sa.UniqueConstraint("submission_id"),
    )
    op.create_index(op.f("ix_complaints_slug"), "complaints", ["slug"])
    op.create_index(op.f("ix_complaints_region_code"), "complaints", ["region_code"])
    op.create_index(op.f("ix_complaints_created_at"), "complaints", ["created_at"])
    # Nullable: links imported before this revision (or from a register without the terms) say nothing.
    with op.batch_alter_table("project_beneficiaries") as batch:
        batch.add_column(sa.Column("link_mode", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("yearly_income", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project_beneficiaries") as batch:
        batch.drop_column("yearly_income")
        batch.drop_column("link_mode")
    op.drop_index(op.f("ix_complaints_created_at"), table_name="complaints")
    op.drop_index(op.f("ix_complaints_region_code"), table_name="complaints")
    op.drop_index(op.f("ix_complaints_slug"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_public_slugs_subject", table_name="public_slugs")
    op.drop_table("public_slugs")
