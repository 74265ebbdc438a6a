"""Database tables (SQLAlchemy 2 ORM). Schema changes go through Alembic migrations in
``history/migrations`` (never ``create_all`` on a live database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lumbar_rom.assessment.trial import Flag, Posture
from lumbar_rom.clinical.engine import SCHEMA_VERSION, Assessment, Screening
from lumbar_rom.serialize import from_mapping


class Base(DeclarativeBase):
    pass


class Person(Base):
    """One person; a physiotherapist keeps several apart. Profile values are their latest."""

    __tablename__ = "people"
    __table_args__ = {"sqlite_autoincrement": True}  # revision 0007: ids never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    age: Mapped[float | None] = mapped_column(Float)
    sex: Mapped[str | None] = mapped_column(String(20))
    height_cm: Mapped[float | None] = mapped_column(Float)
    injury_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)
    sessions: Mapped[list[SessionRow]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="SessionRow.started_at")
    # revision 0006 (loaded with a stored session's person: the report reads them)
    holds: Mapped[list[HoldRow]] = relationship(cascade="all, delete-orphan",
                                                order_by="HoldRow.at")
    pain_entries: Mapped[list[PainEntry]] = relationship(cascade="all, delete-orphan",
                                                         order_by="PainEntry.at")


class SessionRow(Base):
    """One assessment session. ``screening`` and ``assessment`` are the JSON of
    :class:`~lumbar_rom.clinical.engine.Screening` / ``Assessment`` in the layout of
    ``schema_version`` (revision 0003; rows stored before it are version 1); read them back typed
    with :meth:`read_assessment` / :meth:`read_screening`."""

    __tablename__ = "sessions"
    __table_args__ = {"sqlite_autoincrement": True}  # revision 0007: a link never opens another
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    pain_before: Mapped[int | None] = mapped_column(Integer)
    pain_after: Mapped[int | None] = mapped_column(Integer)
    screening: Mapped[dict] = mapped_column(JSON, default=dict)
    assessment: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    software_version: Mapped[str] = mapped_column(String(40), default="")
    model_sha256: Mapped[str] = mapped_column(String(64), default="")
    video_path: Mapped[str | None] = mapped_column(Text)  # only when the person opts in
    schema_version: Mapped[int] = mapped_column(Integer, default=SCHEMA_VERSION)
    person: Mapped[Person] = relationship(back_populates="sessions")
    trials: Mapped[list[TrialRow]] = relationship(back_populates="session",
                                                  cascade="all, delete-orphan")
    plan: Mapped[PlanRow | None] = relationship(back_populates="session",
                                                cascade="all, delete-orphan", uselist=False)

    def read_assessment(self) -> Assessment:
        """The stored assessment as the typed object the engine made."""
        return Assessment.from_dict({"schema_version": self.schema_version or 1,
                                     **(self.assessment or {})})

    def read_screening(self) -> Screening:
        return Screening.from_dict(self.screening or {})


class TrialRow(Base):
    """One measured movement. ``series``: float32 pairs (time s, excursion deg), little-endian."""

    __tablename__ = "trials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"),
                                            index=True)
    movement: Mapped[str] = mapped_column(String(40))
    protocol: Mapped[str] = mapped_column(String(80))  # view + protocol: comparable trials only
    value_deg: Mapped[float | None] = mapped_column(Float)
    uncertainty_deg: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20), default="")
    flags: Mapped[list] = mapped_column(JSON, default=list)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    series: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    software_version: Mapped[str] = mapped_column(String(40), default="")
    model_sha256: Mapped[str] = mapped_column(String(64), default="")
    # revision 0006: whether the motion hurt, where, what stopped it (None: not asked); the
    # layout of :meth:`lumbar_rom.history.pain.TrialPain.to_dict`
    pain: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    session: Mapped[SessionRow] = relationship(back_populates="trials")

    def read_flags(self) -> tuple[Flag, ...]:
        """The stored quality flags as :class:`~lumbar_rom.assessment.trial.Flag` s."""
        return tuple(from_mapping(Flag, f) for f in self.flags or [])

    def read_posture(self) -> Posture:
        """The neutral-phase posture the trial measured (NaN where not seen or not stored)."""
        return from_mapping(Posture, (self.result or {}).get("posture") or {})


class PlanRow(Base):
    """The stretch plan and goals given in a session (as shown)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"),
                                            unique=True)
    plan: Mapped[list] = mapped_column(JSON, default=list)
    goals: Mapped[list] = mapped_column(JSON, default=list)
    session: Mapped[SessionRow] = relationship(back_populates="plan")


class StallAnswer(Base):
    """Answers to the stall checklist (revision 0002)."""

    __tablename__ = "stall_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    movement: Mapped[str] = mapped_column(String(40))
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)


class Maintenance(Base):
    """A motion that reached its goal and switched to maintenance (revision 0002)."""

    __tablename__ = "maintenance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    movement: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(DateTime)


class Account(Base):
    """A clinic-mode login (revision 0005). ``role``: ``clinician`` or ``patient``; a patient's
    ``person_id`` is the person whose sessions are theirs. ``password_hash``: argon2id (never the
    password)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class CareAssignment(Base):
    """A clinician looks after a person (revision 0005): the people a clinician may see."""

    __tablename__ = "care_assignments"
    __table_args__ = (UniqueConstraint("clinician_id", "person_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                              index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)


class AuditEntry(Base):
    """Who viewed, exported, saved or deleted what, and when (revision 0005). Names and ids are
    copied, not referenced, so the record outlives what it describes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now, index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(40))
    person: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    # revision 0007: where a sign-in came from (an IP address, or "this computer")
    client: Mapped[str | None] = mapped_column(String(64), index=True)


class PainEntry(Base):
    """One pain-diary entry (revision 0006): NRS 0-10 on any day, without a measurement."""

    __tablename__ = "pain_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    nrs: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class HoldRow(Base):
    """One timed endurance hold (revision 0006). ``seconds`` / ``uncertainty_s``: None when the
    position was never reached; ``result``: ``HoldResult.to_dict()`` (no per-frame series)."""

    __tablename__ = "holds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    test: Mapped[str] = mapped_column(String(40))
    seconds: Mapped[float | None] = mapped_column(Float)
    uncertainty_s: Mapped[float | None] = mapped_column(Float)
    end_reason: Mapped[str] = mapped_column(String(30))
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    software_version: Mapped[str] = mapped_column(String(40), default="")
