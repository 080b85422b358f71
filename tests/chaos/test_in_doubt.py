"""A card whose send was recorded as started but never finished (the worker died between
the platform's answer and the commit) is "in doubt": the next try sends it again with the
same Idempotency-Key, and the platform (the emulator honours the key) answers with the card
it already posted instead of posting a second one. The row ends sent, with the first card's
message id, and the group shows the card once.

The dead worker is played exactly: the attempt is recorded as delivery records it, and the
card is sent with its key through the real Telegram client, then nothing is committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core import idempotency
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import Card
from sosbot.delivery import card_posts
from sosbot.delivery import sending as delivery
from sosbot.delivery.platform_sends import carry_out
from sosbot.geo.wards import WardIndex
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.tables import Delivery, Outbox
from tests.chaos.rig import cards_by_code
from tests.routing.flow import Rig
from tests.routing.test_fanout_limits import incident_spots, routing_config, submit

DUTY_OFFICER = 9601


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: PostgreSQL under the same faults is the kill -9 and outage tests' job."""
    return f"sqlite:///{tmp_path / 'sosbot.db'}"


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path,
              config=routing_config())
    async with rig.running(limits=False):
        yield rig


async def test_a_card_in_doubt_is_not_posted_twice(rig: Rig, wards: WardIndex) -> None:
    await rig.user(DUTY_OFFICER, "Thiếu tá Vy")
    command = await rig.group("TTTTCH", [DUTY_OFFICER])
    await rig.bind(DUTY_OFFICER, command, "command", "command")
    codes, ids = await rig.in_thread(submit, rig, incident_spots(wards, 2)[:1], rig.clock)
    with transaction(rig.engine) as session:
        [row] = session.exec(select(Outbox).where(col(Outbox.id).in_(ids),
                                                  Outbox.chat_id == str(command))).all()
        assert row.id is not None and row.method == "card"
        row_id = row.id

    # The worker that died: it recorded the attempt (committed), sent, and died.
    with transaction(rig.engine) as session:
        stored = session.get(Outbox, row_id)
        assert stored is not None
        stored.attempt_started_at = rig.clock()
        stored.idempotency_key = key = f"sosbot-{row_id}-deadbeef"
        delivery_id = stored.delivery_id
    with transaction(rig.engine) as session:
        prepared = card_posts.prepare(session, Card(), delivery_id, rig.rules, rig.clock())

    async def send_with_key() -> str | None:
        with idempotency.sending(key):
            assert prepared.send is not None
            return await carry_out(rig.ctx.outbound["telegram"], str(command),
                                   Destination.GROUP, prepared.send)

    first_id = await rig.in_thread(rig.loop_thread.run, send_with_key())
    assert cards_by_code(await rig.bot_messages(command)) == {codes[0]: 1}

    # Whatever picks the row up next (the sweeper's job, another worker) finds it in doubt.
    for outbox_id in ids:
        await rig.in_thread(delivery.deliver, rig.ctx, outbox_id)
    assert cards_by_code(await rig.bot_messages(command)) == {codes[0]: 1}
    with transaction(rig.engine) as session:
        done = session.get(Outbox, row_id)
        assert done is not None
        assert done.status == outbox.SENT and done.platform_message_id == first_id
        [card] = session.exec(select(Delivery).where(Delivery.chat_id == str(command))).all()
        assert card.status == "sent" and card.card_message_id == first_id
    async with rig.http.get(f"{rig.emu}/_emu/idempotency") as response:
        assert (await response.json())["replays"] == 1
