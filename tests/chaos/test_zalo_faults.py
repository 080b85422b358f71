"""The Zalo emulator's random faults reach ZaloOutbound as Zalo's would: over the limit is
``-32`` (HTTP 200) and becomes RateLimited; a 500, a hang and a dropped connection become
TemporarySendError; and a send repeated with its Idempotency-Key is not posted twice."""

from __future__ import annotations

import pytest

from sosbot.bots.zalo.outbound import ZaloOutbound
from sosbot.core import idempotency
from sosbot.core.errors import RateLimited, SendError, TemporarySendError
from sosbot.core.model import Destination
from tests.bots.zalo.conftest import Emu, emu, outbound, store, token_engine
from tests.bots.zalo.test_outbound import text

RESIDENT = Destination.RESIDENT

__all__ = ["emu", "outbound", "store", "token_engine"]  # the fixtures this module uses


@pytest.mark.parametrize(("kind", "error"), [("429", RateLimited), ("500", TemporarySendError),
                                             ("timeout", TemporarySendError),
                                             ("drop", TemporarySendError)])
async def test_each_fault_kind_is_the_error_zalo_would_give(
        emu: Emu, outbound: ZaloOutbound, kind: str, error: type[SendError]) -> None:
    uid = await emu.user()
    await outbound.send_text(uid, text("Xin chào"))  # the token is fetched
    await emu.post("/_emu/random_faults", {"rate": 1.0, "kinds": [kind], "hang_s": 0.2})
    with pytest.raises(error):
        await outbound.send_text(uid, text("Chúng tôi đã nhận tin báo."))
    snapshot = await emu.get("/_emu/random_faults")
    assert snapshot["faults"] == {kind: 1}
    assert len(await emu.sent_by_oa("users", uid)) == 1  # a faulted call posts nothing


async def test_a_send_repeated_with_its_key_is_posted_once(
        emu: Emu, outbound: ZaloOutbound) -> None:
    uid = await emu.user()
    with idempotency.sending("sosbot-1-test"):
        first = await outbound.send_text(uid, text("Mã tin báo: SOS-260001"))
    with idempotency.sending("sosbot-1-test"):
        again = await outbound.send_text(uid, text("Mã tin báo: SOS-260001"))
    assert first == again
    assert len(await emu.sent_by_oa("users", uid)) == 1
    assert (await emu.get("/_emu/idempotency"))["replays"] == 1
