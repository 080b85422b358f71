"""Round fifteen of issue 20: a landmark the gazetteer knows whose whole name is a 2025
ward's ("Cầu Kiệu", the bridge and the ward named after it) offers that ward too; a
business and its ward with up to two words between ("tiệm bánh mì Xóm Chiếu", "dãy trọ
sinh viên Linh Xuân"). They fail on the code before the change (3852b53); a person's name
after a business stays no place on both."""

from __future__ import annotations

import pytest

from sosbot.geo.place_understanding import understand_place


def test_a_landmark_named_like_a_ward_offers_the_ward_too() -> None:
    codes = [c.ward_code for c in understand_place("den do cau kieu co tai nan, 2 xe may nga")]
    assert codes[:2] == ["26737", "27058"], codes  # the bridge's ward, then Cầu Kiệu


@pytest.mark.parametrize(("message", "ward"), [
    ("tiem banh mi xom chieu bi trom", "27259"),
    ("day tro sinh vien linh xuan bi chay", "26800"),
    ("day tro cong nhan thuan giao co danh nhau", "25969"),
])
def test_a_business_and_its_ward_two_words_apart(message: str, ward: str) -> None:
    codes = [c.ward_code for c in understand_place(message)]
    assert codes and codes[0] == ward, codes


def test_a_person_after_a_business_is_no_place() -> None:
    assert understand_place("xuong may cua ong tan hung bi chay") == []
