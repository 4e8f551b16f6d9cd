"""Files that ship inside the package: the taxonomy, schemas and the demo bundle.

Everything the code reads at run time lives under ``assetmap/data/`` and is
found through :mod:`importlib.resources`, so a wheel installed anywhere finds
it (no path relative to a source checkout).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from assetmap.errors import AssetMapError

__all__ = ["data_path"]


def data_path(*parts: str) -> Path:
    """Return the path of a file or folder under the package's ``data`` folder.

    Parameters
    ----------
    *parts
        Path components below ``assetmap/data``.

    Returns
    -------
    pathlib.Path
        The file system path (the package is installed as plain files).

    Raises
    ------
    AssetMapError
        If nothing is there (an install without its package data).

    Examples
    --------
    >>> data_path("taxonomy.yaml").name
    'taxonomy.yaml'
    """
    resource = importlib.resources.files("assetmap").joinpath("data", *parts)
    path = Path(str(resource))
    if not path.exists():
        msg = (
            f"assetmap's package data {'/'.join(parts)!r} is missing from {path.parent}; "
            "reinstall assetmap."
        )
        raise AssetMapError(msg)
    return path
