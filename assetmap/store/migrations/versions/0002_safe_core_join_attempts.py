"""auth_attempts: sign-in and join attempt counters shared by every app server

Revision ID: 0002_safe_core
Revises: 0001
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_safe_core"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_attempts",
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_auth_attempts")),
    )


def downgrade() -> None:
    op.drop_table("auth_attempts")
