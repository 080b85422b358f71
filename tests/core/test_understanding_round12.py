"""Round twelve of issue 20: words typed without diacritics that have several toned readings,
read by one table (:mod:`sosbot.core.toneless`). A bare form is read as the incident's word
when a neighbour confirms it or no other reading's neighbour is near; typed with its
diacritics it keeps its meaning. Both senses of each word; the senses that are not the
incident's fail on the code before the change (0499cee)."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.toneless import AMBIGUOUS
from sosbot.core.understanding import keyword_category, understand

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    # "chảy": sewage, blood flowing (sets 10 and 11's misses read them as fire)
    ("bon cau tu hoai nha ben bi tran, nuoc ban chay lenh lang ra hem", None),
    ("co thang dam dao vao bung ng ta o quan nhau, mau chay nhieu lam", S),
    ("ong nuoc be, nuoc chay xiet vo nha", OT),  # the pipe, not a fire
    # "chạy": fleeing with something held ("ôm chạy"), a car still going ("mà vẫn chạy")
    ("trom cho dung sung dien ban cho nha em roi om chay", S),
    ("say xin lai oto lang lach, tong 2 cai cot roi ma van chay", T),
    # "cháy": the fire's own reading stays where a fire word is near, or no other is
    ("nha ben chay, lua bung len mai", F),
    ("kho hang cuoi hem chay roi", F),
    ("chay nha o hem 5", F),
    ("nuoc chay lenh lang, lua boc len tu binh gas", F),  # a fire word near wins
    ("cháy nhà, mọi người chạy ra ngoài hết rồi", F),
    # a word's other sense beside its neighbour, typed with its diacritics or not
    # (lightning is no beating; since round fifteen it is an emergency of its own, other)
    ("sét đánh trúng cây dừa trước nhà, 2 đứa nhỏ đứng gần bị tê chân", OT),
    ("tui đánh rơi chìa khóa đâu mất rồi", None),
    ("quán này cơm cháy ngon lắm", None),
    ("bắn pháo hoa giao thừa đẹp quá", None),
    # and the incident's
    ("2 thằng đánh nhau trước quán", S),
    ("có tiếng bắn nhau ngoài đầu hẻm", S),
    ("cháy quán cơm đầu hẻm", F),
    # round ten's twins, now rows of the table: "can nguoi" is cắn, cán or cần người
    ("con cho nha ben can nguoi", OT),
    ("xe tai can nguoi o nga tu", T),
    ("can nguoi giup khieng ong gia", None),
    # "ra khoi": boats out to sea, leaving a place; smoke otherwise
    ("ghe ca ra khoi tu sang chua ve", None),
    ("ra khoi nha thi thay", None),
    ("can ho tang 3 ra khoi den", F),
    # a pattern's bare happening that is far more often a common word ("roi" is "rồi")
    ("cot dien roi xuong duong", OT),
    ("an com roi di ngu", None),
])
def test_a_bare_word_read_by_its_neighbours(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


def test_a_toned_keyword_keeps_its_meaning() -> None:
    # "chạy" typed with its tones is never "cháy", "cháy" never "chạy" or "chảy"
    assert keyword_category("cháy lênh láng") is F
    assert keyword_category("chạy lenh lang") is None
    assert keyword_category("máu cháy") is F


def test_every_bare_form_is_bare_and_its_readings_distinct() -> None:
    for key, readings in AMBIGUOUS.items():
        assert all(w.isascii() for w in key)
        assert len({r.toned for r in readings}) == len(readings) >= 2


def test_the_understanding_of_a_whole_message() -> None:
    assert understand("mau chay nhieu qua, be bi te cau thang").category is not F
