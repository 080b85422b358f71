"""Round seventeen of issue 20: a last letter typed over and over; a canoe typed bare
("ca no" is no police); a boat listing or taking on water; a gun fired, typed bare; a
candle, not a tree; a pesticide drunk by mistake; a pregnant woman bleeding; someone
overcome in a tank; a pitbull named between the dog and the bite; a billboard that falls;
a vehicle into a utility pole whose wire falls. The readings fail on the code before the
change (dc36ff4); the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("chayy kho go, nguoi con ket ben trong", F),  # a letter typed over and over
    ("ca no cho khach bi nuoc vao, nghieng han 1 ben", T),  # a canoe listing
    ("tu dung co thang ban sung vao nha toi, be cua kinh", S),  # a gun fired, typed bare
    ("cup dien nen dot den cay roi ngu quen, chay ca phong", F),  # a candle, not a tree
    ("ong noi uong nham thuoc tru sau, dang non", OT),  # a pesticide drunk by mistake
    ("vo toi co bau ra mau nhieu qua", OT),  # a pregnant woman bleeding
    ("hai công nhân bị ngạt trong hầm biogas", OT),  # overcome in a pit
    ("con pitbull nha ben xong ra can ong cu", OT),  # the breed between the dog and the bite
    ("bang quang cao bi gio thoi sap xuong via he", OT),  # a billboard blown down
    ("xe tai tong vao cot dien, day dien rot xuong duong", T),  # the crash, not the wire
])
def test_round_seventeen_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("ca nổ súng trấn áp nhóm cướp", S),  # "ca" before "nổ" stays the police
    ("cuu voi, nha toi bi trom", S),  # "cuu" is "cứu" typed bare: no letter drawn out
    ("a big tree fell on the car", OT),  # an English word's doubled letter stays
    ("my son is foaming at mouth after drinking something", OT),  # foam at the mouth
])
def test_the_guards_of_round_seventeen(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("text", [
    "tối nay con tui chơi game bắn súng tới khuya",  # a game
    "thắp đèn cầy cúng rằm",  # a candle lit, nothing burning
    "foaming milk for the coffee",  # not a bare "foaming"
])
def test_everyday_words_of_round_seventeen_are_no_incident(text: str) -> None:
    assert guess_category(text) is None
