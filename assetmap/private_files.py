"""Files only their owner can read: workspaces, backups and exports hold personal data.

Everything assetmap writes about a workspace (the register database and its
WAL, settings, the walking network, postcode and area tables), every backup
and every export is created readable and writable by its owner only: files
``0600``, folders ``0700``, whatever the process's umask. The command line
also sets the umask to ``077`` once at start-up (:func:`restrict_umask`), so
anything else it writes, and the app server it starts, follow suit.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = private_dir(Path(tempfile.mkdtemp()) / "ws")
>>> oct(folder.stat().st_mode & 0o777)
'0o700'
>>> oct(private_file(folder / "notes.txt").stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "private_dir", "private_file", "restrict_umask"]

logger = logging.getLogger(__name__)

PRIVATE_FILE_MODE: Final = 0o600
PRIVATE_DIR_MODE: Final = 0o700
PRIVATE_UMASK: Final = 0o077


def _chmod(path: Path, mode: int) -> None:
    try:
        path.chmod(mode)
    except PermissionError:  # not ours (e.g. a shared folder): leave it, say so
        logger.warning("Could not make %s private (not its owner).", path)


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and parents) if needed and make it ``0700``; return it."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    _chmod(folder, PRIVATE_DIR_MODE)
    return folder


def private_file(path: str | Path) -> Path:
    """Create ``path`` empty if missing (never truncating it) and make it ``0600``; return it."""
    target = Path(path)
    fd = os.open(target, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE)
    os.close(fd)
    _chmod(target, PRIVATE_FILE_MODE)
    return target


def restrict_umask() -> None:
    """Set the process umask to ``077`` (call once, at start-up, before any thread starts)."""
    os.umask(PRIVATE_UMASK)
