"""Round eighteen of issue 20: a ward named after a school with its level ("trường thpt
Hạnh Thông", "tiểu học Vĩnh Lộc"), a restaurant, a supermarket, a factory, a substation,
a beach, a junction, a drinking place, an oven, a corner, a neighbourhood without its
number, and in English after "the". Each fails on the code before the change (15f5a16);
the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

read = offline_reader(packaged_reader())
HANH_THONG, VINH_LOC, TAN_THUAN, TAN_HOA = "26890", "27601", "27478", "26995"
THOI_HOA, VINH_TAN, HO_TRAM, BINH_TRUNG = "25846", "25912", "26620", "27097"
XOM_CHIEU, TAN_KHANH, TRUNG_MY_TAY = "27259", "25891", "26785"
LONG_TRUONG, TAN_HIEP = "26860", "25920"


@pytest.mark.parametrize(("message", "ward"), [
    ("co hoc sinh ngat xiu o truong thpt hanh thong", HANH_THONG),  # a school's level
    ("trần nhà sập ở trường tiểu học Vĩnh Lộc", VINH_LOC),
    ("ngo doc o nha hang tan thuan", TAN_THUAN),  # a restaurant
    ("be bi ket tay thang cuon sieu thi tan hoa", TAN_HOA),  # a supermarket
    ("chay kho trong nha may thoi hoa", THOI_HOA),  # a factory
    ("trom cap o tram bien ap vinh tan", VINH_TAN),  # a substation
    ("o to chay tren bai bien ho tram tong 1 nguoi", HO_TRAM),  # a beach
    ("tai nan gan nut giao binh trung", BINH_TRUNG),  # a junction
    ("chay lo banh mi xom chieu", XOM_CHIEU),  # an oven
    ("danh nhau o quan nhau tan khanh", TAN_KHANH),  # a drinking place
    ("quan lau goc to ky trung my tay chay", TRUNG_MY_TAY),  # a corner
    ("fire near the long truong ferry", LONG_TRUONG),  # "the"
    ("trom vao nha o khu pho tan hiep", TAN_HIEP),  # a neighbourhood without its number
])
def test_round_eighteen_places(message: str, ward: str) -> None:
    assert [o.ward_code for o in read(message)[1]] == [ward]


@pytest.mark.parametrize(("message", "wards"), [
    ("chay nha may giay", []),  # a factory, no ward named
    ("ngo doc o nha hang", []),  # a restaurant, no ward named
    ("someone fainted at the market", []),  # "the", no ward after it
    ("lo qua, chay nha roi", []),  # "lo" is worry, not an oven
])
def test_the_guards_of_round_eighteen(message: str, wards: list[str]) -> None:
    assert [o.ward_code for o in read(message)[1]] == wards
