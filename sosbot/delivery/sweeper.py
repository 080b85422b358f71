"""The sweeper: nothing waits forever because a job or a timer was lost.

Every worker runs it periodically; a Redis lock lets one sweep at a time. It re-queues
outbox rows and media downloads that no job has taken (Redis restarted, a worker died),
lets the clock reach idle drafts so they expire with a message, catches up on escalations
whose timers were lost, reads the names of residents whose platform sends none
(``profiles``), and runs the periodic tasks producers registered (the command
centre's digests and bulletin progress: ``extensions``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import col, select

from sosbot.delivery import profiles
from sosbot.delivery.context import JobContext
from sosbot.delivery.queueing import DELIVER, DOWNLOAD
from sosbot.residents.actions import expire_idle
from sosbot.routing import escalation
from sosbot.storage import conversations, outbox
from sosbot.storage.db import transaction
from sosbot.storage.tables import Media, MediaStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    outbox_requeued: int = 0
    media_requeued: int = 0
    drafts_expired: int = 0
    escalated: int = 0
    profiles: int = 0
    registered: Mapping[str, int] = field(default_factory=dict)  # by task name
    skipped: bool = False


def sweep(ctx: JobContext, lock_timeout_s: float = 60.0) -> SweepReport:
    lock = ctx.redis.lock("sosbot:sweeper", timeout=lock_timeout_s, blocking=False)
    if not lock.acquire():
        return SweepReport(skipped=True)
    try:
        return SweepReport(outbox_requeued=_requeue_outbox(ctx),
                           media_requeued=_requeue_media(ctx),
                           drafts_expired=_expire_drafts(ctx),
                           escalated=_escalate_due(ctx),
                           profiles=profiles.fill_names(ctx.engine, ctx.outbound, ctx.run,
                                                        ctx.clock()),
                           registered={name: task(ctx)
                                       for name, task in ctx.extensions.tasks.items()})
    finally:
        if lock.owned():
            lock.release()


def _requeue_outbox(ctx: JobContext) -> int:
    now = ctx.clock()
    stale = timedelta(seconds=ctx.limits.outbox_stale_after_s)
    with transaction(ctx.engine) as session:
        rows = outbox.stranded(session, now, stale)
        # A long queue is workers behind (a bulletin, a burst), not jobs lost: every pending
        # row may already have its job waiting. Re-queue only what the queue cannot hold,
        # so a backlog is never multiplied by each sweep. A queue Redis lost is empty.
        waiting = ctx.dispatcher.waiting()
        if waiting >= len(rows):
            if rows:
                log.info("sweeper: %d jobs waiting, %d rows not sent for %ss: workers are "
                         "behind, nothing re-queued", waiting, len(rows), stale.seconds)
            return 0
        rows = rows[:len(rows) - waiting]
        items = [(row.id, row.attempts) for row in rows if row.id is not None]
        for row in rows:
            row.enqueued_at = now
    stamp = int(now.timestamp())
    ctx.dispatcher.now(DELIVER, [(i, stamp * 100 + a) for i, a in items])
    if items:
        log.info("sweeper re-queued %d outbox rows", len(items))
    return len(items)


def _requeue_media(ctx: JobContext) -> int:
    now = ctx.clock()
    stale = now - timedelta(seconds=ctx.limits.outbox_stale_after_s)
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(Media).where(Media.status == MediaStatus.PENDING, col(Media.created_at) < stale,
                                (col(Media.next_try_at).is_(None))
                                | (col(Media.next_try_at) < stale))
            .limit(500)
        ).all()
        items = [(row.id, row.attempts) for row in rows if row.id is not None]
        for row in rows:
            row.next_try_at = now
    stamp = int(now.timestamp())
    ctx.dispatcher.now(DOWNLOAD, [(i, stamp * 100 + a) for i, a in items])
    return len(items)


def _expire_drafts(ctx: JobContext) -> int:
    now = ctx.clock()
    cutoff = now - timedelta(seconds=ctx.conversation.draft_ttl_s)
    with transaction(ctx.engine) as session:
        ids = conversations.idle_drafts(session, cutoff)
    outbox_ids: list[int] = []
    for conversation_id in ids:
        with transaction(ctx.engine) as session:
            outbox_ids += expire_idle(session, conversation_id, now, ctx.policy).outbox_ids
    ctx.dispatcher.outbox(outbox_ids)
    return len(ids)


def _escalate_due(ctx: JobContext) -> int:
    """Catch up on escalations whose timers were lost (Redis restarted, worker died)."""
    now = ctx.clock()
    with transaction(ctx.engine) as session:
        due = escalation.due_reports(session, now, ctx.rules)
    for report_id in due:
        with transaction(ctx.engine) as session:
            escalation.escalate(session, report_id, now, ctx.rules)
            follow_up = outbox.take_added(session)
        ctx.dispatcher.outbox(follow_up)
    return len(due)
