"""Reading a resident's words: the category and the place span (core.understanding)."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import understand

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category", "place"), [
    ("Có cháy ở chợ Tân Phú, cứu với!", F, "chợ Tân Phú"),
    ("co chay o cho tan phu cuu voi", F, "cho tan phu"),
    ("số 5 Nguyễn Huệ, quận 1 có đánh nhau", S, "số 5 Nguyễn Huệ, quận 1"),
    ("tai nan xe may o nga 4 hang xanh", T, "nga 4 hang xanh"),
    ("bi giat dt o cho ben thanh", S, "cho ben thanh"),
    ("cướp giật ở 25 Lê Duẩn, Sài Gòn", S, "25 Lê Duẩn, Sài Gòn"),
    ("fire near ben thanh market!!", F, "ben thanh market"),
    ("cây đổ chắn đường trên đ. Lê Lợi q1", OT, "đ. Lê Lợi q1"),
    ("Xe tải tông xe máy gần cầu Sài Gòn, người nằm đường", T, "cầu Sài Gòn"),
])
def test_category_and_place(message: str, category: Category, place: str) -> None:
    reading = understand(message)
    assert reading.category is category
    assert reading.place_text == place


@pytest.mark.parametrize(("message", "category"), [
    ("thằng nhóc chạy xe lạng lách", None),  # "chạy" is not "cháy"
    ("no dang danh nguoi", S),  # a bare "no" is "nó", not "nổ"
    ("ko co gi dau", None),
    ("xe may", None),  # a vehicle alone is no incident
    ("đang có tiếng nổ lớn", F),
    ("tai nạn rồi xe bốc cháy", F),  # two incidents: the fire leads
])
def test_category_reading(message: str, category: Category | None) -> None:
    assert understand(message).category is category


def test_no_place_named() -> None:
    assert understand("cứu với có người bị đánh").place_text is None
    assert understand("cho tôi báo cháy nhà").place_text is None  # "cho" the verb
