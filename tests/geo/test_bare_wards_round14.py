"""Round fourteen of issue 20: a 2025 ward's name written bare in the places round thirteen
left unread (:mod:`sosbot.geo.bare_wards`): after a ward's type word that is not the unit's
("p" before a commune, "xã" before a ward) where the ward geocoder refuses the name, after
"ngay" (right at), after a ferry or a lodging house, after a business and what it makes
("xưởng gỗ", "kho sơn"), after a road's number. They fail on the code before the change
(5671164); the canal and the everyday senses are guards."""

from __future__ import annotations

import pytest

from sosbot.geo.place_understanding import understand_place


@pytest.mark.parametrize(("message", "ward"), [
    ("nha em bi trom khoet vach, p phuoc thanh", "25864"),  # "p" before a commune
    ("co nguoi bi ngat trong be nuoc, p long hoa", "25792"),
    ("xe tai lat, hang do ra duong, xa tan thanh", "26725"),  # "xã" before a ward
    ("tiem tap hoa ngay hiep binh bi cuop", "26809"),  # "ngay": right at
    ("chay xuong go lai thieu, khoi bay mu mit", "25966"),  # a business and its goods
    ("kho son dong hung thuan no lon", "26791"),
    ("xe may roi xuong song tu pha binh khanh", "27667"),  # a ferry
    ("nha tro vuon lai co trom", "27190"),  # a lodging house
    ("tai nan tren tinh lo 15 nhuan duc, 2 nguoi bi thuong", "27511"),  # a road's number
])
def test_a_ward_named_bare_in_more_places_is_offered(message: str, ward: str) -> None:
    codes = [c.ward_code for c in understand_place(message)]
    assert codes and codes[0] == ward, codes


@pytest.mark.parametrize("message", [
    "co nguoi duoi nuoc o kenh nhieu loc",  # a canal passes many wards: not one
    "ong gia kho tho qua, ko di noi",  # "khó", not a warehouse
    "ngay mai toi di tan dinh mua do",  # "ngày mai", then a destination
    "xe may lao xuong song sai gon",  # "xuống", and the whole city
])
def test_the_words_in_their_other_senses_give_no_place(message: str) -> None:
    assert understand_place(message) == []
