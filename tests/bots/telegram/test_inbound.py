"""Fixture-driven tests of the Telegram parser: one documented payload, one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sosbot.bots.telegram import inbound
from sosbot.core.errors import PayloadError
from sosbot.core.events import (
    ButtonPressed,
    ChatMigrated,
    CommandReceived,
    ContactShared,
    Ignored,
    LocationReceived,
    MediaReceived,
    MembershipChanged,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import ChatKind, LocationSource, MediaKind
from tests.bots.fixture_book import FixtureBook

FIXTURES = Path(inbound.__file__).parent / "fixtures"


BOOK = FixtureBook(FIXTURES, lambda data: [
    event for update in (data if isinstance(data, list) else [data])
    for event in inbound.parse(json.dumps(update).encode())])
load, events_of, check = BOOK.load, BOOK.events_of, BOOK.check


def test_text() -> None:
    check("text", TextReceived, text="Có hai thanh niên giật túi xách trước chợ",
          chat__chat_id="111222333", chat__kind=ChatKind.PRIVATE, event_id="900001",
          message_id="101", sender__display_name="Lan Nguyễn")


def test_command_start() -> None:
    check("command_start", CommandReceived, name="start", args="")


def test_location_keeps_accuracy() -> None:
    check("location", LocationReceived, location__lat=10.776889, location__accuracy_m=14.5,
          is_update=False, live_period_s=None)


def test_live_location() -> None:
    check("live_location", LocationReceived, live_period_s=900, message_id="104")


def test_live_location_edit_refines() -> None:
    check("live_location_edit", LocationReceived, is_update=True, message_id="104",
          location__lat=10.777012, location__accuracy_m=8.0)


def test_venue() -> None:
    check("venue", LocationReceived, location__source=LocationSource.VENUE,
          location__label="Chợ Bến Thành, Lê Lợi, Phường Bến Thành, Quận 1")


def test_photo_keeps_the_largest_size() -> None:
    check("photo_with_caption", MediaReceived, media__kind=MediaKind.PHOTO,
          media__file_id="AgACAgUAAxkBAAIBF2VxS-large", media__width=1280,
          caption="Khói bốc lên từ tầng 2", album_id=None)


def test_album_of_three_shares_one_album_id() -> None:
    events = events_of("album_of_three")
    assert [type(e) for e in events] == [MediaReceived] * 3
    assert {e.album_id for e in events if isinstance(e, MediaReceived)} == {"13612345678901234"}


def test_video() -> None:
    check("video", MediaReceived, media__kind=MediaKind.VIDEO, media__duration_s=14,
          media__claimed_mime="video/mp4", caption="Va chạm giữa xe tải và xe máy")


def test_animation_is_taken_as_video() -> None:
    check("animation", MediaReceived, media__kind=MediaKind.VIDEO)


def test_document() -> None:
    check("document", MediaReceived, media__kind=MediaKind.DOCUMENT,
          media__file_name="IMG_1201.HEIC", media__size=2411200)


def test_sticker_is_unsupported() -> None:
    check("sticker", UnsupportedReceived, kind="sticker")


def test_voice_is_unsupported() -> None:
    check("voice", UnsupportedReceived, kind="voice")


def test_own_contact() -> None:
    check("contact_own", ContactShared, phone="+84901234567", own=True)


def test_someone_elses_contact() -> None:
    check("contact_other", ContactShared, own=False)


def test_callback_query() -> None:
    check("callback_query", ButtonPressed, data="cat:fire", callback_id="4382bfdwdsb323b2d9",
          message_id="150")


def test_bot_added_to_group() -> None:
    check("my_chat_member", MembershipChanged, joined=True, chat__kind=ChatKind.GROUP,
          chat__chat_id="-1001234567890")


def test_bot_removed_from_group() -> None:
    check("my_chat_member_kicked", MembershipChanged, joined=False, status="kicked")


def test_group_migrated_to_supergroup() -> None:
    check("migrate_to_chat_id", ChatMigrated, new_chat_id="-1001234567890",
          chat__chat_id="-912345678")


def test_edited_text_is_ignored() -> None:
    check("edited_message", Ignored, reason="edited message")


def test_group_command() -> None:
    check("group_text", CommandReceived, name="ack", args="SOS-260001",
          chat__kind=ChatKind.GROUP)


def test_a_command_keeps_the_bot_it_is_addressed_to() -> None:
    update = load("group_text")
    update["message"]["text"] = "/ACK@Weather_Bot SOS-260001"
    [event] = inbound.parse_update(update)
    assert isinstance(event, CommandReceived)
    assert (event.name, event.addressee, event.args) == ("ack", "weather_bot", "SOS-260001")


@pytest.mark.parametrize(("text", "kept"), [
    ("/ack SOS-260001", True), ("/ack@sos_antt_bot SOS-260001", True),
    ("/ack@SOS_ANTT_Bot SOS-260001", True), ("/ack@weather_bot SOS-260001", False)])
def test_commands_for_another_bot_are_ignored_when_the_bot_knows_its_name(
        text: str, kept: bool) -> None:
    update = load("group_text")
    update["message"]["text"] = text
    events = inbound.parse_update(update)
    [event] = inbound.for_this_bot(events, "@sos_antt_bot")
    assert isinstance(event, CommandReceived if kept else Ignored)
    assert event.event_id == events[0].event_id and event.chat == events[0].chat
    # Without a configured name nothing changes (every command acted on, as before).
    assert inbound.for_this_bot(events, "") == events


def test_service_message_is_ignored() -> None:
    check("new_chat_members", Ignored)


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"message": {}}', b'{"update_id": "12"}', b'{"update_id": true}',
    b'{"update_id": 5, "message": {"message_id": 1}}', b"\xff\xfe",
    b'{"update_id": 5, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, '
    b'"type": "private"}, "location": {"latitude": "x", "longitude": 1}}}',
])
def test_unparseable_bodies_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        inbound.parse(body)


def test_unknown_update_kind_parses_to_nothing() -> None:
    body = {"update_id": 7, "inline_query": {"id": "1", "query": "cháy", "offset": "",
            "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
    assert inbound.parse(json.dumps(body).encode()) == []


def test_every_fixture_is_used_and_every_kind_has_a_fixture() -> None:
    """Meta-test: every fixture on disk is named by a test of this module; every supported
    kind is in a fixture. It reads the source, so it holds run alone or in any order."""
    on_disk = BOOK.on_disk()
    assert BOOK.unnamed(Path(__file__)) == set(), "fixtures without a test"
    covered: set[str] = set()
    for name in on_disk:
        data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        for update in data if isinstance(data, list) else [data]:
            for field, value in update.items():
                covered.add(field)
                if field in ("message", "edited_message"):
                    covered.update(value)
    kinds = set(inbound.UPDATE_KINDS) | set(inbound.MESSAGE_KINDS)
    assert kinds - covered == set(), "supported kinds without a fixture"


# -- real payloads, and content the client library would refuse ------------------------------
# nutgram_*: the update fixtures of the nutgram library (github.com/nutgram/nutgram,
# tests/Fixtures/Updates, MIT), copied as they are; see fixtures/SOURCES.md. The others are
# shapes Telegram sent that python-telegram-bot 22 refuses to build (a sticker from before
# Bot API 6.2, a poll without the fields of Bot API 9.6/10.0, an administrator without the
# story rights of Bot API 7): each must still be a 200 with the right outcome.

@pytest.mark.parametrize(("fixture", "kind"), [
    ("nutgram_sticker", "sticker"), ("nutgram_poll", "poll"), ("nutgram_dice", "dice"),
    ("nutgram_story", "story"), ("nutgram_giveaway", "giveaway"),
    ("nutgram_checklist", "checklist"), ("sticker_missing_type", "sticker"),
    ("future_content", "unknown"),
])
def test_content_we_do_not_take_is_unsupported_whatever_its_fields(fixture: str,
                                                                   kind: str) -> None:
    check(fixture, UnsupportedReceived, kind=kind)


def test_a_pinned_message_is_a_service_message() -> None:
    check("nutgram_pinned_message", Ignored, reason="service message: pinned_message")


def test_a_button_under_an_inaccessible_message_is_still_a_press() -> None:
    check("nutgram_callback_inaccessible", ButtonPressed, data="thedata",
          chat__chat_id="222222222", message_id="69587")


def test_ack_replying_to_a_poll_the_library_cannot_build() -> None:
    check("group_ack_replying_to_poll", CommandReceived, name="ack", args="",
          reply_to_message_id="330", chat__kind=ChatKind.GROUP)


def test_bot_made_administrator_with_an_older_list_of_rights() -> None:
    check("my_chat_member_admin_older_rights", MembershipChanged, joined=True,
          status="administrator")


def test_a_member_update_without_a_status_is_refused() -> None:
    body = load("my_chat_member")
    del body["my_chat_member"]["new_chat_member"]["status"]
    with pytest.raises(PayloadError):
        inbound.parse(json.dumps(body).encode())
