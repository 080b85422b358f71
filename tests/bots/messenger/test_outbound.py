"""MessengerOutbound against the emulator over real HTTP on loopback."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PIL import Image

from sosbot.bots.messenger.outbound import MAX_DOWNLOAD_BYTES, MessengerOutbound, rate_rules
from sosbot.bots.messenger.render import short_title
from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.errors import (
    DeliveryWindowClosed,
    MediaRefused,
    PermanentSendError,
    RateLimited,
    RecipientGone,
    TemporarySendError,
)
from sosbot.core.events import MediaReceived
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import (
    Album,
    ButtonAnswer,
    ButtonsCleared,
    MediaItem,
    ResidentTerms,
    Text,
)
from sosbot.core.senders import GroupSender, ResidentSender
from sosbot.delivery.platform_sends import carry_out
from tests.conftest import closed_port

from .harness import Emu, running_emulator

DAY = 24 * 3600.0
CATEGORIES = (("An ninh trật tự / tội phạm", "cat:security"),
              ("Tai nạn giao thông", "cat:traffic"), ("Cháy nổ", "cat:fire"),
              ("Sự cố khác", "cat:other"))


@pytest.fixture
async def emu() -> AsyncIterator[Emu]:
    async with running_emulator() as running:
        yield running


@pytest.fixture
async def outbound(emu: Emu) -> AsyncIterator[MessengerOutbound]:
    client = emu.outbound()
    yield client
    await client.close()


def payload(message: OutgoingMessage, *, last: float | None, officer_words: bool = False
            ) -> Text:
    """A text to a resident with Messenger's terms (``last``: when the resident wrote)."""
    return Text(message, terms=ResidentTerms(last_user_message_at=last,
                                             officer_words=officer_words))


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def resident_who_wrote(emu: Emu) -> str:
    psid = await emu.resident()
    await emu.say(psid, text="Có cháy ở hẻm 12")
    return psid


async def test_choices_become_quick_replies(emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    message = OutgoingMessage("Bạn muốn báo sự việc gì?", choices=tuple(
        (Choice(label, value),) for label, value in CATEGORIES), choice_hint="Trả lời 1–4.")
    mid = await outbound.send_text(psid, payload(message, last=emu.clock()))
    [sent] = await emu.page_messages(psid)
    assert sent["mid"] == mid and sent["messaging_type"] == "RESPONSE"
    assert sent["text"] == "Bạn muốn báo sự việc gì?"
    assert [(q["title"], q["payload"]) for q in sent["quick_replies"]] == [
        ("An ninh trật tự…", "cat:security"), ("Tai nạn giao thông", "cat:traffic"),
        ("Cháy nổ", "cat:fire"), ("Sự cố khác", "cat:other")]


async def test_too_many_choices_become_numbered_lines(emu: Emu,
                                                      outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    choices = tuple((Choice(f"Phường {n}", f"ward:{n}"),) for n in range(1, 16))
    message = OutgoingMessage("Chọn phường:", choices=choices, choice_hint="Trả lời bằng số.")
    await outbound.send_text(psid, payload(message, last=emu.clock()))
    [sent] = await emu.page_messages(psid)
    assert "quick_replies" not in sent
    assert sent["text"].startswith("Chọn phường:\n\n1. Phường 1\n2. Phường 2\n")
    assert sent["text"].endswith("15. Phường 15\n\nTrả lời bằng số.")


async def test_link_becomes_a_button_template(emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    message = OutgoingMessage("Bấm nút để gửi vị trí của bạn.",
                              link=("📍 Gửi vị trí của tôi", "http://127.0.0.1:8080/l/abc"))
    await outbound.send_text(psid, payload(message, last=emu.clock()))
    [sent] = await emu.page_messages(psid)
    template = sent["attachment"]["payload"]
    assert sent["attachment"]["type"] == "template" and template["template_type"] == "button"
    assert template["text"] == "Bấm nút để gửi vị trí của bạn."
    assert template["buttons"] == [{"type": "web_url", "url": "http://127.0.0.1:8080/l/abc",
                                    "title": "Gửi vị trí của tôi"}]


async def test_image_is_uploaded_and_served(emu: Emu, outbound: MessengerOutbound,
                                            tmp_path: Path) -> None:
    psid = await resident_who_wrote(emu)
    path = tmp_path / "chart.png"
    path.write_bytes(png_bytes())
    album = Album((MediaItem("photo", "0" * 64, path=str(path)),),
                  terms=ResidentTerms(last_user_message_at=emu.clock()))
    mid = await outbound.send_album(psid, album)
    [sent] = await emu.page_messages(psid)
    assert sent["mid"] == mid and sent["attachment"]["type"] == "image"
    assert await outbound.fetch_media(sent["attachment"]["payload"]["url"]) == png_bytes()


async def test_media_a_resident_sent_is_fetched(emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await emu.resident()
    await emu.say(psid, image={"data_b64": base64.b64encode(png_bytes()).decode()})
    [event] = emu.webhook.events
    assert isinstance(event, MediaReceived)
    assert await outbound.fetch_media(event.media.file_id) == png_bytes()


async def test_after_24_hours_a_status_update_is_refused_untagged(
        emu: Emu, outbound: MessengerOutbound) -> None:
    """No retired tag goes out: the update is refused before any call (it is kept and
    delivered when the resident writes again; see tests/delivery/test_held_updates.py)."""
    psid = await resident_who_wrote(emu)
    wrote_at = emu.clock()
    await emu.advance(DAY + 3600)
    calls_before = len(await emu.get("/_emu/calls"))
    update = payload(OutgoingMessage("Tin báo SOS-260001 đã được tiếp nhận."), last=wrote_at)
    with pytest.raises(DeliveryWindowClosed, match="no message tag fits"):
        await outbound.send_text(psid, update)
    assert len(await emu.get("/_emu/calls")) == calls_before


@pytest.mark.parametrize("tag", ["CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE",
                                 "ACCOUNT_UPDATE"])
async def test_the_emulator_refuses_retired_tags_with_error_100(emu: Emu, tag: str) -> None:
    """As Meta does since 2026-04-27 (chatwoot/chatwoot#14669), even inside the window."""
    psid = await resident_who_wrote(emu)
    answer = await emu.graph_post(psid, {"messaging_type": "MESSAGE_TAG", "tag": tag,
                                         "message": {"text": "Cập nhật"}})
    assert answer["error"]["code"] == 100 and answer["error"]["message"] == "Invalid parameter"
    assert await emu.page_messages(psid) == []


async def test_officer_words_carry_human_agent_only_when_enabled(emu: Emu) -> None:
    psid = await resident_who_wrote(emu)
    wrote_at = emu.clock()
    await emu.advance(3 * DAY)
    question = payload(OutgoingMessage("Cán bộ hỏi: có ai bị thương không?"), last=wrote_at,
                       officer_words=True)
    plain = emu.outbound()
    tagged = emu.outbound(human_agent=True)
    try:
        with pytest.raises(DeliveryWindowClosed):
            await plain.send_text(psid, question)
        with pytest.raises(DeliveryWindowClosed):  # a status update is never tagged
            await tagged.send_text(psid, replace(question, terms=replace(question.terms,
                                                                         officer_words=False)))
        await tagged.send_text(psid, question)
        [sent] = await emu.page_messages(psid)
        assert sent["messaging_type"] == "MESSAGE_TAG" and sent["tag"] == "HUMAN_AGENT"
        await emu.advance(5 * DAY)  # 8 days after the resident wrote: past HUMAN_AGENT's 7
        with pytest.raises(DeliveryWindowClosed, match="7 days"):
            await tagged.send_text(psid, question)
    finally:
        await plain.close()
        await tagged.close()


async def test_human_agent_refused_to_a_page_meta_did_not_approve(emu: Emu) -> None:
    psid = await resident_who_wrote(emu)
    await emu.post("/_emu/config", {"human_agent_approved": False})
    answer = await emu.graph_post(psid, {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT",
                                         "message": {"text": "Cán bộ hỏi"}})
    assert answer["error"]["code"] == 10


async def test_after_24_hours_a_reply_is_refused_without_calling_meta(
        emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    wrote_at = emu.clock()
    await emu.advance(DAY + 60)
    calls_before = len(await emu.get("/_emu/calls"))
    with pytest.raises(DeliveryWindowClosed):
        await outbound.send_text(psid, payload(OutgoingMessage("Cảm ơn bạn."),
                                                     last=wrote_at))
    assert len(await emu.get("/_emu/calls")) == calls_before
    assert await emu.page_messages(psid) == []


async def test_meta_refusing_the_window_is_delivery_window_closed(
        emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    await emu.advance(DAY + 60)
    # Our record says the resident wrote just now; Meta knows better.
    with pytest.raises(DeliveryWindowClosed, match="2018278"):
        await outbound.send_text(psid, payload(OutgoingMessage("Cảm ơn bạn."),
                                                     last=emu.clock()))


async def test_within_the_window_a_status_update_is_a_response(
        emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    await emu.advance(3600)
    update = OutgoingMessage("Tin báo SOS-260001 đã được tiếp nhận.")
    await outbound.send_text(psid, payload(update, last=emu.clock() - 3600))
    [sent] = await emu.page_messages(psid)
    assert sent["messaging_type"] == "RESPONSE" and sent["tag"] is None


@pytest.mark.parametrize(("failure", "error", "match"), [
    ({"code": 613, "message": "(#613) Calls to this api have exceeded the rate limit."},
     RateLimited, "613"),
    ({"code": 4, "message": "(#4) Application request limit reached"}, RateLimited, "#4"),
    ({"code": 80006, "message": "(#80006) There have been too many messenger api calls to "
      "this Page-ID. Wait a while and try again."}, RateLimited, "80006"),
    ({"status": 500, "code": 2, "message": "An unexpected error has occurred."},
     TemporarySendError, "unexpected"),
    ({"status": 503, "code": 1, "message": "An unknown error occurred"},
     TemporarySendError, "unknown"),
    ({"code": 100, "message": "(#100) Invalid parameter"}, PermanentSendError, "Invalid"),
])
async def test_graph_errors_are_mapped(emu: Emu, outbound: MessengerOutbound,
                                       failure: dict[str, Any], error: type[Exception],
                                       match: str) -> None:
    psid = await resident_who_wrote(emu)
    await emu.post("/_emu/fail_next", failure)
    with pytest.raises(error, match=match) as caught:
        await outbound.send_text(psid, payload(OutgoingMessage("Xin chào"),
                                                     last=emu.clock()))
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after in (10.0, 60.0)


async def test_real_rate_limit_is_rate_limited(emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    await emu.post("/_emu/config", {"limits": True, "page_per_s": 2})
    body = payload(OutgoingMessage("Xin chào"), last=emu.clock())
    await outbound.send_text(psid, body)
    await outbound.send_text(psid, body)
    with pytest.raises(RateLimited) as caught:
        await outbound.send_text(psid, body)
    assert caught.value.retry_after == 10.0


async def test_blocked_resident_is_a_recipient_gone(emu: Emu,
                                                    outbound: MessengerOutbound) -> None:
    """551: the resident blocked the page. Like Telegram's "blocked by the user", so the
    command centre hears of it and a bulletin subscriber is unsubscribed."""
    psid = await resident_who_wrote(emu)
    await emu.post(f"/_emu/users/{psid}/block")
    with pytest.raises(RecipientGone, match="unavailable"):
        await outbound.send_text(psid, payload(OutgoingMessage("Xin chào"),
                                                     last=emu.clock()))


async def test_wrong_page_token_says_so_without_leaking_it(emu: Emu) -> None:
    psid = await resident_who_wrote(emu)
    client = emu.outbound("EAAwrong-token")
    try:
        with pytest.raises(PermanentSendError, match="page access token") as caught:
            await client.send_text(psid, payload(OutgoingMessage("Xin chào"),
                                                       last=emu.clock()))
        assert "EAAwrong-token" not in str(caught.value)
    finally:
        await client.close()


async def test_unreachable_api_is_temporary() -> None:
    client = MessengerOutbound("tok", api_base=f"http://127.0.0.1:{closed_port()}", timeout_s=2.0)
    try:
        with pytest.raises(TemporarySendError):
            await client.send_text("1", payload(OutgoingMessage("x"), last=time.time()))
    finally:
        await client.close()


async def test_button_methods_are_no_ops(emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await resident_who_wrote(emu)
    assert await outbound.answer_button(psid, ButtonAnswer("x")) is None
    assert await outbound.clear_buttons(psid, ButtonsCleared("m_1")) is None
    assert await emu.get("/_emu/calls") == []
    assert outbound.rate_rules(psid, ButtonAnswer("x")) == []


async def test_a_group_row_fails_for_good_and_reaches_nobody(
        emu: Emu, outbound: MessengerOutbound) -> None:
    """A page has no group chats: the adapter offers no group side, and a row written for
    a group (a producer's mistake) fails as a permanent error, never sent to a person
    whose id it happens to carry."""
    psid = await resident_who_wrote(emu)
    assert not isinstance(outbound, GroupSender)
    assert isinstance(outbound, ResidentSender)
    card = payload(OutgoingMessage("🚨 SOS-260001"), last=emu.clock())
    with pytest.raises(PermanentSendError, match="messenger has no group chats"):
        await carry_out(outbound, psid, Destination.GROUP, card)
    assert await emu.get("/_emu/calls") == []
    assert await carry_out(outbound, psid, Destination.RESIDENT, card) is not None


async def test_download_over_20_mb_is_refused(tmp_path: Path) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to trust
        await response.prepare(request)
        chunk = bytes(1024 * 1024)
        for _ in range(MAX_DOWNLOAD_BYTES // len(chunk) + 2):
            await response.write(chunk)
        return response

    app = web.Application()
    app.router.add_get("/big", huge)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    client = MessengerOutbound("tok", api_base=base)  # media from the API's own host
    try:
        with pytest.raises(PermanentSendError, match="too big"):
            await client.fetch_media(f"{base}/big")
    finally:
        await client.close()
        await runner.cleanup()


async def test_media_off_the_cdn_and_the_emulator_is_refused(emu: Emu,
                                                             outbound: MessengerOutbound) -> None:
    """Issue 18: an attachment URL on another loopback server is never requested."""
    hits: list[str] = []

    async def internal(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=png_bytes(), content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", internal)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        with pytest.raises(MediaRefused):
            await outbound.fetch_media(f"http://127.0.0.1:{runner.addresses[0][1]}/x.png")
        with pytest.raises(MediaRefused):
            await outbound.fetch_media("https://169.254.169.254/latest/meta-data/")
    finally:
        await runner.cleanup()
    assert hits == []


def test_rate_rules_are_conservative() -> None:
    rules = {rule.key: rule for rule in rate_rules("6100", Text(OutgoingMessage("x")))}
    assert rules["messenger:page"].limit <= 300 and rules["messenger:page"].period_s >= 1.0
    assert "messenger:thread:6100" in rules
    assert "messenger:page:media" not in rules
    assert "messenger:page:media" in {rule.key for rule in rate_rules("6100", Album(()))}


@pytest.mark.parametrize(("label", "title"), [
    ("Cháy nổ", "Cháy nổ"), ("An ninh trật tự / tội phạm", "An ninh trật tự…"),
    ("📍 Gửi vị trí của tôi", "Gửi vị trí của tôi"), ("🔥 Cháy", "🔥 Cháy"),
    ("Xácnhậnvàgửitinbáongaybâygiờ", "Xácnhậnvàgửitinbáon…"),
])
def test_titles_are_cut_sensibly(label: str, title: str) -> None:
    assert short_title(label) == title
