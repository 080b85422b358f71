"""What a delivery job, one send attempt, a warm job and a media download came to, by name.

Job, warm and download outcomes are what an rq job returns (rq logs them, tests read
them): StrEnums, so each member is the very string returned before. A send attempt's
result stays inside the sending job and is a plain Enum: it is read by name only.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class JobOutcome(StrEnum):
    """What a ``deliver`` job did with its chat (otherwise it returns the status of a row
    no longer pending, a ``storage.outbox.OutboxStatus``)."""

    SENT = "sent"  # the chat has nothing left to send now
    DEFERRED = "deferred"  # a row waits for another try; a job is scheduled for the chat
    WAITING = "waiting"  # the next row is not due yet; a job is scheduled for it
    CONTINUED = "continued"  # the job's share is done: a fresh job goes on with the chat
    WARMING = "warming"  # a heavy row is prepared ahead; its warm job queues the chat again
    CHAT_BUSY = "chat busy"  # another job holds the chat and sends this row or hands it on
    MISSING = "missing"  # no such row
    ERROR = "error"  # (``deliver_outbox_rows``) this row's job raised


class SendResult(Enum):
    """What one attempt at the chat's head row came to (``sending._send_one``), or counting
    an exception as its attempt (``sending._count_error``)."""

    SENT = "sent"  # recorded as sent: the chat goes on
    FAILED = "failed"  # recorded as failed for good: the chat goes on
    DEFERRED = "deferred"  # waits for another try, a job scheduled: the chat waits too
    NOTHING = "nothing"  # nothing done: a short rate-limit wait on another job's row
    NOT_PENDING = "not pending"  # the row was no longer pending: not its attempt to count


class WarmOutcome(StrEnum):
    """What a ``warm`` job did with its row (``delivery.warming``; otherwise it returns the
    status of a row no longer pending, a ``storage.outbox.OutboxStatus``)."""

    WARMED = "warmed"  # rendered ahead and kept in the row
    NOT_NEEDED = "not needed"  # warmed already, in doubt, or out of tries
    FAILED = "failed"  # the render raised: counted, the row is rendered at the head later
    TOO_LATE = "too late"  # the row went (or was started) meanwhile
    MISSING = "missing"  # no such row


class DownloadOutcome(StrEnum):
    """What a media download job did (otherwise it returns the status of a media row no
    longer pending)."""

    STORED = "stored"
    FAILED = "failed"
    RETRYING = "retrying"  # a temporary failure: a job is scheduled for the next try
    LEFT_OUT = "left_out"  # over the report's total size: not stored
    MISSING = "missing"  # no such media row
