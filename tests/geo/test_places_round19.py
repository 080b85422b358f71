"""Round nineteen of issue 20: a ward after a road's number joined to its word ("ql13
Thuận Giao") and after a bus stop ("trạm Vĩnh Hội"). Each fails on the code before the
change (53c48fc); the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

read = offline_reader(packaged_reader())
THUAN_GIAO, VINH_HOI, NHUAN_DUC = "25969", "27286", "27511"


@pytest.mark.parametrize(("message", "ward"), [
    ("xe tai lat tren ql13 thuan giao", THUAN_GIAO),  # a road's number joined
    ("nguoi dan ong ngat o tl15 nhuan duc", NHUAN_DUC),
    ("có người xỉu ở trạm Vĩnh Hội", VINH_HOI),  # a bus stop
])
def test_round_nineteen_places(message: str, ward: str) -> None:
    assert [o.ward_code for o in read(message)[1]] == [ward]


@pytest.mark.parametrize("message", [
    "xe tai lat tren ql13",  # a road's number, no ward after it
    "bi lay mat 5 tram nghin",  # "trăm", a hundred, typed bare
])
def test_the_guards_of_round_nineteen_places(message: str) -> None:
    assert not read(message)[1]
