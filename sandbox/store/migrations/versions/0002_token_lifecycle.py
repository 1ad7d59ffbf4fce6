"""token life cycle: expiry and last use of API tokens

Revision ID: 0002_token_lifecycle
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_token_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: tokens made before this revision never expire and were never seen in use.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
