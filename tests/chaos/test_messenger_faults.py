"""The Messenger emulator's random faults reach MessengerOutbound as Graph's would: ``613``
becomes RateLimited; code 2 (HTTP 500, ``is_transient``), a hang and a dropped connection
become TemporarySendError; and a send repeated with its Idempotency-Key is not posted
twice."""

from __future__ import annotations

import pytest

from sosbot.bots.messenger.outbound import MessengerOutbound
from sosbot.core import idempotency
from sosbot.core.actions import OutgoingMessage
from sosbot.core.errors import RateLimited, SendError, TemporarySendError
from sosbot.core.model import Destination
from tests.bots.messenger.harness import Emu
from tests.bots.messenger.test_outbound import emu, outbound, payload

RESIDENT = Destination.RESIDENT

__all__ = ["emu", "outbound"]  # the fixtures this module uses


@pytest.mark.parametrize(("kind", "error"), [("429", RateLimited), ("500", TemporarySendError),
                                             ("timeout", TemporarySendError),
                                             ("drop", TemporarySendError)])
async def test_each_fault_kind_is_the_error_graph_would_give(
        emu: Emu, outbound: MessengerOutbound, kind: str, error: type[SendError]) -> None:
    psid = await emu.resident()
    await emu.say(psid, text="Có cháy ở hẻm 12")
    await emu.post("/_emu/random_faults", {"rate": 1.0, "kinds": [kind], "hang_s": 0.2})
    with pytest.raises(error):
        await outbound.send_text(psid, payload(OutgoingMessage("Đã nhận."),
                                                     last=emu.clock()))
    assert (await emu.get("/_emu/random_faults"))["faults"] == {kind: 1}
    assert await emu.page_messages(psid) == []


async def test_a_send_repeated_with_its_key_is_posted_once(
        emu: Emu, outbound: MessengerOutbound) -> None:
    psid = await emu.resident()
    await emu.say(psid, text="Có cháy ở hẻm 12")
    body = payload(OutgoingMessage("Mã tin báo: SOS-260001"), last=emu.clock())
    with idempotency.sending("sosbot-2-test"):
        first = await outbound.send_text(psid, body)
    with idempotency.sending("sosbot-2-test"):
        again = await outbound.send_text(psid, body)
    assert first == again
    assert len(await emu.page_messages(psid)) == 1
    assert (await emu.get("/_emu/idempotency"))["replays"] == 1
