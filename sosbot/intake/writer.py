"""Group commit into the journal: one thread records every webhook's events, several
deliveries per transaction; another processes them right after, in the same order.

A webhook handler hands its events to the writer and waits until they are recorded
(``take.record_batch``: one multi-row ``INSERT`` into ``inbound_event``, the journal, and
its commit) before it answers 200, so what was answered 2xx is durable, exactly as with a
transaction per delivery. While one transaction runs, the deliveries that arrive queue up,
and the next one takes all of them (up to ``max_batch``): one BEGIN and one COMMIT (one
fsync) for many updates, and no threads fighting over SQLite's single write lock.

As soon as a batch is recorded, ``Pipeline``'s thread processes it (``take.process_recorded``:
the conversation steps, group events, routing, outbox rows, and the journal rows marked
processed, in transactions of up to ``process_batch`` deliveries), then queues the outbox
rows, downloads and timers on rq in one go; if Redis is away the rows are committed all
the same and the sweeper queues them. The recording never waits for a processing on
PostgreSQL, and for one processing transaction at most on SQLite (its one write lock).

The order guarantee: deliveries are recorded in the order they were handed over
(``submit``, one recording thread) and processed in the order they were recorded (one
processing thread, taking the oldest first); a chat's updates are handed over in the order
they came (the web process's chat lock), so they are processed in that order, whatever the
recording of later batches does meanwhile. Across web processes, ``process_recorded``
processes an earlier unprocessed row of the same chat first, whoever recorded it.

If a batch fails, each of its deliveries is tried again in a transaction of its own, so one
bad update never costs the others. One that fails recording is answered 500 (nothing of it
is kept; the platform sends it again); one that fails processing alone has been answered
200 already: its rows are marked processed and the error logged (never retried for ever).
A database that is away fails the recording (the handlers answer 503 and the platforms
retry) and pauses the processing, which tries again a second later. A writer killed between
the two leaves rows unprocessed: ``GroupCommit.replay`` processes them, in order, when the
next writer starts, before it takes anything new.

``GroupCommit`` (``intake.group_commit``) is the storing itself, ``Pipeline``
(``intake.pipeline``) the processing after it; ``IntakeWriter`` runs them on threads of the
web process, ``sosbot.intake.writer_process`` in a process of its own (its own interpreter
lock).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from sosbot.core.events import PlatformEvent
from sosbot.delivery.queueing import Dispatcher
from sosbot.intake.group_commit import PROCESS_BATCH, GroupCommit, Outcome
from sosbot.intake.pipeline import Pipeline
from sosbot.intake.take import Delivery, IntakePolicy, IntakeResult

log = logging.getLogger(__name__)

@dataclass
class _Waiting:
    delivery: Delivery
    loop: asyncio.AbstractEventLoop
    recorded: asyncio.Future[IntakeResult]
    processed: asyncio.Future[IntakeResult]


@dataclass(frozen=True)
class Handed:
    """A delivery handed to a writer: ``recorded`` settles once its events are committed
    (what a webhook's 200 waits for), ``processed`` once their processing is (its rows,
    timers and counts; a failure to process it for good is its exception)."""

    recorded: asyncio.Future[IntakeResult]
    processed: asyncio.Future[IntakeResult]


class IntakeWriter:
    """Records deliveries on a thread of its own and processes them on another;
    ``store`` awaits the recording."""

    def __init__(self, engine: Engine, policy: IntakePolicy, dispatcher: Dispatcher,
                 clock: Callable[[], datetime], max_batch: int = 64,
                 process_batch: int = PROCESS_BATCH) -> None:
        self.commit = GroupCommit(engine, policy, dispatcher, clock)
        self.pipeline: Pipeline[_Waiting] = Pipeline(self.commit, _processed, process_batch)
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._unprocessed: set[asyncio.Future[IntakeResult]] = set()

    @property
    def batches(self) -> int:
        return self.commit.batches

    @property
    def stored(self) -> int:
        return self.commit.stored

    @property
    def ready(self) -> bool:
        return self._thread is not None

    async def start(self) -> None:
        """Process what the journal holds unprocessed, then start the threads."""
        await asyncio.get_running_loop().run_in_executor(None, self.commit.replay_at_start)
        self.pipeline.start()
        self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
        self._thread.start()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Finish what is queued (recorded and processed), then end the threads."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, thread.join, timeout_s)
            await loop.run_in_executor(None, self.pipeline.stop, timeout_s)

    async def store(self, events: list[PlatformEvent], payload: dict[str, Any]
                    ) -> IntakeResult:
        """Store one delivery's events; returns once they are recorded (or raises)."""
        return await asyncio.shield(self.submit(events, payload).recorded)

    async def processed(self) -> None:
        """Returns once every delivery handed over so far is processed (or given up on)."""
        await _settled(self._unprocessed)

    def submit(self, events: list[PlatformEvent], payload: dict[str, Any]) -> Handed:
        """Hand one delivery to the writer, which records deliveries in the order they were
        handed over and processes them in that order."""
        if self._thread is None:
            raise RuntimeError("the intake writer is not running")
        loop = asyncio.get_running_loop()
        waiting = _Waiting((events, payload), loop, loop.create_future(), loop.create_future())
        _track(self._unprocessed, waiting.processed)
        self._queue.put(waiting)
        return Handed(waiting.recorded, waiting.processed)

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self.pipeline.record([(w, w.delivery) for w in batch], _recorded)
            if stopping:
                return


def _recorded(outcomes: list[tuple[_Waiting, Outcome]]) -> None:
    for waiting, outcome in outcomes:
        _settle(waiting, waiting.recorded, outcome)
        if isinstance(outcome, Exception):  # nothing recorded: nothing to process
            _settle(waiting, waiting.processed, outcome)


def _processed(outcomes: list[tuple[_Waiting, Outcome]]) -> None:
    for waiting, outcome in outcomes:
        _settle(waiting, waiting.processed, outcome)


def _track(futures: set[asyncio.Future[IntakeResult]],
           future: asyncio.Future[IntakeResult]) -> None:
    futures.add(future)
    future.add_done_callback(futures.discard)


async def _settled(futures: set[asyncio.Future[IntakeResult]]) -> None:
    if futures:
        await asyncio.gather(*list(futures), return_exceptions=True)


def _settle(delivery: _Waiting, future: asyncio.Future[IntakeResult], outcome: Outcome) -> None:
    def settle() -> None:
        if future.done():
            return
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    try:
        delivery.loop.call_soon_threadsafe(settle)
    except RuntimeError:
        # The loop is closed (the server stopped while this was stored): nobody waits.
        log.info("intake writer: the web loop closed before a delivery's answer")
