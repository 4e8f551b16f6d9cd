"""The built wheel installs and runs outside the checkout (marker ``wheel``; scripts/test.sh).

The wheel is built with ``pip wheel --no-deps`` and installed into a fresh venv
whose dependencies come from the project venv's site-packages (a ``.pth`` line,
so nothing is downloaded and the project's editable install is not picked up).
Everything runs from a folder outside the checkout, without ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from support import ROOT

pytestmark = pytest.mark.wheel


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv, an empty working folder, environment) with only the wheel's assetmap."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "ASSETMAP_DATABASE_URL"}}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(base / "dist"), str(ROOT)], base, env)  # fmt: skip
    wheel = next((base / "dist").glob("assetmap-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([str(venv / "bin" / "python"), "-c", purelib], base, env).strip())
    # The project venv's packages, as plain paths (its .pth files, the editable
    # assetmap among them, are not processed from here).
    (site / "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
          "-q", "--no-deps", "--no-index", str(wheel)], base, env)  # fmt: skip
    work = base / "elsewhere"
    work.mkdir()
    return venv, work, env


def test_wheel_builds_the_demo_and_exports_it_outside_the_checkout(installed) -> None:
    venv, work, env = installed
    python = str(venv / "bin" / "python")
    where = _run([python, "-c", "import assetmap; print(assetmap.__file__)"], work, env)
    assert where.startswith(str(venv))
    assetmap = str(venv / "bin" / "assetmap")
    out = _run([assetmap, "--no-progress", "demo", "demo-ws"], work, env)
    assert "Postcodes: 1,207; areas: 23 LSOAs (23 with IMD 2019 scores)" in out
    _run([assetmap, "export", "demo-ws", "--format", "geojson", "--out", "f.geojson"], work, env)
    features = json.loads((work / "f.geojson").read_text())["features"]
    assert len(features) > 200
    out = _run([assetmap, "find", "demo-ws", "--from", "LE15 6AA", "--need", "health"], work, env)
    assert out.startswith("From LE15 6AA")
    _run([assetmap, "export", "demo-ws", "--format", "hsds", "--out", "hsds"], work, env)
    assert (work / "hsds" / "services.json").is_file()


def test_wheel_serves_the_app(installed) -> None:
    venv, work, env = installed
    if not (work / "demo-ws").is_dir():
        _run([str(venv / "bin" / "assetmap"), "--no-progress", "demo", "demo-ws"], work, env)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(venv / "bin" / "assetmap"), "app", "demo-ws", "--local", "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:  # refused or crashed: say why
                out = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"assetmap app exited with {server.returncode}: {out}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not start within 60 s")
        # The Map page's Leaflet is served from the installed app/static, offline.
        leaflet = f"http://127.0.0.1:{port}/app/static/vendor/leaflet/leaflet.js"
        with urllib.request.urlopen(leaflet) as r:
            assert r.status == 200
            assert b"Leaflet" in r.read(2000)
    finally:
        server.terminate()
        server.wait(timeout=20)
