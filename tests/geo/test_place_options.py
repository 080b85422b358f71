"""The offline reading as the conversation gets it: every typed place from issue 20 resolves
to one ward or gives the candidate wards, with the wards' full names."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

read = offline_reader(packaged_reader())


@pytest.mark.parametrize(("typed", "ward"), [
    ("số 5 Nguyễn Huệ, quận 1", "Phường Sài Gòn"),
    ("chợ Bến Thành", "Phường Bến Thành"),
    ("25 Lê Duẩn, Sài Gòn", "Phường Sài Gòn"),
    ("ngã tư Hàng Xanh", "Phường Gia Định"),
    ("sân bay Tân Sơn Nhất", "Phường Tân Sơn"),
    ("cau sai gon", "Phường An Khánh"),
    ("chợ Tân Phú, đường Âu Cơ", "Phường Tân Phú"),
    ("Có cháy ở chợ Tân Phú, cứu với!", "Phường Tân Phú"),  # the market, in the gazetteer
])
def test_issue_places_resolve(typed: str, ward: str) -> None:
    _, options = read(typed)
    assert options and options[0].ward_name == ward and not options[0].whole_ward


@pytest.mark.parametrize("typed", ["Q.Tân Phú", "Có cháy ở quận Tân Phú, cứu với!",
                                   "quận 1", "Thủ Đức"])
def test_old_districts_give_candidate_wards(typed: str) -> None:
    _, options = read(typed)
    assert len(options) >= 2 and all(o.ward_name.startswith("Phường") for o in options)


def test_nothing_named_nothing_proposed() -> None:
    assert read("cứu với có người bị đánh") == (None, ())


@pytest.mark.parametrize(("typed", "wards"), [
    # districts merged into Thủ Đức city in 2021, still named by residents
    ("xe buýt lật ở quận 9 cũ", {"Long Bình", "Tăng Nhơn Phú", "Phước Long", "Long Phước",
                                 "Long Trường"}),
    ("cháy nhà ở Q2", {"An Khánh", "Bình Trưng", "Cát Lái"}),
])
def test_districts_merged_in_2021_give_their_wards(typed: str, wards: set[str]) -> None:
    _, options = read(typed)
    assert {o.ward_name.removeprefix("Phường ") for o in options} == wards
