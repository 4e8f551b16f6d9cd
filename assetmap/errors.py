"""The assetmap error family.

Every error the core raises on purpose derives from :class:`AssetMapError`, so
the CLI and the app can catch exactly ours and let anything else surface.
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "AccountError",
    "AssetMapError",
    "AuthError",
    "ConflictError",
    "IngestError",
    "NetworkError",
    "NoAssetsError",
    "NotFoundError",
    "OpeningHoursError",
    "PostcodeError",
    "QueryError",
    "SchemaError",
    "StoreError",
    "TaxonomyError",
    "WorkspaceError",
]


class AssetMapError(Exception):
    """Base class of every error assetmap raises on purpose."""


class SchemaError(AssetMapError, ValueError):
    """An asset table (or a record) does not match the register's schema."""


class TaxonomyError(AssetMapError, ValueError):
    """The needs taxonomy is malformed, or a code is not in it."""


class IngestError(AssetMapError):
    """A source file or feed could not be read or parsed."""


class NoAssetsError(IngestError):
    """A source was read but yielded no usable assets."""


class PostcodeError(AssetMapError, ValueError):
    """A postcode is malformed or not known to the workspace."""


class QueryError(AssetMapError, ValueError):
    """A search query is empty, too long or otherwise unusable."""


class OpeningHoursError(AssetMapError, ValueError):
    """An OpenStreetMap ``opening_hours`` value is outside the syntax assetmap reads."""


class WorkspaceError(AssetMapError):
    """A workspace folder is missing, unwritable or not an assetmap workspace."""


class StoreError(AssetMapError):
    """The register database could not be read or written."""


class NotFoundError(StoreError, LookupError):
    """A record with this id does not exist."""


class ConflictError(StoreError):
    """An edit was made on a stale version of a record.

    Parameters
    ----------
    message
        What happened, in plain words.
    current
        The record as it stands now.
    changed
        Field name -> (value the editor saw, value now) for every field that
        someone else changed in the meantime.
    """

    def __init__(
        self,
        message: str,
        *,
        current: dict[str, object] | None = None,
        changed: dict[str, tuple[object, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.current = current or {}
        self.changed = changed or {}


class AccessDeniedError(AssetMapError, PermissionError):
    """The caller's role or scope does not allow this operation."""


class AuthError(AccessDeniedError):
    """Sign-in failed: wrong username or password, a locked account, or a bad session code.

    The message never says which of these it was for a username and password.
    """


class AccountError(AssetMapError, ValueError):
    """An account cannot be created or changed (weak password, taken username...)."""


class NetworkError(AssetMapError):
    """The walking network is missing, empty or cannot answer the question."""
