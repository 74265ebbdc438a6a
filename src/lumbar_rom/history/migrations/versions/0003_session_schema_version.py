"""The layout version of a session's stored JSON (screening, assessment).

Rows stored before this revision were written in layout 1, so they get 1.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("schema_version", sa.Integer, nullable=False,
                                   server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("schema_version")
