"""swarm build steps: everyone invited at once, experts note, pinned checklist, stakeholder broadcast

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("swarms", schema=None) as batch_op:
        batch_op.alter_column("requester_invited", new_column_name="people_invited")
        batch_op.add_column(
            sa.Column("experts_posted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("checklist_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("checklist_pinned", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("open_broadcast_sent", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("swarms", schema=None) as batch_op:
        batch_op.drop_column("open_broadcast_sent")
        batch_op.drop_column("checklist_pinned")
        batch_op.drop_column("checklist_ts")
        batch_op.drop_column("experts_posted")
        batch_op.alter_column("people_invited", new_column_name="requester_invited")
