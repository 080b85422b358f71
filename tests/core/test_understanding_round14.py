"""Round fourteen of issue 20: a bare "chay" before "lùi", "hướng", "toán loạn" runs; a
blade's "đâm" beside a robbery is a stabbing; "bị tống tiền" is not "bị tông"; a neighbour
who beats someone; crackling ("nổ lốp bốp") is no tyre; a vehicle that runs over a leg
("cán lên"); a ferry typed bare adrift; a body hurt beside a vehicle is the crash's, not
one inside it. The incidents fail on the code before the change (5671164); the guards
(someone taken ill in or on a vehicle, "pha" in its everyday sense) pass on both."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("xe ben chay lui ko nhin, can trung ong ban ve so", T),  # reversing
    ("trom xe may roi chay huong ve cu chi", S),  # heading for
    ("con trau xong chuong chay toan loan, huc nga 1 nguoi", OT),  # scattering, no fire
    ("bi 2 thang cuop xe, dam vao bung", S),  # the robbers' blade, not a crash
    ("tai xe grab bi khach cuop xe, dam 2 nhat", S),
    ("shop em bi tong tien qua zalo, doi 50tr", S),  # extortion, not a crash
    ("hang xom danh con suot, nghe be khoc", S),  # a neighbour beating his child
    ("quan net chay, may tinh no lop bop", F),  # crackling, not a tyre
    ("xe tai lui ra can len chan 1 ba ban rau", T),  # run over
    ("pha bi mat lai troi giua song", T),  # a ferry adrift
    ("chay xe may truot nga, nam bat tinh ben le", T),  # the rider hurt: the crash
    ("2 xe may dau nhau, 1 anh nam bat tinh", T),
])
def test_round_fourteen_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    ("phat hien 1 nguoi bat tinh trong xe hoi dau ven duong", OT),  # in it: no crash
    ("ong cu ngat xiu tren xe buyt, can cap cuu", OT),
    ("sang nao cung pha ca phe roi moi di lam", None),
])
def test_someone_taken_ill_in_a_vehicle_stays_other(message: str,
                                                   category: Category | None) -> None:
    assert keyword_category(message) is category
