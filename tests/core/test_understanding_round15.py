"""Round fifteen of issue 20: lightning that strikes someone, a child turning blue, a scald,
a child abused ("xâm hại"); a door broken to escape a fire is no break-in; a vehicle that
brings down what it hits, drives straight into something, reverses into someone or drops
into a hole in the road; a vehicle whose load is named between it and what it did; a child
bundled into a vehicle; a branch as the South says it; a vehicle "đang chạy trên" a road
is on its way, not burning. The incidents fail on the code before the change (3852b53); the
guards pass on both."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import guess_category, keyword_category

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category"), [
    ("set danh trung 2 nguoi dang lam ruong", OT),  # lightning
    ("be nuot vien pin, moi tim tai", OT),  # turning blue
    ("chau bi nuoc soi tat vao tay, khoc thet", OT),  # a scald
    ("nghi co nguoi xam hai tre em trong xom", S),  # a child abused
    ("xe buyt boc chay, hanh khach dap cua kinh thoat ra", F),  # breaking out of a fire
    ("xe tai dam gay cot dien, day dien rot xuong duong", T),  # brings down what it hits
    ("xe ben dam thang vao quan nuoc ven duong", T),  # straight into
    ("xe ban tai lui trung em be dang choi trong hem", T),  # reversing into someone
    ("xe may lot ho ga mat nap, nguoi lai bi thuong", T),  # into a hole in the road
    ("xe dap sup o ga, ong cu te nhao", T),
    ("xe tai cho cat lat giua duong", T),  # the load between the vehicle and what it did
    ("xe ba banh cho hang lat", T),
    ("co ng la bat be gai keo len xe roi chay mat", S),  # bundled into a vehicle
    ("cay me gay nhanh, rot trung xe may dang do", OT),  # a branch
    ("may thang nem da vao xe buyt dang chay tren duong, vo kinh", S),  # on its way
])
def test_round_fifteen_readings(message: str, category: Category) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize(("message", "category"), [
    # a fire lightning lights outweighs the lightning
    ("set danh trung nha, mai nha boc chay ngun ngut", F),
    # a door broken with no fire is still a break-in
    ("trom dap cua kinh vao nha lay tien", S),
    ("xe may dang chay tren duong thi boc chay", F),  # burning on its way: a fire
    ("xe cho hang ve kho roi, mai giao tiep", None),  # a load, nothing happened
])
def test_the_guards_of_round_fifteen(message: str, category: Category | None) -> None:
    assert keyword_category(message) is category


@pytest.mark.parametrize("text", [
    "nước sôi rồi thì cho mì vào",
    "nuoc soi roi, pha tra di em",
    "đun nước sôi để nguội rồi uống",
])
def test_boiling_water_for_cooking_is_no_incident(text: str) -> None:
    assert guess_category(text) is None
