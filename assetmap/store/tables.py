"""The register's tables (SQLAlchemy Core metadata).

Current state lives in ``assets`` (typed columns, one row per asset) and
``records`` (other versioned things: gaps, mapping sessions, plans...).
Every change to either also writes a full snapshot to ``history``; rows are
never deleted in normal use, so any past state can be rebuilt.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "asset_sources",
    "assets",
    "auth_attempts",
    "history",
    "imports",
    "metadata",
    "records",
    "settings",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JsonType = JSON().with_variant(JSONB(), "postgresql")
UtcDateTime = DateTime(timezone=False)  # always naive UTC

assets = Table(
    "assets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("categories", JsonType, nullable=False),
    Column("description", Text),
    Column("organisation", Text),
    Column("address", Text),
    Column("postcode", String(10)),
    Column("opening_hours", Text),
    Column("phone", Text),
    Column("email", Text),
    Column("website", Text),
    Column("cost", String(10)),
    Column("min_age", Integer),
    Column("max_age", Integer),
    Column("gender", String(10), nullable=False),
    Column("convictions", String(20)),
    Column("referral_required", Boolean),
    Column("wheelchair", String(10)),
    Column("dbs_check", Boolean),
    Column("last_verified", Date),
    Column("source", Text, nullable=False),
    Column("source_id", Text),
    Column("session_id", String(36)),
    Column("flags", JsonType, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("merged_into", String(36)),
    Column("extra", JsonType),
    Index(None, "status"),
    Index(None, "lon", "lat"),
)

asset_sources = Table(
    "asset_sources",
    metadata,
    Column("source", Text, primary_key=True),
    Column("source_id", Text, primary_key=True),
    Column("asset_id", String(36), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("import_id", String(36)),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("missing", Boolean, nullable=False, default=False),
    Column("last_values", JsonType),
    Index(None, "asset_id"),
)

records = Table(
    "records",
    metadata,
    Column("entity", String(30), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(30)),
    Column("data", JsonType, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", Text, nullable=False),
    Index(None, "entity", "status"),
)

history = Table(
    "history",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", Text),
    Column("import_id", String(36)),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("data", JsonType),
    UniqueConstraint("entity", "entity_id", "version"),
    Index(None, "entity", "valid_from"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("source", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("counts", JsonType, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JsonType, nullable=False),
)

# Counters of sign-in and join attempts, shared by every app server on the database.
# Not versioned: a count of tries is not a record anyone needs the history of.
auth_attempts = Table(
    "auth_attempts",
    metadata,
    Column("scope", String(20), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime),
)
