"""Round sixteen of issue 20: the ward named as the city is spelled in English ("saigon
ward") is the ward Sài Gòn, as "Sai Gon ward" is. It fails on the code before the change
(6bc9760); the city named alone stays no place on both."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

read = offline_reader(packaged_reader())
SAI_GON = "26740"


@pytest.mark.parametrize("message", [
    "my bag was snatched by two guys, saigon ward",
    "thief broke into my car, Saigon Ward",
])
def test_saigon_ward_in_one_word(message: str) -> None:
    assert [o.ward_code for o in read(message)[1]] == [SAI_GON]


@pytest.mark.parametrize("message", ["I'm staying in Saigon", "toi o saigon"])
def test_the_city_alone_is_no_place(message: str) -> None:
    assert not read(message)[1]
