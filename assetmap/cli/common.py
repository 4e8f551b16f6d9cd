"""What every command shares: printing, progress bars, dates, the acting admin."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, TextIO, TypeAlias

from assetmap.errors import AssetMapError

__all__ = [
    "CoreChoices",
    "Handler",
    "Progress",
    "Subparsers",
    "cli_admin",
    "echo",
    "jsonable",
    "parse_when",
    "print_init",
]

#: A command: parsed arguments in, exit code out.
Handler = Callable[[argparse.Namespace], int]
#: What ``ArgumentParser.add_subparsers`` returns; each area adds its commands to it.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def echo(text: str = "", *, stream: TextIO | None = None) -> None:
    """Write one line to ``stream`` (standard output by default)."""
    (stream or sys.stdout).write(text + "\n")


class Progress:
    """A tqdm bar on stderr driven by the core's (stage, fraction) callbacks."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        """Show ``stage`` at ``fraction`` (0 to 1) done; a new stage starts a new bar."""
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=100,
                desc=stage,
                file=sys.stderr,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}|",
            )
        if self._bar is not None:
            self._bar.n = round(100 * min(max(fraction, 0.0), 1.0))
            self._bar.refresh()

    def close(self) -> None:
        """Remove the bar (call when the work ends, also on an error)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def parse_when(text: str) -> dt.datetime:
    """Read ``--as-of``: an ISO date (the end of that day) or date-time, UTC when no zone."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        msg = (
            "--as-of must be an ISO date or date-time like 2024-05-31 or 2024-05-31T14:00, "
            f"got {text!r}."
        )
        raise AssetMapError(msg) from None
    if len(text) == 10:  # a bare date means the end of that day
        when = when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def print_init(result: Any) -> None:
    """Print what ``init`` (or ``demo``) built: the workspace, assets and network."""
    s = result.summary
    echo(f"Workspace: {result.workspace.path}")
    echo(
        f"Assets: {s.created} new, {s.updated} updated, {s.unchanged} unchanged, "
        f"{s.archived} archived, {s.restored} restored"
    )
    echo(f"Walking network: {result.n_nodes:,} nodes, {result.n_edges:,} edges")
    skipped = {k: v for k, v in result.skipped.items() if v}
    if skipped:
        echo("Skipped: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in skipped.items()))


def cli_admin(args: argparse.Namespace) -> Any:
    """Whoever runs the command line can read the database file: they act as an admin."""
    from assetmap.access import Principal, Role

    return Principal(args.actor, Role.ADMIN)


def jsonable(value: Any) -> Any:
    """Floats that JSON cannot hold (inf, NaN) become None; tuples become lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


class CoreChoices(Collection[str]):
    """An option's allowed values, read from the core when first needed.

    Choices come from the core's own constants, never a copy that can drift
    (``edit --status`` once left out ``rejected``). Reading them only when a
    value is checked or ``--help`` is shown keeps building the parser from
    importing every service.

    >>> modes = CoreChoices(lambda: ("walk", "bike"))
    >>> "bike" in modes, "car" in modes, list(modes), len(modes)
    (True, False, ['walk', 'bike'], 2)
    """

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load
        self._values: tuple[str, ...] | None = None

    def _all(self) -> tuple[str, ...]:
        if self._values is None:
            self._values = tuple(str(value) for value in self._load())
        return self._values

    def __contains__(self, value: object) -> bool:
        return value in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
