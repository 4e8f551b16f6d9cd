"""Export the register: GeoJSON, GeoPackage (opens in QGIS) and CSV.

CSV cells that a spreadsheet would run as a formula (starting ``=``, ``+``,
``-``, ``@``, tab or carriage return) are neutralised with a leading
apostrophe, as OWASP recommends.

Proposals no facilitator has checked (status ``proposed``) are left out
unless asked for with ``include_proposed=True``; then every row carries a
``checked`` column, ``"yes"`` or ``"not yet checked"``
(:mod:`assetmap.moderation_state`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd

from assetmap.atomic import atomic_path
from assetmap.errors import AssetMapError
from assetmap.moderation_state import UNCHECKED_LABEL, checked_assets, is_checked

__all__ = ["EXPORT_FORMATS", "export_register", "neutralise_formula", "register_to_table"]

EXPORT_FORMATS: Final = ("geojson", "gpkg", "csv")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    r"""Return ``value`` made safe to open in a spreadsheet.

    Examples
    --------
    >>> print(neutralise_formula('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> neutralise_formula("Oakham Library")
    'Oakham Library'
    >>> neutralise_formula(-0.72)
    -0.72
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def register_to_table(assets: gpd.GeoDataFrame, *, label_checked: bool = False) -> pd.DataFrame:
    """Return the register as a flat table: lists joined with ``;``, lon/lat columns.

    With ``label_checked``, a ``checked`` column says ``"yes"`` or
    ``"not yet checked"`` for each row.
    """
    frame = pd.DataFrame(assets.drop(columns="geometry"))
    if label_checked:
        frame["checked"] = ["yes" if is_checked(s) else UNCHECKED_LABEL for s in assets["status"]]
    frame["categories"] = [";".join(c) for c in assets["categories"]]
    frame["flags"] = [";".join(c) for c in assets["flags"]]
    frame["lon"] = assets.geometry.x.round(7)
    frame["lat"] = assets.geometry.y.round(7)
    for column in ("last_verified", "valid_from"):
        frame[column] = [None if v is None else v.isoformat() for v in frame[column]]
    frame["extra"] = [
        None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True)
        for v in frame["extra"]
    ]
    return frame


def export_register(
    assets: gpd.GeoDataFrame, path: str | Path, *, fmt: str, include_proposed: bool = False
) -> Path:
    """Write the register to ``path`` as GeoJSON, GeoPackage or CSV.

    Parameters
    ----------
    assets
        A validated asset table.
    path
        The output file (replaced atomically).
    fmt
        One of ``geojson``, ``gpkg``, ``csv``.
    include_proposed
        Also write unchecked proposals, each labelled ``checked = "not yet
        checked"`` (every other row ``"yes"``); by default they are left out.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    if fmt not in EXPORT_FORMATS:
        msg = f"Unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}."
        raise AssetMapError(msg)
    target = Path(path)
    assets = assets.reset_index(drop=True) if include_proposed else checked_assets(assets)
    table = register_to_table(assets, label_checked=include_proposed)
    try:
        with atomic_path(target) as tmp:  # ends .gpkg as the target does: GDAL wants it
            if fmt == "csv":
                table.map(neutralise_formula).to_csv(tmp, index=False)
            elif fmt == "geojson":
                tmp.write_text(_geojson_text(table, assets), "utf-8")
            else:
                gdf = gpd.GeoDataFrame(
                    table.drop(columns=["lon", "lat"]),
                    geometry=assets.geometry.values,
                    crs=assets.crs,
                )
                gdf.to_file(tmp, driver="GPKG", layer="assets", engine="pyogrio")
    except OSError as exc:
        msg = f"Cannot write {target}: {exc.strerror or exc}."
        raise AssetMapError(msg) from exc
    return target


def _geojson_text(table: pd.DataFrame, assets: gpd.GeoDataFrame) -> str:
    features = [
        {
            "type": "Feature",
            "id": row["id"],
            "properties": {
                **{k: v for k, v in row.items() if k not in ("lon", "lat")},
                "categories": list(cats),
                "flags": list(flags),
            },
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        }
        for row, cats, flags in zip(
            table.to_dict("records"), assets["categories"], assets["flags"], strict=True
        )
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, default=str)
