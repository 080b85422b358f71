"""Round eleven of issue 20: the keywords and the statistical model arbitrated. Where the
keywords' evidence is weak (one word of weight 3 or less) and the model is all but sure of
another category, the model's is proposed; strong keywords, and a model sure a message is
everyday, change nothing. Each reading has a sentence that fails without it."""

from __future__ import annotations

import pytest

from sosbot.core.category_model import CategoryModel, model
from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "weak", "category"), [
    # a guard cutting the circuit breaker ("cầu dao", a bare "dao" read as a knife) beside a
    # switchboard sparking with a burning smell (set 10)
    ("tu dien tong cua toa nha van phong xet lua, mui khet le, bao ve dang cup cau dao, "
     "p sai gon", S, F),
    # a smell of burning wiring, "sợ cháy quá" typed "so chay qua" (read "chạy qua")
    ("mui khet nhu dot day dien trong can ho ma tim ko ra, den chap chon, so chay qua", OT, F),
    ("mui khet nhu dot day dien, den chap chon, so chay qua", OT, F),
    # a child left locked in a car in the sun: no crash, two vehicle words
    ("be 3 tuoi bi bo quen trong oto khoa cua, troi nang, be khoc ko ngung, bai xe sieu thi "
     "p an phu", T, OT),
])
def test_a_sure_model_overrules_weak_keywords(message: str, weak: Category,
                                              category: Category) -> None:
    assert keyword_category(message) is weak
    reading = model().read(message)
    assert reading.category is category and reading.probability >= 0.99
    assert guess_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    # strong keywords stand whatever the model reads
    ("nha ben canh chay lon, khoi den mu mit", F),
    ("cúp cầu dao rồi mà ổ cắm vẫn xẹt lửa, mùi khét", F),
])
def test_strong_keywords_stand(
        message: str, category: Category) -> None:
    assert guess_category(message) is keyword_category(message) is category


def _sure_it_is_everyday() -> CategoryModel:
    """A model that reads every message as everyday at 0.999 (no feature known: its prior
    decides)."""
    classes = dict.fromkeys(("fire", "traffic", "security", "other", "none"), 1)
    return CategoryModel(classes, {}, 0.1, 10.0, 0.999, 0.9)


def test_a_model_sure_of_everyday_does_not_silence_weak_keywords() -> None:
    weak = "bao ve dang cup cau dao"  # a bare "dao": security, weight 3
    assert keyword_category(weak) is S
    assert _sure_it_is_everyday().read(weak).probability >= 0.99
    assert guess_category(weak, _sure_it_is_everyday()) is S
    assert guess_category("hom nay troi dep", _sure_it_is_everyday()) is None
