"""`assetmap import` of a 200,000-row spreadsheet into a workspace, end to end.

Builds the same synthetic community directory as ``bench_tabular.py`` (real
Code-Point Open postcodes, half the rows placed only by postcode), loads the
postcode table into a fresh workspace with ``assetmap postcodes``, then runs
``assetmap import WORKSPACE big.csv --skip-bad-rows`` as a child process with
progress bars on. Reports wall and CPU time (the machine is shared, so CPU time is
the steadier figure), each run's own peak memory (``ru_maxrss``),
how many progress updates it drew per stage, and what it imported; a second
run of the same file shows the cost of a re-import that changes nothing.

    .venv/bin/python benchmarks/bench_import_table.py [--rows 200000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tabular import POSTCODES, make_csv

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 1024.0


# Runs the CLI and reports its own peak memory on stderr (RUSAGE_CHILDREN would give
# the largest of every child so far, hiding a smaller second run).
_RUN_CLI = (
    "import resource, sys\n"
    "from assetmap.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(f'peak_rss_kb={peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _cli(*args: str, env: dict[str, str]) -> tuple[float, str, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, "--actor", "bench", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"assetmap {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout, done.stderr


def _progress_updates(stderr: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for stage in re.findall(r"(reading|checking|importing):\s+\d+%", stderr):
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite in the folder)")
    args = parser.parse_args()
    env = os.environ.copy()
    env.pop("ASSETMAP_DATABASE_URL", None)
    if args.database_url:
        env["ASSETMAP_DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        sheet = Path(folder) / "directory.csv"
        make_csv(sheet, args.rows)
        print(f"{args.rows:,} rows, {sheet.stat().st_size / 1e6:,.1f} MB")
        workspace = Path(folder) / "ws"
        subprocess.run(
            [sys.executable, "-c", f"from assetmap.workspace import create_workspace; "
             f"create_workspace({str(workspace)!r})"],
            check=True, cwd=ROOT, env=env,
        )  # fmt: skip
        _cli("--no-progress", "postcodes", str(workspace), str(POSTCODES), env=env)
        for label in ("first import", "re-import"):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            elapsed, out, err = _cli(
                "import", str(workspace), str(sheet), "--skip-bad-rows", env=env
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            peak_mb = int(re.findall(r"peak_rss_kb=(\d+)", err)[-1]) / 1024
            imported = next(line for line in out.splitlines() if line.startswith("Imported"))
            print(
                f"\n{label}: {elapsed:,.1f} s wall, {cpu_s:,.1f} s CPU, "
                f"peak memory {peak_mb:,.0f} MB"
            )
            print(f"  {imported}")
            print(f"  progress updates drawn: {_progress_updates(err)}")
            verdict = "under" if peak_mb < LIMIT_MB else "OVER"
            print(f"  memory {verdict} the {LIMIT_MB:,.0f} MB limit")


if __name__ == "__main__":
    main()
