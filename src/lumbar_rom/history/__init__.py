"""History stage: stored sessions (SQLAlchemy + Alembic) and progress toward goals."""
