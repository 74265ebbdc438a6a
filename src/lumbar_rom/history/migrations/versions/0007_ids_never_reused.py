"""Ids never reused, and the sign-in client in the audit log.

SQLite gives a deleted row's id to the next row when it was the largest (an old ``?session=``
link would open someone else's session): ``people`` and ``sessions`` are rebuilt with
``AUTOINCREMENT`` (PostgreSQL's sequences never reuse an id). ``audit_log.client`` is where a
sign-in came from (the per-client lockout counts its failures).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
        batch.create_index("ix_audit_log_client", ["client"])
    if op.get_bind().dialect.name == "sqlite":
        # the store runs this with foreign keys off (dropping the old table must not cascade)
        for table in ("people", "sessions"):
            with op.batch_alter_table(table, recreate="always",
                                      table_kwargs={"sqlite_autoincrement": True}):
                pass


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_client")
        batch.drop_column("client")
