"""The register database: SQLite by default, PostgreSQL + PostGIS for many users."""

from assetmap.store.store import ImportSummary, Store

__all__ = ["ImportSummary", "Store"]
