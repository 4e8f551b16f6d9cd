"""A read-only Open Referral UK API over a workspace's public register.

``assetmap api WS`` serves what :func:`assetmap.publish.public_register`
allows (verified assets only) the way any Open Referral UK directory does,
so a council or Family Hubs directory can subscribe to it:

- ``/`` the service metadata (HSDS version, profile, where the OpenAPI document is);
- ``/services`` paged, with the filters the UK profile's API names
  (``search``/``text``, ``taxonomy_term_id``, ``taxonomy_id``, ``postcode`` +
  ``proximity``, ``modified_after``, ``minimum_age``, ``maximum_age``, ``day``,
  ``page``, ``per_page``); ``/services/{id}`` the full record;
- ``/taxonomies``, ``/taxonomies/{id}``, ``/taxonomy_terms``, ``/taxonomy_terms/{id}``;
- ``/openapi.json`` the UK profile's API description, limited to these paths.

Only GET (and HEAD) are answered. The register is read again when it is
older than ``refresh_s`` seconds, so a newly verified asset appears without
a restart. Starlette routes; :mod:`assetmap.publish` decides everything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assetmap.errors import AssetMapError
from assetmap.ingest.postcodes import PostcodeIndex, load_postcodes
from assetmap.output.export_hsds import ORUK_SCHEMA_DIR, workspace_country
from assetmap.publish import OrukFeed, QueryError, ServiceQuery, public_register
from assetmap.workspace import Workspace

__all__ = [
    "SERVED_PATHS",
    "ApiConfig",
    "build_app",
    "openapi_document",
    "serve",
    "serving",
]

#: The Open Referral UK API paths this server answers.
SERVED_PATHS: Final = (
    "/",
    "/services",
    "/services/{id}",
    "/taxonomies",
    "/taxonomies/{id}",
    "/taxonomy_terms",
    "/taxonomy_terms/{id}",
)
PROFILE_URL: Final = "https://openreferraluk.org/"


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """How the API serves a workspace.

    Parameters
    ----------
    refresh_s
        Read the register again when the copy served is older than this.
    """

    refresh_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.refresh_s >= 0:
            msg = f"`refresh_s` must not be negative, got {self.refresh_s!r}."
            raise ValueError(msg)


def _load_feed(workspace: Workspace) -> OrukFeed:
    postcodes: PostcodeIndex | None = None
    if workspace.postcodes_path.is_file():
        postcodes = load_postcodes(workspace.postcodes_path)
    store = workspace.store()
    return OrukFeed.from_assets(
        public_register(store),
        taxonomy=store.taxonomy,
        country=workspace_country(workspace.settings()),
        postcodes=postcodes,
    )


class _FeedCache:
    """The feed served, rebuilt at most every ``refresh_s`` seconds (thread-safe)."""

    def __init__(self, load: Callable[[], OrukFeed], refresh_s: float) -> None:
        self._load = load
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._feed: OrukFeed | None = None
        self._at = 0.0

    def get(self) -> OrukFeed:
        with self._lock:
            if self._feed is None or time.monotonic() - self._at > self._refresh_s:
                self._feed = self._load()
                self._at = time.monotonic()
            return self._feed


def openapi_document(base_url: str) -> dict[str, Any]:
    """Return the UK profile's API description, limited to :data:`SERVED_PATHS`.

    Parameters
    ----------
    base_url
        Where the API is served (written as its only server).
    """
    path = ORUK_SCHEMA_DIR / "openapi.json"
    if path.is_file():
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    else:  # the profile files are not beside the repository: a minimal description
        document = {
            "openapi": "3.0.0",
            "info": {"title": "Open Referral UK Profile", "version": "3.0"},
            "paths": {
                p: {"get": {"responses": {"200": {"description": "OK"}}}} for p in SERVED_PATHS
            },
        }
    document["paths"] = {p: v for p, v in document["paths"].items() if p in SERVED_PATHS}
    document["servers"] = [{"url": base_url.rstrip("/")}]
    document["info"] = {
        **document.get("info", {}),
        "description": "Read-only Open Referral UK API of an assetmap register (verified "
        "assets only).",
    }
    return document


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        msg = f"`{name}` must be a whole number, got {raw!r}."
        raise QueryError(msg) from None


def _float(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        msg = f"`{name}` must be a number, got {raw!r}."
        raise QueryError(msg) from None


def _datetime(request: Request, name: str) -> dt.datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        msg = f"`{name}` must be an ISO date-time like 2026-01-31T09:00:00Z, got {raw!r}."
        raise QueryError(msg) from None


def _text(request: Request, *names: str) -> str | None:
    for name in names:
        raw = request.query_params.get(name)
        if raw is not None and raw.strip():
            return raw.strip()
    return None


def service_query(request: Request) -> ServiceQuery:
    """Read a :class:`ServiceQuery` from ``/services`` query parameters."""
    return ServiceQuery(
        text=_text(request, "search", "text"),
        taxonomy_term_id=_text(request, "taxonomy_term_id"),
        taxonomy_id=_text(request, "taxonomy_id"),
        postcode=_text(request, "postcode"),
        proximity_m=_float(request, "proximity"),
        modified_after=_datetime(request, "modified_after"),
        minimum_age=_float(request, "minimum_age"),
        maximum_age=_float(request, "maximum_age"),
        day=_text(request, "day"),
        page=_int(request, "page", 1),
        per_page=_int(request, "per_page", 50),
    )


def build_app(workspace: Workspace, *, config: ApiConfig | None = None) -> Starlette:
    """Return the read-only Open Referral UK API of ``workspace`` (a Starlette app).

    Parameters
    ----------
    workspace
        The workspace whose public register is served.
    config
        Refresh interval; :class:`ApiConfig` defaults.
    """
    settings = config or ApiConfig()
    cache = _FeedCache(lambda: _load_feed(workspace), settings.refresh_s)

    def guarded(handler: Callable[[Request, OrukFeed], Response]) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            try:
                return handler(request, cache.get())
            except QueryError as exc:
                return _error(400, str(exc))
            except AssetMapError as exc:
                return _error(500, str(exc))

        return endpoint

    def root(request: Request, feed: OrukFeed) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {"version": "3.0", "profile": PROFILE_URL, "openapi_url": f"{base}/openapi.json"}
        )

    def openapi(request: Request, feed: OrukFeed) -> Response:
        return JSONResponse(openapi_document(str(request.base_url)))

    def services(request: Request, feed: OrukFeed) -> Response:
        return JSONResponse(feed.services(service_query(request)))

    def service(request: Request, feed: OrukFeed) -> Response:
        record = feed.service(request.path_params["id"])
        if record is None:
            return _error(404, "No public service with that id.")
        return JSONResponse(record)

    def listing(table: str) -> Callable[[Request, OrukFeed], Response]:
        def handler(request: Request, feed: OrukFeed) -> Response:
            page, per_page = _int(request, "page", 1), _int(request, "per_page", 50)
            if table == "taxonomies":
                return JSONResponse(feed.taxonomies(page=page, per_page=per_page))
            return JSONResponse(feed.taxonomy_terms(page=page, per_page=per_page))

        return handler

    def one(table: str) -> Callable[[Request, OrukFeed], Response]:
        def handler(request: Request, feed: OrukFeed) -> Response:
            record = feed.find(table, request.path_params["id"])
            if record is None:
                what = "taxonomy" if table == "taxonomies" else "taxonomy term"
                return _error(404, f"No {what} with that id.")
            return JSONResponse(record)

        return handler

    routes = [
        Route("/", guarded(root), methods=["GET"]),
        Route("/openapi.json", guarded(openapi), methods=["GET"]),
        Route("/services", guarded(services), methods=["GET"]),
        Route("/services/{id}", guarded(service), methods=["GET"]),
        Route("/taxonomies", guarded(listing("taxonomies")), methods=["GET"]),
        Route("/taxonomies/{id}", guarded(one("taxonomies")), methods=["GET"]),
        Route("/taxonomy_terms", guarded(listing("taxonomy_terms")), methods=["GET"]),
        Route("/taxonomy_terms/{id}", guarded(one("taxonomy_terms")), methods=["GET"]),
    ]
    return Starlette(routes=routes)


def serve(app: Starlette, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve ``app`` with uvicorn until interrupted (what ``assetmap api`` runs)."""
    uvicorn.run(app, host=host, port=port, log_level="warning")


@contextlib.contextmanager
def serving(app: Starlette, *, host: str = "127.0.0.1", timeout_s: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` in a background thread; yield its base URL.

    For tests and benchmarks: the server stops when the block ends.

    Raises
    ------
    AssetMapError
        If the server has not started within ``timeout_s``.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="assetmap-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            msg = f"The API did not start on {host}:{port} within {timeout_s:g} s."
            raise AssetMapError(msg)
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
