"""National helplines: remote services with no walking time, by need.

The curated list lives in ``assetmap/data/helplines.yaml`` (name, phone, hours, area, needs,
categories, source); a workspace may replace it with its own ``helplines.yaml``
(see :func:`helplines_for_workspace`). Find support shows the helplines for a
need when nothing local fits and always for urgent needs.

Examples
--------
>>> lines = load_helplines()
>>> [h.name for h in lines if "womens_support" in h.categories][0]
'National Domestic Abuse Helpline (Refuge)'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assetmap.errors import TaxonomyError
from assetmap.resources import data_path
from assetmap.taxonomy import Taxonomy, load_taxonomy, read_yaml

__all__ = [
    "DEFAULT_HELPLINES_PATH",
    "Helpline",
    "helplines_for_workspace",
    "load_helplines",
]

DEFAULT_HELPLINES_PATH = data_path("helplines.yaml")
WORKSPACE_HELPLINES = "helplines.yaml"


@dataclass(frozen=True, slots=True)
class Helpline:
    """A phone or online service for a whole area, with no walking time."""

    name: str
    phone: str
    hours: str
    area: str
    needs: tuple[str, ...]
    categories: tuple[str, ...]
    source: str
    urgent: bool = False
    keywords: tuple[str, ...] = ()


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        msg = f"{where}: `{key}` must be non-empty text."
        raise TaxonomyError(msg)
    return str(value).strip()


def _codes(entry: dict[str, Any], key: str, where: str, known: Any) -> tuple[str, ...]:
    value = entry.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        msg = f"{where}: `{key}` must be a list of codes."
        raise TaxonomyError(msg)
    for code in value:
        if code not in known:
            msg = f"{where}: unknown {key[:-1]} code {code!r}."
            raise TaxonomyError(msg)
    return tuple(value)


def _parse(raw: Any, taxonomy: Taxonomy, source: Path) -> tuple[Helpline, ...]:
    entries = raw.get("helplines") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        msg = f"{source}: the file must hold a list `helplines`."
        raise TaxonomyError(msg)
    out = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source.name} helpline {number}"
        if not isinstance(entry, dict):
            msg = f"{where}: must be a mapping (name, phone, hours, needs, source)."
            raise TaxonomyError(msg)
        where = f"{where} ({entry.get('name', '?')})"
        site = _text(entry, "source", where)
        if not site.startswith("https://"):
            msg = f"{where}: `source` must be the organisation's https:// page."
            raise TaxonomyError(msg)
        keywords = entry.get("keywords") or []
        if not isinstance(keywords, list):
            msg = f"{where}: `keywords` must be a list of words."
            raise TaxonomyError(msg)
        out.append(
            Helpline(
                name=_text(entry, "name", where),
                phone=_text(entry, "phone", where),
                hours=_text(entry, "hours", where),
                area=str(entry.get("area") or "England"),
                needs=_codes(entry, "needs", where, taxonomy.needs),
                categories=_codes(entry, "categories", where, taxonomy.categories),
                source=site,
                urgent=bool(entry.get("urgent", False)),
                keywords=tuple(str(k) for k in keywords),
            )
        )
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int) -> tuple[Helpline, ...]:
    del mtime_ns  # part of the cache key: an edited file is read again
    return _parse(read_yaml(path, "helplines"), load_taxonomy(), path)


def load_helplines(path: str | Path | None = None) -> tuple[Helpline, ...]:
    """Load and check a helplines file (``assetmap/data/helplines.yaml`` by default).

    Raises
    ------
    TaxonomyError
        Naming the entry and field that is wrong.
    """
    file = Path(path or DEFAULT_HELPLINES_PATH).resolve()
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as exc:
        msg = f"Cannot read the helplines file {file}: {exc.strerror or exc}."
        raise TaxonomyError(msg) from exc
    return _load(file, stamp)


def helplines_for_workspace(folder: str | Path) -> tuple[Helpline, ...]:
    """Return a workspace's own ``helplines.yaml`` if it has one, else the shipped list."""
    own = Path(folder) / WORKSPACE_HELPLINES
    return load_helplines(own if own.is_file() else None)
