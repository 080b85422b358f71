"""A named place on or next to a ward border (an intersection, a bridge, a market on the
line) is offered as the wards it touches, its own first, not as one ward guessed."""

from __future__ import annotations

import pytest

from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import BORDER_M, PlaceReader, packaged_reader
from sosbot.geo.wards import WardIndex


@pytest.fixture(scope="module")
def reader() -> PlaceReader:
    return packaged_reader()


@pytest.fixture(scope="module")
def index(reader: PlaceReader) -> WardIndex:
    return reader.index


def test_wards_near_a_border_point_nearest_first_each_with_a_point_inside(
        index: WardIndex) -> None:
    hang_xanh = (10.8013, 106.7113)  # ngã tư Hàng Xanh, where Gia Định meets Thạnh Mỹ Tây
    near = index.wards_near(*hang_xanh, BORDER_M)
    assert len(near) >= 2
    own = index.ward_for(*hang_xanh).ward
    assert own is not None and near[0].ward == own and near[0].distance_m == 0.0
    assert (near[0].lat, near[0].lon) == hang_xanh
    assert [n.distance_m for n in near] == sorted(n.distance_m for n in near)
    for n in near:
        assert n.distance_m <= BORDER_M
        # Picking that ward puts the report in it: its point classifies back to it, and
        # stays next to the place.
        assert index.ward_for(n.lat, n.lon).ward == n.ward
        assert index.wards_near(n.lat, n.lon, 0.0)[0].ward == n.ward
        assert abs(n.lat - hang_xanh[0]) < 0.002 and abs(n.lon - hang_xanh[1]) < 0.002


def test_a_point_deep_in_a_ward_has_no_neighbour_within_the_distance(index: WardIndex) -> None:
    ben_thanh_market = (10.7725, 106.6980)
    near = index.wards_near(*ben_thanh_market, BORDER_M)
    assert [n.ward.name for n in near] == ["Bến Thành"]


@pytest.mark.parametrize("typed", ["ngã tư Hàng Xanh", "tai nan o nga 4 hang xanh",
                                   "xe bốc cháy trên cầu Sài Gòn"])
def test_a_border_place_gives_the_wards_it_touches(reader: PlaceReader, typed: str) -> None:
    candidates = reader.read(typed).candidates
    assert len(candidates) >= 2
    place = candidates[0]
    assert place.how == "gazetteer"
    # One place: every candidate carries its name; the wards differ.
    assert {c.label for c in candidates} == {place.label}
    assert len({c.ward_code for c in candidates}) == len(candidates)
    for c in candidates:
        assert reader.index.ward_for(c.lat, c.lon).ward.code == c.ward_code  # type: ignore[union-attr]


def test_the_gazetteers_ward_stays_first(reader: PlaceReader) -> None:
    candidates = reader.read("ngã tư Hàng Xanh").candidates
    assert candidates[0].ward_name == "Gia Định"
    assert "Thạnh Mỹ Tây" in [c.ward_name for c in candidates[1:]]


def test_a_place_away_from_any_border_is_still_one_place(reader: PlaceReader) -> None:
    candidates = reader.read("Có cháy ở chợ Bến Thành, cứu với!").candidates
    assert [c.ward_name for c in candidates] == ["Bến Thành"]


def test_distance_zero_proposes_the_place_alone(reader: PlaceReader) -> None:
    alone = PlaceReader(reader.index, reader.gazetteer, districts=reader.districts,
                        ward_geocoder=reader.ward_geocoder, border_m=0)
    assert [c.ward_name for c in alone.read("ngã tư Hàng Xanh").candidates] == ["Gia Định"]


def test_the_conversation_gets_the_border_wards_as_options() -> None:
    place_text, options = offline_reader(packaged_reader())("cháy ở ngã tư Hàng Xanh")
    assert place_text is not None and "Hàng Xanh" in place_text
    assert len(options) >= 2 and options[0].ward_name == "Phường Gia Định"
    assert not any(o.whole_ward for o in options)


def test_an_online_answer_on_a_border_gives_the_wards_it_touches(reader: PlaceReader) -> None:
    from sosbot.geo.place_understanding import Candidate

    hang_xanh = (10.8013, 106.7113)
    own = reader.index.ward_for(*hang_xanh).ward
    assert own is not None
    answer = Candidate(own.code, own.name, *hang_xanh, "nominatim", "Quán Ranh Giới")
    candidates = reader.read("quan ranh gioi", online=[answer]).candidates
    assert len(candidates) >= 2 and candidates[0] == answer
    assert {c.how for c in candidates} == {"nominatim"}
    assert {c.label for c in candidates} == {"Quán Ranh Giới"}  # one place, several wards
    for c in candidates:
        assert reader.index.ward_for(c.lat, c.lon).ward.code == c.ward_code  # type: ignore[union-attr]
    deep = Candidate("26743", "Bến Thành", 10.7725, 106.6980, "nominatim", "Quán Giữa Phường")
    assert reader.read("quan giua phuong", online=[deep]).candidates == (deep,)
