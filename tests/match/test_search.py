from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from search_registers import rutland_register, ukcat_register

from assetmap.errors import AssetMapError, QueryError, SchemaError
from assetmap.match.search import (
    RESULT_COLUMNS,
    SearchConfig,
    build_search_index,
    search_assets,
    search_index,
)

QUERIES = Path(__file__).resolve().parent / "search_queries.csv"


@pytest.fixture(scope="module")
def town():
    """A small town's register: one asset per kind of help people ask for."""
    rows = [
        ("aa", "Tuesday Night Meeting", "drug_alcohol_support", None, "A 12-step group."),
        ("fb1", "Oakham Food Bank", "food_support", "Trussell Trust", None),
        ("fb2", "Uppingham Foodbank", "food_support", None, "Food parcels on referral."),
        ("cab", "Citizens Advice Rutland", "money_advice", None, "Debt advice and benefits."),
        ("vol", "Voluntary Action Rutland", "volunteering", None, "Find a volunteering role."),
        ("wg", "Oakham Women's Group", "womens_support", None, "Meets on Mondays."),
        ("hs", "Rutland Homeless Project", "housing_support", None, "Tenancy support."),
        ("lib", "Oakham Library", "library", "Rutland County Council", "Books and computers."),
        ("pub", "The Wheatsheaf", "", None, "A pub with a quiz night."),
        ("caf", "Café Crème", "", None, None),
    ]
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "categories": [tuple(filter(None, [r[2]])) for r in rows],
            "organisation": [r[3] for r in rows],
            "description": [r[4] for r in rows],
        }
    )


@pytest.fixture(scope="module")
def town_index(town):
    return build_search_index(town)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("alcoholics anonimous", "aa"),
        ("food bank", "fb1"),
        ("debt advise", "cab"),
        ("somewhere to volunteer", "vol"),
        ("womens group", "wg"),
        ("housing help", "hs"),
        ("oakham libary", "lib"),
        ("CAB", "cab"),
        ("cafe creme", "caf"),
    ],
)
def test_everyday_queries_find_the_right_asset_first(town_index, query, first):
    assert search_index(town_index, query).iloc[0]["id"] == first


def test_food_bank_spellings_find_both_food_banks(town_index):
    for query in ("food bank", "foodbank", "Food-Bank", "FOOD  BANK"):
        found = search_index(town_index, query)
        assert set(found["id"].iloc[:2]) == {"fb1", "fb2"}, query


def test_word_order_does_not_matter(town_index):
    one = search_index(town_index, "oakham library")
    other = search_index(town_index, "library oakham")
    pd.testing.assert_frame_equal(one, other)
    assert one.iloc[0]["score"] == 100.0


def test_results_say_why_they_matched(town_index):
    aa = search_index(town_index, "alcoholics anonimous")
    assert aa.iloc[0]["matched"] == "keyword: alcoholics anonymous"
    assert search_index(town_index, "oakham library").iloc[0]["matched"] == "name"
    debt = search_index(town_index, "debt advise")
    assert debt.iloc[0]["matched"] == "category: Money, benefits and debt advice; name"
    housing = search_index(town_index, "housing help")
    assert housing.iloc[0]["matched"] == "category: Housing and homelessness support"
    food = search_index(town_index, "food bank")
    assert food.iloc[2]["matched"] == "need: Finance, benefit and debt (keyword: food bank)"


def test_result_columns_and_order(town_index):
    found = search_index(town_index, "oakham")
    assert tuple(found.columns) == RESULT_COLUMNS
    assert list(found["id"]) == ["lib", "fb1", "wg"]
    assert list(found["score"]) == [95.0, 93.3, 93.3]
    assert found["minutes"].isna().all()


def test_a_query_matching_nothing_returns_an_empty_table(town_index):
    found = search_index(town_index, "zzzqqq")
    assert found.empty
    assert tuple(found.columns) == RESULT_COLUMNS


def test_walking_minutes_order_near_equal_scores(town_index):
    minutes = pd.Series({"lib": 30.0, "fb1": 25.0, "wg": 8.0, "aa": 1.0})
    near = search_index(town_index, "oakham", minutes=minutes)
    assert list(near["id"]) == ["wg", "fb1", "lib"]
    assert list(near["minutes"]) == [8.0, 25.0, 30.0]
    assert list(near["score"]) == [93.3, 93.3, 95.0]


def test_tie_margin_sets_what_counts_as_near_equal(town_index):
    minutes = pd.Series({"fb1": 25.0, "fb2": 8.0})
    found = search_index(town_index, "food bank", minutes=minutes)
    assert list(found["id"].iloc[:2]) == ["fb2", "fb1"]
    assert list(found["score"].iloc[:2]) == [95.0, 96.7]
    strict = SearchConfig(tie_margin=1)
    found = search_index(town_index, "food bank", minutes=minutes, config=strict)
    assert list(found["id"].iloc[:2]) == ["fb1", "fb2"]


def test_walking_minutes_never_beat_a_clearly_better_text_fit(town_index):
    minutes = pd.Series({"lib": 30.0, "fb1": 1.0, "wg": 2.0})
    found = search_index(town_index, "oakham library", minutes=minutes)
    assert found.iloc[0]["id"] == "lib"


def test_unknown_minutes_come_after_known_minutes(town_index):
    found = search_index(town_index, "oakham", minutes=pd.Series({"wg": 40.0}))
    assert list(found["id"]) == ["wg", "lib", "fb1"]
    assert found["minutes"].iloc[0] == 40.0
    assert found["minutes"].iloc[1:].isna().all()


def test_minutes_with_repeated_ids_are_refused(town_index):
    with pytest.raises(SchemaError, match="more than once"):
        search_index(town_index, "food", minutes=pd.Series([1.0, 2.0], index=["fb1", "fb1"]))


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_is_refused_clearly(town_index, query):
    with pytest.raises(QueryError, match="The query is empty"):
        search_index(town_index, query)


def test_query_without_letters_or_digits_is_refused(town_index):
    with pytest.raises(QueryError, match="no letters or digits"):
        search_index(town_index, "?!-")


def test_query_of_only_common_words_is_refused(town_index):
    with pytest.raises(QueryError, match="only common words"):
        search_index(town_index, "& the")


def test_ten_thousand_character_query_is_refused_not_crashed(town, town_index):
    query = "food bank " * 1000
    with pytest.raises(QueryError, match="10,000 characters long; the limit is 500"):
        search_index(town_index, query)
    with pytest.raises(QueryError, match="10,000 characters"):
        search_assets(town, query)


def test_query_error_is_an_assetmap_value_error():
    assert issubclass(QueryError, AssetMapError)
    assert issubclass(QueryError, ValueError)


def test_control_characters_are_ignored(town_index):
    clean = search_index(town_index, "food bank")
    dirty = search_index(town_index, "food\x00 \x1bbank\x07")
    pd.testing.assert_frame_equal(clean, dirty)


def test_search_assets_equals_building_then_searching(town, town_index):
    pd.testing.assert_frame_equal(
        search_assets(town, "womens group", limit=3),
        search_index(town_index, "womens group", limit=3),
    )


def test_limit_caps_results_and_is_checked(town_index):
    assert len(search_index(town_index, "rutland", limit=2)) == 2
    with pytest.raises(ValueError, match="`limit` must be a whole number from 1 to 200"):
        search_index(town_index, "rutland", limit=0)


def test_min_score_drops_weak_matches(town_index):
    loose = search_index(town_index, "oakham books", config=SearchConfig(min_score=1))
    strict = search_index(town_index, "oakham books", config=SearchConfig(min_score=80))
    assert list(strict["id"]) == ["lib"]
    assert len(loose) > len(strict)


def test_config_checks_itself():
    with pytest.raises(ValueError, match="`min_score` must be between 0 and 100"):
        SearchConfig(min_score=101)
    with pytest.raises(ValueError, match="`name_weight` must be between 0 and 1"):
        SearchConfig(name_weight=2)
    with pytest.raises(ValueError, match="`max_query_chars` must be a positive whole number"):
        SearchConfig(max_query_chars=0)
    assert hash(SearchConfig()) == hash(SearchConfig())


def test_index_is_immutable(town_index):
    with pytest.raises(dataclasses.FrozenInstanceError):
        town_index.ids = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        town_index.idf[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        town_index.fields["name"].data[0] = 0


def test_index_needs_ids_and_names():
    with pytest.raises(SchemaError, match="no `name` column"):
        build_search_index(pd.DataFrame({"id": ["a"]}))
    with pytest.raises(SchemaError, match="'a' appears more than once"):
        build_search_index(pd.DataFrame({"id": ["a", "a"], "name": ["x", "y"]}))
    with pytest.raises(SchemaError, match="row 2: `id` is missing"):
        build_search_index(pd.DataFrame({"id": ["a", None], "name": ["x", "y"]}))


def test_index_names_the_asset_with_an_unknown_category():
    frame = pd.DataFrame({"id": ["a"], "name": ["x"], "categories": [("pubs",)]})
    with pytest.raises(SchemaError, match="asset a: unknown category code 'pubs'"):
        build_search_index(frame)


def test_empty_register_gives_empty_results():
    index = build_search_index(pd.DataFrame({"id": [], "name": []}))
    found = search_index(index, "food bank")
    assert found.empty
    assert tuple(found.columns) == RESULT_COLUMNS


@pytest.fixture(scope="module")
def registers(shared_data):
    return {
        "rutland": build_search_index(rutland_register(shared_data)),
        "ukcat": build_search_index(ukcat_register(shared_data)),
    }


def test_labelled_queries_find_the_intended_record_in_the_top_three(registers):
    with QUERIES.open(newline="") as handle:
        queries = list(csv.DictReader(handle))
    assert len(queries) >= 40
    assert {q["register"] for q in queries} == {"rutland", "ukcat"}
    misses = []
    for q in queries:
        found = search_index(registers[q["register"]], q["query"], limit=3)
        if not set(q["intended_id"].split("|")) & set(found["id"]):
            misses.append(q["query"])
    hit_rate = 1 - len(misses) / len(queries)
    assert hit_rate >= 0.9, f"hit rate {hit_rate:.1%}; missed: {misses}"


def test_every_intended_record_exists(registers):
    with QUERIES.open(newline="") as handle:
        for q in csv.DictReader(handle):
            for wanted in q["intended_id"].split("|"):
                assert wanted in registers[q["register"]].ids, wanted
