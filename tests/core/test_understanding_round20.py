"""Round twenty of issue 20: a crash into a vehicle's tail ("đâm đuôi", "húc đuôi"); a
stroke ("bị tai biến"); an abandoned newborn ("sơ sinh bị bỏ"); a lost child ("trẻ lạc",
not the young who are optimistic); a basket boat overturned ("thuyền thúng"). Four of the
six readings fail on the code before the change (ae125b4; "húc đuôi" and the stroke below
were read by other words already); the guards pass on both; "giới trẻ lạc quan" was read
as a lost child before, typed with its diacritics."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("xe buyt dam duoi xe container tren cao toc", T),  # into a vehicle's tail
    ("oto húc đuôi xe tải ở trạm thu phí", T),
    ("me toi bi tai bien, nua nguoi ko cu dong duoc", OT),  # a stroke
    ("co tre so sinh bi bo truoc cong chua", OT),  # an abandoned newborn
    ("tre lac truoc cong sieu thi, khoc quá", OT),  # a lost child
    ("thuyen thung bi song danh up ngoai bai", T),  # a basket boat overturned
])
def test_round_twenty_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("xe tai tong duoi xe buyt", T),  # a tail crash already read
    ("be bi ca duoi dam vao chan", OT),  # a stingray's barb is no tail crash
    ("ghe chim tren song, 2 nguoi mat tich", T),  # a boat already named
])
def test_the_guards_of_round_twenty(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("text", [
    "gioi tre lac quan lam, khong lo dau",  # the young are optimistic, typed bare
    "giới trẻ lạc quan yêu đời",
    "mua cai thung nhua de dung do",  # a plastic box, no basket boat
])
def test_everyday_words_of_round_twenty_are_no_incident(text: str) -> None:
    assert guess_category(text) is None
