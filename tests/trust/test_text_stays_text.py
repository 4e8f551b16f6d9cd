"""Text stays text: what people type is never a link, an image or a fetch.

* Markdown: a participant's proposal and comment carry a Markdown image, a link
  and bare URLs (``www.``, ``https://``, an e-mail address: GFM autolinks).
  Every element the Moderation page draws through Markdown, including the
  message after the facilitator accepts it, must hold them only escaped
  (``assetmap.safe_text.md_escape``).
* PDF: WeasyPrint renders the support sheet and the session summary with a URL
  fetcher that fetches nothing: an ``<img>``/stylesheet on a local HTTP server
  (which counts requests) and a ``file://`` SVG (which would itself fetch from
  that server if read) reach nothing.
* A place no facilitator has checked that reaches a sheet carries a visible
  "not yet checked" label, on screen and in the PDF.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.output import session_summary as summary_out
from assetmap.output.sheet import pdf_from_html, support_sheet_html, support_sheet_pdf
from assetmap.people import sessions as ms
from assetmap.safe_text import MARKDOWN_ACTIVE, md_escape
from assetmap.workspace import close_stores, create_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
FRAN = Principal("fran", Role.FACILITATOR)
K = "assetmap.moderation.form."
TYPED = (
    "Hub ![x](http://127.0.0.1:9/i.png) [call us](http://127.0.0.1:9/l) "
    "www.example.org https://example.org/a help@example.org :red[loud] $x^2$"
)
#: What Markdown (GFM + Streamlit's extensions) would turn into a link, image or markup.
ACTIVE = re.compile(r"!\[|\]\(|://|www\.|@\w+\.\w|:red\[|\$x")


def _unescaped(markdown: str) -> str:
    """The Markdown source with every backslash-escaped character removed."""
    return re.sub(r"\\.", "", markdown, flags=re.DOTALL)


@pytest.mark.parametrize(
    "typed", [TYPED, "a\\b", "line\n\n# heading\n- item", "&lt;img&gt;", "1. first", "**b**"]
)
def test_md_escape_leaves_no_active_markdown_and_keeps_every_character(typed: str) -> None:
    escaped = md_escape(typed)
    assert not [c for c in _unescaped(escaped) if c in MARKDOWN_ACTIVE]
    assert re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL) == typed


@pytest.fixture
def proposal(workspace_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("ASSETMAP_TILES", "ASSETMAP_TILES_ATTRIBUTION"):
        monkeypatch.delenv(name, raising=False)
    store = create_workspace(workspace_path).store()
    sid = ms.start_session(
        store, principal=FRAN, date="2026-11-03", area="Oakham", group_label="Tuesday group"
    )
    guest = Principal("participant-1234", Role.PARTICIPANT, session_id=sid)
    place = ms.propose_asset(
        store, sid, {"name": TYPED, "lon": -0.73, "lat": 52.669}, principal=guest
    )
    ms.add_comment(store, sid, place, principal=guest, note=TYPED)
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace_path))
    st.cache_data.clear()
    yield place
    close_stores()


def _markdown_shown(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "success", "error", "warning", "info", "subheader", "title")
    return [str(e.value) for kind in kinds for e in getattr(at, kind)]


def test_moderation_shows_typed_links_and_images_as_text_even_after_accepting(
    proposal, served_locally
):
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["assetmap.principal"] = FRAN
    at.run()
    at.switch_page("app/pages/moderation.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    shown = _markdown_shown(at)
    assert sum(md_escape(TYPED) in s for s in shown) >= 2  # the proposal and the comment
    assert not [s for s in shown if ACTIVE.search(_unescaped(s))]
    (accept,) = [b for b in at.button if b.key == K + "go" + proposal]
    accept.click().run()
    assert not at.exception, at.exception
    shown = _markdown_shown(at)
    assert any(s.startswith("Accepted") and md_escape(TYPED) in s for s in at.success.values)
    assert not [s for s in shown if ACTIVE.search(_unescaped(s))]


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - one list per test server (reset below)

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/svg+xml")
        self.end_headers()
        self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')

    def log_message(self, *args: object) -> None:
        del args


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request's path."""
    _Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.hits
    server.shutdown()
    server.server_close()


def _hostile_page(base: str, folder: Path) -> str:
    inner = folder / "inner.svg"  # read only through file://; it would fetch from the server
    inner.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="9" height="9"><image xlink:href="{base}/from-file" width="9" height="9"/></svg>'
    )
    return (
        f'<html><head><link rel="stylesheet" href="{base}/style.css">'
        f"<style>@import url({base}/import.css); body {{ background: url({base}/bg.png) }}</style>"
        f'</head><body><p>Service description</p><img src="{base}/img.png">'
        f'<img src="file://{inner}"><img src="file:///etc/passwd"><img src="relative.png">'
        "</body></html>"
    )


def test_pdfs_fetch_nothing_from_the_network_or_the_disk(counting_server, tmp_path):
    base, hits = counting_server
    pdf = pdf_from_html(_hostile_page(base, tmp_path))
    assert pdf.startswith(b"%PDF")
    assert support_sheet_pdf(_hostile_page(base, tmp_path)).startswith(b"%PDF")
    assert hits == []


def test_summary_pdf_goes_through_the_same_fetcher(counting_server, monkeypatch, tmp_path):
    base, hits = counting_server
    page = _hostile_page(base, tmp_path)
    monkeypatch.setattr(summary_out, "summary_html", lambda summary: page)
    assert summary_out.summary_pdf(None).startswith(b"%PDF")  # type: ignore[arg-type]
    assert hits == []


def test_an_unchecked_place_on_a_sheet_is_labelled_on_screen_and_on_paper(tmp_path):
    services = pd.DataFrame(
        {
            "name": ["Oakham Library", "Bus shelter reading room"],
            "lon": [-0.7271, -0.7300],
            "lat": [52.6703, 52.6710],
            "status": ["verified", "proposed"],
        }
    )
    page = support_sheet_html(services)
    assert page.count("not yet checked") == 1
    assert page.index("Bus shelter reading room") < page.index("not yet checked")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    (tmp_path / "s.pdf").write_bytes(support_sheet_pdf(page))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Bus shelter reading room" in text
    assert "not yet checked" in text
