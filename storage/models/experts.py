"""The expert directory: people, their skills and proficiency, shifts and limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base


class Expert(Base):
    """A person in the expert directory."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slack_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[str] = mapped_column(String(16))
    max_active_swarms: Mapped[int]
    out_of_office_until: Mapped[datetime | None]
    last_engaged_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    skills: Mapped[list[ExpertSkill]] = relationship(
        back_populates="expert", order_by="ExpertSkill.tag", cascade="all, delete-orphan"
    )


class ExpertSkill(Base):
    """A skill tag someone has, how well, and where swarmbot learned it (the file or a user group)."""

    __tablename__ = "expert_skills"
    __table_args__ = (
        UniqueConstraint("expert_id", "tag"),
        Index("ix_expert_skills_tag_proficiency", "tag", "proficiency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))
    proficiency: Mapped[int] = mapped_column(default=2)
    source: Mapped[str] = mapped_column(String(120), default="file")  # file | usergroup:<handle>

    expert: Mapped[Expert] = relationship(back_populates="skills")
