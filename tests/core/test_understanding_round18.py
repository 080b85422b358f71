"""Round eighteen of issue 20: flames flaring up ("lửa bùng", "cháy bùng"); a rear-end
crash ("chạm đuôi"); a hand drawn into a machine; a package taken for a bomb; a stingray;
a button battery in a child's mouth; a child shut in a car; a barge typed in one word
("salan"); a mad bull and a wild monkey; a child lured somewhere ("dụ bé … lên xe"). The
readings fail on the code before the change (15f5a16); the guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("binh xit con no trong xuong, lua bung len", F),  # flames flaring up
    ("bai rac duoi duong day dien chay bung", F),  # not the wire
    ("xe buyt cham duoi xe con o nga tu", T),  # a rear-end crash
    ("tho lam bi cuon tay vao may xay thit", OT),  # a hand drawn into a machine
    ("co cai thung la truoc cong truong, bao ve nghi la bom", S),  # a package, a bomb?
    ("ca duoi dam vao chan thang nho dang tam", OT),  # a stingray, no police
    ("be nuot vien pin cuc cua dong ho", OT),  # a button battery
    ("bé bị nhốt trong xe ô tô ngoài nắng", OT),  # a child shut in a car
    ("salan troi, 1 nguoi tren salan roi xuong song", T),  # a barge typed in one word
    ("bò điên húc ngã ông cụ ngoài đồng", OT),  # a mad bull
    ("khỉ hoang cắn đứa nhỏ trong sân", OT),  # a wild monkey
    ("ông kia dụ bé gái vào nhà", S),  # a child lured into a house
    ("ong kia du be gai vao nha roi dong cua", S),  # typed bare
])
def test_round_eighteen_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("xe tai tong duoi xe khach tren cao toc", T),  # a rear-end crash said otherwise
    ("con chó dữ cắn người", OT),  # an animal already named
    ("co ke bat coc be gai dua len xe", S),  # a child taken, not lured
    # a swindle typed bare is no fire ("lừa bùng", not "lửa bùng"; found at review)
    ("bi lua bung tien coc thue nha", S),
    ("bị lừa bùng hàng, shop online chặn luôn", S),
])
def test_the_guards_of_round_eighteen(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("text", [
    "mẹ dụ bé ăn cháo mãi không chịu",  # a child coaxed to eat, not lured
    "để quên chìa khóa trong xe rồi",  # keys left in a car, no child shut in
    "cuốn tay áo lên rồi rửa chén",  # a sleeve rolled up
    "dịch bò điên bên Anh hồi xưa",  # a mad cow, doing nothing
])
def test_everyday_words_of_round_eighteen_are_no_incident(text: str) -> None:
    assert guess_category(text) is None
