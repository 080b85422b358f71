"""Round seventeen of issue 20: a ward named after a street or an alley the gazetteer does
not know ("đường Lê Văn Sỹ Tân Sơn Hòa", "hẻm 45 Tôn Thất Thuyết Khánh Hội"), after a
numbered neighbourhood ("ấp 4 Bình Lợi", "khu phố 2 Tân Hải"), and a place taken back
("ở Bàn Cờ, à ko, Tân Định"; "Bình Tây, nhầm, Chợ Quán"). Each fails on the code before
the change (dc36ff4); the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

read = offline_reader(packaged_reader())
TAN_SON_HOA, KHANH_HOI, BINH_LOI, TAN_HAI = "26977", "27265", "27610", "26710"
CHO_QUAN, TAN_DINH = "27301", "26737"


@pytest.mark.parametrize(("message", "ward"), [
    ("xe tai tong xe may tren duong le van sy tan son hoa", TAN_SON_HOA),  # a street
    ("xe tong nguoi hem 45 ton that thuyet khanh hoi", KHANH_HOI),  # an alley
    ("trom vao nha o ap 4 binh loi", BINH_LOI),  # a numbered hamlet
    ("be nuot dong xu, khu pho 2 tan hai", TAN_HAI),  # a numbered neighbourhood
    ("chay nha o Ban Co, a ko, Tan Dinh", TAN_DINH),  # a place taken back
    ("co nguoi bi cuop o Binh Tay, nham, Cho Quan", CHO_QUAN),
])
def test_round_seventeen_places(message: str, ward: str) -> None:
    assert [o.ward_code for o in read(message)[1]] == [ward]


@pytest.mark.parametrize(("message", "wards"), [
    ("chay nha o Tan Dinh", [TAN_DINH]),
    ("chay nha o Tan Dinh, a ko biet ai goi cuu hoa chua", [TAN_DINH]),  # nothing after
    ("tôi nhầm số điện thoại, xin lỗi", []),  # taken back, no place
])
def test_the_guards_of_round_seventeen(message: str, wards: list[str]) -> None:
    assert [o.ward_code for o in read(message)[1]] == wards
