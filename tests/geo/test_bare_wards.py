"""Round thirteen of issue 20: a 2025 ward's name written bare, without "p"/"phường",
where a place stands (after "ở", a comma, a street, a landmark) is read as the ward, or its
candidates when the name is shared; a person's name or a destination is not (:mod:`sosbot.
geo.bare_wards`). The bare names fail on the code before the change (fd0e408)."""

from __future__ import annotations

import pytest

from sosbot.geo.place_understanding import understand_place

TAN_DINH, BEN_THANH, AN_KHANH, BINH_HUNG = "26737", "26743", "27094", "27619"
AN_LAC, PHU_LAM, VINH_HOI = "27460", "27349", "27286"


@pytest.mark.parametrize(("message", "ward"), [
    ("chay nha o tan dinh roi mn oi, khoi qua troi", TAN_DINH),  # after "ở"
    ("cháy tiệm quần áo ở tân định, lửa lớn lắm", TAN_DINH),  # with its own diacritics
    ("tai nan lien hoan gan cho, ben thanh, 2 xe may", BEN_THANH),  # after a comma
    ("co nguoi nhay cau, an khanh", AN_KHANH),  # at the end, after a comma
    ("xe tai lat tren cau binh hung, hang do het ra duong", BINH_HUNG),  # a bridge
    ("xe container tong xe may o vong xoay an lac", AN_LAC),  # a roundabout
    ("ke gian cuop tren duong hai ba trung tan dinh", TAN_DINH),  # after a street
    ("trom vo nha tai phu lam lay xe may", PHU_LAM),
    ("ba cu te cau thang, vinh hoi, can xe cap cuu", VINH_HOI),
])
def test_a_ward_named_bare_where_a_place_stands_is_offered(message: str, ward: str) -> None:
    codes = [c.ward_code for c in understand_place(message)]
    assert ward in codes, codes
    assert codes[0] == ward, codes  # the 2025 ward of that name first


@pytest.mark.parametrize("message", [
    "chi minh phung ban tap hoa vua bi giat tui",  # a person named like a ward
    "thang an lai xe say xin tong vo xe toi roi bo chay",
    "ong tan chu nha tro bi no doa danh",
    "moi tan trang lai can ho thi o cam chap dien",  # "tân" inside another word
    "binh gas nha em bi xi, ngui mui gas",
    "me toi di binh thanh mua do thi bi moc tui",  # a destination
    "xe khach di thu duc bi lat nghieng tren cao toc",
    "song hoa binh ma hang xom danh nhau hoai",  # an everyday phrase
])
def test_a_ward_like_word_that_is_no_place_is_not_offered(message: str) -> None:
    assert understand_place(message) == []


def test_an_old_district_named_bare_still_gives_its_wards() -> None:
    codes = [c.ward_code for c in understand_place("danh nhau o go vap")]
    assert len(codes) > 2
    assert codes[0] == "26884"  # the 2025 ward Gò Vấp first


def test_a_ward_named_with_its_type_word_is_one_place() -> None:
    assert [c.ward_code for c in understand_place("chay nha p tan dinh")] == [TAN_DINH]
