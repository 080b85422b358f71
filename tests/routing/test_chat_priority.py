"""Nothing urgent waits behind something heavy (issue 18, item 2): in one chat, a report's
card goes before the digest and the bulletin queued before it, and the digest's images are
rendered ahead of the chat's queue, not at its head."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot import metrics
from sosbot.command_centre import bulletins, schedule
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.outbox_rows import RowKind
from sosbot.delivery.warming import WARMED
from sosbot.geo.wards import WardIndex
from sosbot.storage import outbox, subscriptions
from sosbot.storage.db import transaction
from sosbot.storage.tables import Outbox
from tests.routing.flow import TAN_PHU, Rig, tan_phu_groups

RESIDENT, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER = 9001, 9101, 9102, 9103
DIGEST_HEAD = "TỔNG HỢP TIN BÁO"
BULLETIN_TEXT = "Cảnh giác thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền."


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    async with rig.running():
        yield rig


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    await rig.user(RESIDENT, "Mai")
    return await tan_phu_groups(rig, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER)


def what(message: dict[str, Any]) -> str:
    """A message of the command centre's chat, by its kind."""
    text = message.get("text") or message.get("caption") or ""
    if message.get("photo"):
        return "digest image"
    if DIGEST_HEAD in text:
        return "digest"
    if BULLETIN_TEXT in text:
        return "bulletin"
    if "🔥 CHÁY NỔ" in text and message.get("reply_markup"):
        return "card"
    return "other"


def queue_digest_and_bulletin(rig: Rig, chat: int) -> list[int]:
    """The scheduled digest (text and images) and a city bulletin, written for ``chat`` by
    their producers, with no job queued: as when they wait behind a busy or dead worker.
    The command centre's chat takes the city's bulletins here, so one chat gets all three."""
    with transaction(rig.engine) as session:
        subscriptions.subscribe(session, channel="telegram", chat_id=str(chat),
                                reporter_id=None, scope="city", ward_code=None,
                                ward_name=None, lang="vi", now=rig.clock())
        assert schedule.post_digest(session, rig.rules, rig.clock(), timedelta(hours=24)) == 1
        bulletin = bulletins.draft(session, body=BULLETIN_TEXT, ward=None,
                                   created_by="telegram:9103", now=rig.clock())
        bulletins.start(session, bulletin, rig.clock())
        return outbox.take_added(session)


async def test_a_card_goes_before_the_digest_and_the_bulletin_queued_before_it(
        rig: Rig, groups: dict[str, int]) -> None:
    command = groups["command"]
    waiting = await rig.in_thread(queue_digest_and_bulletin, rig, command)
    assert len(waiting) == 3  # the digest's text and images, the bulletin

    # A fire is reported: its card joins the chat behind the three.
    await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy kho vải")
    # Jobs due within half a minute run too: a loaded machine renders the images slowly,
    # and the row waiting for them is deferred again (a worker would wait as long).
    await rig.drain(patience_s=30)

    sent = [kind for m in await rig.bot_messages(command) if (kind := what(m)) != "other"]
    assert sent == ["card", "digest", "digest image", "digest image", "digest image",
                        "bulletin"], sent
    with transaction(rig.engine) as session:
        rows = session.exec(select(Outbox).where(col(Outbox.id).in_(waiting))).all()
        assert {row.status for row in rows} == {outbox.SENT}
        assert {row.priority for row in rows} == {outbox.ROUTINE}


def _prepared(outcome: str) -> float:
    return metrics.PREPARED_AHEAD.labels(outcome)._value.get()


async def test_digest_images_are_rendered_ahead_not_at_the_head_of_the_chat(
        rig: Rig, groups: dict[str, int]) -> None:
    command = groups["command"]
    before = {outcome: _prepared(outcome) for outcome in ("ahead", "hit", "miss")}
    with transaction(rig.engine) as session:
        assert schedule.post_digest(session, rig.rules, rig.clock(), timedelta(hours=24)) == 1
        ids = outbox.take_added(session)
    rig.ctx.dispatcher.outbox(ids)
    # Jobs due within half a minute run too: a loaded machine renders the images slowly,
    # and the row waiting for them is deferred again (a worker would wait as long).
    await rig.drain(patience_s=30)

    with transaction(rig.engine) as session:
        [images] = session.exec(select(Outbox).where(
            col(Outbox.id).in_(ids), Outbox.method == RowKind.DIGEST_IMAGES)).all()
        assert images.status == outbox.SENT
        rendered = [item["sha256"] for item in images.payload[WARMED]["items"]]
    # Rendered once, by its warm job; every look at the head (one more after the rate limit
    # held the album back) found it rendered: none rendered there.
    after = {outcome: _prepared(outcome) - before[outcome] for outcome in before}
    assert after["ahead"] == 1 and after["miss"] == 0 and after["hit"] >= 1, after
    photos = [m for m in await rig.bot_messages(command) if m.get("photo")]
    assert len(photos) == 3
    posted = []
    for photo in photos:
        async with rig.http.get(f"{rig.emu}/_emu/files/{photo['photo'][-1]['file_id']}") as r:
            posted.append(hashlib.sha256(await r.read()).hexdigest())
    assert posted == rendered  # the very files rendered ahead went out
