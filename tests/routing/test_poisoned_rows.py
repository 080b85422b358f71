"""One resident must never stop the police's chats: a row whose preparation raises is
counted, tried again, failed, and reported, and the rows behind it in its chat go on.

Through the routing rig: the real web app, the Telegram emulator, rq jobs run as a worker
runs them, and the rig's clock for the retries (no sleeping for the backoff)."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.outbox_rows import CardAlbum
from sosbot.delivery import sending as delivery
from sosbot.delivery.context import Limits
from sosbot.delivery.queueing import DELIVER
from sosbot.geo.wards import WardIndex
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.tables import Delivery, Media, Outbox, Report
from tests.privacy.test_video_scrub import nested_boxes
from tests.routing.flow import TAN_PHU, Rig, tan_phu_groups

RESIDENTS = (9301, 9302, 9303, 9304)
WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER = 9311, 9312, 9313
CATEGORIES = ("fire", "traffic", "security", "other")  # no two of them are duplicates


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    async with rig.running():
        yield rig


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    for number, resident in enumerate(RESIDENTS):
        await rig.user(resident, f"Cư dân {number}")
    return await tan_phu_groups(rig, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER)


async def report_with_video(rig: Rig, resident: int, video: bytes) -> str:
    """A fire reported through the whole conversation, with a video attached."""
    await rig.send(resident, text="/start")
    menu = (await rig.bot_messages(resident))[-1]
    await rig.press(resident, resident, menu["message_id"], "cat:fire")
    await rig.send(resident, location={"latitude": TAN_PHU[0], "longitude": TAN_PHU[1],
                                       "horizontal_accuracy": 20})
    await rig.send(resident, text="Cháy, quay được video")
    await rig.send(resident, video={"data_b64": base64.b64encode(video).decode()})
    last = (await rig.bot_messages(resident))[-1]
    await rig.press(resident, resident, last["message_id"], "done")
    summary = (await rig.bot_messages(resident))[-1]
    await rig.press(resident, resident, summary["message_id"], "submit")
    with transaction(rig.engine) as session:
        newest = session.exec(select(Report).order_by(col(Report.id).desc())).first()
    assert newest is not None
    return newest.code


def card_codes(messages: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """The reports on the cards among ``messages``, in order (three cards waiting for one
    chat go out as one batch card)."""
    codes: list[str] = []
    for message in messages:
        if message.get("reply_markup"):
            codes += [code for code in re.findall(r"SOS-\d{6}", message.get("text") or "")
                      if code not in codes]
    return codes


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_video_of_3000_nested_boxes_holds_up_no_card(
        rig: Rig, groups: dict[str, int]) -> None:
    """The file once seen: a 24 KB "MP4" of 3,000 nested boxes. Its album is refused (not
    sent) and the cards after it reach the command centre."""
    poisoned = await report_with_video(rig, RESIDENTS[0], nested_boxes(3000))
    with transaction(rig.engine) as session:
        [media] = session.exec(select(Media)).all()
        assert media.status == "stored" and media.mime == "video/mp4"
    codes = [poisoned] + [await rig.report(resident, category, TAN_PHU, f"Báo {category}")
                          for resident, category in zip(RESIDENTS[1:], CATEGORIES[1:],
                                                        strict=True)]
    command = await rig.bot_messages(groups["command"])
    assert card_codes(command) == codes
    assert not [m for m in command if m.get("video") or m.get("photo")]
    with transaction(rig.engine) as session:
        assert outbox.pending_count(session) == 0


async def run_retries(rig: Rig) -> int:
    """Time passes: the clock moves past any backoff, and the delivery jobs scheduled for
    later run now (as the worker's scheduler would move them), then whatever they queue."""
    rig.clock.advance(seconds=delivery.MAX_BACKOFF_S * 2)
    queue = Queue(rig.queue_name, connection=rig.redis)
    key = queue.scheduled_job_registry.key
    ran = 0
    for raw in rig.redis.zrange(key, 0, -1):
        job_id = raw.decode()
        if job_id.startswith("outbox-") and rig.redis.zrem(key, job_id):
            await rig.in_thread(Job.fetch(job_id, connection=rig.redis).perform)
            ran += 1
    return ran + await rig.drain()


@pytest.mark.parametrize("database_url", ["postgres", "sqlite"], indirect=True)
async def test_a_row_whose_render_raises_is_failed_and_the_three_behind_it_arrive(
        rig: Rig, groups: dict[str, int]) -> None:
    first = await rig.report(RESIDENTS[0], "fire", TAN_PHU, "Cháy kho")
    with transaction(rig.engine) as session:
        command = session.exec(select(Delivery).where(Delivery.role == "command")).one()
        # An album row whose sending raises (its file is gone from the media store: an
        # OSError, no platform's answer): a stand-in for any row the worker cannot prepare
        # or send. (A payload that cannot be read fails at once, never retried: below.)
        gone = Media(report_id=command.report_id, channel="telegram", kind="document",
                     platform_file_id="gone", status="stored", sha256="0" * 64,
                     mime="application/pdf", created_at=rig.clock())
        session.add(gone)
        session.flush()
        assert gone.id is not None
        poison = outbox.for_delivery(session, command, CardAlbum((gone.id,)), rig.clock())
    rig.ctx.dispatcher.now(DELIVER, [(poison, 0)])
    others = [await rig.report(resident, category, TAN_PHU, f"Báo {category}")
              for resident, category in zip(RESIDENTS[1:], CATEGORIES[1:], strict=True)]
    # Each try waits for its backoff on the rig's clock, which the other reports' sends
    # also move (a send waiting for the rate limit waits on that clock): keep running what
    # is due until the poisoned row is given up on. Never more tries than the limit.
    for _ in range(Limits().max_error_attempts):
        with transaction(rig.engine) as session:
            row = session.get(Outbox, poison)
            assert row is not None and "FileNotFoundError" in (row.last_error or "")
            if row.status != "pending":
                break
        await run_retries(rig)
    command_chat = await rig.bot_messages(groups["command"])
    assert card_codes(command_chat) == [first, *others]
    [alert] = [m["text"] for m in command_chat if "Đã bỏ qua" in (m.get("text") or "")]
    assert first in alert and "ảnh/video" in alert and f"nhóm «{groups['command']}»" in alert
    assert f"#{poison}" in alert and "FileNotFoundError" in alert
    with transaction(rig.engine) as session:
        row = session.get(Outbox, poison)
        assert row is not None and (row.status, row.attempts) == ("failed", 3)
        assert outbox.pending_count(session) == 0
    # The other chats never waited for it.
    assert card_codes(await rig.bot_messages(groups["ward"])) == [first, *others]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_rows_this_code_cannot_read_fail_at_once_and_the_rows_behind_them_go(
        rig: Rig, groups: dict[str, int]) -> None:
    """A row of a kind this code does not know (written by a newer version, or by hand) and
    a row whose payload is not its kind's (bad JSON) each fail for good at their first
    look, as a PermanentSendError of their own (``BadOutboxRow``): never guessed at, never
    retried, never a crash of the job; the card queued behind them in the same chat goes."""
    first = await rig.report(RESIDENTS[0], "fire", TAN_PHU, "Cháy kho")
    with transaction(rig.engine) as session:
        command = session.exec(select(Delivery).where(Delivery.role == "command")).one()
        unknown = Outbox(channel=command.channel, chat_id=command.chat_id,
                         destination="group", method="teleport", payload={"to": "mars"},
                         not_before=rig.clock(), created_at=rig.clock())
        bad_json = Outbox(channel=command.channel, chat_id=command.chat_id,
                          destination="group", method="card_album",
                          payload={"media_ids": ["💥"]}, delivery_id=command.id,
                          not_before=rig.clock(), created_at=rig.clock())
        session.add_all([unknown, bad_json])
        session.flush()
        poisoned = [unknown.id, bad_json.id]
    rig.ctx.dispatcher.now(DELIVER, [(row_id, 0) for row_id in poisoned if row_id])
    second = await rig.report(RESIDENTS[1], "traffic", TAN_PHU, "Tai nạn")
    assert card_codes(await rig.bot_messages(groups["command"])) == [first, second]
    with transaction(rig.engine) as session:
        rows = [session.get(Outbox, row_id) for row_id in poisoned]
        # Failed before any platform was called: no attempt of a send is counted.
        assert [(r.status, r.attempts) for r in rows if r] == [("failed", 0), ("failed", 0)]
        assert [r.last_error or "" for r in rows if r] == [
            "BadOutboxRow: unknown outbox row kind 'teleport'",
            "BadOutboxRow: card_album row: 'media_ids' is not a list of ids"]
        assert outbox.pending_count(session) == 0
