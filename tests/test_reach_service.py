"""The reach service: what leads see of reported gaps (the rule the dashboard used to hold)."""

import math

import pandas as pd

from assetmap.reach_service import areas_beyond, gap_areas_export


def _table(counts: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "covered": [False] * len(counts),
            "area_name": [f"A{i}" for i in range(len(counts))],
            "minutes": [20.0] * len(counts),
            "imd_decile": [1] * len(counts),
            "n_gaps": counts,
            "gap_notes": [tuple(f"said {j}" for j in range(n)) for n in counts],
            "geometry": [None] * len(counts),
        }
    )


def test_words_and_counts_are_shown_from_five_reports_only():
    shown = areas_beyond(_table([0, 1, 4, 5]), search_minutes=30)
    assert shown["n_gaps"].tolist() == ["0", "<5", "<5", "5"]
    assert shown["notes"].tolist()[:3] == ["", "", ""]
    assert shown["notes"].iloc[3] == "said 0; said 1; said 2; said 3; said 4"


def test_covered_areas_are_left_out_and_long_walks_say_over():
    table = _table([0, 0])
    table.loc[0, "covered"] = True
    table.loc[1, "minutes"] = math.inf
    shown = areas_beyond(table, search_minutes=45)
    assert shown["area"].tolist() == ["A1"]
    assert shown["minutes"].tolist() == ["over 45"]


def test_the_download_has_no_words_and_no_small_counts():
    out = gap_areas_export(_table([3, 7]))
    assert "gap_notes" not in out.columns
    assert "geometry" not in out.columns
    assert out["n_gaps"].tolist() == ["<5", 7]
