"""First schema: people, sessions, trials, plans.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("age", sa.Float), sa.Column("sex", sa.String(20)),
        sa.Column("height_cm", sa.Float), sa.Column("injury_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("started_at", sa.DateTime, nullable=False, index=True),
        sa.Column("pain_before", sa.Integer), sa.Column("pain_after", sa.Integer),
        sa.Column("screening", sa.JSON, nullable=False),
        sa.Column("assessment", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("software_version", sa.String(40), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("video_path", sa.Text),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("movement", sa.String(40), nullable=False),
        sa.Column("protocol", sa.String(80), nullable=False),
        sa.Column("value_deg", sa.Float), sa.Column("uncertainty_deg", sa.Float),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("series", sa.LargeBinary, nullable=False),
        sa.Column("software_version", sa.String(40), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("goals", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for t in ("plans", "trials", "sessions", "people"):
        op.drop_table(t)
