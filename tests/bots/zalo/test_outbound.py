"""ZaloOutbound against the Zalo emulator over real HTTP on loopback, and the emulator's
webhooks as our parser and signature check see them."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sosbot.bots.zalo import inbound
from sosbot.bots.zalo.outbound import (
    APP_RULE,
    LOCATION_HINT,
    ZaloOutbound,
    render_message,
    strip_mentions,
)
from sosbot.bots.zalo.security import signature_ok
from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.errors import (
    DeliveryWindowClosed,
    PermanentSendError,
    RateLimited,
    TemporarySendError,
)
from sosbot.core.events import LocationReceived, MediaReceived, TextReceived
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import (
    Album,
    ButtonAnswer,
    ButtonsCleared,
    Edit,
    MediaItem,
    ResidentTerms,
    Text,
)
from sosbot.delivery.platform_sends import carry_out
from tests.conftest import closed_port

from .conftest import OA_SECRET, Emu

RESIDENT = Destination.RESIDENT
GROUP = Destination.GROUP

DAY = 24 * 3600
CATEGORIES = ((Choice("An ninh trật tự / tội phạm", "cat:security"),
               Choice("Tai nạn giao thông", "cat:traffic")),
              (Choice("Cháy nổ", "cat:fire"), Choice("Sự cố khác", "cat:other")))


def png(width: int = 64, height: int = 48, noisy: bool = False) -> bytes:
    if noisy:
        img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        img = Image.new("RGB", (width, height), (200, 40, 40))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def text(body: str, *, quote: str | None = None) -> Text:
    """A plain text send (``quote``: the resident's message it quotes)."""
    return Text(OutgoingMessage(text=body), terms=ResidentTerms(quote_message_id=quote))


def photos(path: Path, caption: str | None = None, *, quote: str | None = None) -> Album:
    """One stored photo, at ``path``, as an album send."""
    return Album((MediaItem("photo", "0" * 64, path=str(path)),), caption=caption,
                 terms=ResidentTerms(quote_message_id=quote))


def category_question() -> Text:
    return Text(OutgoingMessage(
        text="Bạn muốn báo sự việc gì? Chọn một mục bên dưới.", choices=CATEGORIES,
        choice_hint="Trả lời bằng số (1, 2, 3, 4) để chọn."))


async def test_choices_become_buttons_and_numbered_lines(emu: Emu,
                                                         outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    message_id = await outbound.send_text(uid, category_question())
    (sent,) = await emu.sent_by_oa("users", uid)
    # Nothing of the user's to quote (they only followed): Zalo counts it as proactive.
    assert sent["msg_id"] == message_id and sent["billing"] == "proactive"
    assert sent["text"] == (
        "Bạn muốn báo sự việc gì? Chọn một mục bên dưới.\n\n"
        "1. An ninh trật tự / tội phạm\n2. Tai nạn giao thông\n3. Cháy nổ\n4. Sự cố khác\n\n"
        "Trả lời bằng số (1, 2, 3, 4) để chọn.")
    assert [(b["title"], b["type"], b["payload"]) for b in sent["buttons"]] == [
        ("An ninh trật tự / tội phạm", "oa.query.show", "1"),
        ("Tai nạn giao thông", "oa.query.show", "2"),
        ("Cháy nổ", "oa.query.show", "3"), ("Sự cố khác", "oa.query.show", "4")]


async def test_link_opens_a_url_and_location_request_explains_zalo(
        emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    await outbound.send_text(uid, Text(OutgoingMessage(
        text="Sự việc xảy ra ở đâu?", request="location",
        request_label="📍 Gửi vị trí của tôi",
        link=("🗺️ Chọn trên bản đồ", "https://sos.example.vn/vi-tri/abc"))))
    (sent,) = await emu.sent_by_oa("users", uid)
    assert sent["text"] == "Sự việc xảy ra ở đâu?\n\n" + LOCATION_HINT["vi"]
    assert "Gửi vị trí của tôi" not in sent["text"]
    assert sent["buttons"] == [{"title": "🗺️ Chọn trên bản đồ", "type": "oa.open.url",
                                "payload": {"url": "https://sos.example.vn/vi-tri/abc"}}]


def test_more_choices_than_buttons_keep_every_number_and_the_link_in_text() -> None:
    choices = ((tuple(Choice(f"Mục {n}", f"v{n}") for n in range(1, 7))),)
    rendered = render_message(OutgoingMessage(text="Where is it?", choices=choices,
                                              request="location", link=("Map", "https://m")))
    buttons = rendered["attachment"]["payload"]["buttons"]
    assert [b["payload"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert "6. Mục 6" in rendered["text"] and rendered["text"].endswith("Map: https://m")
    assert LOCATION_HINT["en"] in rendered["text"]
    assert "attachment" not in render_message(OutgoingMessage(text="Cảm ơn bạn."))


def test_strip_mentions() -> None:
    assert strip_mentions("[@8512368825402197413] Tin báo mới [@all] SOS-260001") == \
        "Tin báo mới SOS-260001"
    assert strip_mentions("Không có nhắc tên") == "Không có nhắc tên"


async def test_group_text_strips_mentions(emu: Emu, outbound: ZaloOutbound) -> None:
    officer = await emu.user("Đại úy Trần Minh")
    group = (await emu.post("/_emu/groups", {"name": "CA phường Bến Thành",
                                             "members": [officer]}))["id"]
    posted = "🚨 SOS-260001 [@8512368825402197413] kẻ gian ở hẻm 12 [@all]"
    message_id = await outbound.post_text(group, text(posted))
    (sent,) = await emu.sent_by_oa("groups", group)
    assert sent["msg_id"] == message_id
    assert sent["text"] == "🚨 SOS-260001 kẻ gian ở hẻm 12"
    listed = await emu.http.get(emu.base + "/v3.0/oa/group/getgroupsofoa",
                                headers={"access_token": await outbound.tokens.access_token()})
    assert [g["group_id"] for g in (await listed.json())["data"]["groups"]] == [group]


async def test_the_destination_not_the_payload_chooses_the_group_api(
        emu: Emu, outbound: ZaloOutbound, tmp_path: Path) -> None:
    """A group row's text and album go through the group API (GMF), text only; the same
    text to a resident goes through the customer-service API: delivery picks the
    adapter's side by the row's destination (``platform_sends``)."""
    officer = await emu.user("Đại úy Trần Minh")
    group = (await emu.post("/_emu/groups", {"name": "Trung tâm chỉ huy",
                                             "members": [officer]}))["id"]
    photo = tmp_path / "p.png"
    photo.write_bytes(png())
    card = Text(OutgoingMessage(text="🚨 SOS-260001",
                                choices=((Choice("Tiếp nhận", "ack"),),)))
    await carry_out(outbound, group, GROUP, card)
    await carry_out(outbound, group, GROUP, photos(photo, "📷"))
    await carry_out(outbound, officer, RESIDENT, text("Xin chào"))
    assert [m["text"] for m in await emu.sent_by_oa("groups", group)] == ["🚨 SOS-260001", "📷"]
    assert [m["text"] for m in await emu.sent_by_oa("users", officer)] == ["Xin chào"]
    with pytest.raises(PermanentSendError, match="resident"):
        await carry_out(outbound, officer, RESIDENT, Edit("1", OutgoingMessage(text="x")))


async def test_image_is_uploaded_then_sent_to_a_user_and_a_group(
        emu: Emu, outbound: ZaloOutbound, tmp_path: Path) -> None:
    uid = await emu.user()
    group = (await emu.post("/_emu/groups", {"name": "Đội PCCC", "members": [uid]}))["id"]
    small = tmp_path / "small.png"
    small.write_bytes(png())
    big = tmp_path / "big.png"
    big.write_bytes(png(900, 700, noisy=True))
    assert big.stat().st_size > 1024 * 1024  # over Zalo's upload limit: re-encoded

    await outbound.send_album(uid, photos(small, "Ảnh hiện trường"))
    await outbound.post_album(group, photos(big, "[@1] Hẻm 12"))
    (to_user,) = await emu.sent_by_oa("users", uid)
    (to_group,) = await emu.sent_by_oa("groups", group)
    assert to_user["text"] == "Ảnh hiện trường" and to_group["text"] == "Hẻm 12"
    served = await emu.http.get(to_user["attachments"][0]["url"])
    assert await served.read() == small.read_bytes()
    uploaded = emu.state.files[to_group["attachments"][0]["attachment_id"]]
    assert len(uploaded.data) <= 1024 * 1024 and uploaded.mime == "image/jpeg"
    paths = [c["path"] for c in emu.state.calls]
    assert paths.count("/v2.0/oa/upload/image") == 2


async def test_missing_or_bad_image_is_permanent(outbound: ZaloOutbound,
                                                 tmp_path: Path) -> None:
    with pytest.raises(PermanentSendError):
        await outbound.send_album("1", photos(tmp_path / "none.png"))
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(PermanentSendError):
        await outbound.send_album("1", photos(tmp_path / "x.png"))


async def test_window_closes_seven_days_after_the_last_message(
        emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    await emu.post("/_emu/clock", {"advance_s": 3 * DAY})
    await outbound.send_text(uid, text("Báo cáo SOS-260001 đang được xử lý."))
    (sent,) = await emu.sent_by_oa("users", uid)
    assert sent["billable"] is True  # past the free 48 hours, inside the 7 days
    await emu.post("/_emu/clock", {"advance_s": 4 * DAY + 1})
    with pytest.raises(DeliveryWindowClosed):
        await outbound.send_text(uid, text("Báo cáo SOS-260001 đã xử lý xong."))
    assert emu.state.calls[-1]["error"] == -230
    await emu.post("/_emu/send", {"from": uid, "text": "Cảm ơn"})  # the user writes again
    assert await outbound.send_text(uid, text("Không có gì ạ.")) is not None


async def test_a_user_who_never_interacted_cannot_be_messaged(
        emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user(follow=False)
    with pytest.raises(DeliveryWindowClosed):
        await outbound.send_text(uid, text("Xin chào"))


async def test_rate_limit_is_rate_limited(emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    await emu.post("/_emu/config", {"requests_per_min": 2})
    await outbound.send_text(uid, text("1"))
    await outbound.send_text(uid, text("2"))
    with pytest.raises(RateLimited) as caught:
        await outbound.send_text(uid, text("3"))
    assert caught.value.retry_after == 60.0


@pytest.mark.parametrize(("fault", "error"), [
    ({"http_status": 503}, TemporarySendError),
    ({"http_status": 400}, PermanentSendError),
    ({"error": -201}, PermanentSendError),
    ({"error": -232}, DeliveryWindowClosed),
    ({"error": -216, "times": 2}, TemporarySendError),  # refused even after a refresh
])
async def test_errors_map_onto_the_core(emu: Emu, outbound: ZaloOutbound,
                                        fault: dict[str, Any], error: type) -> None:
    uid = await emu.user()
    await emu.post("/_emu/faults", {"path": "/v3.0/oa/message/cs", **fault})
    with pytest.raises(error):
        await outbound.send_text(uid, text("Xin chào"))


async def test_unreachable_api_is_temporary(outbound: ZaloOutbound) -> None:
    await outbound.tokens.access_token()
    closed = ZaloOutbound(outbound.tokens, api_base=f"http://127.0.0.1:{closed_port()}",
                          timeout_s=2)
    with pytest.raises(TemporarySendError):
        await closed.send_text("1", text("Xin chào"))
    await closed.close()


async def test_no_op_methods_and_rate_rules(emu: Emu, outbound: ZaloOutbound) -> None:
    assert await outbound.answer_button("1", ButtonAnswer("x")) is None
    assert await outbound.clear_buttons("1", ButtonsCleared("2")) is None
    assert await outbound.answer_group_button("g1", ButtonAnswer("x")) is None
    assert emu.state.calls == []
    assert outbound.rate_rules("1", ButtonAnswer("x")) == []
    assert outbound.rate_rules("g1", text("x")) == [APP_RULE]
    assert (APP_RULE.key, APP_RULE.kind, APP_RULE.limit, APP_RULE.period_s) == \
        ("zalo:app", "window", 3800, 60.0)
    with pytest.raises(PermanentSendError, match="cannot edit"):
        await outbound.edit_post("g1", Edit("1", OutgoingMessage(text="x")))


# -- the emulator's webhooks, as our parser and signature check see them ---------------

def deliveries(emu: Emu) -> list[tuple[dict[str, Any], dict[str, str]]]:
    out = []
    for raw, headers in emu.receiver.deliveries:
        assert signature_ok(raw, headers.get("X-ZEvent-Signature"), OA_SECRET), headers
        out.append((json.loads(raw), headers))
    return out


async def test_photo_sent_by_a_user_is_fetched_by_its_url(emu: Emu,
                                                          outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    photo = png(64, 48, noisy=True)  # about 9 kB
    result = await emu.post("/_emu/send", {"from": uid, "image": {
        "data_b64": base64.b64encode(photo).decode(), "caption": "Khói ở tầng 2"}})
    assert result["statuses"] == [200]
    raw, headers = emu.receiver.deliveries[-1]
    assert headers["User-Agent"] == "ZaloWebhook" and headers["num_retry"] == "0"
    assert headers["X-ZEvent-Server"] == "OA OpenAPI"
    (event,) = inbound.parse(raw)
    assert isinstance(event, MediaReceived) and event.caption == "Khói ở tầng 2"
    assert event.message_id == result["msg_id"]
    assert await outbound.fetch_media(event.media.file_id) == photo
    small = ZaloOutbound(outbound.tokens, api_base=emu.base, max_download_bytes=1000)
    with pytest.raises(PermanentSendError):
        await small.fetch_media(event.media.file_id)
    with pytest.raises(PermanentSendError):
        await small.fetch_media(emu.base + "/_emu/files/nothing-here")
    await small.close()


async def test_webhook_events_parse_and_verify(emu: Emu) -> None:
    uid = await emu.user()
    officer = await emu.user("Trung úy Lê Hùng")
    group = (await emu.post("/_emu/groups", {"name": "CA phường", "members": [officer]}))["id"]
    await emu.post("/_emu/send", {"from": uid, "location": {"latitude": 10.7769,
                                                            "longitude": "106.7009"}})
    await emu.post("/_emu/send", {"from": officer, "group_id": group, "text": "/ack SOS-1"})
    await emu.post("/_emu/send", {"from": uid, "link": {"url": "https://maps.app.goo.gl/x"}})
    events = [e for body, _ in deliveries(emu)
              for e in inbound.parse(json.dumps(body).encode())]
    names = [body["event_name"] for body, _ in deliveries(emu)]
    assert names == ["follow", "follow", "create_group", "user_send_location",
                     "user_send_group_text", "user_send_link"]
    location = events[3]
    assert isinstance(location, LocationReceived) and location.location.lat == 10.7769
    body = deliveries(emu)[3][0]
    assert body["message"]["attachments"][0]["payload"]["coordinates"]["longitude"] == \
        "106.7009"
    assert events[4].chat.chat_id == group and events[4].chat.kind == "group"
    assert isinstance(events[5], TextReceived)


async def test_webhook_is_retried_with_num_retry(emu: Emu) -> None:
    uid = await emu.user()
    emu.receiver.script = [500, 502]
    assert (await emu.post("/_emu/send", {"from": uid, "text": "alo"}))["statuses"] == [200]
    retries = [headers["num_retry"] for _, headers in emu.receiver.deliveries[-3:]]
    assert retries == ["0", "1", "2"]
    assert len({raw for raw, _ in emu.receiver.deliveries[-3:]}) == 1  # same bytes each time
    emu.receiver.script = [500, 500, 500]
    assert (await emu.post("/_emu/send", {"from": uid, "text": "alo"}))["statuses"] == [500]


async def test_control_api_refuses_malformed_requests(emu: Emu) -> None:
    uid = await emu.user()
    for body in ({"from": uid}, {"from": uid, "text": "a", "sticker": {}},
                 {"from": "nobody", "text": "a"}, {"from": uid, "image": {"data_b64": "!"}}):
        status, answer = await emu.call("POST", "/_emu/send", body)
        assert status == 400 and "error" in answer
    status, _ = await emu.call("POST", "/_emu/config", {"bogus": 1})
    assert status == 400
