"""Many writers at once lose nothing: 20 threads and 4 processes on one register.

Every writer adds assets and edits the same few shared assets with optimistic
locking (read the version, edit with ``expected_version``, retry a bounded
number of times when refused). Afterwards each accepted write must be in the
register and its history, each refused write must have been told (a
ConflictError), nothing else may have been raised, and the history of every
shared asset must be versions 1..N with no gap or duplicate.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from trust._writers import (
    PROCESSES,
    ROUNDS,
    SHARED,
    THREADS,
    THREADS_PER_PROCESS,
    Outcome,
    process_main,
    write,
)

from assetmap.store import Store


def test_concurrent_writers_lose_nothing(store: Store, database_url: str) -> None:
    shared = [
        store.add_asset(
            {"name": f"Shared {k}", "lon": -0.7 - 0.01 * k, "lat": 52.6, "categories": ["library"]},
            actor="setup",
            reason="seed",
        )
        for k in range(SHARED)
    ]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=process_main, args=(database_url, shared, f"p{n}", barrier, queue))
        for n in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)  # every process is up: all writers start together
    started = time.perf_counter()
    go = threading.Barrier(THREADS)

    def thread_writer(k: int) -> Outcome:
        go.wait(timeout=60)
        return write(store, f"t{k}", shared)

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(thread_writer, range(THREADS)))
    for _ in procs:
        outcomes.extend(Outcome(**o) for o in queue.get(timeout=120))
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    elapsed = time.perf_counter() - started

    errors = [e for o in outcomes for e in o.errors]
    assert errors == []
    writers = THREADS + PROCESSES * THREADS_PER_PROCESS
    assert len(outcomes) == writers

    # Every add is there, once, as version 1.
    added = [a for o in outcomes for a in o.added]
    assert len(added) == writers * ROUNDS
    register = store.assets()
    assert len(register) == SHARED + len(added)
    assert sorted(register["name"]) == sorted(
        [n for _, n in added] + [f"Shared {k}" for k in range(3)]
    )
    assert {a for a, _ in added} <= set(register["id"])

    accepted = [a for o in outcomes for a in o.accepted]
    refused = [r for o in outcomes for r in o.refused]
    gave_up = sum(o.gave_up for o in outcomes)
    assert len(accepted) + gave_up == writers * ROUNDS
    # Every refusal was a real conflict: the asset had moved past the version the writer saw.
    assert all(now > seen for _, _, seen, now in refused)
    assert refused, "the writers never collided: the test did not exercise conflicts"

    refused_tags = {tag for _, tag, _, _ in refused}
    for asset_id in shared:
        history = store.asset_history(asset_id)
        n = len(history)
        assert list(history["version"]) == list(range(1, n + 1))
        mine = sorted((v, tag) for a, tag, v in accepted if a == asset_id)
        in_history = [(int(r.version), r.reason) for r in history.iloc[1:].itertuples()]
        assert in_history == mine  # every accepted edit, at the version it was told, nothing else
        assert [d["description"] for d in history["data"].iloc[1:]] == [t for _, t in mine]
        assert not refused_tags & set(history["reason"])
        final = store.get_asset(asset_id)
        assert final["version"] == n
        assert final["description"] == (mine[-1][1] if mine else None)
    counts = Counter(a for a, _, _ in accepted)
    print(  # shown with -s: the load this run produced
        f"\n{store.backend}: {writers} writers, {len(added)} adds, {len(accepted)} edits "
        f"accepted, {len(refused)} refused, {gave_up} gave up, per asset {sorted(counts.values())} "
        f"in {elapsed:.1f} s"
    )
