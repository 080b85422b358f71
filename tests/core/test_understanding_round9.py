"""Round nine of issue 20: toneless twins read by their neighbours ("cán"/"cắn",
"sạp"/"sập", "chạy tốc độ", "chạy máy"), "đụng nhau" that ends in blows, fishermen missing
with their boat, racing as traffic, and new words and patterns (a killing, a hanging, noise
at night, someone carrying a weapon, a door forced, an open drain). Each reading has a
sentence that would fail without it, and everyday sentences that must stay silent."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    # a bare "can nguoi" after a vehicle is run over; after a dog, or with its tones, a bite
    ("xe ben can nguoi di bo o nga tu", T),
    ("container can nguoi dan ong chay xe dap", T),
    ("con cho nha ben can nguoi", OT),
    ("xe đạp đi ngang bị con chó dữ cắn người", OT),
    # a stall ("sạp") is not a collapse ("sập")
    ("xe tai tong vo sap trai cay, ba ban hang bi thuong", T),
    ("nha sap roi, co nguoi ket ben trong", OT),
    # "chạy tốc độ cao" runs; machines running all night are noise, not a fire
    ("ca no chay toc do cao tong vao ghe", T),
    ("xuong go ben canh chay may xuyen dem khong ai ngu duoc", S),
    ("xe may bi chay may, khoi bay mu mit", F),
])
def test_toneless_twins_read_by_their_neighbours(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    # "đụng nhau" that ends in blows is a clash; without blows a collision
    ("hai nhom dung nhau ra danh, mot thang bi dap gach", S),
    ("hai xe may dung nhau o nga ba", T),
    # fishermen missing with their sunk boat: the boat's accident
    ("ghe đánh cá bị chìm ngoài khơi, 2 ngư dân vẫn mất tích", T),
    ("ba tui mat tich tu sang chua ve", OT),
    # racing is traffic (the project's rule), racers who fight are security
    ("may thang dua xe trai phep tren dai lo moi dem", T),
    ("street racing on the bridge every night", T),
    ("đua xe xong rút mã tấu chém nhau", S),
    # hit-and-run after a swipe: the crash
    ("shipper va grab quet nhau roi thang grab bo chay", T),
    ("thanh nien boc dau roi te nam giua duong", T),
])
def test_keywords_read_by_their_neighbours(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("có vụ án mạng trong hẻm", S),
    ("nguoi dan ong bi sat hai trong nha", S),
    ("someone was murdered in the alley", S),
    ("the driver threatened to beat me", S),
    ("ong ke ben treo co trong phong", OT),
    # noise at night
    ("hang xom mo loa keo keo hat ho xuyen dem", S),
    ("loud music from the bar every night", S),
    # someone carrying a weapon
    ("co thang dung ngoai ngo cam theo cay sat", S),
    # a door forced
    ("sang day thay cua nha bi cay", S),
    # an open drain
    ("ho ga mat nap giua duong", OT),
    ("the manhole is open in front of the school", OT),
])
def test_the_words_of_round_nine(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("message", [
    "toi thich nghe nhac",
    "cam cay kem cho con",
    "mo cua nha cho khach vao",
    "nha hang nay ban ngon lam",
    "sap toi nha roi",
    "chieu nay di cho mua trai cay",
    # a fruit stall ("sạp trái cây") is neither a tree nor a collapse
    "sap trai cay cua ba tu dau hem",
    "anh ay chay toc do cham thoi",
])
def test_everyday_sentences_stay_silent(message: str) -> None:
    assert keyword_category(message) is None
