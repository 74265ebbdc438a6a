"""Batch re-analysis progress table (revision 0004): one row per (video content, settings).

A row is written when the batch first sees a file (``pending``) and updated when its analysis
ends (``done``, ``failed`` for a one-sentence user-facing reason, ``error`` for an internal error).
``key`` is the SHA-256 of the file's content hash plus the canonical JSON of the settings, so a
re-run skips what is done whatever the file is called now, and changed settings analyse again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lumbar_rom.history.models import Base


class BatchItem(Base):
    """One video of an archive re-analysis and its outcome, with provenance."""

    __tablename__ = "batch_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(Text)  # as last seen
    person: Mapped[str | None] = mapped_column(String(200))  # manifest id, recorded only
    movement: Mapped[str] = mapped_column(String(40), default="auto")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    out_dir: Mapped[str] = mapped_column(Text, default="")
    trials: Mapped[list] = mapped_column(JSON, default=list)  # summary per trial
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    software_version: Mapped[str] = mapped_column(String(40), default="")
    model_sha256: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
