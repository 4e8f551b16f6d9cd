"""The Easy Read support sheet for a Rutland search: translated, printed, and read aloud."""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import import_rutland

from assetmap.access import Principal, Role
from assetmap.easy_read import (
    LANGUAGES,
    LOCALE_DIR,
    easy_read_html,
    easy_read_strings,
    easy_read_text,
    sheet_audio_wav,
)
from assetmap.errors import SchemaError
from assetmap.ingest.osm import OsmExtract
from assetmap.match.needs import Constraints, Goal, match_plan, prepare_matching
from assetmap.output.sheet import support_sheet_pdf
from assetmap.reach.network import load_network, walk_graph_for
from assetmap.workspace import close_stores

START = (-0.729689, 52.670718)  # LE15 6AA, Oakham
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def rutland(
    tmp_path_factory: pytest.TempPathFactory, rutland_extract: OsmExtract
) -> Iterator[tuple[pd.DataFrame, object]]:
    """Services found for work and health within 15 minutes of LE15 6AA, and the network."""
    workspace = import_rutland(tmp_path_factory.mktemp("easy") / "rutland", rutland_extract)
    graph = walk_graph_for(workspace.network_path)
    context = prepare_matching(workspace.store().assets(), graph)
    matches = match_plan(
        context, *START, [Goal(need="ete"), Goal(need="health")],
        Constraints(max_minutes=15), principal=Principal("ana", Role.STAFF),
    )  # fmt: skip
    found = pd.concat([m.results.head(2) for m in matches]).drop_duplicates("id")
    yield found.reset_index(drop=True), load_network(workspace.network_path)
    close_stores()


def test_every_message_is_translated_in_every_shipped_catalogue() -> None:
    """Each .mo holds every message (a stale .mo after a new message fails here)."""
    for language in LANGUAGES:
        if language == "en":
            continue
        catalogue = gettext.translation("assetmap", LOCALE_DIR, languages=[language])
        held = catalogue._catalog  # type: ignore[attr-defined]  # what the .mo holds
        untranslated = [m for m in easy_read_strings() if not held.get(m)]
        assert untranslated == [], language
        po = (LOCALE_DIR / language / "LC_MESSAGES" / "assetmap.po").read_text(encoding="utf-8")
        for message in easy_read_strings():
            assert f'msgid "{message}"' in po
        for message in easy_read_strings():  # placeholders kept
            assert sorted(re.findall(r"\{\w+\}", catalogue.gettext(message))) == sorted(
                re.findall(r"\{\w+\}", message)
            ), (language, message)


def test_unknown_language_is_a_clear_error() -> None:
    services = pd.DataFrame({"name": ["A"], "lon": [-0.7], "lat": [52.6]})
    with pytest.raises(SchemaError, match="Unknown sheet language 'xx'; choose one of en, pl"):
        easy_read_html(services, language="xx")


def test_opening_times_are_in_words_and_steps_are_numbered() -> None:
    services = pd.DataFrame({
        "name": ["Club <b>"], "lon": [-0.7], "lat": [52.6], "minutes": [12.4],
        "address": ["12 High Street, Oakham"], "postcode": ["LE15 6AB"],
        "opening_hours": ["Mo-Fr 09:30-17:00; Sa 10:00-12:30"], "categories": [("food_support",)],
    })  # fmt: skip
    text = easy_read_text(services, start=START, made_on=dt.date(2026, 11, 24))
    assert "Monday to Friday: 9:30 in the morning to 5 in the afternoon." in text
    assert "Saturday: 10 in the morning to 12:30 in the afternoon." in text
    assert "Sunday: shut." in text
    assert "Step 1. Start at the black square on the map." in text
    assert "Step 3. Walk there. It takes about 12 minutes." in text
    assert "Step 4. Look for this address: 12 High Street, Oakham, LE15 6AB" in text
    assert "1. 🥫 Club <b>." in text  # an icon per service; the name as entered
    page = easy_read_html(services, language="cy")
    assert "Club &lt;b&gt;" in page
    assert "<b>" not in page
    assert "Dydd Llun – Dydd Gwener: 9:30 y bore tan 5 y prynhawn." in page
    assert 'lang="cy" dir="ltr"' in page
    arabic = easy_read_html(services, language="ar")
    assert 'lang="ar" dir="rtl"' in arabic
    assert "أماكن يمكنها مساعدتك" in arabic


def _pdf_to_png(pdf: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    (target.with_suffix(".pdf")).write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    str(target.with_suffix(".pdf")), str(target)], check=True)  # fmt: skip
    return target.with_suffix(".png")


def _fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("language", ["en", "pl", "ar"])
def test_rutland_sheet_prints_with_street_names_and_a_labelled_start(rutland, language) -> None:
    found, network = rutland
    assert len(found) >= 3
    page = easy_read_html(found, network=network, start=START, language=language)
    assert page.count("<section>") == len(found)
    streets = re.findall(r'font-style="italic"[^>]*>([^<]+)</text>', page)
    assert streets, "no street names on the map"
    start_label = {"en": "You start here", "pl": "Tu zaczynasz", "ar": "تبدأ من هنا"}[language]
    assert f"{start_label}</text>" in page
    png = _pdf_to_png(support_sheet_pdf(page), f"easy-read-rutland-{language}")
    assert png.stat().st_size > 20_000
    if language == "ar":  # the Arabic text is set in a font that has its glyphs
        assert "Arabic" in _fonts(png.with_suffix(".pdf"))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
@pytest.mark.parametrize("language", ["en", "ro"])
def test_listen_makes_a_wav_of_speech(rutland, language) -> None:
    found, _network = rutland
    audio = sheet_audio_wav(easy_read_text(found.head(2), language=language), language=language)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"easy-read-rutland-{language}.wav").write_bytes(audio)
    with wave.open(io.BytesIO(audio)) as wav:
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
        assert wav.getsampwidth() == 2
    samples = np.frombuffer(frames, dtype="<i2").astype(float)
    seconds = len(samples) / rate
    assert seconds > 10  # two services' lines take far more than a second to say
    # Speech: loud overall, with pauses between words (quiet 20 ms windows) and many voiced ones.
    windows = samples[: len(samples) // (rate // 50) * (rate // 50)].reshape(-1, rate // 50)
    rms = np.sqrt((windows**2).mean(axis=1))
    assert rms.max() > 1000
    assert 0.05 < (rms < 100).mean() < 0.8
    assert (rms > 500).mean() > 0.2
