"""The writers of test_concurrency.py, in a module spawned processes can import.

pytest imports test files as ``tests.trust.test_concurrency`` (importlib mode),
a name a spawned child cannot import; ``trust._writers`` it can, because
``tests/`` is on ``sys.path`` (pyproject ``pythonpath``) and spawn passes
``sys.path`` on.
"""

from __future__ import annotations

import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from assetmap.errors import ConflictError
from assetmap.store import Store

THREADS = 20
PROCESSES = 4
THREADS_PER_PROCESS = 2
ROUNDS = 4  # each round: one add and one edit of a shared asset
MAX_TRIES = 12
SHARED = 3


@dataclass
class Outcome:
    """What one writer did (plain data, so it crosses process boundaries)."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (asset id, name)
    accepted: list[tuple[str, str, int]] = field(default_factory=list)  # (asset, tag, version)
    refused: list[tuple[str, str, int, int]] = field(default_factory=list)  # (+ seen, now)
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


def write(store: Store, writer: str, shared: list[str]) -> Outcome:
    out = Outcome()
    try:
        for i in range(ROUNDS):
            name = f"Writer {writer} asset {i}"
            lon, lat = -0.72 + 0.001 * i, 52.67
            record = {"name": name, "lon": lon, "lat": lat, "categories": ["library"]}
            out.added.append((store.add_asset(record, actor=writer, reason="add"), name))
            target = shared[(hash(writer) + i) % len(shared)]
            for attempt in range(MAX_TRIES):
                tag = f"{writer}/{i}/{attempt}"
                seen = int(store.get_asset(target)["version"])
                try:
                    after = store.edit_asset(
                        target,
                        {"description": tag},
                        expected_version=seen,
                        actor=writer,
                        reason=tag,
                    )
                except ConflictError as exc:
                    out.refused.append((target, tag, seen, int(exc.current["version"])))
                    continue
                out.accepted.append((target, tag, int(after["version"])))
                break
            else:
                out.gave_up += 1
    except Exception:  # anything but a refusal is a failure of the test
        out.errors.append(traceback.format_exc())
    return out


def process_main(url: str, shared: list[str], name: str, barrier: Any, queue: Any) -> None:
    """Entry point of a spawned writer process: a few writer threads of its own."""
    store = Store(url, migrate=False)
    try:
        barrier.wait(timeout=120)
        with ThreadPoolExecutor(THREADS_PER_PROCESS) as pool:
            outcomes = list(
                pool.map(lambda k: write(store, f"{name}.{k}", shared), range(THREADS_PER_PROCESS))
            )
    except Exception:
        outcomes = [Outcome(errors=[traceback.format_exc()])]
    finally:
        store.close()
    queue.put([o.__dict__ for o in outcomes])
