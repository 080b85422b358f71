"""Issue 20 in the conversation: the first message understood, typed places proposed back,
old districts disambiguated, the online lookup's answer fed back; nothing filed on a guess."""

from __future__ import annotations

import pytest

from sosbot.core.actions import (
    Action,
    LookUpPlace,
    OutgoingMessage,
    Reply,
    SubmitReport,
    message_from_dict,
    message_to_dict,
)
from sosbot.core.conversation import Settings
from sosbot.core.events import LocationReceived, PlaceCandidatesFound
from sosbot.core.model import Category, Location, LocationSource, PlaceOption, Stage
from sosbot.core.sanitize import fold
from tests.core.test_conversation import (
    SETTINGS,
    Dialogue,
    _base,
    buttons,
    pin,
    press,
    replies,
    text,
)

BEN_THANH = PlaceOption(ward_code="26743", ward_name="Phường Bến Thành",
                        ward_name_en="Ben Thanh Ward", lat=10.7725, lon=106.6980,
                        label="Chợ Bến Thành", how="gazetteer")
TAN_PHU = tuple(
    PlaceOption(ward_code=code, ward_name=f"Phường {name}", lat=10.79 + i / 100, lon=106.63,
                label=f"Phường {name} (Quận Tân Phú cũ)", how="district")
    for i, (code, name) in enumerate([("27007", "Tân Phú"), ("26989", "Tây Thạnh"),
                                      ("27004", "Tân Sơn Nhì"), ("27016", "Phú Thọ Hoà"),
                                      ("27013", "Phú Thạnh"), ("27025", "Hiệp Tân")]))
# ngã tư Hàng Xanh lies where two wards meet: one place, offered as both (its own first).
HANG_XANH = (
    PlaceOption(ward_code="26944", ward_name="Phường Gia Định", lat=10.8013, lon=106.7113,
                label="Ngã tư Hàng Xanh", how="gazetteer"),
    PlaceOption(ward_code="26956", ward_name="Phường Thạnh Mỹ Tây", lat=10.8011,
                lon=106.7117, label="Ngã tư Hàng Xanh", how="gazetteer"),
)
# Thành phố Thủ Đức (before 2025) became 12 wards: the largest old district's list.
THU_DUC = tuple(
    PlaceOption(ward_code=f"269{i:02d}", ward_name=f"Phường Thủ Đức {i}", lat=10.85 + i / 1000,
                lon=106.77, label=f"Phường Thủ Đức {i} (Thành phố Thủ Đức cũ)", how="district")
    for i in range(1, 13))
ONLINE_AU_CO = PlaceOption(ward_code="27007", ward_name="Phường Tân Phú", lat=10.7905,
                           lon=106.6390, label="Chợ Tân Phú, Âu Cơ", how="nominatim")


def read_place(value: str) -> tuple[str | None, tuple[PlaceOption, ...]]:
    """A stand-in for the offline gazetteer (geo is tested on its own)."""
    folded = fold(value)
    if "ben thanh" in folded:
        return "chợ Bến Thành", (BEN_THANH,)
    if "tan phu" in folded:
        return "Tân Phú", TAN_PHU
    if "hang xanh" in folded:
        return "ngã tư Hàng Xanh", HANG_XANH
    if "thu duc" in folded:
        return "Thủ Đức", THU_DUC
    return None, ()


OFFLINE = Settings(in_service_area=SETTINGS.in_service_area, read_place=read_place)
ONLINE = Settings(in_service_area=SETTINGS.in_service_area, read_place=read_place,
                  online_places=True)


def last_message(actions: list[Action]) -> OutgoingMessage:
    return [a.message for a in actions if isinstance(a, Reply)][-1]


def filed(actions: list[Action]) -> list[SubmitReport]:
    return [a for a in actions if isinstance(a, SubmitReport)]


def page_point(lat: float = 10.80, lon: float = 106.65) -> LocationReceived:
    return LocationReceived(location=Location(lat=lat, lon=lon, source=LocationSource.PAGE),
                            **_base())  # type: ignore[arg-type]


def test_category_understood_and_confirmed_in_one_tap() -> None:
    d = Dialogue(OFFLINE)
    actions = d.send(text("Có cháy nhà, cứu với!"))
    assert d.state.draft is not None
    assert d.state.draft.category is Category.FIRE and d.state.draft.category_guessed
    assert d.state.draft.description == "Có cháy nhà, cứu với!"
    said = replies(actions)
    assert "Cháy nổ" in said[0] and buttons(actions) == ["cat:ok", "cat:change"]
    assert last_message(actions).request == "location"  # the pin is asked at once
    d.send(press("cat:ok"))
    assert d.state.draft is not None and not d.state.draft.category_guessed
    assert d.state.draft.category is Category.FIRE


def test_category_changed() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("cuop giat o day nhanh len"))
    assert d.state.draft is not None and d.state.draft.category is Category.SECURITY
    actions = d.send(press("cat:change"))
    assert d.state.stage is Stage.CATEGORY
    assert "cat:traffic" in buttons(actions)
    d.send(press("cat:traffic"))
    assert d.state.draft is not None and d.state.draft.category is Category.TRAFFIC
    assert not d.state.draft.category_guessed and d.state.stage is Stage.LOCATION


def test_one_sentence_and_a_pin_reach_the_summary_in_two_taps() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("tai nan xe may nguoi nam duong"))
    d.send(pin())
    taps = 0
    for value in ("skip",):
        d.send(press(value))
        taps += 1
    assert d.state.stage is Stage.CONFIRM and taps == 1
    # The category read from the words can still be changed on the summary itself.
    actions = d.send(press("submit"))
    assert len(filed(actions)) == 1 and filed(actions)[0].draft.category is Category.TRAFFIC


def test_place_named_is_proposed_and_accepted() -> None:
    d = Dialogue(OFFLINE)
    actions = d.send(text("bi giat dt o cho ben thanh"))
    message = last_message(actions)
    assert d.state.stage is Stage.PLACE
    assert "Có phải ở đây không?" in message.text and "Chợ Bến Thành" in message.text
    assert "Phường Bến Thành" in message.text and "An ninh" in message.text
    assert message.map_page  # the one-time location page is offered beside the taps
    assert buttons(actions) == ["place:1", "place:retype", "cat:change"]
    assert d.state.draft is not None and d.state.draft.location is None
    d.send(press("place:1"))
    draft = d.state.draft
    assert draft is not None and draft.location is not None
    assert (draft.location.lat, draft.location.lon) == (BEN_THANH.lat, BEN_THANH.lon)
    assert draft.location.source is LocationSource.ADDRESS
    assert draft.address_text == "chợ Bến Thành"
    assert d.state.stage is Stage.MEDIA  # the sentence is the description already
    d.send(press("skip"))
    assert d.state.stage is Stage.CONFIRM
    assert len(filed(d.send(press("submit")))) == 1


def test_place_proposed_then_map() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("chay o cho ben thanh"))
    assert d.state.stage is Stage.PLACE
    d.send(page_point())
    draft = d.state.draft
    assert draft is not None and draft.location is not None
    assert draft.location.source is LocationSource.PAGE and draft.place_options == ()


def test_place_proposed_then_retyped() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("chay o cho ben thanh"))
    actions = d.send(press("place:retype"))
    assert d.state.stage is Stage.LOCATION
    assert d.state.draft is not None and d.state.draft.place_options == ()
    assert last_message(actions).request == "location"
    actions = d.send(text("Q.Tân Phú"))
    assert d.state.stage is Stage.PLACE and len(d.state.draft.place_options) == 6


def test_district_gives_candidate_buttons_then_pick() -> None:
    d = Dialogue(OFFLINE)
    actions = d.send(text("Có cháy ở chợ Tân Phú, cứu với!"))
    message = last_message(actions)
    assert d.state.stage is Stage.PLACE and "nhiều phường" in message.text
    values = buttons(actions)
    assert values[:6] == [f"place:{i}" for i in range(1, 7)]
    assert "place:retype" in values and message.map_page
    assert [c.label for row in message.choices for c in row][1] == "Phường Tây Thạnh"
    d.send(press("place:2"))
    draft = d.state.draft
    assert draft is not None and draft.location is not None
    assert draft.location.lat == TAN_PHU[1].lat and draft.location.label == "Phường Tây Thạnh"


def test_every_ward_of_the_largest_old_district_can_be_picked() -> None:
    """"quận Thủ Đức" names 12 of today's wards: all 12 are offered (a list cut at 8 left
    the last four reachable only through the map), and the twelfth can be tapped or typed."""
    d = Dialogue(OFFLINE)
    actions = d.send(text("cướp giật ở Thủ Đức"))
    values = buttons(actions)
    assert values[:12] == [f"place:{i}" for i in range(1, 13)]
    d.send(text("12"))
    draft = d.state.draft
    assert draft is not None and draft.location is not None
    assert draft.location.lat == THU_DUC[11].lat


def test_a_place_on_a_ward_border_offers_its_wards_not_a_guess() -> None:
    d = Dialogue(ONLINE)
    actions = d.send(text("tai nan o nga tu hang xanh, nguoi nam duong"))
    message = last_message(actions)
    assert d.state.stage is Stage.PLACE
    assert "Có phải ở đây không?" not in message.text
    assert "«ngã tư Hàng Xanh» nằm giáp ranh nhiều phường/xã" in message.text
    labels = [c.label for row in message.choices for c in row]
    assert labels[:2] == ["Phường Gia Định", "Phường Thạnh Mỹ Tây"]
    assert buttons(actions)[:3] == ["place:1", "place:2", "place:retype"]
    assert message.map_page
    # The place is known offline: the wards are the answer, no online lookup is queued.
    assert not [a for a in actions if isinstance(a, LookUpPlace)]
    assert d.state.draft is not None and d.state.draft.place_lookup is None
    d.send(press("place:2"))
    draft = d.state.draft
    assert draft is not None and draft.location is not None
    assert (draft.location.lat, draft.location.lon) == (HANG_XANH[1].lat, HANG_XANH[1].lon)
    assert draft.location.label == "Ngã tư Hàng Xanh"
    assert draft.address_text == "ngã tư Hàng Xanh"


def test_typed_number_picks_a_candidate() -> None:
    # Zalo prints the candidates as numbered lines: "3" picks the third.
    d = Dialogue(OFFLINE)
    d.send(text("đánh nhau ở Q.Tân Phú"))
    d.send(text("3"))
    draft = d.state.draft
    assert draft is not None and draft.location is not None
    assert draft.location.lat == TAN_PHU[2].lat


def test_geocoder_unset_and_nothing_found_offers_pin_map_and_keep() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("chay nha"))
    actions = d.send(text("hẻm 99 đường Không Tên"))
    assert not [a for a in actions if isinstance(a, LookUpPlace)]
    message = last_message(actions)
    assert "Chưa tìm thấy" in message.text and message.map_page
    assert buttons(actions) == ["place:retype", "place:keep"]
    assert d.state.draft is not None and d.state.draft.address_text is None
    d.send(press("place:keep"))
    assert d.state.draft is not None and d.state.draft.address_text == "hẻm 99 đường Không Tên"


def test_online_lookup_answer_is_proposed() -> None:
    d = Dialogue(ONLINE)
    d.send(text("chay nha"))
    actions = d.send(text("chợ Âu Cơ số 300"))
    assert [a.query for a in actions if isinstance(a, LookUpPlace)] == ["chợ Âu Cơ số 300"]
    assert "Đang tìm" in last_message(actions).text
    assert last_message(actions).request == "location"  # a pin is welcome meanwhile
    actions = d.send(PlaceCandidatesFound(query="chợ Âu Cơ số 300", options=(ONLINE_AU_CO,),
                                          online=True))
    assert "Có phải ở đây không?" in last_message(actions).text
    d.send(press("place:1"))
    assert d.state.draft is not None and d.state.draft.location is not None


def test_geocoder_down_falls_back_to_pin_or_map() -> None:
    d = Dialogue(ONLINE)
    d.send(text("chay nha"))
    d.send(text("chợ Âu Cơ số 300"))
    actions = d.send(PlaceCandidatesFound(query="chợ Âu Cơ số 300", options=(), online=False))
    message = last_message(actions)
    assert "Chưa tìm thấy" in message.text and message.map_page
    d.send(pin())
    assert d.state.draft is not None and d.state.draft.location is not None


def test_district_looked_up_online_and_better_answer_proposed() -> None:
    d = Dialogue(ONLINE)
    actions = d.send(text("cháy ở chợ Tân Phú"))
    # Looked up online with the resident's own words, not only the district's name.
    assert [a.query for a in actions if isinstance(a, LookUpPlace)] == ["chợ Tân Phú"]
    assert d.state.stage is Stage.PLACE  # the old district's wards are shown meanwhile
    actions = d.send(PlaceCandidatesFound(query="chợ Tân Phú", options=(ONLINE_AU_CO, *TAN_PHU),
                                          online=True))
    assert "Đã tìm thấy trên bản đồ" in last_message(actions).text
    assert d.state.draft is not None and d.state.draft.place_options[0] == ONLINE_AU_CO


def test_late_lookup_answer_after_a_pin_is_ignored() -> None:
    d = Dialogue(ONLINE)
    d.send(text("chay nha"))
    d.send(text("chợ Âu Cơ số 300"))
    d.send(pin())
    stage = d.state.stage
    actions = d.send(PlaceCandidatesFound(query="chợ Âu Cơ số 300", options=(ONLINE_AU_CO,),
                                          online=True))
    assert actions == [] and d.state.stage is stage


@pytest.mark.parametrize("attempt", ["submit", "gửi", "ok", "1"])
def test_nothing_filed_without_confirmation(attempt: str) -> None:
    """Before the resident chose a place, no way of saying "send" files the report (a
    typed "1" picks the first proposal, and still does not file)."""
    d = Dialogue(OFFLINE)
    d.send(text("Có cháy ở chợ Tân Phú, cứu với!"))
    actions = d.send(press(attempt) if attempt == "submit" else text(attempt))
    assert filed(actions) == []
    d2 = Dialogue(OFFLINE)
    d2.send(text("cướp giật"))  # category guessed, no place at all
    assert filed(d2.send(press("submit"))) == []
    assert filed(d2.send(text("gửi"))) == []


def test_old_button_after_the_place_is_settled_changes_nothing() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("chay o cho ben thanh"))
    d.send(press("place:1"))
    before = d.state.draft
    d.send(press("place:retype"))
    assert d.state.draft == before


def test_summary_offers_change_while_category_is_a_guess() -> None:
    d = Dialogue(OFFLINE)
    d.send(text("chay o cho ben thanh"))
    d.send(press("place:1"))
    actions = d.send(press("skip"))
    assert buttons(actions) == ["submit", "cancel", "cat:change"]


def test_map_page_survives_the_outbox() -> None:
    message = OutgoingMessage(text="x", map_page=True)
    assert message_from_dict(message_to_dict(message)).map_page
    assert "map_page" not in message_to_dict(OutgoingMessage(text="x"))
