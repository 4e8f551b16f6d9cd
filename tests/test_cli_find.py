"""``assetmap find`` on a Rutland workspace (the session's parsed extract, postcodes by the CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import SHARED_DATA, needs_shared_data, rutland_cli_workspace
from support import run_cli as run

from assetmap.ingest.osm import OsmExtract

pytestmark = needs_shared_data

POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"


@pytest.fixture(scope="module")
def rutland(
    tmp_path_factory: pytest.TempPathFactory,
    new_database_url: Callable[[], str],
    rutland_extract: OsmExtract,
) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("find")
    with rutland_cli_workspace(
        folder, new_database_url(), ("postcodes", str(POSTCODES)), extract=rutland_extract
    ) as ws:
        yield ws


def test_find_json_ranks_services_per_need_with_minutes_and_reasons(rutland, capsys):
    code, out, err = run(
        capsys, "find", str(rutland), "--from", "LE15 6AA", "--need", "ete",
        "--need", "drugs_alcohol", "--minutes", "10", "--format", "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["start"] == {"kind": "postcode", "label": "LE15 6AA", "area": "LE15 6"}
    ete, drink = report["goals"]
    assert ete["need"] == "ete"
    first = ete["results"][0]
    assert first["name"] == "Rutland County Library"
    assert first["rank"] == 1
    assert 0 < first["minutes"] <= 10
    assert first["why"].startswith("Library (books, computers, free wifi) - meets the need")
    assert [r["minutes"] for r in ete["results"]] == sorted(r["minutes"] for r in ete["results"])
    assert drink["results"] == []
    assert drink["gap"] == "Nothing fits 'Drugs and alcohol' within 10 minutes' walk."


def test_find_table_says_why_and_what_to_check(rutland, capsys):
    code, out, _ = run(
        capsys, "find", str(rutland), "--from", "52.6707,-0.7297", "--text", "library",
        "--minutes", "5", "--free",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "From 52.67070,-0.72970 (LE15 6), within 5 min walk"
    assert lines[2] == "== library"
    # With one library in reach, the next that fits as well is named with its minutes.
    assert lines[3].startswith("  Also fits, further away: Uppingham Library, ")
    assert lines[4].endswith("Rutland County Library")
    assert lines[6] == "      check: cost not known; never verified"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "LE15 6ZZ", "--need", "ete"],
         "LE15 6ZZ is not in the workspace's postcode table; nearest known sector: LE15 6"),
        (["--from", "53.5,1.5", "--need", "ete"], "km from the nearest street or path"),
        (["--from", "LE15 6AA", "--need", "housing"], "goal 1: unknown need code 'housing'"),
        (["--from", "LE15 6AA", "--text", ""], "A goal needs words, a need or a Good Lives"),
        (["--from", "LE15 6AA", "--text", "x" * 10_000], "10,000 characters long; the limit"),
        (["--from", "LE15 6AA"], "Give at least one goal"),
        (["--from", "LE15 6AA", "--need", "ete", "--minutes", "0"], "`max_minutes` must be"),
    ],
)  # fmt: skip
def test_find_bad_input_is_one_clear_line(rutland, capsys, args, message):
    code, out, err = run(capsys, "find", str(rutland), *args)
    assert code == 1
    assert out == ""
    assert err.startswith("assetmap: error: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_find_checks_age_wheelchair_and_the_times_the_person_can_go(rutland, capsys):
    base = ["find", str(rutland), "--from", "LE15 6AA", "--need", "ete", "--minutes", "10"]
    code, out, _ = run(capsys, *base, "--format", "json")
    assert code == 0
    plain = json.loads(out)["goals"][0]["results"]
    library = next(r for r in plain if r["name"] == "Rutland County Library")
    assert "closed" not in (library["warnings"] or "")
    # The library (Mon-Fri 09:30-17:00; Sat-Sun closed in OSM) on a Sunday morning only:
    sunday_args = ["--when", "Sun 10:00-12:00", "--age", "34", "--wheelchair", "--format", "json"]
    code, out, _ = run(capsys, *base, *sunday_args)
    assert code == 0
    sunday = json.loads(out)["goals"][0]["results"]
    library = next(r for r in sunday if r["name"] == "Rutland County Library")
    assert "closed" in library["warnings"].lower()
    assert len(sunday) == len(plain)  # marked, never hidden


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--when", "Sunday"], "--when takes 'DAY HH:MM-HH:MM'"),
        (["--when", "Funday 09:00-10:00"], "`available` window 1"),
        (["--when", "Mon 12:00-09:00"], "must end after it starts"),
        (["--age", "200"], "`age` must be a whole number of years from 0 to 120"),
    ],
)  # fmt: skip
def test_find_bad_constraints_are_one_clear_line(rutland, capsys, args, message):
    code, out, err = run(capsys, "find", str(rutland), "--from", "LE15 6AA", "--need", "ete", *args)
    assert (code, out) == (1, "")
    assert message in err
    assert len(err.splitlines()) == 1


def test_find_need_accepts_every_good_lives_model_good(rutland, capsys):
    # Issue 12: --help promised GLM goods; the old code refused them as unknown needs.
    from assetmap.taxonomy import load_taxonomy

    for good in load_taxonomy().glm_goods:
        code, out, err = run(
            capsys, "find", str(rutland), "--from", "LE15 6AA", "--need", good,
            "--minutes", "10", "--format", "json",
        )  # fmt: skip
        assert (code, err) == (0, ""), good
        assert json.loads(out)["goals"][0]["good"] == good


def test_find_json_says_no_match_with_the_nearest_place_that_fits(rutland, capsys):
    code, out, _ = run(
        capsys, "find", str(rutland), "--from", "LE15 6AA", "--text", "mosque",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    (goal,) = json.loads(out)["goals"]
    assert goal["no_match"] is True
    assert goal["results"] == []
    code, out, _ = run(
        capsys, "find", str(rutland), "--from", "LE15 9QH", "--text", "library",
        "--minutes", "5", "--format", "json",
    )  # fmt: skip
    (goal,) = json.loads(out)["goals"]
    assert goal["no_match"] is False
    assert goal["results"][0]["name"] == "Uppingham Library"


def test_find_reports_a_named_place_beyond_the_limit_instead_of_replacing_it(rutland, capsys):
    code, out, _ = run(
        capsys, "find", str(rutland), "--from", "LE15 9QH", "--text", "Rutland County Library",
        "--minutes", "20", "--format", "json",
    )  # fmt: skip
    assert code == 0
    (goal,) = json.loads(out)["goals"]
    assert any(
        note.startswith("Rutland County Library is ") and "minutes' walk away" in note
        for note in goal["notes"]
    ), goal["notes"]
    assert "Uppingham Library" not in [r["name"] for r in goal["results"][:1]] or goal["notes"]


def test_find_urgent_words_bring_national_helplines(rutland, capsys):
    code, out, _ = run(
        capsys, "find", str(rutland), "--from", "LE15 9QH", "--person", "woman",
        "--text", "my partner hits me", "--format", "json",
    )  # fmt: skip
    assert code == 0
    (goal,) = json.loads(out)["goals"]
    assert goal["urgent"] is True
    names = [h["name"] for h in goal["helplines"]]
    assert names[0] == "National Domestic Abuse Helpline (Refuge)"
    assert goal["helplines"][0]["phone"] == "0808 2000 247"


def test_find_json_names_the_place_that_fits_but_is_closed_at_the_times_asked(rutland, capsys):
    """Issue 12 (v3): a time in the words with nothing open then answers 'nothing fits'
    and names the nearest place that fits at other times, with its hours (fails on the
    old code: no `closed_then`, the gap said only how many were left out)."""
    code, out, _ = run(
        capsys, "find", str(rutland), "--from", "LE15 6AA", "--text",
        "library on a sunday", "--minutes", "10", "--format", "json",
    )  # fmt: skip
    assert code == 0
    (goal,) = json.loads(out)["goals"]
    assert goal["no_match"] is True
    assert goal["results"] == []
    first = goal["closed_then"][0]
    assert first["name"] == "Rutland County Library"
    assert "Sat-Sun closed" in first["hours"]
    assert "closed then is Rutland County Library" in goal["gap"]


def test_find_json_reads_a_village_in_the_words_as_where(rutland, capsys):
    """'church in wing' from Wing: the JSON carries the village recognised, and the first
    result is Wing's church, in Wing, not Wing Community Centre (fails on the old code:
    no ``where``, the centre first on the word 'wing')."""
    code, out, err = run(
        capsys, "find", str(rutland), "--from", "52.6180,-0.6848", "--text", "church in wing",
        "--minutes", "30", "--format", "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    (goal,) = json.loads(out)["goals"]
    assert goal["where"]["name"] == "Wing"
    assert goal["where"]["kind"] == "village"
    names = [r["name"] for r in goal["results"]]
    assert "Wing Community Centre" not in names
    assert "; in Wing;" in goal["results"][0]["why"]
