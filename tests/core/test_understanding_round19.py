"""Round nineteen of issue 20: grass burnt and spreading ("đốt cỏ lan"); changing lanes
("chạy lấn làn", not fire spreading typed bare); two vehicles colliding ("va nhau"); a
lottery den ("ghi lô đề"); a green pit viper's bite; jellyfish typed bare ("sua bien
chich"); a vehicle sliding or rolling into the water; a fishing boat's "cá" typed bare
("tau ca" is no police). The readings fail on the code before the change (53c48fc); the
guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("ai đốt cỏ lan vô mấy căn nhà trọ", F),  # grass burnt, spreading
    ("xe khach chay lan lan tong xe may", T),  # changing lanes, typed bare
    ("2 xe may va nhau o nga ba", T),  # two vehicles colliding
    ("quán nước này có ổ ghi lô đề", S),  # a lottery den
    ("ong gia bi ran luc can vao tay", OT),  # a green pit viper
    ("sua bien chich may dua nho dang tam", OT),  # jellyfish typed bare
    ("chiec taxi lan xuong kenh", T),  # a vehicle rolling into a canal
    ("tau ca ra khoi 2 ngay chua ve, mat lien lac", T),  # fishermen out of contact
])
def test_round_nineteen_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("lua chay lan sang nha ben canh", F),  # fire spreading is still fire
    ("ca no sung o cho", S),  # the police shorthand, no boat before it
    ("nha ga co nguoi ngat xiu", OT),  # "ga" after "nhà" is no gas, as before
    ("ran ho mang can ong cu", OT),  # a snake already named
])
def test_the_guards_of_round_nineteen(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("text", [
    "me ran luc nay roi, con an di",  # frying ("rán lúc"), no pit viper
    "chiều nay ông đốt cỏ ngoài vườn",  # grass burnt, not spreading
    "sua bien so xe o dau vay",  # mending a number plate, no jellyfish
    "trái banh lăn xuống kênh mất tiêu",  # a ball, no vehicle
])
def test_everyday_words_of_round_nineteen_are_no_incident(text: str) -> None:
    assert guess_category(text) is None
