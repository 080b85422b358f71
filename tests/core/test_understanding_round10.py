"""Round ten of issue 20: a pattern's toneless twins ("roi" is "rồi" before "rơi", "do" is
"đó" before "đổ", "no" is "nó" before "nổ"), threats that name their violence, boats out of
contact or putting out to sea, the small hours of noise, stinging bees, the ground giving
way and storms, someone who does not wake, a person on the railway, a live wire named a
sentence before, "cần người", a hit-and-run, a car door, what explodes, a vehicle into the
water. Each reading has a sentence that fails without it, and everyday sentences that must
stay silent."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    # a bare "roi" is "rồi" (then), not a vehicle's load falling
    ("ba bau dau bung sanh roi ma goi xe ko ai toi", OT),
    # right after its thing, or before a word of falling, it is still "rơi"/"đổ"
    ("cot dien do xuong giua hem", OT),
    ("hang tren xe tai roi xuong duong", T),
    # a bare "no" right after what explodes, or after "bị", is "nổ"
    ("tru dien truoc nha no dung dung", F),
    ("binh nong lanh bi no", F),
])
def test_a_patterns_toneless_twin_counts_only_beside_its_thing(
        message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    # a threat that names its violence
    ("tai xe taxi doa danh khach vi ko tra them tien", S),
    ("thang kia doa ban chet ca nha tui", S),
    ("bọn nó hăm dọa sẽ đốt nhà", S),
    # fishermen out of contact at sea: the boat's accident; a boat putting out ("ra khơi")
    # is no smoke
    ("ghe ca ra khoi 3 ngay, 4 ngu dan mat lien lac", T),
    ("me tui mat lien lac tu hom qua", OT),
    ("nha ben ra khoi den nghit", F),
    # a hit-and-run: "bỏ chạy" after a crash
    ("xe hoi tong ba cu roi bo chay, bien so 51", T),
    ("no giat tui roi bo chay", S),
    # a live wire named a sentence before the shock
    ("day dien dut nam duoi vung nuoc, con cho di ngang qua la bi giat chet", OT),
    ("nuoc ngap nhiem dien, ong hang xom loi qua bi giat", OT),
    # people in the water from a vehicle that left the road
    ("xe may lao xuong kenh, nguoi lai chim duoi nuoc, dang duoi", T),
])
def test_keywords_read_by_their_neighbours(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    # noise in the small hours
    ("loa keo nha ben mo hat tu 4h sang", S),
    ("karaoke hát tới 1 giờ đêm chưa nghỉ", S),
    # bees that sting
    ("ong vo ve vo to, may dua nho bi dot sung mat", OT),
    # the ground giving way, storms
    ("sat doi vui mat 3 can nha", OT),
    ("nui lo, da lan xuong duong", OT),
    ("vòi rồng cuốn bay mái tôn cả xóm", OT),
    # someone who does not wake; a person on the railway
    ("ong cu nam trong phong goi ko day", OT),
    ("co nguoi nam ngu tren duong ray", OT),
    # a car door, a driver who knocked someone down
    ("o to mo cua bat ngo, anh shipper dam vao te xuong duong", T),
    ("the driver knocked down a kid on the crossing", T),
])
def test_the_words_of_round_ten(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("message", [
    # "cần người giúp" needs someone, no bite (a dog's bite stays one)
    "can nguoi giup khieng ong ngoai xuong lau",
    "can nguoi cho di benh vien gap",
    # everyday sentences beside the new words
    "taxi cho khach xong roi",
    "taxi mo cua cho khach xuong",
    "dien thoai het pin, no tat may roi",
    "5h sang nghe nhac tap the duc",
    "sang som di cho mua rau",
    "ong hang xom dot rac sau nha",
    "ông bay vào Sài Gòn rồi",
    "chay xe ra cho mua do an",
])
def test_everyday_sentences_stay_silent(message: str) -> None:
    assert keyword_category(message) is None


def test_a_dogs_bite_is_still_a_bite() -> None:
    assert keyword_category("con cho nha ben can nguoi") is OT
