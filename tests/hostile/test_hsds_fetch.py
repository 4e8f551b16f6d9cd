"""HSDS from a URL cannot reach the server's own network, and hostile values stay our errors.

All offline: servers listen on 127.0.0.1 (and 127.0.0.2), which imports refuse
by default. To test what happens *after* a first, allowed hop (a redirect, a
DNS answer that changes), the address judgement is patched so that 127.0.0.1
counts as public and 127.0.0.2 stays loopback: the code path is the real one.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assetmap.access import Principal, Role
from assetmap.errors import AssetMapError, IngestError
from assetmap.imports import import_file
from assetmap.ingest import fetch as fetch_module
from assetmap.ingest.hsds import HsdsLimits, read_hsds
from assetmap.workspace import create_workspace

ORUK = Path(__file__).resolve().parents[1] / "data" / "hsds" / "oruk_v1_services.json"


class _Server:
    """An HTTP server that records request paths; routes are path -> (status, headers, body)."""

    def __init__(self, host: str, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        self.hits: list[str] = []
        self.routes = routes
        hits, table = self.hits, routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                found = table.get(self.path) or table.get(self.path.split("?")[0])
                status, headers, body = found or (404, {}, b"")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                del args

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[..., _Server]]:
    made: list[_Server] = []

    def make(host: str = "127.0.0.1", **routes: tuple[int, dict[str, str], bytes]) -> _Server:
        server = _Server(host, {"/" + k: v for k, v in routes.items()})
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def _feed() -> bytes:
    return ORUK.read_bytes()


def test_a_feed_on_loopback_is_refused_before_any_request(servers):
    server = servers(feed=(200, {}, _feed()))
    with pytest.raises(IngestError, match=r"127\.0\.0\.1 is a loopback address"):
        read_hsds(f"{server.url}/feed")
    assert server.hits == []
    # the documented override: an administrator's own network, or a test
    assert len(read_hsds(f"{server.url}/feed", limits=HsdsLimits(allow_private_hosts=True)).assets)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[::1]:9/feed", "loopback"),
        ("http://10.1.2.3/feed", "private"),
        ("http://192.168.0.10/feed", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://0.0.0.0:9/feed", "unspecified"),
        ("http://[::ffff:127.0.0.1]:9/feed", "loopback"),
        ("http://[fe80::1]:9/feed", "link-local"),
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.org/feed.json", "Only http and https"),
        ("gopher://example.org/", "Only http and https"),
    ],
)
def test_private_addresses_and_other_schemes_are_refused(url, words):
    with pytest.raises(IngestError, match=words):
        read_hsds(url)


@pytest.fixture
def first_hop_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """127.0.0.1 counts as public for this test; 127.0.0.2 (and the rest) as before."""
    real = fetch_module._kind_of_private

    def judged(address: Any) -> str | None:
        return None if address == ipaddress.ip_address("127.0.0.1") else real(address)

    monkeypatch.setattr(fetch_module, "_kind_of_private", judged)


def test_every_redirect_is_checked_again(servers, first_hop_public):
    inner = servers("127.0.0.2", feed=(200, {}, _feed()))
    outer = servers(
        start=(302, {"Location": f"{inner.url}/feed"}, b""),
        ftp=(302, {"Location": "ftp://127.0.0.1/feed.json"}, b""),
        ok=(302, {"Location": "/real"}, b""),
        real=(200, {}, _feed()),
    )
    with pytest.raises(IngestError, match=r"127\.0\.0\.2 is a loopback address"):
        read_hsds(f"{outer.url}/start")
    with pytest.raises(IngestError, match="Only http and https"):
        read_hsds(f"{outer.url}/ftp")
    assert inner.hits == []
    assert len(read_hsds(f"{outer.url}/ok").assets) == 3  # a redirect to a public place is fine


def test_a_dns_answer_that_changes_after_the_check_is_caught(
    servers, first_hop_public, monkeypatch
):
    inner = servers("127.0.0.2", feed=(200, {}, _feed()))
    port = int(inner.url.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "127.0.0.2"])  # checked: "public"; connected: loopback
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "feed.example":
            return real(next(answers, "127.0.0.2"), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(IngestError, match=r"127\.0\.0\.2 is a loopback address"):
        read_hsds(f"http://feed.example:{port}/feed")
    assert inner.hits == []


def _page(number: int, items: list[Any]) -> bytes:
    body = {"total_pages": 3, "page_number": number, "last_page": number == 3, "contents": items}
    return json.dumps(body).encode()


def test_the_size_limit_covers_the_whole_feed_not_each_page(servers):
    services = json.loads(_feed())["content"]
    pages = [_page(n, [services[n - 1]]) for n in (1, 2, 3)]
    server = servers()
    server.routes.update({"/feed": (200, {}, pages[0])})
    server.routes.update({f"/feed?page={n}": (200, {}, pages[n - 1]) for n in (2, 3)})
    each = max(len(p) for p in pages)
    roomy = HsdsLimits(allow_private_hosts=True, max_bytes=3 * each + 10)
    assert len(read_hsds(f"{server.url}/feed", limits=roomy).assets) == 3
    assert server.hits == ["/feed", "/feed?page=2", "/feed?page=3"]
    server.hits.clear()
    tight = HsdsLimits(allow_private_hosts=True, max_bytes=2 * each + 10)  # each page fits
    with pytest.raises(IngestError, match="across its pages"):
        read_hsds(f"{server.url}/feed", limits=tight)
    assert server.hits == ["/feed", "/feed?page=2", "/feed?page=3"]


def _hostile_feed(folder: Path, field: str, raw_value: str) -> Path:
    text = _feed().decode("utf-8")
    feed = json.loads(text)
    feed["content"][0][field] = "@@HOSTILE@@"
    path = folder / f"{field}.json"
    path.write_text(json.dumps(feed).replace('"@@HOSTILE@@"', raw_value), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("field", "raw_value", "words"),
    [
        ("capacity", "9" * 5000, "content[0].capacity is a number of 5,000 digits"),
        ("name", '"Food \\ud800 bank"', "content[0].name holds an invalid character"),
        ("description", '"\\udfff"', "content[0].description holds an invalid character"),
    ],
)
def test_hostile_values_become_errors_naming_the_field(tmp_path, field, raw_value, words):
    path = _hostile_feed(tmp_path, field, raw_value)
    with pytest.raises(IngestError, match=words.replace("[", r"\[").replace("]", r"\]")):
        read_hsds(path)
    workspace = create_workspace(tmp_path / "ws")
    with pytest.raises(AssetMapError, match=field):
        import_file(workspace, path, principal=Principal("ada", Role.ADMIN))
    assert workspace.store().assets().empty
