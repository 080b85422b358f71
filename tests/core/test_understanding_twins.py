"""Round eight of issue 20: words a toneless fire word's twin makes (fleeing, leaving), a
boat word written with its tones, the passive beating, keywords re-read by their neighbours,
and the new words. Each reading has a sentence that would fail without it, and everyday
sentences that must stay silent."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import _tokens, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    # "chạy luôn", "chạy mất" after someone fleeing: flight, not "cháy luôn"
    ("thang do tong xe toi xong no chay luon ko dung lai", T),
    ("ong kia bo xe chay luon, nguoi bi tong nam giua duong", T),
    ("2 thang giat tui xach cua ba cu roi chay mat", S),
    # a vehicle or a house that "cháy luôn" still burns
    ("xe tong cot dien roi chay luon", F),
    ("nha no bi chay luon ca tang tret", F),
    ("lua chay sang nha ben", F),
    # "ra khỏi nhà" is leaving, "ra khói" is smoke
    ("ong cu lu lan ra khoi nha tu sang chua ve", OT),
    ("nha ben ra khoi den nghit", F),
    # an animal "chạy rông" is loose
    ("con trau chay rong ngoai duong", OT),
])
def test_a_toneless_fire_word_read_by_its_neighbours(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("chìm đò giữa sông, mấy người đang bơi vào bờ", T),
    ("phà mất lái trôi giữa sông", T),
    ("chiec pha chet may troi ra giua song", T),
    ("ghe lật, 3 người rơi xuống sông", T),
    ("thuyền bị lật, 2 người chết đuối", T),
    ("em bé rơi xuống sông trước nhà", OT),
])
def test_boats_written_as_residents_write_them(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("message", [
    "cái ly đó chìm xuống đáy hồ bơi",  # "đó", not "đò"
    "do chim bay qua nha",
    "pha ca phe cho ca nha",  # "pha", not "phà"
    "no chay luon mot mach ve nha",  # ran home: nothing happened
    "ra khoi nha di lam luc 7h",
    "đồ chơi chìm xuống đáy hồ",
])
def test_everyday_sentences_stay_silent(message: str) -> None:
    assert keyword_category(message) is None


@pytest.mark.parametrize(("message", "category"), [
    # a person, "bị", a person, the verb
    ("vo bi chong dap bam tim", S),
    ("be bi me danh bam mat", S),
    # racers who hit someone crashed; racing alone is traffic too since round nine (the
    # project's rule), racers who fight are security
    ("tụi đua xe tông trúng bà cụ bán rau", T),
    ("dua xe vua tong 1 ong gia", T),
    ("đua xe ồn ào cả đêm", T),
    ("tụi đua xe rồi chém nhau ngay vòng xoay", S),
    # "đâm nhau" with a blade is stabbing, without one a collision
    ("hai nhóm đâm nhau bằng dao phay", S),
    ("hai xe máy đâm nhau ở ngã tư", T),
    # an accident told to get money sent is a scam
    ("có người gọi nói chồng tôi bị tai nạn, đòi chuyển 30 triệu", S),
    ("chồng tôi bị tai nạn ở ngã tư", T),
    # oil on the water is a spill, on the road a slick
    ("dầu tràn trên sông, cá chết nổi", OT),
    ("dầu tràn ra đường, xe máy trượt ngã", T),
])
def test_keywords_read_by_their_neighbours(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("thang nho nha ben bi ban bat nat", S),
    ("bi hack facebook roi", S),
    ("my account was hacked", S),
    ("they told me to move my savings to a safe account", S),
    ("phát hiện camera quay lén trong nhà vệ sinh quán cà phê", S),
    ("co nguoi gan cam len trong phong tro", S),
    ("ai ve bay len tuong nha em", S),
    ("ong ngoai len con dau tim", OT),
    ("my father is having a heart attack", OT),
    ("tam bien bi song cuon", OT),
    ("xe khach 29 cho lat nghieng tren deo", T),
    ("gió lớn làm tốc mái tôn", OT),
    ("the storm ripped off the roof", OT),
    ("đứa nhỏ leo lên lan can tầng 5", OT),
    ("co ba bau sap sanh", OT),
    ("a truck hit a woman on a bike", T),
    ("xe may chay thang xuong ho ga", T),
    ("someone is scratching at our door lock", S),
])
def test_the_words_of_round_eight(message: str, category: Category) -> None:
    assert keyword_category(message) is category


def test_a_drain_is_not_gas() -> None:
    """"ho ga" is "hố ga" (a drain); "ga" elsewhere stays gas."""
    assert "gas" not in [w for w, _, _ in _tokens("xe lot xuong ho ga")]
    assert "gas" in [w for w, _, _ in _tokens("binh ga bi xi")]
