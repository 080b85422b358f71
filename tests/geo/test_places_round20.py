"""Round twenty of issue 20: a ward after a coach station ("bến xe Phú Lâm"). It fails on
the code before the change (ae125b4); the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

read = offline_reader(packaged_reader())
PHU_LAM, TAN_THANH = "27349", "26725"


@pytest.mark.parametrize(("message", "ward"), [
    ("xe khach tong xe may o ben xe phu lam", PHU_LAM),  # a coach station
    ("bị móc túi ở bến xe Tân Thành", TAN_THANH),
])
def test_round_twenty_places(message: str, ward: str) -> None:
    assert [o.ward_code for o in read(message)[1]] == [ward]


@pytest.mark.parametrize("message", [
    "xe phu lam toi nay khong chay",  # "xe" with no station before it
    "mua ve xe tan thanh",  # a ticket, no station
])
def test_the_guards_of_round_twenty_places(message: str) -> None:
    assert not read(message)[1]
