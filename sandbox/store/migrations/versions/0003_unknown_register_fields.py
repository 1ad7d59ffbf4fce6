"""What a register does not carry is unknown: 脱贫路径, 不愁吃穿, school-age children and relocation may be NULL

Revision ID: 0003_unknown_register_fields
Revises: 0001
Create Date: 2026-12-06 09:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_unknown_register_fields'
down_revision = '0002_token_lifecycle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a column's NULL constraint, so the table is copied.
    with op.batch_alter_table('households') as batch:
        batch.alter_column('exit_batch', existing_type=sa.String(length=24), nullable=True)
    with op.batch_alter_table('household_years') as batch:
        for column in ('food_clothing_ok', 'school_age_children', 'relocated'):
            batch.alter_column(column, existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('household_years') as batch:
        for column in ('food_clothing_ok', 'school_age_children', 'relocated'):
            batch.alter_column(column, existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table('households') as batch:
        batch.alter_column('exit_batch', existing_type=sa.String(length=24), nullable=False)
