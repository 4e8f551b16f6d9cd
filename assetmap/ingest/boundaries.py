"""Administrative boundaries inside an OpenStreetMap extract, and clipping an extract to one.

:func:`list_admin_areas` lists the ``boundary=administrative`` relations of a
file (name, ``admin_level``, ONS code from ``ref:gss`` where tagged) by reading
relations only, so it takes well under a second on a county extract.
:func:`admin_boundary` assembles one of them into a polygon,
:func:`read_boundary_file` reads a polygon from a GeoJSON/GeoPackage file, and
:func:`clip_extract` keeps the assets inside a boundary and the walking network
inside the boundary plus a buffer (so journeys that leave the area near its
edge are still measured right).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from assetmap.errors import IngestError
from assetmap.ingest.osm import OsmExtract, _bbox, _run
from assetmap.reach.network import WalkNetwork
from assetmap.schema import STORAGE_CRS

__all__ = [
    "DEFAULT_BUFFER_M",
    "AdminArea",
    "admin_boundary",
    "clip_extract",
    "find_admin_area",
    "list_admin_areas",
    "read_boundary_file",
]

#: Walking network kept beyond the boundary (about 25 minutes' walk).
DEFAULT_BUFFER_M: Final = 2_000.0
_CODE_TAGS: Final = ("ref:gss", "ref:ons", "ons_code", "ref")


@dataclass(frozen=True, slots=True)
class AdminArea:
    """An administrative boundary relation of an extract.

    Attributes
    ----------
    osm_id
        The relation id.
    name
        Its ``name`` tag.
    admin_level
        Its ``admin_level`` (lower is bigger: 6 a county, 8 a district, 10 a parish in England).
    code
        The official code where tagged (``ref:gss``, e.g. ``E06000017``), else "".
    """

    osm_id: int
    name: str
    admin_level: int
    code: str


class _Relations(osmium.SimpleHandler):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.areas: list[AdminArea] = []
        self.members: dict[int, list[tuple[int, str]]] = {}

    def relation(self, rel: Any) -> None:
        tags = rel.tags
        if tags.get("boundary") != "administrative" or "name" not in tags:
            return
        level = tags.get("admin_level", "")
        code = next((tags.get(k) for k in _CODE_TAGS if tags.get(k)), "")
        self.areas.append(
            AdminArea(
                osm_id=int(rel.id),
                name=str(tags.get("name")),
                admin_level=int(level) if level.isdigit() else 99,
                code=str(code),
            )
        )
        self.members[int(rel.id)] = [
            (int(m.ref), str(m.role)) for m in rel.members if m.type == "w"
        ]


def _relations(path: Path) -> _Relations:
    if not path.is_file():
        msg = f"{path} does not exist."
        raise IngestError(msg)
    handler = _Relations()
    _run(path, handler, types=osmium.osm.RELATION)
    return handler


def list_admin_areas(path: str | os.PathLike[str]) -> list[AdminArea]:
    """List the administrative boundaries in an OSM extract, biggest (lowest level) first.

    Parameters
    ----------
    path
        An ``.osm.pbf`` (or ``.osm``) file.

    Returns
    -------
    list of AdminArea
        Sorted by level, then name.

    Raises
    ------
    IngestError
        If the file is missing or not OSM data.
    """
    areas = _relations(Path(path)).areas
    return sorted(areas, key=lambda a: (a.admin_level, a.name.casefold(), a.osm_id))


def find_admin_area(areas: Sequence[AdminArea], query: str) -> AdminArea:
    """Return the one area whose code or name is ``query`` (case does not matter).

    A name that several areas share picks the biggest (lowest level); a code is exact.

    Raises
    ------
    IngestError
        If nothing matches (the closest names are suggested).

    Examples
    --------
    >>> areas = [AdminArea(1, "Rutland", 6, "E06000017"), AdminArea(2, "Oakham", 10, "")]
    >>> find_admin_area(areas, "e06000017").name, find_admin_area(areas, " oakham ").osm_id
    ('Rutland', 2)
    """
    wanted = query.strip().casefold()
    by_code = [a for a in areas if a.code and a.code.casefold() == wanted]
    by_name = [a for a in areas if a.name.casefold() == wanted]
    found = by_code or sorted(by_name, key=lambda a: a.admin_level)
    if found:
        return found[0]
    near = [a.name for a in areas if wanted[:4] and wanted[:4] in a.name.casefold()][:5]
    hint = f" Did you mean: {', '.join(near)}?" if near else ""
    msg = (
        f"No administrative area called {query!r} in the extract; "
        f"`assetmap areas list FILE` lists them.{hint}"
    )
    raise IngestError(msg)


class _MemberWays(osmium.SimpleHandler):  # type: ignore[misc]
    def __init__(self, wanted: set[int]) -> None:
        super().__init__()
        self.wanted = wanted
        self.lines: dict[int, list[tuple[float, float]]] = {}

    def way(self, way: Any) -> None:
        if way.id not in self.wanted:
            return
        coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
        if len(coords) == len(way.nodes) and len(coords) >= 2:
            self.lines[int(way.id)] = coords


def admin_boundary(path: str | os.PathLike[str], area: AdminArea) -> BaseGeometry:
    """Assemble an administrative boundary relation of the extract into a (Multi)Polygon.

    Raises
    ------
    IngestError
        If its outer ways are not all in the file or do not close into a polygon.
    """
    source = Path(path)
    members = _relations(source).members.get(area.osm_id, [])
    outer = {ref for ref, role in members if role != "inner"}
    inner = {ref for ref, role in members if role == "inner"}
    handler = _MemberWays(outer | inner)
    handler.apply_file(str(source), locations=True)
    missing = outer - set(handler.lines)
    if missing or not outer:
        msg = (
            f"The boundary of {area.name} is incomplete in {source.name} "
            f"({len(missing)} of {len(outer)} outer ways missing); give --boundary FILE instead."
        )
        raise IngestError(msg)
    shell = shapely.unary_union(
        list(shapely.polygonize([LineString(handler.lines[r]) for r in outer]).geoms)
    )
    holes = [LineString(handler.lines[r]) for r in inner if r in handler.lines]
    if holes:
        shell = shell.difference(shapely.unary_union(list(shapely.polygonize(holes).geoms)))
    if shell.is_empty or shell.geom_type not in ("Polygon", "MultiPolygon"):
        msg = f"The boundary of {area.name} in {source.name} does not close into a polygon."
        raise IngestError(msg)
    return shell


def read_boundary_file(path: str | os.PathLike[str]) -> BaseGeometry:
    """Read a boundary file (GeoJSON, GeoPackage...) as one lon/lat (Multi)Polygon: the union.

    Raises
    ------
    IngestError
        If the file is missing, unreadable, or holds no polygon.
    """
    from assetmap.reach.areas import read_boundary_frame

    source = Path(path)
    frame = read_boundary_frame(source)
    if frame.crs is not None:
        frame = frame.to_crs(STORAGE_CRS)
    polygons = frame.geometry[frame.geometry.geom_type.isin(("Polygon", "MultiPolygon"))]
    if not len(polygons):
        msg = f"{source.name} holds no polygon to clip to."
        raise IngestError(msg)
    return shapely.make_valid(shapely.unary_union(polygons.to_numpy()))


def clip_extract(
    extract: OsmExtract, boundary: BaseGeometry, *, buffer_m: float = DEFAULT_BUFFER_M
) -> OsmExtract:
    """Keep the assets inside ``boundary`` and the walking network within ``buffer_m`` of it.

    Parameters
    ----------
    extract
        A whole-file extract (:func:`assetmap.ingest.osm.read_osm_file`).
    boundary
        A lon/lat (Multi)Polygon.
    buffer_m
        How far beyond the boundary streets are kept, in metres.

    Returns
    -------
    OsmExtract
        The clipped extract; ``skipped`` counts ``assets_outside_area`` and
        ``network_edges_outside_buffer``.

    Raises
    ------
    IngestError
        If ``buffer_m`` is negative or nothing of the extract is inside the boundary.
    """
    if not (np.isfinite(buffer_m) and buffer_m >= 0):
        msg = f"The buffer must be a distance in metres >= 0, got {buffer_m!r}."
        raise IngestError(msg)
    shape = gpd.GeoSeries([boundary], crs=STORAGE_CRS)
    metric = shape.estimate_utm_crs()
    buffered = shape.to_crs(metric).buffer(buffer_m).to_crs(STORAGE_CRS).iloc[0]
    shapely.prepare(boundary)
    shapely.prepare(buffered)
    assets = extract.assets
    inside = shapely.contains_xy(
        boundary, assets.geometry.x.to_numpy(), assets.geometry.y.to_numpy()
    )
    network = extract.network
    near = shapely.contains_xy(buffered, network.lon, network.lat)
    keep_edge = near[network.edge_u] & near[network.edge_v]
    used = np.zeros(network.n_nodes, dtype=bool)
    used[network.edge_u[keep_edge]] = True
    used[network.edge_v[keep_edge]] = True
    new_index = np.cumsum(used) - 1
    clipped = WalkNetwork(
        node_ids=network.node_ids[used],
        lon=network.lon[used],
        lat=network.lat[used],
        edge_u=new_index[network.edge_u[keep_edge]].astype(np.int32),
        edge_v=new_index[network.edge_v[keep_edge]].astype(np.int32),
        length_m=network.length_m[keep_edge],
    )
    kept = assets[inside].reset_index(drop=True)
    if not len(kept) and not clipped.n_edges:
        msg = "Nothing of the extract (no asset, no street) lies inside the chosen boundary."
        raise IngestError(msg)
    skipped = dict(extract.skipped)
    skipped["assets_outside_area"] = int((~inside).sum())
    skipped["network_edges_outside_buffer"] = int((~keep_edge).sum())
    return dataclasses.replace(
        extract, assets=kept, network=clipped, skipped=skipped, bbox=_bbox(clipped, kept)
    )
