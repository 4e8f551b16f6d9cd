"""The register store: current state, full history and atomic imports.

One :class:`Store` wraps one database (a SQLite file in the workspace, or
PostgreSQL + PostGIS). Every write runs in one transaction and writes a full
snapshot of the changed record to ``history``; nothing is deleted in normal
use, so :meth:`Store.register_as_of` can rebuild the register at any moment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from assetmap.errors import ConflictError, NotFoundError, SchemaError, StoreError
from assetmap.schema import (
    ASSET_COLUMNS,
    STATUSES,
    normalise_record,
    records_to_frame,
    validate_assets,
)
from assetmap.store import _engine
from assetmap.store import tables as t
from assetmap.store._engine import BUSY_TIMEOUT_MS, make_engine
from assetmap.store.migrate import upgrade_database
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = ["ImportSummary", "Store"]

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, float], None]

# Fields an import compares and updates (everything a source can say about an asset).
_SOURCE_FIELDS = (
    *(c for c in ASSET_COLUMNS if c not in {"id", "version", "status", "valid_from", "session_id"}),
    "lon",
    "lat",
)
#: The columns of a history row that say who changed what, when and why (not the content).
_AUDIT_FIELDS = (
    "version",
    "action",
    "actor",
    "reason",
    "source",
    "import_id",
    "valid_from",
    "recorded_at",
)
_BOOKKEEPING = ("id", "version", "valid_from", "updated_at", "updated_by", "merged_into")
#: How often :meth:`Store.finish_erasure` checks that no reader keeps erased content...
SCRUB_TRIES = 5
#: ...and how long it waits for readers each time (milliseconds).
SCRUB_WAIT_MS = 1000
#: How long an attempt counter that is not locked is kept (see :meth:`Store.count_attempt`).
ATTEMPTS_KEPT = dt.timedelta(days=1)
#: How long counting an attempt waits for a lock held by someone else (milliseconds).
ATTEMPT_WAIT_MS = BUSY_TIMEOUT_MS
# Other client connections to this database in a transaction begun before `since` that holds a
# snapshot (it may still see the rows as they were before an erasure), and older prepared ones.
_SNAPSHOT_HOLDERS = text("""
SELECT (SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND backend_type = 'client backend' AND backend_xmin IS NOT NULL
          AND xact_start < :since)
     + (SELECT count(*) FROM pg_prepared_xacts
        WHERE database = current_database() AND prepared < :since)
""")
# VACUUM FULL VERBOSE's report of row versions it had to copy although they are dead.
_KEPT_ROWS = re.compile(r"(\d+) dead row versions cannot be removed yet")
#: The ``settings`` row holding :meth:`Store.data_version` (a new token per write transaction).
DATA_VERSION_KEY = "data_version"
_IMPORT_BATCH = 1000  # rows turned into dicts and inserted at a time by import_assets


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import did."""

    import_id: str
    source: str
    created: int
    updated: int
    unchanged: int
    archived: int
    restored: int

    @property
    def total(self) -> int:
        """Rows the import looked at."""
        return self.created + self.updated + self.unchanged


def _utc(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if when.tzinfo is not None:
        return when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def _effective(at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """Return when a change takes effect: ``at`` in naive UTC, or ``now``."""
    return now if at is None else _utc(at)


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    return None if when is None else when.replace(tzinfo=dt.UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _record_to_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a normalised asset record into database row values (no bookkeeping)."""
    row = {c: record[c] for c in ASSET_COLUMNS if c not in {"version", "valid_from"}}
    row["categories"] = list(record["categories"])
    row["flags"] = list(record["flags"])
    geom = record["geometry"]
    row["lon"], row["lat"] = float(geom.x), float(geom.y)
    return row


def _row_to_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Turn a database row (or history snapshot) into an asset record with geometry."""
    out = {c: row.get(c) for c in ASSET_COLUMNS}
    out["categories"] = tuple(row.get("categories") or ())
    out["flags"] = tuple(row.get("flags") or ())
    lv = out["last_verified"]
    if isinstance(lv, str):
        out["last_verified"] = dt.date.fromisoformat(lv)
    vf = out["valid_from"]
    if isinstance(vf, str):
        vf = dt.datetime.fromisoformat(vf)
    out["valid_from"] = _aware(vf)
    out["geometry"] = Point(float(row["lon"]), float(row["lat"]))
    return out


@dataclass(frozen=True, slots=True)
class _Stamp:
    """Who changes a record, why, and when: what every new version carries."""

    actor: str
    reason: str
    valid_from: dt.datetime
    now: dt.datetime
    import_id: str | None = None


def _snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in row.items()}


def _content_hash(row: Mapping[str, Any]) -> str:
    return _values_hash(_source_values(row))


def _values_hash(values: Mapping[str, Any]) -> str:
    """Hash a row's :func:`_source_values` (coordinates to 7 decimal places)."""
    payload = dict(values)
    payload["lon"] = round(float(values["lon"]), 7)
    payload["lat"] = round(float(values["lat"]), 7)
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _frame(records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    gdf = records_to_frame(records)
    return gdf.sort_values("name", kind="stable").reset_index(drop=True)


class Store:
    """The asset register in one database.

    Parameters
    ----------
    url
        SQLAlchemy database URL: ``sqlite:///path/to/assetmap.sqlite`` (the
        embedded default) or ``postgresql://user@host/db`` (PostGIS).
    taxonomy
        Categories are checked against it; the default taxonomy when omitted.
    migrate
        Bring the database schema up to date (Alembic) on open.

    Examples
    --------
    >>> store = Store("sqlite://")  # in memory
    >>> asset_id = store.add_asset({"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703,
    ...                             "categories": ["library"]}, actor="demo", reason="example")
    >>> store.get_asset(asset_id)["version"]
    1
    """

    def __init__(self, url: str, *, taxonomy: Taxonomy | None = None, migrate: bool = True) -> None:
        self.url = url
        self.taxonomy = taxonomy or load_taxonomy()
        try:
            self.engine: Engine = make_engine(url)
            if migrate:
                upgrade_database(self.engine)
        except SQLAlchemyError as exc:
            msg = f"Cannot open the register database: {_describe(exc)}"
            raise StoreError(msg) from exc

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _write(self, *, data: bool = True) -> Iterator[Connection]:
        """One write transaction; unless ``data`` is False it also bumps the data version.

        The bump is the transaction's last statement (a new random token in
        ``settings``), so it commits or rolls back with the change, and
        concurrent writers queue only for that one row, at the very end.
        """
        try:
            with (
                self.engine.connect().execution_options(assetmap_write=True) as conn,
                conn.begin(),
            ):
                yield conn
                if data:
                    self._bump_data_version(conn)
        except OperationalError as exc:
            detail = _describe(exc)
            if _is_busy(detail):
                wait_s = _engine.BUSY_TIMEOUT_MS // 1000
                msg = (
                    "The register is busy: another change, such as an import, has held it "
                    f"for more than {wait_s} seconds. Nothing was saved; try again when it "
                    "has finished."
                )
            else:
                msg = f"The register database could not be written: {detail}"
            raise StoreError(msg) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            msg = f"The register database could not be read: {_describe(exc)}"
            raise StoreError(msg) from exc

    def _bump_data_version(self, conn: Connection) -> None:
        dialect = pg_insert if self.backend == "postgresql" else sqlite_insert
        token = uuid.uuid4().hex
        conn.execute(
            dialect(t.settings)
            .values(key=DATA_VERSION_KEY, value=token)
            .on_conflict_do_update(index_elements=["key"], set_={"value": token})
        )

    def data_version(self) -> str:
        """Return a token that changes with every committed change to the register, and only then.

        Every write transaction (assets, records, imports, merges, erasures;
        not the counting of sign-in attempts) sets a new random token as its
        last statement, so a cache keyed by it is rebuilt exactly when the data
        changed, whoever changed it (another app server, the CLI). One read of
        one row by its primary key: cheap enough for every page load.

        Examples
        --------
        >>> store = Store("sqlite://")
        >>> before = store.data_version()
        >>> before == store.data_version()
        True
        >>> _ = store.add_asset({"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703,
        ...                      "categories": ["library"]}, actor="demo", reason="example")
        >>> before == store.data_version()
        False
        """
        s = t.settings
        with self._read() as conn:
            value = conn.execute(select(s.c.value).where(s.c.key == DATA_VERSION_KEY)).scalar()
        return "-" if value is None else str(value)

    def _log(
        self,
        conn: Connection,
        *,
        entity: str,
        entity_id: str,
        version: int,
        action: str,
        actor: str,
        reason: str,
        valid_from: dt.datetime,
        recorded_at: dt.datetime,
        data: Mapping[str, Any] | None,
        source: str | None = None,
        import_id: str | None = None,
    ) -> None:
        row = self._history_row(
            entity,
            entity_id,
            version,
            action,
            actor,
            reason,
            valid_from,
            recorded_at,
            data,
            source,
            import_id,
        )
        conn.execute(insert(t.history).values(**row))

    @staticmethod
    def _check_who(actor: str, reason: str) -> None:
        if not actor or not actor.strip():
            msg = "Every change needs an `actor` (who made it)."
            raise SchemaError(msg)
        if reason is None:
            msg = "Every change needs a `reason` (may be empty text, not None)."
            raise SchemaError(msg)

    # ------------------------------------------------------------------ assets: read
    def assets(self, *, include_archived: bool = False) -> gpd.GeoDataFrame:
        """Return the register as it stands now (validated asset table).

        Parameters
        ----------
        include_archived
            Also return archived, rejected and merged-away assets.
        """
        query = select(t.assets)
        if not include_archived:
            query = query.where(t.assets.c.status.not_in(("archived", "rejected")))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return _frame([_row_to_record(r) for r in rows])

    def register_as_of(
        self, when: dt.datetime, *, include_archived: bool = False
    ) -> gpd.GeoDataFrame:
        """Return the register exactly as it stood at ``when``.

        Parameters
        ----------
        when
            A moment (naive values are taken as UTC). Each asset appears in the
            latest version that had taken effect (``valid_from``) by then.
        include_archived
            Also return assets archived by then.
        """
        cutoff = _utc(when)
        h = t.history
        latest = (
            select(h.c.entity_id, func.max(h.c.version).label("v"))
            .where(h.c.entity == "asset", h.c.valid_from <= cutoff)
            .group_by(h.c.entity_id)
            .subquery()
        )
        query = (
            select(h.c.data)
            .join(latest, and_(h.c.entity_id == latest.c.entity_id, h.c.version == latest.c.v))
            .where(h.c.entity == "asset")
        )
        with self._read() as conn:
            snapshots = [r[0] for r in conn.execute(query)]
        records = [
            _row_to_record(s)
            for s in snapshots
            if s is not None and (include_archived or s["status"] not in ("archived", "rejected"))
        ]
        return _frame(records)

    def get_asset(self, asset_id: str) -> dict[str, Any]:
        """Return one asset record (any status).

        Raises
        ------
        NotFoundError
            If no asset has this id.
        """
        with self._read() as conn:
            row = conn.execute(select(t.assets).where(t.assets.c.id == asset_id)).mappings().first()
        if row is None:
            msg = f"No asset with id {asset_id!r}."
            raise NotFoundError(msg)
        return _row_to_record(row)

    def asset_history(self, asset_id: str) -> pd.DataFrame:
        """Return every version of an asset, oldest first.

        Columns: version, action, actor, reason, source, import_id, valid_from,
        recorded_at, data (the full snapshot after the change).
        """
        return self.history("asset", asset_id)

    def history(self, entity: str, entity_id: str) -> pd.DataFrame:
        """Return every version of a record of ``entity``, oldest first."""
        h = t.history
        query = (
            select(*(h.c[name] for name in _AUDIT_FIELDS), h.c.data)
            .where(h.c.entity == entity, h.c.entity_id == entity_id)
            .order_by(h.c.version)
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        if not rows:
            msg = f"No {entity} with id {entity_id!r}."
            raise NotFoundError(msg)
        frame = pd.DataFrame([dict(r) for r in rows])
        for column in ("valid_from", "recorded_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame

    def sources_of(self, asset_id: str) -> pd.DataFrame:
        """Return the (source, source_id) pairs that feed an asset (its provenance)."""
        s = t.asset_sources
        query = (
            select(
                s.c.source, s.c.source_id, s.c.import_id, s.c.first_seen, s.c.last_seen, s.c.missing
            )
            .where(s.c.asset_id == asset_id)
            .order_by(s.c.source, s.c.source_id)
        )
        with self._read() as conn:
            return pd.DataFrame(
                [dict(r) for r in conn.execute(query).mappings().all()],
                columns=["source", "source_id", "import_id", "first_seen", "last_seen", "missing"],
            )

    def imports(self) -> pd.DataFrame:
        """Return the log of imports, newest first."""
        query = select(t.imports).order_by(t.imports.c.started_at.desc())
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings().all()]
        return pd.DataFrame(rows, columns=[c.name for c in t.imports.columns])

    def change_log(
        self, *, since: dt.datetime | None = None, entity: str = "asset"
    ) -> pd.DataFrame:
        """Return every change to assets, or records of ``entity`` (newest first).

        Who, when, what and why: no record content.
        """
        h = t.history
        columns = ["entity_id", *_AUDIT_FIELDS]
        query = select(*(h.c[name] for name in columns)).where(h.c.entity == entity)
        if since is not None:
            query = query.where(h.c.recorded_at >= _utc(since))
        query = query.order_by(h.c.seq.desc())
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings().all()]
        return pd.DataFrame(rows, columns=columns)

    # ------------------------------------------------------------------ assets: write
    def add_asset(
        self,
        record: Mapping[str, Any],
        *,
        actor: str,
        reason: str,
        at: dt.datetime | None = None,
        action: str = "create",
        asset_id: str | None = None,
    ) -> str:
        """Add one asset and return its new id.

        Parameters
        ----------
        record
            Asset fields (see :mod:`assetmap.schema`); ``lon``/``lat`` or a geometry.
        actor, reason
            Who adds it and why (kept in history).
        at
            When it took effect (default now); a past date back-dates it.
        action
            The history action name.
        asset_id
            The new asset's id (a fresh random one by default; see
            :mod:`assetmap.idempotency` for ids that make a repeat a no-op).

        Raises
        ------
        SchemaError
            If the record breaks the schema.
        sqlalchemy.exc.IntegrityError
            If ``asset_id`` is taken.
        """
        self._check_who(actor, reason)
        rec = normalise_record(record, taxonomy=self.taxonomy, where="new asset")
        asset_id = asset_id or str(uuid.uuid4())
        now = _utc(None)
        valid_from = _effective(at, now)
        row = _first_version(_record_to_row(rec), asset_id, valid_from, now, actor)
        if row["status"] == "verified" and row["last_verified"] is None:
            row["last_verified"] = valid_from.date()
        with self._write() as conn:
            conn.execute(insert(t.assets).values(**row))
            if row["source_id"]:
                self._link_source(conn, row, asset_id, import_id=None, now=now)
            self._log(
                conn,
                entity="asset",
                entity_id=asset_id,
                version=1,
                action=action,
                actor=actor,
                reason=reason,
                valid_from=valid_from,
                recorded_at=now,
                data=row,
                source=row["source"],
            )
        return asset_id

    def _link_source(
        self,
        conn: Connection,
        row: Mapping[str, Any],
        asset_id: str,
        *,
        import_id: str | None,
        now: dt.datetime,
    ) -> None:
        conn.execute(
            insert(t.asset_sources).values(
                source=row["source"],
                source_id=row["source_id"],
                asset_id=asset_id,
                content_hash=_content_hash(row),
                import_id=import_id,
                first_seen=now,
                last_seen=now,
                missing=False,
                last_values=_source_values(row),
            )
        )

    def _current_row(self, conn: Connection, asset_id: str) -> dict[str, Any]:
        row = conn.execute(select(t.assets).where(t.assets.c.id == asset_id)).mappings().first()
        if row is None:
            msg = f"No asset with id {asset_id!r}."
            raise NotFoundError(msg)
        return dict(row)

    def _version_snapshot(
        self, conn: Connection, entity: str, entity_id: str, version: int
    ) -> dict[str, Any] | None:
        h = t.history
        return conn.execute(
            select(h.c.data).where(
                h.c.entity == entity, h.c.entity_id == entity_id, h.c.version == version
            )
        ).scalar()

    def _conflict(
        self,
        conn: Connection,
        entity: str,
        entity_id: str,
        expected: int,
        current: Mapping[str, Any],
    ) -> ConflictError:
        seen = self._version_snapshot(conn, entity, entity_id, expected) or {}
        now = _snapshot(current)
        if entity != "asset":
            seen = seen.get("data", seen) if "data" in seen else seen
            now = now.get("data", now)
        changed = {
            k: (seen.get(k), now.get(k))
            for k in sorted(set(seen) | set(now))
            if k not in _BOOKKEEPING and seen.get(k) != now.get(k)
        }
        fields = ", ".join(changed) or "nothing visible"
        msg = (
            f"Someone changed this {entity} since you opened it (you had version {expected}, "
            f"it is now version {current['version']}, by {current.get('updated_by')}). "
            f"Changed: {fields}. Reload it and make your edit again."
        )
        return ConflictError(msg, current=_snapshot(current), changed=changed)

    def edit_asset(
        self,
        asset_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        actor: str,
        reason: str,
        action: str = "edit",
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Change fields of an asset, refusing edits made on a stale version.

        Parameters
        ----------
        asset_id
            The asset.
        changes
            Field -> new value (``lon``/``lat`` or ``geometry`` move it).
        expected_version
            The version the editor saw; if the asset has moved on since, nothing
            is written and :class:`ConflictError` says what changed.
        actor, reason, action, at
            Kept in history; ``at`` back-dates when the change took effect.

        Returns
        -------
        dict
            The asset record after the change.

        Raises
        ------
        ConflictError
            If ``expected_version`` is not the current version.
        NotFoundError, SchemaError
        """
        self._check_who(actor, reason)
        bad = set(changes) - set(ASSET_COLUMNS) - {"lon", "lat", "geometry"}
        if bad or {"id", "version"} & set(changes):
            fields = sorted(bad | ({"id", "version"} & set(changes)))
            msg = f"Cannot change field(s): {', '.join(fields)}."
            raise SchemaError(msg)
        now = _utc(None)
        with self._write() as conn:
            current = self._current_row(conn, asset_id)
            if current["version"] != expected_version:
                raise self._conflict(conn, "asset", asset_id, expected_version, current)
            merged = _row_to_record(current)
            merged.update(changes)
            if "geometry" not in changes and ("lon" in changes or "lat" in changes):
                merged["geometry"] = None
                merged.setdefault("lon", current["lon"])
                merged.setdefault("lat", current["lat"])
            rec = normalise_record(merged, taxonomy=self.taxonomy, where=f"asset {asset_id}")
            if rec["status"] == "verified" and changes.get("status") == "verified":
                rec["last_verified"] = (at or now).date() if at else now.date()
            values = _record_to_row(rec)
            values.pop("id")
            stamp = _Stamp(actor, reason, _effective(at, now), now)
            full = self._next_asset_version(conn, current, values, action=action, stamp=stamp)
        return _row_to_record(full)

    def set_status(
        self,
        asset_id: str,
        status: str,
        *,
        expected_version: int,
        actor: str,
        reason: str,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Verify, unverify, archive, reject or restore an asset (a new version).

        ``"verified"`` also sets ``last_verified`` to the day it takes effect.
        """
        if status not in STATUSES:
            msg = f"`status` must be one of {', '.join(STATUSES)}; got {status!r}."
            raise SchemaError(msg)
        action = {"verified": "verify", "archived": "archive", "rejected": "reject"}.get(
            status, "status"
        )
        return self.edit_asset(
            asset_id,
            {"status": status},
            expected_version=expected_version,
            actor=actor,
            reason=reason,
            action=action,
            at=at,
        )

    # ------------------------------------------------------------------ imports
    def import_assets(
        self,
        assets: gpd.GeoDataFrame,
        *,
        source: str,
        actor: str,
        reason: str,
        archive_missing: bool = False,
        at: dt.datetime | None = None,
        progress: ProgressFn | None = None,
    ) -> ImportSummary:
        """Bring a source's assets into the register as one atomic, versioned import.

        Rows are matched to assets already imported from the same ``source`` by
        ``source_id``. A new row creates an asset; a row whose content changed
        since the last import updates only the fields the source changed
        (edits people made in assetmap to other fields are kept); an unchanged
        row writes nothing. With ``archive_missing``, assets whose every source
        row has vanished are archived (and restored if they come back).
        Either the whole import lands or nothing does.

        Parameters
        ----------
        assets
            Asset table; every row needs a ``source_id``, unique within the table.
        source
            Name of the source (e.g. ``"osm"``, ``"spreadsheet:directory.xlsx"``).
        actor, reason
            Who imports and why.
        archive_missing
            Archive assets that this source no longer lists (full-extract sources).
        at
            When the import's changes take effect (default now).
        progress
            Called with (stage, fraction done).

        Returns
        -------
        ImportSummary

        Raises
        ------
        SchemaError
            If a row breaks the schema or lacks a unique ``source_id``.
        """
        self._check_who(actor, reason)
        validate_assets(assets.iloc[:0], taxonomy=self.taxonomy)  # the CRS
        now = _utc(None)
        valid_from = _effective(at, now)
        import_id = str(uuid.uuid4())
        counts = {"created": 0, "updated": 0, "unchanged": 0, "archived": 0, "restored": 0}
        total = max(len(assets), 1)
        seen: set[str] = set()

        def checked_records() -> Iterator[dict[str, Any]]:
            # Rows are checked (as validate_assets does), turned into dicts and
            # written a batch at a time, all in the one transaction: a
            # 200,000-row import never holds every row twice over, and a bad
            # row still rolls the whole import back.
            for start in range(0, len(assets), _IMPORT_BATCH):
                batch = assets.iloc[start : start + _IMPORT_BATCH].to_dict("records")
                for position, raw in enumerate(batch, start=start):
                    label = raw.get("id") or f"row {position + 1}"
                    rec = normalise_record(raw, taxonomy=self.taxonomy, where=str(label))
                    source_id = rec["source_id"]
                    if source_id is None:
                        msg = f"row {position + 1}: every imported row needs a `source_id`."
                        raise SchemaError(msg)
                    if source_id in seen:
                        msg = f"`source_id` {source_id!r} appears more than once in the import."
                        raise SchemaError(msg)
                    seen.add(source_id)
                    yield rec

        records = checked_records()
        with self._write() as conn:
            conn.execute(
                insert(t.imports).values(
                    id=import_id,
                    source=source,
                    actor=actor,
                    reason=reason,
                    started_at=now,
                    finished_at=None,
                    counts={},
                )
            )
            s = t.asset_sources
            # Only the columns every row needs: last_values is read for changed rows
            # alone, so a 200,000-row re-import does not hold every row's JSON.
            known = {
                r.source_id: r
                for r in conn.execute(
                    select(s.c.source_id, s.c.asset_id, s.c.content_hash, s.c.missing).where(
                        s.c.source == source
                    )
                ).all()
            }
            new_rows: list[dict[str, Any]] = []
            new_links: list[dict[str, Any]] = []
            new_history: list[dict[str, Any]] = []
            # Links already known get their new hash, last_seen and import id in one
            # executemany UPDATE per batch instead of one statement per row. Nothing
            # reads a link's row after its own update (source_ids are unique within
            # an import), so deferring the write to the batch changes no result.
            seen_links: list[dict[str, Any]] = []
            link_by_key = and_(s.c.source == bindparam("b_source"),
                               s.c.source_id == bindparam("b_source_id"))  # fmt: skip

            def flush() -> None:
                if new_rows:
                    conn.execute(insert(t.assets), new_rows)
                    conn.execute(insert(s), new_links)
                if seen_links:
                    conn.execute(update(s).where(link_by_key), seen_links)
                if new_history:
                    conn.execute(insert(t.history), new_history)
                new_rows.clear()
                new_links.clear()
                seen_links.clear()
                new_history.clear()

            for i, rec in enumerate(records):
                rec["source"] = source
                row = _record_to_row(rec)
                values = _source_values(row)  # what the link keeps, and its hash
                digest = _values_hash(values)
                link = known.get(row["source_id"])
                if link is None:
                    asset_id = str(uuid.uuid4())
                    full = _first_version(row, asset_id, valid_from, now, actor)
                    new_rows.append(full)
                    new_links.append(
                        {
                            "source": source,
                            "source_id": row["source_id"],
                            "asset_id": asset_id,
                            "content_hash": digest,
                            "import_id": import_id,
                            "first_seen": now,
                            "last_seen": now,
                            "missing": False,
                            "last_values": values,
                        }
                    )
                    new_history.append(
                        self._history_row(
                            "asset",
                            asset_id,
                            1,
                            "import",
                            actor,
                            reason,
                            valid_from,
                            now,
                            full,
                            source,
                            import_id,
                        )
                    )
                    counts["created"] += 1
                else:
                    changed = link.content_hash != digest
                    restored = self._apply_source_row(
                        conn,
                        link,
                        row,
                        changed=changed,
                        actor=actor,
                        reason=reason,
                        valid_from=valid_from,
                        now=now,
                        import_id=import_id,
                        history_rows=new_history,
                    )
                    seen_links.append(
                        {
                            "b_source": source,
                            "b_source_id": row["source_id"],
                            "content_hash": digest,
                            "last_seen": now,
                            "missing": False,
                            "import_id": import_id,
                            "last_values": values,
                        }
                    )
                    counts["updated" if changed else "unchanged"] += 1
                    counts["restored"] += int(restored)
                if progress is not None and i % 500 == 0:
                    progress("importing", i / total)
                if max(len(new_rows), len(seen_links), len(new_history)) >= _IMPORT_BATCH:
                    flush()
            flush()
            if archive_missing:
                gone = [
                    (source_id, link)
                    for source_id, link in known.items()
                    if source_id not in seen and not link.missing
                ]
                # Mark every vanished link first (one executemany per batch): an asset is
                # archived once none of its links is live, whichever link comes last.
                for start in range(0, len(gone), _IMPORT_BATCH):
                    conn.execute(
                        update(s).where(link_by_key).values(missing=True),
                        [
                            {"b_source": source, "b_source_id": source_id}
                            for source_id, _ in gone[start : start + _IMPORT_BATCH]
                        ],
                    )
                for _, link in gone:
                    if self._archive_if_orphaned(
                        conn,
                        link.asset_id,
                        actor=actor,
                        valid_from=valid_from,
                        now=now,
                        import_id=import_id,
                        source=source,
                        history_rows=new_history,
                    ):
                        counts["archived"] += 1
            for start in range(0, len(new_history), _IMPORT_BATCH):
                conn.execute(insert(t.history), new_history[start : start + _IMPORT_BATCH])
            conn.execute(
                update(t.imports)
                .where(t.imports.c.id == import_id)
                .values(finished_at=_utc(None), counts=counts)
            )
        if progress is not None:
            progress("importing", 1.0)
        logger.info("import %s from %s: %s", import_id, source, counts)
        return ImportSummary(import_id=import_id, source=source, **counts)

    def _next_asset_version(
        self,
        conn: Connection,
        current: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        action: str,
        stamp: _Stamp,
        note: Mapping[str, Any] | None = None,
        source: str | None = None,
        history_rows: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Write an asset's next version and its history row; return the full new row.

        The one place that bumps ``version``, stamps ``valid_from``/``updated_*``
        and records history. The update only applies to the version read
        (``current``): a writer that lost a race gets a :class:`ConflictError`.
        ``note`` adds fields to the history snapshot only; ``source`` overrides
        the asset's own; with ``history_rows`` the history row is appended there
        (an import writes them in batches) instead of written now.
        """
        asset_id, version = current["id"], int(current["version"])
        stamped = dict(values) | {
            "version": version + 1,
            "valid_from": stamp.valid_from,
            "updated_at": stamp.now,
            "updated_by": stamp.actor,
        }
        result = conn.execute(
            update(t.assets)
            .where(t.assets.c.id == asset_id, t.assets.c.version == version)
            .values(**stamped)
        )
        if result.rowcount != 1:  # lost a race between the read and the write
            raise self._conflict(
                conn, "asset", asset_id, version, self._current_row(conn, asset_id)
            )
        full = dict(current) | stamped
        row = self._history_row(
            "asset",
            asset_id,
            version + 1,
            action,
            stamp.actor,
            stamp.reason,
            stamp.valid_from,
            stamp.now,
            full | dict(note or {}),
            full["source"] if source is None else source,
            stamp.import_id,
        )
        if history_rows is None:
            conn.execute(insert(t.history).values(**row))
        else:
            history_rows.append(row)
        return full

    @staticmethod
    def _history_row(
        entity: str,
        entity_id: str,
        version: int,
        action: str,
        actor: str,
        reason: str,
        valid_from: dt.datetime,
        now: dt.datetime,
        data: Mapping[str, Any] | None,
        source: str | None,
        import_id: str | None,
    ) -> dict[str, Any]:
        return {
            "entity": entity,
            "entity_id": entity_id,
            "version": version,
            "action": action,
            "actor": actor,
            "reason": reason,
            "source": source,
            "import_id": import_id,
            "valid_from": valid_from,
            "recorded_at": now,
            "data": None if data is None else _snapshot(data),
        }

    def _apply_source_row(
        self,
        conn: Connection,
        link: Any,
        row: dict[str, Any],
        *,
        changed: bool,
        actor: str,
        reason: str,
        valid_from: dt.datetime,
        now: dt.datetime,
        import_id: str,
        history_rows: list[dict[str, Any]],
    ) -> bool:
        """Update the linked asset with what the source changed; return whether restored."""
        if not changed and not link.missing:
            return False  # nothing to change and nothing to restore: no need to read the asset
        current = self._current_row(conn, link.asset_id)
        restore = (
            bool(link.missing) and current["status"] == "archived" and not current["merged_into"]
        )
        if not changed and not restore:
            return False
        # Three-way: a field changes when the source changed it since the last import.
        s = t.asset_sources
        last_values = conn.execute(
            select(s.c.last_values).where(
                s.c.source == row["source"], s.c.source_id == row["source_id"]
            )
        ).scalar()
        previous = last_values if isinstance(last_values, dict) else None
        values: dict[str, Any] = {}
        for key in _SOURCE_FIELDS:
            if key in ("source", "source_id"):
                continue
            incoming = row[key]
            source_changed = previous is None or _jsonable(previous.get(key)) != _jsonable(incoming)
            if source_changed and _jsonable(current.get(key)) != _jsonable(incoming):
                values[key] = incoming
        if restore:
            values["status"] = "unverified"
        if not values:
            return False
        self._next_asset_version(
            conn,
            current,
            values,
            action="restore" if restore else "import",
            stamp=_Stamp(actor, reason, valid_from, now, import_id),
            source=row["source"],
            history_rows=history_rows,
        )
        return restore

    def _archive_if_orphaned(
        self,
        conn: Connection,
        asset_id: str,
        *,
        actor: str,
        valid_from: dt.datetime,
        now: dt.datetime,
        import_id: str,
        source: str,
        history_rows: list[dict[str, Any]],
    ) -> bool:
        s = t.asset_sources
        live = conn.execute(
            select(func.count())
            .select_from(s)
            .where(s.c.asset_id == asset_id, s.c.missing.is_(False))
        ).scalar_one()
        current = self._current_row(conn, asset_id)
        if live or current["status"] in ("archived", "rejected"):
            return False
        self._next_asset_version(
            conn,
            current,
            {"status": "archived"},
            action="archive",
            stamp=_Stamp(actor, f"no longer in source {source}", valid_from, now, import_id),
            source=source,
            history_rows=history_rows,
        )
        return True

    # ------------------------------------------------------------------ merges
    def merge_assets(
        self,
        keep_id: str,
        merged_id: str,
        *,
        actor: str,
        reason: str,
        expected_versions: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        """Merge ``merged_id`` into ``keep_id``, keeping every source's provenance.

        The kept asset gains the other's categories and any field it lacked;
        the merged asset is archived with ``merged_into`` set, and its sources
        now feed the kept asset (so re-importing them updates it instead of
        bringing the duplicate back). Both changes are versions in history;
        :meth:`unmerge` undoes it.

        Returns
        -------
        dict
            The kept asset after the merge.
        """
        self._check_who(actor, reason)
        if keep_id == merged_id:
            msg = "Cannot merge an asset into itself."
            raise SchemaError(msg)
        now = _utc(None)
        with self._write() as conn:
            keep = self._current_row(conn, keep_id)
            gone = self._current_row(conn, merged_id)
            if expected_versions is not None:
                if keep["version"] != expected_versions[0]:
                    raise self._conflict(conn, "asset", keep_id, expected_versions[0], keep)
                if gone["version"] != expected_versions[1]:
                    raise self._conflict(conn, "asset", merged_id, expected_versions[1], gone)
            if gone["merged_into"] or gone["status"] in ("archived", "rejected"):
                msg = f"Asset {merged_id} is already archived or merged."
                raise SchemaError(msg)
            values: dict[str, Any] = {}
            for key in _SOURCE_FIELDS:
                if key in ("source", "source_id", "lon", "lat", "categories", "flags", "name"):
                    continue
                if keep.get(key) in (None, "") and gone.get(key) not in (None, ""):
                    values[key] = gone[key]
            cats = list(dict.fromkeys([*keep["categories"], *gone["categories"]]))
            if cats != list(keep["categories"]):
                values["categories"] = cats
            s = t.asset_sources
            moved = [
                [r.source, r.source_id]
                for r in conn.execute(
                    select(s.c.source, s.c.source_id).where(s.c.asset_id == merged_id)
                ).all()
            ]
            conn.execute(update(s).where(s.c.asset_id == merged_id).values(asset_id=keep_id))
            stamp = _Stamp(actor, reason, now, now)
            kept = self._next_asset_version(
                conn,
                keep,
                values,
                action="merge",
                stamp=stamp,
                note={"merged_from": merged_id, "moved_sources": moved},
                source=keep["source"],
            )
            self._next_asset_version(
                conn,
                gone,
                {"status": "archived", "merged_into": keep_id},
                action="merged",
                stamp=stamp,
                note={
                    "status_before": gone["status"],
                    "kept_version": kept["version"],
                    "moved_sources": moved,
                },
                source=gone["source"],
            )
        return self.get_asset(keep_id)

    def unmerge(self, merged_id: str, *, actor: str, reason: str) -> dict[str, Any]:
        """Undo :meth:`merge_assets` for an asset that was merged away.

        The merged asset comes back with its status before the merge and its
        sources; the kept asset gets its pre-merge fields back unless it was
        edited after the merge (then it is left as it is).

        Returns
        -------
        dict
            The restored asset.
        """
        self._check_who(actor, reason)
        now = _utc(None)
        with self._write() as conn:
            gone = self._current_row(conn, merged_id)
            keep_id = gone["merged_into"]
            if not keep_id:
                msg = f"Asset {merged_id} is not merged into another asset."
                raise SchemaError(msg)
            merge_note = (
                self._version_snapshot(conn, "asset", merged_id, int(gone["version"])) or {}
            )
            moved = merge_note.get("moved_sources") or []
            s = t.asset_sources
            for source, source_id in moved:
                conn.execute(
                    update(s)
                    .where(s.c.source == source, s.c.source_id == source_id)
                    .values(asset_id=merged_id)
                )
            stamp = _Stamp(actor, reason, now, now)
            self._next_asset_version(
                conn,
                gone,
                {"status": merge_note.get("status_before", "unverified"), "merged_into": None},
                action="unmerge",
                stamp=stamp,
            )
            keep = self._current_row(conn, keep_id)
            kept_version = merge_note.get("kept_version")
            if kept_version is not None and keep["version"] == kept_version:
                before = self._version_snapshot(conn, "asset", keep_id, kept_version - 1) or {}
                restore = {
                    k: before.get(k)
                    for k in _SOURCE_FIELDS
                    if k not in ("lon", "lat", "source", "source_id")
                }
                restore["categories"] = list(before.get("categories") or keep["categories"])
                restore["flags"] = list(before.get("flags") or [])
                last_verified = restore.get("last_verified")
                if isinstance(last_verified, str):
                    restore["last_verified"] = dt.date.fromisoformat(last_verified)
                self._next_asset_version(conn, keep, restore, action="unmerge", stamp=stamp)
        return self.get_asset(merged_id)

    # ------------------------------------------------------------------ generic records
    def add_record(
        self,
        entity: str,
        data: Mapping[str, Any],
        *,
        actor: str,
        reason: str,
        at: dt.datetime | None = None,
        record_id: str | None = None,
    ) -> str:
        """Add a versioned record of another kind (gap, session, plan, ...).

        ``data`` must be JSON-serialisable; its ``status``, ``lon`` and ``lat``
        keys, when present, are also stored in indexed columns.

        Returns
        -------
        str
            The new record's id.
        """
        return self.add_records([(entity, data, record_id)], actor=actor, reason=reason, at=at)[0]

    def add_records(
        self,
        records: Sequence[tuple[str, Mapping[str, Any], str | None]],
        *,
        actor: str,
        reason: str,
        at: dt.datetime | None = None,
    ) -> list[str]:
        """Add several versioned records in one transaction: all of them, or none.

        Parameters
        ----------
        records
            ``(entity, data, record_id or None)`` each, as :meth:`add_record` takes them.
        actor, reason, at
            As :meth:`add_record`, for every record.

        Returns
        -------
        list of str
            The new records' ids, in order.

        Raises
        ------
        sqlalchemy.exc.IntegrityError
            If a given ``record_id`` is already used (nothing is written).
        """
        self._check_who(actor, reason)
        now = _utc(None)
        valid_from = _effective(at, now)
        rows: list[dict[str, Any]] = []
        for entity, data, record_id in records:
            _check_entity(entity)
            payload = _json_payload(data)
            rows.append(
                {
                    "entity": entity,
                    "id": record_id or str(uuid.uuid4()),
                    "version": 1,
                    **_record_columns(payload),
                    "valid_from": valid_from,
                    "updated_at": now,
                    "updated_by": actor,
                }
            )
        with self._write() as conn:
            for row in rows:
                conn.execute(insert(t.records).values(**row))
                self._log(
                    conn,
                    entity=row["entity"],
                    entity_id=row["id"],
                    version=1,
                    action="create",
                    actor=actor,
                    reason=reason,
                    valid_from=valid_from,
                    recorded_at=now,
                    data=row,
                )
        return [str(row["id"]) for row in rows]

    def get_record(self, entity: str, record_id: str) -> dict[str, Any]:
        """Return a record's data with ``id`` and ``version`` added.

        Raises
        ------
        NotFoundError
        """
        with self._read() as conn:
            row = self._record_row(conn, entity, record_id)
        return _record_out(row)

    @staticmethod
    def _record_row(conn: Connection, entity: str, record_id: str) -> dict[str, Any]:
        """Return a generic record's current row; NotFoundError when there is none."""
        r = t.records
        row = (
            conn.execute(select(r).where(r.c.entity == entity, r.c.id == record_id))
            .mappings()
            .first()
        )
        if row is None:
            msg = f"No {entity} with id {record_id!r}."
            raise NotFoundError(msg)
        return dict(row)

    def edit_record(
        self,
        entity: str,
        record_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        actor: str,
        reason: str,
        action: str = "edit",
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Change a record's data, refusing edits made on a stale version.

        Raises
        ------
        ConflictError
            If ``expected_version`` is not the current version.
        """
        self._check_who(actor, reason)
        now = _utc(None)
        with self._write() as conn:
            row = self._record_row(conn, entity, record_id)
            if row["version"] != expected_version:
                raise self._conflict(conn, entity, record_id, expected_version, row)
            payload = _json_payload({**row["data"], **changes})
            version = expected_version + 1
            valid_from = _effective(at, now)
            values = {
                "version": version,
                **_record_columns(payload),
                "valid_from": valid_from,
                "updated_at": now,
                "updated_by": actor,
            }
            result = conn.execute(
                update(t.records)
                .where(
                    t.records.c.entity == entity,
                    t.records.c.id == record_id,
                    t.records.c.version == expected_version,
                )
                .values(**values)
            )
            if result.rowcount != 1:  # lost a race between the read and the write
                current = self._record_row(conn, entity, record_id)
                raise self._conflict(conn, entity, record_id, expected_version, current)
            full = row | values
            self._log(
                conn,
                entity=entity,
                entity_id=record_id,
                version=version,
                action=action,
                actor=actor,
                reason=reason,
                valid_from=valid_from,
                recorded_at=now,
                data=full,
            )
        return _record_out(full)

    def records(
        self, entity: str, *, as_of: dt.datetime | None = None, status: str | None = None
    ) -> pd.DataFrame:
        """Return every record of ``entity`` (now, or as it stood at ``as_of``).

        One row per record: its data keys as columns plus ``id``, ``version``
        and ``valid_from``.
        """
        if as_of is None:
            query = select(t.records).where(t.records.c.entity == entity)
            if status is not None:
                query = query.where(t.records.c.status == status)
            with self._read() as conn:
                rows = [_record_out(r) for r in conn.execute(query).mappings().all()]
        else:
            h = t.history
            latest = (
                select(h.c.entity_id, func.max(h.c.version).label("v"))
                .where(h.c.entity == entity, h.c.valid_from <= _utc(as_of))
                .group_by(h.c.entity_id)
                .subquery()
            )
            query = (
                select(h.c.data)
                .join(latest, and_(h.c.entity_id == latest.c.entity_id, h.c.version == latest.c.v))
                .where(h.c.entity == entity)
            )
            with self._read() as conn:
                rows = [_record_out(r[0]) for r in conn.execute(query) if r[0] is not None]
            if status is not None:
                rows = [r for r in rows if r.get("status") == status]
        return pd.DataFrame(rows)

    def has_records(self, entity: str) -> bool:
        """Return whether any record of ``entity`` exists (one indexed look-up, no decoding).

        The same answer as ``not store.records(entity).empty``, cheap enough for
        every page load.

        Examples
        --------
        >>> store = Store("sqlite://")
        >>> store.has_records("user")
        False
        >>> _ = store.add_record("user", {"username": "ana"}, actor="demo", reason="example")
        >>> store.has_records("user")
        True
        """
        r = t.records
        with self._read() as conn:
            found = conn.execute(select(r.c.id).where(r.c.entity == entity).limit(1)).first()
        return found is not None

    # ------------------------------------------------------------------ attempt counters
    def count_attempt(
        self,
        scope: str,
        key: str,
        *,
        limit: int,
        lock_for: dt.timedelta,
        window: dt.timedelta | None = None,
        now: dt.datetime | None = None,
    ) -> bool:
        """Count one attempt *before* it is checked; whether it may go ahead.

        One atomic step in the database (``BEGIN IMMEDIATE`` on SQLite, a row
        lock on PostgreSQL), so every app server on the database and every
        thread shares the count, and a race cannot let more than ``limit``
        attempts through. The ``limit``-th attempt is let through and locks
        ``key`` for ``lock_for``; a lock that has run out, or a ``window``
        that has passed since the first counted attempt, starts the count
        again. Undo the count of an attempt that succeeded with
        :meth:`forget_attempts`. Counts started more than
        :data:`ATTEMPTS_KEPT` ago and not locked are dropped when a new key
        is counted, so made-up keys cannot grow the table without bound.

        Parameters
        ----------
        scope, key
            What is counted (e.g. ``"sign-in"`` and an account id).
        limit
            Attempts let through before the lock.
        lock_for
            How long the lock lasts.
        window
            Counts older than this are forgotten (``None``: only a success
            or the end of a lock resets the count).
        now
            The current time (for tests).

        Examples
        --------
        >>> store = Store("sqlite://")
        >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        >>> lock = dt.timedelta(minutes=15)
        >>> [store.count_attempt("demo", "k", limit=2, lock_for=lock, now=t0) for _ in range(3)]
        [True, True, False]
        >>> store.count_attempt("demo", "k", limit=2, lock_for=lock, now=t0 + lock)
        True
        """
        when = _utc(now)
        a = t.auth_attempts
        where = and_(a.c.scope == scope, a.c.key == key)
        dialect = pg_insert if self.backend == "postgresql" else sqlite_insert
        with self._write(data=False) as conn:
            if self.backend == "postgresql":  # wait like SQLite's busy timeout, not for ever
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(ATTEMPT_WAIT_MS)}")
            added = conn.execute(
                dialect(a)
                .values(scope=scope, key=key, failures=0, window_start=when, locked_until=None)
                .on_conflict_do_nothing()
            ).rowcount
            if added:  # a new key (e.g. a made-up username): drop the stale ones, so it stays small
                conn.execute(
                    delete(a).where(
                        a.c.scope == scope,
                        a.c.window_start < when - ATTEMPTS_KEPT,
                        (a.c.locked_until.is_(None)) | (a.c.locked_until < when),
                    )
                )
            row = conn.execute(select(a).where(where).with_for_update()).mappings().one()
            failures, start, locked = row["failures"], row["window_start"], row["locked_until"]
            if locked is not None and when < locked:
                return False
            if locked is not None or (window is not None and when >= start + window):
                failures, start = 0, when
            failures += 1
            until = when + lock_for if failures >= limit else None
            conn.execute(
                update(a)
                .where(where)
                .values(failures=failures, window_start=start, locked_until=until)
            )
        return True

    def forget_attempts(self, scope: str, key: str, *, every: bool = True) -> None:
        """Undo counted attempts of ``key``: all of them (and its lock), or only one."""
        a = t.auth_attempts
        where = and_(a.c.scope == scope, a.c.key == key)
        with self._write(data=False) as conn:
            if every:
                conn.execute(delete(a).where(where))
                return
            conn.execute(
                update(a)
                .where(where, a.c.failures > 0)
                .values(failures=a.c.failures - 1, locked_until=None)
            )

    def attempts(self, scope: str) -> pd.DataFrame:
        """Return the counters of ``scope``: ``key``, ``failures``, ``locked_until`` (UTC)."""
        a = t.auth_attempts
        query = select(a.c.key, a.c.failures, a.c.locked_until).where(a.c.scope == scope)
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings().all()]
        frame = pd.DataFrame(rows, columns=["key", "failures", "locked_until"])
        frame["locked_until"] = pd.to_datetime(frame["locked_until"], utc=True)
        return frame

    def erase_record(
        self, entity: str, record_id: str, *, actor: str, reason: str, scrub: bool = True
    ) -> int:
        """Erase a record's content, now and in every past version (right to erasure).

        The record and each of its history snapshots are overwritten with a
        tombstone ``{"erased": True, "status": "erased"}`` (history reasons
        become ``"erased"``), and one more history row says who erased it,
        when and why, without any content. SQLite connections run with
        ``PRAGMA secure_delete=ON`` (freed space is zeroed), and
        :meth:`finish_erasure` then truncates the WAL (SQLite) or rewrites
        ``records`` and ``history`` (PostgreSQL), and checks that it worked.

        Parameters
        ----------
        entity, record_id
            The record.
        actor
            Who erases it.
        reason
            Why (kept in the audit line: never put the erased content here).
        scrub
            Call :meth:`finish_erasure` afterwards; pass ``False`` when erasing
            several records, then call it once at the end.

        Returns
        -------
        int
            The number of history snapshots overwritten.

        Raises
        ------
        NotFoundError
            If there is no such record.
        StoreError
            If the erasure is saved but a reader kept the old content on disk
            (see :meth:`finish_erasure`); the message says what to do.
        """
        self._check_who(actor, reason)
        _check_entity(entity)
        tombstone: dict[str, Any] = {"erased": True, "status": "erased"}
        now = _utc(None)
        r, h = t.records, t.history
        with self._write() as conn:
            row = self._record_row(conn, entity, record_id)
            version = int(row["version"]) + 1
            values = {
                "version": version,
                **_record_columns(tombstone),
                "updated_at": now,
                "updated_by": actor,
            }
            conn.execute(
                update(r).where(r.c.entity == entity, r.c.id == record_id).values(**values)
            )
            full = dict(row) | values
            past = conn.execute(
                select(h.c.seq, h.c.version, h.c.valid_from).where(
                    h.c.entity == entity, h.c.entity_id == record_id
                )
            ).all()
            for seq, old_version, old_valid_from in past:
                snapshot = full | {"version": old_version, "valid_from": old_valid_from}
                conn.execute(
                    update(h)
                    .where(h.c.seq == seq)
                    .values(data=_snapshot(snapshot), reason="erased")
                )
            self._log(
                conn,
                entity=entity,
                entity_id=record_id,
                version=version,
                action="erase",
                actor=actor,
                reason=reason,
                valid_from=now,
                recorded_at=now,
                data=full,
            )
        if scrub:
            self.finish_erasure()
        logger.info("erased the content of a %s record and %d history rows", entity, len(past))
        return len(past)

    def finish_erasure(self) -> None:
        """Make sure no erased bytes remain in the database's files, or raise.

        Called by :meth:`erase_record`; call it again (``assetmap scrub``)
        after an erasure reported that a reader held old pages.

        On SQLite the write-ahead log is checkpointed into the database file
        and truncated to nothing (``PRAGMA wal_checkpoint(TRUNCATE)``), and
        the result is checked: another connection still reading an older
        snapshot keeps the old pages in the log. On PostgreSQL ``records``
        and ``history`` are rewritten (``VACUUM FULL``), which drops the old
        row versions only if no other connection to the database holds a
        snapshot from before the erasure. Either way the check is tried
        :data:`SCRUB_TRIES` times, waiting up to :data:`SCRUB_WAIT_MS` each.

        Raises
        ------
        StoreError
            If a reader kept the old content after every try, saying what to do.
        """
        since: dt.datetime | None = None
        for _ in range(SCRUB_TRIES):
            try:
                if self.backend == "sqlite":
                    done = self._checkpoint()
                else:
                    since = since or self._database_now()
                    done = self._vacuum_full(since)
            except (OperationalError, sqlite3.Error) as exc:
                detail = _describe(exc) if isinstance(exc, SQLAlchemyError) else str(exc)
                msg = f"The erasure is saved, but the database files were not compacted: {detail}"
                raise StoreError(msg) from exc
            if done:
                return
        if self.backend == "sqlite":
            where = "the old text is still in its write-ahead log (the file ending in -wal)"
        else:
            where = "PostgreSQL still keeps the old row versions for it"
        msg = (
            "The content is erased from the register, but another program is still reading "
            f"an older copy of the database, so {where}. Close the other assetmap windows, "
            "commands and database tools using this workspace, then run "
            "`assetmap scrub WORKSPACE` to finish the erasure."
        )
        raise StoreError(msg)

    def _checkpoint(self) -> bool:
        """Checkpoint and truncate SQLite's WAL; whether it completed (no reader pinned it)."""
        raw = self.engine.raw_connection()
        try:  # outside any transaction (the connection does not BEGIN implicitly)
            cursor = raw.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SCRUB_WAIT_MS}")
            try:
                busy, log, checkpointed = cursor.execute(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).fetchone()
            finally:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cursor.close()
        finally:
            raw.close()
        # (0, 0, 0) after a truncation; (0, -1, -1) for a database without a WAL (in memory)
        done = busy == 0 and log == checkpointed and log <= 0
        if not done:
            logger.warning(
                "WAL checkpoint incomplete (busy=%s, log=%s, done=%s)", busy, log, checkpointed
            )
        return bool(done)

    def _database_now(self) -> dt.datetime:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT clock_timestamp()")).scalar_one()  # type: ignore[no-any-return]

    def _vacuum_full(self, since: dt.datetime) -> bool:
        """Rewrite ``records`` and ``history``; whether no old row version had to be kept.

        ``VACUUM FULL`` copies row versions that some snapshot may still see
        ("N dead row versions cannot be removed yet" in its ``VERBOSE``
        report); any such row means the erased content may still be on disk.
        A reader that began before ``since`` is waited for first.
        """
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if conn.execute(_SNAPSHOT_HOLDERS.bindparams(since=since)).scalar_one():
                conn.exec_driver_sql(f"SELECT pg_sleep({SCRUB_WAIT_MS / 1000})")
                return False
            notes: list[str] = []

            def keep(diagnostic: Any) -> None:
                notes.append(str(diagnostic.message_detail or ""))

            driver = conn.connection.driver_connection
            driver.add_notice_handler(keep)  # type: ignore[union-attr]
            conn.exec_driver_sql(f"SET lock_timeout = {SCRUB_WAIT_MS}")
            try:
                conn.exec_driver_sql("VACUUM (FULL, VERBOSE) records, history")
            except OperationalError as exc:
                if "lock timeout" not in str(exc):
                    raise
                return False
            finally:
                conn.exec_driver_sql("RESET lock_timeout")  # the connection goes back to the pool
                driver.remove_notice_handler(keep)  # type: ignore[union-attr]
        kept = sum(int(n) for n in _KEPT_ROWS.findall("\n".join(notes)))
        if kept:
            logger.warning("VACUUM FULL kept %d old row versions a reader may still see", kept)
        return kept == 0


def _source_values(row: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: _jsonable(row.get(k)) for k in _SOURCE_FIELDS}
    if values.get("extra") is None:  # hashes of rows without extra stay as they were
        values.pop("extra", None)
    return values


def _check_entity(entity: str) -> None:
    if entity == "asset" or not entity.isidentifier() or len(entity) > 30:
        msg = f"{entity!r} is not a record kind (use add_asset for assets)."
        raise SchemaError(msg)


def _json_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(dict(data), default=_json_default)))
    except (TypeError, ValueError) as exc:
        msg = f"Record data must be JSON-serialisable: {exc}."
        raise SchemaError(msg) from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return _jsonable(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    msg = f"cannot store a {type(value).__name__}"
    raise TypeError(msg)


def _first_version(
    row: Mapping[str, Any], asset_id: str, valid_from: dt.datetime, now: dt.datetime, actor: str
) -> dict[str, Any]:
    """Return a new asset's row: its fields plus id, version 1 and who wrote it when."""
    return dict(row) | {
        "id": asset_id,
        "version": 1,
        "valid_from": valid_from,
        "updated_at": now,
        "updated_by": actor,
        "merged_into": None,
    }


def _record_columns(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return a generic record's data and the keys of it kept in indexed columns."""
    return {
        "status": payload.get("status"),
        "data": payload,
        "lon": payload.get("lon"),
        "lat": payload.get("lat"),
    }


def _record_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    data = dict(row["data"])
    vf = row["valid_from"]
    if isinstance(vf, str):
        vf = dt.datetime.fromisoformat(vf)
    return data | {
        "id": row["id"],
        "version": row["version"],
        "valid_from": _aware(vf),
        "updated_by": row.get("updated_by"),
    }


def _is_busy(detail: str) -> bool:
    """Whether a database error says another writer held the lock past the busy timeout."""
    text = detail.lower()
    return "database is locked" in text or "database is busy" in text or "lock timeout" in text


def _describe(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]
