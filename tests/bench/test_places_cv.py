"""The place totals a round of residents' words keeps its place rules by (bench.places_cv),
and the outcome each message is counted as (bench.understanding.place_outcome)."""

from __future__ import annotations

import pytest

from bench import places_cv
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


def test_the_totals_add_up_over_a_set() -> None:
    found = places_cv.totals(sets=("resident_messages_heldout2.jsonl",))
    assert found["naming_a_ward"] == found["right_or_among"] + found["wrong_place"] \
        + found["list_without_the_ward"] + found["not_found"] > 0
    assert found["one_right"] <= found["right_or_among"]
    assert found["everyday_sentences"] >= 200
    assert all(miss.startswith("resident_messages_heldout2.jsonl: ")
               for miss in found["misses"])
