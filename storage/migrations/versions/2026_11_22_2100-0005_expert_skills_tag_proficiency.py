"""expert skills by tag and proficiency

The index lets the database walk a skill's people best proficiency first, so choosing experts reads a
few rows rather than everyone with the skill (bot/expert_shortlist.py). It covers lookups by tag alone,
so it replaces the index on tag.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_expert_skills_tag_proficiency", "expert_skills", ["tag", "proficiency"])
    op.drop_index("ix_expert_skills_tag", table_name="expert_skills")


def downgrade() -> None:
    op.create_index("ix_expert_skills_tag", "expert_skills", ["tag"])
    op.drop_index("ix_expert_skills_tag_proficiency", table_name="expert_skills")
