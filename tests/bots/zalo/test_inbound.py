"""Fixture-driven tests of the Zalo parser: one documented payload, one line each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sosbot.bots.zalo import inbound
from sosbot.core.errors import PayloadError
from sosbot.core.events import (
    CommandReceived,
    ContactShared,
    Ignored,
    LocationReceived,
    MediaReceived,
    MembershipChanged,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import Channel, ChatKind, MediaKind
from tests.bots.fixture_book import FixtureBook

FIXTURES = Path(inbound.__file__).parent / "fixtures"
USER = "2468458835296117922"
GROUP = "f414c8f76fa586fbdfb4"


BOOK = FixtureBook(FIXTURES, lambda data: inbound.parse(
    json.dumps(data, ensure_ascii=False).encode()))
load, events_of, check = BOOK.load, BOOK.events_of, BOOK.check


def test_text() -> None:
    check("user_send_text", TextReceived,
          text="Có hai thanh niên giật túi xách trước chợ Bến Thành",
          chat__channel=Channel.ZALO, chat__chat_id=USER, chat__kind=ChatKind.PRIVATE,
          event_id="96d3cdf3af150460909", message_id="96d3cdf3af150460909",
          sender__user_id=USER)


def test_command_name_is_lower_cased() -> None:
    check("user_send_text_command", CommandReceived, name="lang", args="en")


def test_location_from_strings() -> None:
    check("user_send_location", LocationReceived, location__lat=10.7726413,
          location__lon=106.6980327, location__accuracy_m=None, is_update=False)


def test_image_with_caption() -> None:
    check("user_send_image", MediaReceived, media__kind=MediaKind.PHOTO,
          media__file_id="https://photo-stal-14.zdn.vn/1f2d9d6c13e4f2b0a5c1/full.jpg",
          caption="Khói bốc lên từ tầng 2", album_id=None, event_id="b7c1d0e2f3a4b5c6d7e8")


def test_several_images_make_one_event_each_sharing_an_album() -> None:
    events = events_of("user_send_image_several")
    assert [type(e) for e in events] == [MediaReceived] * 3
    assert {e.album_id for e in events if isinstance(e, MediaReceived)} == \
        {"c8d2e1f3a4b5c6d7e8f9"}
    assert len({e.event_id for e in events}) == 3


def test_video() -> None:
    check("user_send_video", MediaReceived, media__kind=MediaKind.VIDEO,
          media__file_id="https://video.zdn.vn/v/1a2b3c4d5e.mp4")


def test_file_keeps_name_and_size() -> None:
    check("user_send_file", MediaReceived, media__kind=MediaKind.DOCUMENT,
          media__file_name="bien-ban-hien-truong.pdf", media__size=2411200)


def test_link_is_kept_as_text() -> None:
    check("user_send_link", TextReceived, text="https://maps.app.goo.gl/3yX8bQ2kZpR7aVwT9")


def test_own_business_card() -> None:
    check("user_send_business_card", ContactShared, phone="0901234567", own=True)


def test_someone_elses_business_card() -> None:
    check("user_send_business_card_other", ContactShared, phone="0912345678", own=False)


def test_sticker_is_unsupported() -> None:
    check("user_send_sticker", UnsupportedReceived, kind="sticker")


def test_gif_is_unsupported() -> None:
    check("user_send_gif", UnsupportedReceived, kind="gif")


def test_audio_is_unsupported() -> None:
    check("user_send_audio", UnsupportedReceived, kind="audio")


def test_follow_greets_like_start() -> None:
    check("follow", CommandReceived, name="start", chat__chat_id=USER,
          event_id=f"follow:{USER}:1763820012000", message_id=None)


def test_unfollow_is_ignored() -> None:
    check("unfollow", Ignored, chat__chat_id=USER)


def test_delivery_receipt_is_ignored_in_the_users_chat() -> None:
    check("user_received_message", Ignored, chat__chat_id=USER)


def test_read_receipt_is_ignored() -> None:
    check("user_seen_message", Ignored, reason="read receipt")


def test_group_command() -> None:
    check("user_send_group_text", CommandReceived, name="ack", args="SOS-260001",
          chat__chat_id=GROUP, chat__kind=ChatKind.GROUP, sender__user_id="8512368825402197413")


def test_group_text() -> None:
    check("user_send_group_text_plain", TextReceived, chat__kind=ChatKind.GROUP,
          text="Tổ tuần tra 2 đang đến hiện trường")


def test_group_location() -> None:
    check("user_send_group_location", LocationReceived, chat__chat_id=GROUP,
          location__lat=10.7769)


def test_group_image() -> None:
    check("user_send_group_image", MediaReceived, chat__kind=ChatKind.GROUP,
          media__kind=MediaKind.PHOTO)


def test_group_video() -> None:
    check("user_send_group_video", MediaReceived, media__kind=MediaKind.VIDEO)


def test_group_file() -> None:
    check("user_send_group_file", MediaReceived, media__file_name="ke-hoach-tuan-tra.docx")


def test_group_link() -> None:
    check("user_send_group_link", TextReceived, text="https://camera.example.vn/hang-xanh")


def test_group_business_card_without_user_is_not_own() -> None:
    check("user_send_group_business_card", ContactShared, phone="02838123456", own=False)


def test_group_sticker() -> None:
    check("user_send_group_sticker", UnsupportedReceived, kind="sticker")


def test_group_gif() -> None:
    check("user_send_group_gif", UnsupportedReceived, kind="gif")


def test_group_audio() -> None:
    check("user_send_group_audio", UnsupportedReceived, kind="audio",
          chat__kind=ChatKind.GROUP)


def test_group_created_with_the_oa() -> None:
    check("create_group", MembershipChanged, joined=True, chat__chat_id=GROUP,
          chat__kind=ChatKind.GROUP, status="create_group")


def test_group_dispersed() -> None:
    check("disperse_group", MembershipChanged, joined=False, chat__chat_id=GROUP)


def test_group_deleted_is_the_same_as_dispersed() -> None:
    # Sources name the dissolved group delete_group too (fixtures/SOURCES.md).
    check("delete_group", MembershipChanged, joined=False, chat__chat_id=GROUP,
          chat__kind=ChatKind.GROUP, status="delete_group")


@pytest.mark.parametrize("fixture", [
    "user_join_group", "user_out_group", "user_request_join_group",
    "react_request_join_group", "accept_request_join_group", "reject_request_join_group",
    "add_group_admin",
    "remove_group_admin", "update_group_info",
])
def test_member_changes_are_ignored(fixture: str) -> None:
    check(fixture, Ignored, chat__chat_id=GROUP, chat__kind=ChatKind.GROUP)


def _location_body(latitude: Any, longitude: Any) -> bytes:
    body = load("user_send_location")
    body["message"]["attachments"][0]["payload"]["coordinates"] = {
        "latitude": latitude, "longitude": longitude}
    return json.dumps(body).encode()


def test_location_as_numbers() -> None:
    (event,) = inbound.parse(_location_body(10.77, 106.7))
    assert isinstance(event, LocationReceived) and event.location.lon == 106.7


def test_out_of_range_location_is_kept_for_the_conversation_to_refuse() -> None:
    (event,) = inbound.parse(_location_body("95.5", "200"))
    assert isinstance(event, LocationReceived) and not event.location.in_range


@pytest.mark.parametrize("latitude", ["abc", "", None, True, "nan", "inf", [1]])
def test_non_numeric_location_is_a_payload_error(latitude: Any) -> None:
    with pytest.raises(PayloadError):
        inbound.parse(_location_body(latitude, "106.7"))


@pytest.mark.parametrize("body", [
    b"not json", b"\xff\xfe", b"[]", b"{}", b'{"event_name": 5}',
    b'{"event_name": "user_send_text", "sender": {"id": "1"}, "message": {"text": "a"}}',
    b'{"event_name": "user_send_text", "timestamp": "1", "message": {"text": "a"}}',
    b'{"event_name": "user_send_text", "timestamp": "x1", "sender": {"id": "1"},'
    b' "message": {"text": "a"}}',
    b'{"event_name": "user_send_text", "timestamp": "1", "sender": {"id": "1"},'
    b' "message": {"text": 7}}',
    b'{"event_name": "user_send_image", "timestamp": "1", "sender": {"id": "1"},'
    b' "message": {"attachments": []}}',
    b'{"event_name": "user_send_image", "timestamp": "1", "sender": {"id": "1"},'
    b' "message": {"attachments": [{"payload": {"url": "ftp://x"}}]}}',
    b'{"event_name": "user_send_text", "timestamp": "1", "sender": {"id": {"a": 1}},'
    b' "message": {"text": "a"}}',
])
def test_unparseable_bodies_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        inbound.parse(body)


def test_unknown_event_parses_to_nothing() -> None:
    body = {"app_id": "1", "event_name": "shop_has_order", "timestamp": "1", "oa_id": "2"}
    assert inbound.parse(json.dumps(body).encode()) == []


def test_event_without_msg_id_is_keyed_on_name_user_and_time() -> None:
    body = {"app_id": "1", "event_name": "user_send_text", "timestamp": "1763820000000",
            "sender": {"id": "42"}, "message": {"text": "alo"}}
    (event,) = inbound.parse(json.dumps(body).encode())
    assert event.event_id == "user_send_text:42:1763820000000" and event.message_id is None


def test_every_fixture_is_used_and_every_event_has_a_fixture() -> None:
    """Meta-test: every fixture on disk is named by a test of this module; every supported
    kind is in a fixture. It reads the source, so it holds run alone or in any order."""
    on_disk = BOOK.on_disk()
    assert BOOK.unnamed(Path(__file__)) == set(), "fixtures without a test"
    covered = {json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
               ["event_name"] for name in on_disk}
    assert set(inbound.EVENT_KINDS) - covered == set(), "supported events without a fixture"
