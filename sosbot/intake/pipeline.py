"""Record, then process: the order of the intake writer's two steps.

``Pipeline.record`` runs on the writer's recording thread; its own thread processes what was
recorded, the oldest first, as soon as it is recorded. One thread records (in hand-over
order), one processes (in recorded order): a chat's updates are processed in the order they
came, and a delivery's recording never waits for another's processing (on SQLite, for one
processing transaction at most: ``GroupCommit`` lets the two take turns on its one write
lock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from sosbot.intake.group_commit import (
    PROCESS_BATCH,
    PROCESS_RETRY_S,
    UNAVAILABLE,
    GroupCommit,
    Outcome,
)
from sosbot.intake.take import Delivery, Recorded

log = logging.getLogger(__name__)

Tag = TypeVar("Tag")


class Pipeline(Generic[Tag]):
    """Record, then process: the recorded deliveries waiting for their processing (each
    with its caller's tag), in the order they were recorded. ``record`` runs on the
    writer's thread; ``process`` on a thread of its own (``start``), which takes them one
    batch at a time, in order, as soon as they are recorded: so a delivery's recording
    never waits for another's processing (on PostgreSQL; SQLite has one write lock, so
    there it waits for one processing transaction at most)."""

    def __init__(self, commit: GroupCommit,
                 on_processed: Callable[[list[tuple[Tag, Outcome]]], None],
                 process_batch: int = PROCESS_BATCH,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.commit, self.on_processed = commit, on_processed
        self.process_batch, self.clock = process_batch, clock
        self.backlog: deque[tuple[Tag, Recorded]] = deque()
        self._paused_until = 0.0
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="intake-processing",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Process what was recorded (unless the database is away: the next writer will),
        then end the thread."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def record(self, batch: list[tuple[Tag, Delivery]],
               on_recorded: Callable[[list[tuple[Tag, Outcome]]], None]) -> None:
        """Record a batch (one transaction) and tell ``on_recorded`` each delivery's
        outcome; then (never before: a delivery's processing is told after its recording)
        the recorded ones are processed, in order."""
        try:
            outcomes = self.commit.record([delivery for _, delivery in batch])
        except Exception as exc:  # noqa: BLE001 - the writer must outlive any one batch
            log.exception("intake writer: batch of %d failed", len(batch))
            outcomes = [(exc, None) for _ in batch]
        on_recorded([(tag, outcome) for (tag, _), (outcome, _)
                     in zip(batch, outcomes, strict=True)])
        with self._changed:
            for (tag, _), (_, recorded) in zip(batch, outcomes, strict=True):
                if recorded is not None:
                    self.backlog.append((tag, recorded))
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self.backlog and not self._stopping:
                    self._changed.wait()
                pause = self._paused_until - self.clock()
                if not self.backlog or (self._stopping and pause > 0):
                    return
                chunk = [self.backlog[i]
                         for i in range(min(self.process_batch, len(self.backlog)))]
            if pause > 0:
                with self._changed:
                    self._changed.wait(pause)  # the database was away; woken to stop
                continue
            self.on_processed(self.process(chunk))

    def process(self, chunk: list[tuple[Tag, Recorded]]) -> list[tuple[Tag, Outcome]]:
        """Process the oldest recorded deliveries, ``chunk`` (one transaction); each
        one's outcome. With the database away, none: they wait at the head, and are
        tried again a little later."""
        try:
            outcomes = self.commit.process([recorded for _, recorded in chunk])
        except Exception as exc:  # noqa: BLE001 - the writer must outlive any one batch
            log.exception("intake writer: processing %d deliveries failed", len(chunk))
            outcomes = [exc for _ in chunk]
        done, away = [], []
        for item, outcome in zip(chunk, outcomes, strict=True):
            if isinstance(outcome, UNAVAILABLE):
                away.append(item)
            else:
                done.append((item[0], outcome))
        with self._changed:
            for _ in chunk:
                self.backlog.popleft()
            if away:  # still recorded, not processed: tried again first, a little later
                log.warning("intake: the database is away; processing %d recorded "
                            "deliveries again in %.0f s", len(self.backlog) + len(away),
                            PROCESS_RETRY_S)
                self.backlog.extendleft(reversed(away))
                self._paused_until = self.clock() + PROCESS_RETRY_S
        return done
