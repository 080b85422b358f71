"""The place totals a round of residents' words keeps its place rules by (bench.places_cv),
and the outcome each message is counted as (bench.understanding.place_outcome)."""

from __future__ import annotations

import pytest

from bench import places_cv
from bench.train_category import DATA, EVERYDAY_FILE
from bench.understanding import (
    AMONG,
    GIVEN_A_PLACE,
    LIST_WITHOUT,
    LISTED,
    NO_LIST,
    NONE_NAMED,
    NOT_FOUND,
    ONE_RIGHT,
    WRONG_PLACE,
    load,
    place_outcome,
)

WARD = {"place": "ward", "ward_code": "26734"}
DISTRICT = {"place": "district"}
NONE = {"place": "none"}


@pytest.mark.parametrize(("message", "codes", "outcome"), [
    (WARD, ["26734"], ONE_RIGHT),
    (WARD, ["26737"], WRONG_PLACE),
    (WARD, ["26737", "26734"], AMONG),
    (WARD, ["26737", "26740"], LIST_WITHOUT),
    (WARD, [], NOT_FOUND),
    (DISTRICT, ["26734", "26737"], LISTED),
    (DISTRICT, ["26734"], NO_LIST),
    (NONE, [], NONE_NAMED),
    (NONE, ["26734"], GIVEN_A_PLACE),
])
def test_each_message_counts_as_what_the_resident_is_shown(
        message: dict[str, str], codes: list[str], outcome: str) -> None:
    assert place_outcome(message, codes) == outcome


def test_the_totals_count_every_message_of_the_sets_once() -> None:
    """Every message naming a ward is counted under one outcome, and every everyday
    sentence is read; the misses are the set's."""
    name = "resident_messages_heldout2.jsonl"
    messages = load(DATA / name)
    found = places_cv.totals(sets=(name,))
    assert found["naming_a_ward"] == sum(m["place"] == "ward" for m in messages) > 0
    assert found["right_or_among"] + found["wrong_place"] + found["list_without_the_ward"] \
        + found["not_found"] == found["naming_a_ward"]
    assert found["districts_listed"] <= sum(m["place"] == "district" for m in messages)
    assert found["everyday_sentences"] == sum(
        1 for line in EVERYDAY_FILE.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(found["misses"]) == found["wrong_place"] + found["list_without_the_ward"] \
        + found["not_found"] + found["none_named_given_a_place"]
    assert all(miss.startswith(f"{name}: ") for miss in found["misses"])
