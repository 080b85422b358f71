"""Outbox rows as typed values: the kinds and JSON stored before the types were written
are the ones written and read now (no migration), and a row this code cannot read fails as
a PermanentSendError of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sosbot.core.actions import Choice, OutgoingMessage, message_to_dict
from sosbot.core.errors import PermanentSendError
from sosbot.core.outbox_rows import (
    Album,
    BadOutboxRow,
    ButtonAnswer,
    ButtonsCleared,
    Card,
    CardAlbum,
    CardEdit,
    DigestImages,
    MediaItem,
    MessageKind,
    Note,
    PhotosRow,
    RowKind,
    RowPayload,
    TextRow,
    read_row,
)

ASKED = OutgoingMessage(text="Bạn muốn báo sự việc gì?",
                        choices=((Choice("Cháy nổ", "cat:fire"),),), map_page=True)
PHOTO = MediaItem("photo", "ab" * 32)

# Each kind's payload as producers wrote it before it was typed (issue 21), and the
# dataclass that writes it now.
STORED: list[tuple[RowPayload, dict[str, Any]]] = [
    (TextRow(ASKED), message_to_dict(ASKED)),
    (TextRow.plain("Đã tiếp nhận", kind=MessageKind.STATUS),
     {**message_to_dict(OutgoingMessage(text="Đã tiếp nhận")), "kind": "status"}),
    (TextRow.plain("/ack", reply_to="77"),
     {**message_to_dict(OutgoingMessage(text="/ack")), "reply_to": "77"}),
    (TextRow(OutgoingMessage(text="• a"), kind=MessageKind.HELD_UPDATES, folded=(4, 5)),
     {**message_to_dict(OutgoingMessage(text="• a")), "kind": "held_updates",
      "folded": [4, 5]}),
    (ButtonAnswer("cb-1", "Đã ghi nhận"), {"callback_id": "cb-1", "text": "Đã ghi nhận"}),
    (ButtonAnswer("cb-2"), {"callback_id": "cb-2", "text": None}),
    (ButtonsCleared("42"), {"message_id": "42"}),
    (Card(), {}),
    (Card(batch=(3, 4)), {"batch": [3, 4]}),
    (CardEdit(), {}),
    (Note("Quá hạn 30 phút"), {"text": "Quá hạn 30 phút"}),
    (CardAlbum((1, 2)), {"media_ids": [1, 2]}),
    (CardAlbum((3,), under_delivery_id=9, caption="➕ SOS-260002"),
     {"media_ids": [3], "under_delivery_id": 9, "caption": "➕ SOS-260002"}),
    (PhotosRow((PHOTO,), caption="Bản tin", kind=MessageKind.BULLETIN),
     {"kind": "bulletin", "caption": "Bản tin",
      "items": [{"kind": "photo", "sha256": "ab" * 32}]}),
    (DigestImages(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
     {"since": "2026-03-01T00:00:00+00:00", "until": "2026-03-02T00:00:00+00:00"}),
]


def test_the_stored_kinds_did_not_change() -> None:
    assert {kind.value for kind in RowKind} == {
        "message", "answer_button", "clear_buttons", "card", "card_edit", "card_album",
        "note", "media_group", "digest_images"}


@pytest.mark.parametrize(("row", "stored"), STORED, ids=lambda v: type(v).__name__)
def test_each_payload_writes_the_json_stored_before_and_reads_it_back(
        row: RowPayload, stored: dict[str, Any]) -> None:
    assert row.to_json() == stored
    assert read_row(row.KIND.value, stored) == row


def test_delivery_bookkeeping_beside_a_payload_is_ignored() -> None:
    """``warmed``/``warm_tries`` (delivery.warming) live beside the producer's keys."""
    stored = {"since": "2026-03-01T00:00:00+00:00", "until": "2026-03-02T00:00:00+00:00",
              "warm_tries": 1, "warmed": {"items": []}}
    assert isinstance(read_row("digest_images", stored), DigestImages)


@pytest.mark.parametrize(("method", "payload", "why"), [
    ("teleport", {}, "unknown outbox row kind 'teleport'"),
    ("card_album", {"media_ids": ["💥"]}, "'media_ids' is not a list of ids"),
    ("card_album", {"media_ids": [True]}, "'media_ids' is not a list of ids"),
    ("note", {}, "'text' is not a text"),
    ("message", ["not", "an", "object"], "the payload is not an object"),
    ("message", {"text": "x", "kind": "advert"}, "unknown message kind 'advert'"),
    ("answer_button", {"text": "x"}, "'callback_id' is not a text"),
    ("media_group", {"caption": "x"}, "'items' is not a list"),
    ("media_group", {"items": [{"kind": "photo"}]}, "'sha256' is not a text"),
    ("digest_images", {"since": "yesterday"}, "not a period"),
])
def test_a_row_that_cannot_be_read_is_a_permanent_send_error(method: str, payload: Any,
                                                              why: str) -> None:
    with pytest.raises(BadOutboxRow, match=why) as refused:
        read_row(method, payload)
    assert isinstance(refused.value, PermanentSendError)


def test_an_album_kept_ahead_reads_back() -> None:
    album = Album((MediaItem("photo", "cd" * 32, "image/png", "/media/x.png"),),
                  caption="📊", reply_to="5")
    assert Album.from_json(album.to_json()) == album
