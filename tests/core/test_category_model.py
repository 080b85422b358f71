"""The statistical category reading (core.category_model) and where the reader uses it."""

from __future__ import annotations

import pytest

from bench import train_category
from sosbot.core import category_model, understanding
from sosbot.core.category_model import EVERYDAY, MODEL_FILE, CategoryModel, features, model
from sosbot.core.model import Category
from sosbot.core.sanitize import fold
from sosbot.core.understanding import keyword_category, understand

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


def _training_texts() -> set[str]:
    return {fold(text) for s in train_category.load_sets() for text, _ in s}


def test_the_model_ships_in_the_package() -> None:
    assert MODEL_FILE.parent.name == "core" and MODEL_FILE.name == "category_model.json"
    shipped = model()
    assert shipped.labels == train_category.CLASSES
    assert 0.5 <= shipped.threshold < 1


def test_the_shipped_model_is_what_the_training_writes() -> None:
    """A stale model fails: retrain (``python -m bench.train_category``) after changing the
    labelled data, the everyday sentences, the features or the training."""
    assert train_category.dumps(train_category.train()) == MODEL_FILE.read_text(
        encoding="utf-8")


def test_the_current_held_out_set_is_not_trained_on() -> None:
    assert all(f"heldout{n}." not in name for name in train_category.TRAINING_SETS
               for n in (12, 13, 14, 15, 16, 17, 18, 19, 20))


def test_features_fold_the_text() -> None:
    assert features("Cháy nhà!") == features("chay nha")
    assert "b chay nha" in features("chay nha")
    assert "c <ch" in features("chay") and "c hay>" in features("chay")
    assert features("xe 50cc") == features("xe 125cc")  # digits are one shape


def test_reading_is_deterministic() -> None:
    text = "nuoc lu cuon troi may chiec xe may"
    again = CategoryModel.from_dict(__import__("json").loads(MODEL_FILE.read_text("utf-8")))
    assert model().read(text) == model().read(text) == again.read(text)
    assert sum(model().posterior(text).values()) == pytest.approx(1)


@pytest.mark.parametrize(("message", "category"), [
    ("thang kia cam dao rưot nguoi ta chay khap hem", S),
    ("someone grabbed my bag from a motorbike and rode off", S),
    ("xe bon lat tren cao toc, tai xe ket trong cabin", T),
    ("nuoc lu cuon troi nha cua, nguoi gia mac ket tren mai", OT),
])
def test_proposes_on_clear_unseen_sentences(message: str, category: Category) -> None:
    assert fold(message) not in _training_texts()
    assert category_model.propose(message) is category


@pytest.mark.parametrize("message", [
    "tui muốn nhảy múa", "chào bạn", "cảm ơn", "mai đi học sớm nha", "ok bot",
])
def test_stays_silent_on_everyday_sentences(message: str) -> None:
    assert fold(message) not in _training_texts()
    assert category_model.propose(message) is None
    assert understand(message).category is None


def test_below_the_threshold_nothing_is_proposed() -> None:
    data = {"classes": {"fire": 2, "traffic": 2, "security": 2, "other": 2, EVERYDAY: 2},
            "alpha": 1.0, "temperature": 1.0, "everyday_prior": 0.2,
            "counts": {"w lua": [9, 0, 0, 0, 0], "w chao": [0, 0, 0, 0, 9]}}
    sure = CategoryModel.from_dict({**data, "threshold": 0.3})
    unsure = CategoryModel.from_dict({**data, "threshold": 0.99})
    assert sure.propose("lua") is F
    assert unsure.propose("lua") is None
    assert sure.read("chao").label == EVERYDAY and sure.propose("chao") is None


class _SureItIsOther:
    threshold = 0.5

    def read(self, text: str) -> category_model.Proposal:
        return category_model.Proposal(OT.value, 1.0)

    def propose(self, text: str) -> Category | None:
        return OT


def test_the_model_reads_only_what_the_keywords_leave(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(understanding.category_model, "model", _SureItIsOther)
    assert understand("cháy nhà ở hẻm 5").category is F  # strong keywords decide
    assert understand("chào bạn").category is OT  # nothing from the keywords: the model
    # weak keywords (a bare "dao", weight 3) give way to a model sure of another category
    assert understand("bao ve dang cup cau dao").category is OT


@pytest.mark.parametrize("message", [
    "vo chay sang nha hang xom tron",  # ran to the neighbours'
    "ke cuop chay xe wave do",  # riding a Wave
    "thang nhoc chay len lau",
    "chay nhanh qua ko kip nhin",
])
def test_bare_chay_before_a_word_of_motion_is_running(message: str) -> None:
    assert keyword_category(message) is not F


@pytest.mark.parametrize("message", [
    "lua chay sang nha ben",  # a fire word near: the fire spreads
    "khoi bay mu mit, chay len tang 2 roi",
    "nha chay roi",
    "chay nha o hem 5",
])
def test_bare_chay_near_fire_words_is_fire(message: str) -> None:
    assert keyword_category(message) is F
