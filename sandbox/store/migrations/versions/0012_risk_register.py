"""risk register: hits, cases and their moves; what the funds and check-in rules read (payee ID number,
bank account, invoice number; cadres' ID numbers; check-in photos' perceptual hashes and EXIF time)

Revision ID: 0012_risk_register
Revises: 0011_event_log
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_risk_register"
down_revision = "0011_event_log"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("fund_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payee_id_number", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("bank_account", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("invoice_number", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_fund_payments_payee_id_number"), "fund_payments", ["payee_id_number"])
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number", sa.String(length=18), nullable=True))
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_hashes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("photo_taken_at", sa.DateTime(), nullable=True))
    op.create_table(
        "risk_hits",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule", "subject", "subject_id", name="uq_risk_hits_key"),
    )
    op.create_index(op.f("ix_risk_hits_region_code"), "risk_hits", ["region_code"])
    op.create_index("ix_risk_hits_rule_active", "risk_hits", ["rule", "active"])
    op.create_table(
        "risk_cases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("hit_id", _ID, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=False),
        sa.Column("assigned_by", sa.String(length=96), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=96), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=96), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hit_id"], ["risk_hits.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hit_id"),
    )
    op.create_index(op.f("ix_risk_cases_rule"), "risk_cases", ["rule"])
    op.create_index(op.f("ix_risk_cases_region_code"), "risk_cases", ["region_code"])
    op.create_table(
        "risk_case_moves",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=96), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["risk_cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_risk_case_moves_case_id"), "risk_case_moves", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_case_moves_case_id"), table_name="risk_case_moves")
    op.drop_table("risk_case_moves")
    op.drop_index(op.f("ix_risk_cases_region_code"), table_name="risk_cases")
    op.drop_index(op.f("ix_risk_cases_rule"), table_name="risk_cases")
    op.drop_table("risk_cases")
    op.drop_index("ix_risk_hits_rule_active", table_name="risk_hits")
    op.drop_index(op.f("ix_risk_hits_region_code"), table_name="risk_hits")
    op.drop_table("risk_hits")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("photo_taken_at")
        batch_op.drop_column("photo_hashes")
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.drop_column("id_number")
    op.drop_index(op.f("ix_fund_payments_payee_id_number"), table_name="fund_payments")
    with op.batch_alter_table("fund_payments", schema=None) as batch_op:
        batch_op.drop_column("invoice_number")
        batch_op.drop_column("bank_account")
        batch_op.drop_column("payee_id_number")
