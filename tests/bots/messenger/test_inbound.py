"""Fixture-driven tests of the Messenger parser: one documented payload, one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sosbot.bots.messenger import inbound
from sosbot.bots.messenger.maplinks import coordinates_from_url
from sosbot.core.errors import PayloadError
from sosbot.core.events import (
    ButtonPressed,
    CommandReceived,
    Ignored,
    LocationReceived,
    MediaReceived,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import ChatKind, LocationSource, MediaKind
from tests.bots.fixture_book import FixtureBook

FIXTURES = Path(inbound.__file__).parent / "fixtures"
LAN = "6234567890123456"


BOOK = FixtureBook(FIXTURES, lambda data: inbound.parse(json.dumps(data).encode()))
load, events_of, check = BOOK.load, BOOK.events_of, BOOK.check


def test_text() -> None:
    check("text", TextReceived, text="Có hai thanh niên giật túi xách trước chợ",
          chat__chat_id=LAN, chat__kind=ChatKind.PRIVATE, sender__user_id=LAN,
          event_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_text01",
          message_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_text01")


def test_command() -> None:
    check("command_start", CommandReceived, name="start", args="")


def test_reply_keeps_the_replied_message() -> None:
    check("reply", TextReceived, reply_to_message_id="m_page_question_0007")


def test_quick_reply_is_a_button_with_its_payload() -> None:
    check("quick_reply", ButtonPressed, data="cat:fire", callback_id=None,
          event_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_qr001")


def test_postback_is_a_button() -> None:
    check("postback", ButtonPressed, data="GET_STARTED",
          event_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_pb001")


def test_image_is_a_photo_fetched_by_url() -> None:
    event = check("image", MediaReceived, media__kind=MediaKind.PHOTO, caption="")
    assert isinstance(event, MediaReceived)
    assert event.media.file_id.startswith("https://scontent.xx.fbcdn.net/")


def test_two_images_are_two_events_with_distinct_ids() -> None:
    events = events_of("images_two")
    assert [type(e) for e in events] == [MediaReceived, MediaReceived]
    assert [e.event_id for e in events] == ["m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_img02",
                                           "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_img02#1"]


def test_video() -> None:
    check("video", MediaReceived, media__kind=MediaKind.VIDEO)


def test_file_is_a_document_named_from_its_url() -> None:
    check("file", MediaReceived, media__kind=MediaKind.DOCUMENT,
          media__file_name="Bien ban hien truong.pdf")


def test_audio_is_unsupported() -> None:
    check("audio", UnsupportedReceived, kind="audio")


def test_sticker_alone() -> None:
    check("sticker", UnsupportedReceived, kind="sticker")


def test_transitional_sticker_in_two_forms_is_one_sticker() -> None:
    check("sticker_transitional", UnsupportedReceived, kind="sticker")


def test_map_link_becomes_a_pin_with_the_place_name() -> None:
    check("fallback_map_link", LocationReceived, location__lat=10.772461,
          location__lon=106.698055, location__source=LocationSource.PIN,
          location__label="Chợ Bến Thành · Lê Lợi, Phường Bến Thành")


def test_other_link_is_text() -> None:
    check("fallback_link", TextReceived,
          text="Xem tin này: https://vnexpress.net/chay-nha-tro-o-quan-8-4812345.html")


def test_legacy_location_attachment() -> None:
    check("location_legacy", LocationReceived, location__lat=10.776889,
          location__lon=106.700806, location__accuracy_m=None)


def test_echo_is_ignored_in_the_residents_chat() -> None:
    check("echo", Ignored, reason="echo", chat__chat_id=LAN, sender=None)


def test_delivery_is_ignored() -> None:
    check("delivery", Ignored, reason="delivery receipt")


def test_read_is_ignored() -> None:
    check("read", Ignored, reason="read receipt")


def test_field_value_notation_with_a_user_ref() -> None:
    check("postback_field_value", ButtonPressed, data="new", chat__chat_id="USER-REF-6f1d2c",
          event_id="m_postback_field_value_1")


def test_an_unreadable_event_does_not_sink_the_batch() -> None:
    good = {"sender": {"id": LAN}, "recipient": {"id": "1"}, "timestamp": 5,
            "message": {"mid": "m_ok", "text": "Cháy"}}
    bad = {"sender": {}, "recipient": {"id": "1"}, "message": {"mid": "m_bad"}}
    body = {"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [bad]},
                                        {"id": "1", "time": 1, "messaging": [good]}]}
    assert [e.event_id for e in inbound.parse(json.dumps(body).encode())] == ["m_ok"]


def test_batch_of_three_from_two_senders_keeps_order() -> None:
    events = events_of("batch_two_senders")
    assert [(type(e), e.chat.chat_id) for e in events] == [
        (TextReceived, LAN), (ButtonPressed, "7345678901234567"), (MediaReceived, LAN)]
    assert inbound.batch_time_ms(json.dumps(load("batch_two_senders")).encode()) \
        == 1763820000623


@pytest.mark.parametrize(("url", "point"), [
    ("https://www.google.com/maps/@10.7769,106.7009,15z", (10.7769, 106.7009)),
    ("https://maps.google.com/?q=10.7769,106.7009", (10.7769, 106.7009)),
    ("https://maps.google.com/maps?q=loc:10.7769%2C106.7009", (10.7769, 106.7009)),
    ("https://www.google.com/maps/search/?api=1&query=10.7769,106.7009", (10.7769, 106.7009)),
    ("https://maps.apple.com/?ll=10.7769,106.7009&q=Pin", (10.7769, 106.7009)),
    ("https://www.openstreetmap.org/?mlat=10.7769&mlon=106.7009#map=17/10.7/106.6",
     (10.7769, 106.7009)),
    ("https://www.openstreetmap.org/#map=17/10.7769/106.7009", (10.7769, 106.7009)),
    ("geo:10.7769,106.7009?z=17", (10.7769, 106.7009)),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fmaps.google.com%2F%3Fq%3D10.5%2C106.5&h=x",
     (10.5, 106.5)),
    ("https://maps.app.goo.gl/AbCdEf123", None),
    ("https://maps.google.com/?q=95.0,106.7", None),
    ("https://example.com/@abc", None),
])
def test_map_link_coordinates(url: str, point: tuple[float, float] | None) -> None:
    assert coordinates_from_url(url) == point


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"\xff\xfe", b'{"object": "instagram", "entry": []}',
    b'{"object": "page"}', b'{"object": "page", "entry": [{"messaging": []}]}',
    b'{"object": "page", "entry": [{"id": "1", "messaging": [{"sender": {}}]}]}',
    b'{"object": "page", "entry": [{"id": "1", "messaging": [{"sender": {"id": "2"}, '
    b'"recipient": {"id": "1"}, "message": {"attachments": "x"}}]}]}',
])
def test_unparseable_bodies_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        inbound.parse(body)


def test_unknown_event_kind_is_ignored() -> None:
    body = {"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [
        {"sender": {"id": LAN}, "recipient": {"id": "1"}, "timestamp": 5,
         "reaction": {"mid": "m_1", "action": "react", "emoji": "❤"}}]}]}
    [event] = inbound.parse(json.dumps(body).encode())
    assert isinstance(event, Ignored) and event.reason == "unsupported event: reaction"
    assert event.event_id == f"{LAN}:5"


def test_every_fixture_is_used_and_every_kind_has_a_fixture() -> None:
    """Meta-test: every fixture on disk is named by a test of this module; every supported
    kind is in a fixture. It reads the source, so it holds run alone or in any order."""
    on_disk = BOOK.on_disk()
    assert BOOK.unnamed(Path(__file__)) == set(), "fixtures without a test"
    covered: set[str] = set()
    for name in on_disk:
        data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        for entry in data["entry"]:
            items = entry.get("messaging", []) + [c["value"] for c in entry.get("changes", [])]
            for item in items:
                covered.update(item)
                for attachment in item.get("message", {}).get("attachments", []):
                    covered.add(attachment["type"])
    kinds = set(inbound.EVENT_KINDS) | set(inbound.ATTACHMENT_KINDS)
    assert kinds - covered == set(), "supported kinds without a fixture"
