"""Platform faults injected by the Telegram emulator: a fifth of the Bot API calls answer 429
(with ``retry_after``), 500, hang and then drop, or drop the connection at once.

Every card still reaches its group exactly once, within a bounded number of attempts each;
and a group whose every call fails is given up on after ``max_send_attempts`` and reported
to the command centre instead of being retried for ever.

Runs on the in-process routing rig (tests/routing/flow.py): the real web app, the emulator
over loopback HTTP, rq jobs, and a clock the test moves past each backoff.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery import context
from sosbot.delivery import sending as delivery
from sosbot.delivery.context import JobContext, Limits
from sosbot.geo.wards import WardIndex
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.tables import Delivery, Outbox
from tests.chaos.rig import cards_by_code
from tests.routing.flow import Rig, tan_phu_groups
from tests.routing.test_fanout_limits import incident_spots, routing_config, submit

WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER = 9501, 9502, 9503
TAN_PHU_WARD = "27031"
SEED = 20261123  # in the first 24 calls, every kind of fault comes up


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


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    return await tan_phu_groups(rig, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER)


async def faults(rig: Rig, **settings: Any) -> dict[str, Any]:
    return await rig.post("/_emu/random_faults", settings)  # type: ignore[no-any-return]


def pending(rig: Rig) -> list[Outbox]:
    with transaction(rig.engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.status == outbox.PENDING)
                                 .order_by(col(Outbox.id))).all())


async def work_until_done(rig: Rig, ctx: JobContext, max_rounds: int = 400) -> timedelta:
    """Run the queue; when only deferred rows are left, move the clock to the first one due
    and send again. Returns how far the clock moved (the backoff the retries cost)."""
    moved = timedelta()
    for _ in range(max_rounds):
        await rig.drain()
        rows = pending(rig)
        if not rows:
            return moved
        heads: dict[str, Outbox] = {}
        for row in rows:  # a chat sends in order: its oldest pending row decides
            heads.setdefault(row.chat_id, row)
        due = min(row.not_before for row in heads.values())
        if due > rig.clock():
            moved += due - rig.clock()
            rig.clock.now = due
        for row in rows:
            assert row.id is not None
            await rig.in_thread(delivery.deliver, ctx, row.id)
    stuck = [(r.id, r.chat_id, r.attempts, r.not_before, r.last_error) for r in pending(rig)]
    raise AssertionError(f"rows still pending after {max_rounds} rounds: {stuck[:5]}")


async def test_a_fifth_of_calls_failing_every_card_arrives_once(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    codes, ids = await rig.in_thread(submit, rig, incident_spots(wards, 8), rig.clock)
    await faults(rig, rate=0.2, hang_s=0.3, retry_after_s=1, seed=SEED)
    rig.ctx.dispatcher.outbox(ids)
    backoff = await work_until_done(rig, rig.ctx)

    async with rig.http.get(f"{rig.emu}/_emu/random_faults") as response:
        drawn = await response.json()
    assert set(drawn["faults"]) == {"429", "500", "timeout", "drop"}, drawn  # all were met
    with transaction(rig.engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        rows = session.exec(select(Outbox).where(col(Outbox.id).in_(ids))).all()
    assert len(deliveries) == 3 * len(codes)
    assert all(d.status == "sent" and d.card_message_id for d in deliveries)
    assert all(row.status == outbox.SENT for row in rows)
    assert max(row.attempts for row in rows) < Limits().max_send_attempts
    for chat in groups.values():
        posted = cards_by_code(await rig.bot_messages(chat))
        assert posted == {code: 1 for code in codes}, posted
    print(f"\nplatform faults: {drawn['calls']} calls, faults {drawn['faults']}, "
          f"most attempts for one row {max(row.attempts for row in rows)}, "
          f"backoff waited {backoff.total_seconds():.0f}s of clock")


async def test_a_group_that_always_fails_is_given_up_and_reported(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    ctx = dataclasses.replace(rig.ctx, limits=Limits(max_send_attempts=4))
    context.install(ctx)
    await faults(rig, rate=1.0, kinds=["500"], chats=[str(groups["pc07"])])
    codes, ids = await rig.in_thread(submit, rig, incident_spots(wards, 2)[:1], rig.clock)
    [code] = codes
    ctx.dispatcher.outbox(ids)
    backoff = await work_until_done(rig, ctx)

    with transaction(rig.engine) as session:
        by_chat = {d.chat_id: d for d in session.exec(select(Delivery)).all()}
        card_rows = session.exec(select(Outbox).where(col(Outbox.id).in_(ids))).all()
    failed = by_chat[str(groups["pc07"])]
    assert failed.status == "failed" and "Internal Server Error" in (failed.last_error or "")
    [pc07_row] = [r for r in card_rows if r.chat_id == str(groups["pc07"])]
    assert pc07_row.status == outbox.FAILED and pc07_row.attempts == 4
    assert by_chat[str(groups["ward"])].status == "sent"
    assert by_chat[str(groups["command"])].status == "sent"
    told = [m["text"] for m in await rig.bot_messages(groups["command"])
            if (m.get("text") or "").startswith("⚠️ Không gửi được tin báo")]
    assert len(told) == 1 and code in told[0] and "(department PC07)" in told[0], told
    assert code not in cards_by_code(await rig.bot_messages(groups["pc07"]))
    print(f"\npermanent failure: given up after 4 attempts and "
          f"{backoff.total_seconds():.0f}s of backoff; the command centre was told")
