"""rq job functions: module level, plain ids as arguments, the context from the worker."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache

from sqlalchemy import Connection

from sosbot.delivery import context, media_downloads, warming
from sosbot.delivery import sending as delivery
from sosbot.delivery.outcomes import JobOutcome
from sosbot.delivery.queueing import ESCALATE, ROWS_PER_JOB
from sosbot.residents.actions import place_candidates_found
from sosbot.routing import escalation
from sosbot.storage import outbox, place_lookups
from sosbot.storage.db import single_statement, transaction

log = logging.getLogger(__name__)


def deliver_outbox(outbox_id: int) -> str:
    """Send one outbox row (and any older pending row of the same chat)."""
    return delivery.deliver(context.current(), outbox_id)


def deliver_outbox_rows(outbox_ids: list[int]) -> str:
    """Send several rows queued together: each chat once, from its first row of the job
    (a chat's holder sends its pending rows in order, so the chat's later rows go with
    it); a chat whose sending fails does not hold back the others, and the first failure
    is raised at the end, so that rq records the job as failed."""
    ctx = context.current()
    with ctx.engine.connect() as db:
        with single_statement(db):  # (one round trip, not three: storage.db.single_statement)
            found = outbox.where_to_many(db, outbox_ids)
        chats: dict[tuple[str, str], list[int]] = {}
        outcomes: list[str] = []
        for outbox_id in outbox_ids:
            where = found.get(outbox_id)
            if where is None:
                outcomes.append(JobOutcome.MISSING)
            elif where[0] != outbox.OutboxStatus.PENDING:
                outcomes.append(where[0])
            else:
                chats.setdefault((where[1], where[2]), []).append(outbox_id)
        # The chats at once, each on a thread of its own: a send waits for the platform's
        # answer (a round trip to Telegram's servers takes a good part of a second's
        # fifth), and one chat's wait must not hold up the others' (bench/FINDINGS.md,
        # session 8). Each chat stays in order: one thread sends all of its rows, one after
        # another. The first chat is sent on the job's own thread with the job's
        # connection (no hand-over, no second checkout); the others on the chats' threads,
        # each in a copy of the job's context (its log lines carry the job's id).
        first, *rest = list(chats.values()) or [[]]
        started: list[tuple[list[int], Future[str] | None]] = [
            (rows, _chat_threads().submit(contextvars.copy_context().run, _send_chat, ctx,
                                          rows, found)) for rows in rest]
        if first:
            started.insert(0, (first, None))  # sent below, on this thread
        failure: Exception | None = None
        for rows, sending in started:
            try:
                outcomes.append(sending.result() if sending is not None
                                else _send_chat(ctx, rows, found, db))
            except Exception as exc:  # raised below, after the other chats had their turn
                log.exception("outbox %s: delivery failed; the sweeper queues it again",
                              rows[0])
                outcomes.append(JobOutcome.ERROR)
                failure = failure or exc
    if failure is not None:
        raise failure
    return ",".join(outcomes)


def _send_chat(ctx: context.JobContext, rows: list[int],
               found: dict[int, outbox.Whereabouts], db: Connection | None = None) -> str:
    """Send one chat's rows of a job, from its first (the holder goes on in order)."""
    return delivery.deliver(ctx, rows[0], up_to=max(rows), found=found[rows[0]], db=db)


# Chats a worker process sends to at once, all its lanes together. Sends in flight are
# throughput × round trip: 20 reports/s (about 110 sends) at 150 ms is about 17, shared by
# the worker processes. Each sending chat holds a database connection while it waits
# (`sosbot worker` sizes its pool for its lanes, these, the sweeper and the chat watch).
CHATS_AT_ONCE = 2 * ROWS_PER_JOB


@cache
def _chat_threads() -> ThreadPoolExecutor:
    """The threads a worker process sends on (CHATS_AT_ONCE), shared by its lanes."""
    return ThreadPoolExecutor(max_workers=CHATS_AT_ONCE, thread_name_prefix="sosbot-chat")


def download_media(media_id: int) -> str:
    """Fetch one resident media file into the media store."""
    return media_downloads.download(context.current(), media_id)


def warm_outbox(outbox_id: int) -> str:
    """Do a heavy row's preparation ahead of its chat's queue (``delivery.warming``)."""
    return warming.warm(context.current(), outbox_id)


def escalate_report(report_id: int) -> int:
    """Do the escalation steps due now for one report (a no-op once acknowledged), and set
    the timer of its next step while one is to come."""
    ctx = context.current()
    with transaction(ctx.engine) as session:
        level, following = escalation.escalate_and_time_next(session, report_id, ctx.clock(),
                                                             ctx.rules)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    if following is not None:
        # A fresh id: a job run before its step was due sets the same step again.
        ctx.dispatcher.later(ESCALATE, following.item_id, following.delay_s,
                             attempt=int(ctx.clock().timestamp() * 1000))
    return level


def lookup_place(lookup_id: int) -> str:
    """Find the candidate wards of a conversation's typed place and store them on its
    lookup row: the offline reading always, with the online geocoder's answers when it is
    configured and answers (never in a webhook request: the geocoder may take seconds)."""
    ctx = context.current()
    with transaction(ctx.engine) as session:
        row = place_lookups.get(session, lookup_id)
        if row is None or row.status != place_lookups.PENDING:
            return "gone" if row is None else row.status
        query = row.query
    if ctx.places is None:
        raise RuntimeError("the worker has no place finder (runtime.job_context builds one)")
    reading, online = ctx.places.find(query)
    wards = ctx.rules.wards
    candidates = [{**c.as_dict(), "ward_full_name": wards.by_code(c.ward_code).full_name,
                   "ward_full_name_en": wards.by_code(c.ward_code).full_name_en}
                  if c.ward_code in wards else c.as_dict() for c in reading.candidates]
    with transaction(ctx.engine) as session:
        row = place_lookups.get(session, lookup_id)
        if row is None or row.status != place_lookups.PENDING:
            return "gone" if row is None else row.status
        place_lookups.record(session, row, candidates, online=online, now=ctx.clock())
        status = row.status
        # The resident's conversation hears it in the same transaction: the confirmation
        # is queued as soon as the geocoder has answered.
        result = place_candidates_found(session, lookup_id, ctx.clock(), ctx.policy)
    ctx.dispatcher.outbox(result.outbox_ids)
    return status


# The only functions a sosbot worker runs, by the import path a job names (Dispatcher's
# DELIVER, DELIVER_ROWS, DOWNLOAD, ESCALATE, LOOKUP_PLACE, WARM). Anyone who can write to
# Redis can queue a job naming any function; job_guard refuses every job whose name is not a
# key here.
JOBS: dict[str, Callable[..., object]] = {
    f"{__name__}.{job.__name__}": job
    for job in (deliver_outbox, deliver_outbox_rows, download_media, escalate_report,
                lookup_place, warm_outbox)
}
