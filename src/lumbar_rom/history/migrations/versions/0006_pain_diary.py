"""Pain diary, per-trial pain (hurt, where, what stopped the motion) and timed endurance holds.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pain_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("nrs", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("test", sa.String(40), nullable=False),
        sa.Column("seconds", sa.Float),
        sa.Column("uncertainty_s", sa.Float),
        sa.Column("end_reason", sa.String(30), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("software_version", sa.String(40), nullable=False),
    )
    with op.batch_alter_table("trials") as batch:
        batch.add_column(sa.Column("pain", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("pain")
    op.drop_table("holds")
    op.drop_table("pain_entries")
