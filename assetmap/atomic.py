"""Write files so a reader sees the old file or the new one, never half of either.

:func:`atomic_path` is the one way assetmap replaces a file (a workspace's
JSON, a postcode table, an export, a backup): the writer fills a temporary
file beside the target, which is renamed over the target only when the
writer finishes; if it raises, the temporary file is removed and the old
target is left as it was.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "notes.txt"
>>> with atomic_path(target) as tmp:
...     _ = tmp.write_text("first", encoding="utf-8")
>>> target.read_text(encoding="utf-8")
'first'
>>> try:
...     with atomic_path(target) as tmp:
...         _ = tmp.write_text("half", encoding="utf-8")
...         raise OSError("disk full")
... except OSError:
...     pass
>>> target.read_text(encoding="utf-8"), sorted(p.name for p in target.parent.iterdir())
('first', ['notes.txt'])
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

from assetmap.private_files import private_file

__all__ = ["atomic_path", "write_text_atomic"]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    The temporary name is hidden (starts with a dot), unique, and ends with the
    target's own suffix (GDAL picks a driver by it). It is not created: the
    writer creates it. Before the rename it is made owner-only (``0600``,
    :func:`~assetmap.private_files.private_file`): what assetmap writes may hold
    personal data. On any exception, including ``KeyboardInterrupt``, the
    temporary file is deleted and the exception propagates; the target is
    untouched.

    Parameters
    ----------
    path
        The file to write or replace. Its folder must exist.

    Yields
    ------
    pathlib.Path
        Where to write.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
    try:
        yield tmp
        private_file(tmp).replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Replace a text file (UTF-8) atomically with :func:`atomic_path`.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> write_text_atomic(Path(tempfile.mkdtemp()) / "a.json", "{}").read_text(encoding="utf-8")
    '{}'
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
