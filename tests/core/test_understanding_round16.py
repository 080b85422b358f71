"""Round sixteen of issue 20: a knife drawn in a clash after a crash; a pesticide drunk,
foam at the mouth; someone who drops where they stand; a cash machine fitted with a
reader; someone locked in who calls for help; a road caving in; an allergic shock; a
boiler that explodes; an animal scattering; a jellyfish's sting; a hand caught; a stroke
said in English; a building cracking open. The readings fail on the code before the change
(6bc9760); the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("2 xe va cham xong 2 ong xuong xe rut dao dam nhau", S),  # a knife drawn
    ("ong hang xom uong thuoc tru sau, dang nam o san", OT),  # a pesticide drunk
    ("my son is foaming at the mouth and shaking", OT),
    ("ong cu dang di bo thi nga guc giua duong", OT),  # drops where he stands
    ("co ba ban rau nga quy o cho, ko noi duoc", OT),
    ("cay atm truoc sieu thi bi gan thiet bi la o khe the", S),  # a card reader fitted
    ("nghe co nguoi bi nhot trong kho keu cuu ca dem", S),  # locked in, calling for help
    ("giua duong xuat hien ho tu than, sau 2 met", OT),  # a road caving in
    ("be bi soc phan ve sau khi uong thuoc", OT),  # an allergic shock
    ("no noi hoi o xuong det, cong nhan bi bong", F),  # a boiler
    ("con trau chay tan loan ngoai cho, ai cung so", OT),  # an animal scattering
    ("be tam bien bi sua chich, do het chan", OT),  # a jellyfish
    ("cua cuon kep tay con toi, ko rut ra duoc", OT),  # a hand caught
    ("my father had a stroke, he cannot speak", OT),  # a stroke
    ("chung cu cu nut toac tuong, dan so tan", OT),  # a building cracking open
])
def test_round_sixteen_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("2 xe may dam nhau o nga tu, tai xe rut dien thoai goi cuu thuong", T),  # no knife
    ("co nguoi bi nhot trong thang may", OT),  # locked in a lift, no call for help: a lift
    ("hoc sinh tan hoc chay tan loan ra cong", None),  # people scattering, no animal
])
def test_the_guards_of_round_sixteen(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("text", [
    "xịt thuốc trừ sâu cho vườn rau xong rồi",  # sprayed, not drunk
    "làm cả ngày mệt muốn ngã gục",  # tired
    "what a stroke of luck",
    "ra cây ATM rút tiền rồi về",  # a cash machine, nothing fitted
    "ruộng nứt toác vì nắng hạn",  # cracked earth, no building
    "nồi hơi nhà máy bảo trì định kỳ",  # a boiler, no explosion
])
def test_everyday_words_of_round_sixteen_are_no_incident(text: str) -> None:
    assert guess_category(text) is None
