"""The geo module's projection: built once, run on one thread, the same numbers as pyproj."""

from __future__ import annotations

import threading

import numpy as np
from pyproj import Transformer

from assetmap.geo import BNG, projection


def test_a_projection_gives_pyprojs_numbers_from_any_thread_and_builds_proj_on_one_thread():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-0.85, -0.4, 500), rng.uniform(52.5, 52.8, 500)
    expected = Transformer.from_crs("EPSG:4326", BNG, always_xy=True).transform(lon, lat)
    to_bng = projection("EPSG:4326", BNG)
    got: list[tuple[np.ndarray, np.ndarray]] = []
    built_here: list[bool] = []

    def use() -> None:
        got.append(to_bng.transform(lon, lat))
        # pyproj keeps a PROJ object per thread that used it: this thread has none.
        built_here.append(to_bng.transformer._local.transformer is not None)

    threads = [threading.Thread(target=use) for _ in range(4)]  # as Streamlit's page runs
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 4
    assert built_here == [False] * 4
    for x, y in got:  # bit for bit
        assert np.array_equal(x, expected[0])
        assert np.array_equal(y, expected[1])
