"""Stall checklist answers and maintenance state.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stall_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("movement", sa.String(40), nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
    )
    op.create_table(
        "maintenance",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("movement", sa.String(40), nullable=False),
        sa.Column("since", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("maintenance")
    op.drop_table("stall_answers")
