"""A write that fails half-way leaves the old file as it was and no temporary file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from assetmap.atomic import atomic_path
from assetmap.ingest.postcodes import PostcodeIndex, save_postcodes
from assetmap.output.export import export_register
from assetmap.reach.network import WalkNetwork, save_network
from assetmap.schema import validate_assets


class WriterBrokeError(RuntimeError):
    """Raised by a writer that has already written half a file."""


def _half_then_fail(self: Any, path: Any, *args: Any, **kwargs: Any) -> None:
    Path(path).write_bytes(b"half a file")
    msg = "the writer broke half-way"
    raise WriterBrokeError(msg)


def _only_the_old_file(target: Path) -> None:
    assert target.read_bytes() == b"the old file"
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_a_failed_postcode_save_keeps_the_old_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "postcodes.parquet"
    target.write_bytes(b"the old file")
    index = PostcodeIndex.from_arrays(["LE15 6HW"], [-0.725991], [52.668718], source="onspd")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _half_then_fail)
    with pytest.raises(WriterBrokeError):
        save_postcodes(index, target)
    _only_the_old_file(target)


def test_a_failed_export_keeps_the_old_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "register.csv"
    target.write_bytes(b"the old file")
    assets = validate_assets(
        gpd.GeoDataFrame(
            {"id": ["a1"], "name": ["Oakham Library"], "categories": [["library"]]},
            geometry=[Point(-0.727, 52.669)],
            crs="EPSG:4326",
        )
    )
    monkeypatch.setattr(pd.DataFrame, "to_csv", _half_then_fail)
    with pytest.raises(WriterBrokeError):
        export_register(assets, target, fmt="csv")
    _only_the_old_file(target)


def _half_then_fail_to_handle(out: Any, **arrays: Any) -> None:
    out.write(b"half a file")
    msg = "the writer broke half-way"
    raise WriterBrokeError(msg)


def test_a_failed_network_save_keeps_the_old_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "network.npz"
    target.write_bytes(b"the old file")
    network = WalkNetwork(
        node_ids=np.array([1, 2], dtype=np.int64),
        lon=np.array([-0.72, -0.72]),
        lat=np.array([52.67, 52.671]),
        edge_u=np.array([0], dtype=np.int32),
        edge_v=np.array([1], dtype=np.int32),
        length_m=np.array([120.0]),
    )
    monkeypatch.setattr(np, "savez_compressed", _half_then_fail_to_handle)
    with pytest.raises(WriterBrokeError):
        save_network(network, target)
    _only_the_old_file(target)


def _write_half_then_interrupt(target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"half a file")
        raise KeyboardInterrupt


def test_an_interrupted_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "areas.parquet"
    target.write_bytes(b"the old file")
    with pytest.raises(KeyboardInterrupt):
        _write_half_then_interrupt(target)
    _only_the_old_file(target)


def test_the_temporary_file_keeps_the_suffix_gdal_reads(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "assets.gpkg") as tmp:
        assert tmp.suffix == ".gpkg"
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".")
        tmp.write_bytes(b"x")
    assert (tmp_path / "assets.gpkg").read_bytes() == b"x"
