"""Zalo's free replies, proactive messages and quota (issue 19), through the emulator over
HTTP: a reply quotes the resident's message and is free 8 times within 48 hours of it;
anything else is proactive and counted against the OA's quota, refused (-211) once it is
spent: a permanent QuotaExceeded, never retried as temporary."""

from __future__ import annotations

from pathlib import Path

import pytest

from sosbot.bots.zalo.outbound import ZaloOutbound
from sosbot.core.errors import PermanentSendError, QuotaExceeded, TemporarySendError
from tests.bots.zalo.conftest import Emu
from tests.bots.zalo.test_outbound import photos, png, text

DAY = 24 * 3600


async def resident_writes(emu: Emu, uid: str, text: str = "Có cháy ở chợ") -> str:
    return str((await emu.post("/_emu/send", {"from": uid, "text": text}))["msg_id"])


async def test_a_reply_quoting_the_residents_message_is_free(
        emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    msg_id = await resident_writes(emu, uid)
    await outbound.send_text(uid, text("Đã nhận.", quote=msg_id))
    (sent,) = await emu.sent_by_oa("users", uid)
    assert (sent["billing"], sent["quote_message_id"]) == ("reply", msg_id)


async def test_the_ninth_reply_and_a_late_one_are_proactive(
        emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    msg_id = await resident_writes(emu, uid)
    for n in range(9):
        await outbound.send_text(uid, text(f"Tin {n}", quote=msg_id))
    billing = [m["billing"] for m in await emu.sent_by_oa("users", uid)]
    assert billing == ["reply"] * 8 + ["proactive"]
    msg_id = await resident_writes(emu, uid, "Cảm ơn")  # a new message: 8 more free replies
    await emu.post("/_emu/clock", {"advance_s": 2 * DAY + 1})
    await outbound.send_text(uid, text("Muộn", quote=msg_id))
    assert (await emu.sent_by_oa("users", uid))[-1]["billing"] == "proactive"


async def test_a_message_quoting_nothing_is_proactive(emu: Emu,
                                                      outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    await resident_writes(emu, uid)
    await outbound.send_text(uid, text("Bản tin an ninh"))
    assert (await emu.sent_by_oa("users", uid))[-1]["billing"] == "proactive"


async def test_out_of_quota_is_a_permanent_quota_error_and_free_replies_still_go(
        emu: Emu, outbound: ZaloOutbound) -> None:
    await emu.post("/_emu/config", {"proactive_quota": 1})
    uid = await emu.user()
    msg_id = await resident_writes(emu, uid)
    await outbound.send_text(uid, text("Một"))
    with pytest.raises(QuotaExceeded) as refused:
        await outbound.send_text(uid, text("Hai"))
    assert refused.value.code == -211
    assert isinstance(refused.value, PermanentSendError)
    assert not isinstance(refused.value, TemporarySendError)
    # A free reply needs no quota.
    await outbound.send_text(uid, text("Ba", quote=msg_id))
    assert [m["billing"] for m in await emu.sent_by_oa("users", uid)] == ["proactive", "reply"]


@pytest.mark.parametrize("code", [-211, -218, -224, -320, -321])
async def test_every_quota_and_billing_code_is_a_quota_error(
        emu: Emu, outbound: ZaloOutbound, code: int) -> None:
    uid = await emu.user()
    await emu.post("/_emu/faults", {"path": "/v3.0/oa/message/cs", "error": code})
    with pytest.raises(QuotaExceeded):
        await outbound.send_text(uid, text("x"))


async def test_an_image_reply_quotes_too(emu: Emu, outbound: ZaloOutbound,
                                         tmp_path: Path) -> None:
    uid = await emu.user()
    msg_id = await resident_writes(emu, uid)
    path = tmp_path / "a.png"
    path.write_bytes(png(40, 30))
    await outbound.send_album(uid, photos(path, quote=msg_id))
    (sent,) = await emu.sent_by_oa("users", uid)
    assert sent["billing"] == "reply"


async def test_a_quote_zalo_refuses_costs_the_resident_nothing(
        emu: Emu, outbound: ZaloOutbound) -> None:
    """Quoting a message Zalo does not know (gone, or a forged event's id) is refused: the
    message goes again unquoted, as a proactive one, instead of being lost."""
    uid = await emu.user()
    await resident_writes(emu, uid)
    await outbound.send_text(uid, text("Đã nhận.", quote="no-such"))
    (sent,) = await emu.sent_by_oa("users", uid)
    assert sent["text"] == "Đã nhận." and "quote_message_id" not in sent
    assert sent["billing"] == "proactive"
