"""The intake writer in a process of its own: the group commit beside the web process.

The web process's event loop and a writer thread share one interpreter lock: under load the
two take turns on one core however many the machine has. Here the web process only
authenticates and parses; ``sosbot intake-writer``, a child it starts, stores the deliveries
(``GroupCommit``, exactly as the thread does) and answers for each one. The two speak over
the child's stdin and stdout: length-prefixed pickles, a request ``(seq, events, payload)``
and an answer ``(seq, kind, value)``.

The child records and processes as the thread does (``Pipeline``): for each delivery it
answers twice, ``(seq, "ok", result)`` once its events are recorded (the 200) and
``(seq, "processed", result)`` once they are processed. What the platforms see does not
change: a delivery is answered 200 only once its events are committed. If the child dies,
every delivery waiting for its recording is answered 503 (whatever it had committed is a
duplicate when the platform sends it again); what it had recorded but not processed is
processed from the journal by the next child before it says it is ready
(``GroupCommit.replay``), and a new child is started.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import select
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sosbot.core.events import PlatformEvent
from sosbot.intake.group_commit import (
    PROCESS_BATCH,
    UNAVAILABLE,
    GroupCommit,
    Outcome,
    StoreFailed,
    StoreUnavailable,
)
from sosbot.intake.pipeline import Pipeline
from sosbot.intake.take import IntakeResult
from sosbot.intake.writer import Handed

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
READY = "ready"


def encode(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


class Frames:
    """Bytes in, whole messages out: what a stream delivered so far, split into frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def take(self, limit: int | None = None) -> list[Any]:
        """The complete messages received (at most ``limit``); a partial one waits."""
        messages: list[Any] = []
        offset = 0
        buffer = self._buffer
        while limit is None or len(messages) < limit:
            if len(buffer) - offset < _LENGTH.size:
                break
            (size,) = _LENGTH.unpack_from(buffer, offset)
            end = offset + _LENGTH.size + size
            if len(buffer) < end:
                break
            messages.append(pickle.loads(buffer[offset + _LENGTH.size:end]))
            offset = end
        del buffer[:offset]
        return messages


def _answer(seq: int, outcome: Outcome, processed: bool = False) -> tuple[int, str, Any]:
    """An answer for the web process: ``ok`` / ``unavailable`` / ``failed`` for a
    delivery's recording, the same prefixed ``processed`` for its processing."""
    prefix = "processed " if processed else ""
    if isinstance(outcome, IntakeResult):
        return seq, prefix + "ok", outcome
    reason = f"{type(outcome).__name__}: {outcome}"
    return seq, prefix + ("unavailable" if isinstance(outcome, UNAVAILABLE) else "failed"), \
        reason


# -- the child ---------------------------------------------------------------------------------


def serve_deliveries(commit: GroupCommit, source: int, sink: int, max_batch: int,
                     process_batch: int = PROCESS_BATCH) -> None:
    """The child's loop: process what the journal holds unprocessed, then read requests
    from ``source``, record them several to a transaction and answer on ``sink`` (this
    thread), process them and answer again (the pipeline's thread); returns when
    ``source`` ends (the web process stopped or died), after recording and processing what
    it had received."""
    commit.replay_at_start()
    writing = threading.Lock()

    def write(answers: list[tuple[int, str, Any]]) -> None:
        if answers:
            data = b"".join(encode(answer) for answer in answers)
            with writing:
                _write_all(sink, data)

    pipeline: Pipeline[int] = Pipeline(
        commit, lambda outcomes: write([_answer(seq, outcome, processed=True)
                                        for seq, outcome in outcomes]), process_batch)
    pipeline.start()
    frames = Frames()
    with writing:
        _write_all(sink, encode((READY, os.getpid())))
    while True:
        requests = frames.take(max_batch)
        if not requests:
            data = os.read(source, 1 << 20)
            if not data:
                break
            frames.feed(data)
            continue
        while len(requests) < max_batch and select.select([source], [], [], 0)[0]:
            data = os.read(source, 1 << 20)
            if not data:
                break
            frames.feed(data)
            requests += frames.take(max_batch - len(requests))
        pipeline.record([(seq, (events, payload)) for seq, events, payload in requests],
                        lambda outcomes: write(_recorded_answers(outcomes)))
    pipeline.stop()


def _recorded_answers(outcomes: list[tuple[int, Outcome]]) -> list[tuple[int, str, Any]]:
    """The answers for a batch's recordings (a delivery not recorded is not processed
    either: both answers at once)."""
    answers = []
    for seq, outcome in outcomes:
        answers.append(_answer(seq, outcome))
        if isinstance(outcome, Exception):
            answers.append(_answer(seq, outcome, processed=True))
    return answers


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# -- the web process's side ----------------------------------------------------------------


@dataclass(frozen=True)
class WriterCommand:
    """How to start the child: its command line and environment."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


class IntakeProcess:
    """``store`` as the writer thread offers it, carried out by a child process."""

    def __init__(self, command: WriterCommand, *, ready_timeout_s: float = 120.0,
                 restart_delay_s: float = 1.0) -> None:
        self.command = command
        self.ready_timeout_s, self.restart_delay_s = ready_timeout_s, restart_delay_s
        self.stored = 0
        self.restarts = 0
        self._child: asyncio.subprocess.Process | None = None
        self._pending: dict[int, Handed] = {}  # until processed
        # Recorded by a child that died before processing them: the next child processes
        # them from the journal before it is ready.
        self._orphans: list[asyncio.Future[IntakeResult]] = []
        self._seq = itertools.count(1)
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self._child is not None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    async def start(self) -> None:
        """Start the child and wait until it is ready (its ward data loaded); raises when it
        does not come up, so that a web process that cannot store never takes traffic."""
        child = self._child = await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(child), name="intake-process")

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Let the child store what it was sent and end; killed after ``timeout_s``."""
        self._stopping = True
        child = self._child
        if child is not None and child.stdin is not None:
            child.stdin.close()
        if self._supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), timeout_s)
            except TimeoutError:
                log.error("intake writer process did not end in %.0f s; killing it", timeout_s)
                if child is not None and child.returncode is None:
                    child.kill()
                await self._supervisor

    async def store(self, events: list[PlatformEvent], payload: dict[str, Any]
                    ) -> IntakeResult:
        """Store one delivery's events; returns once they are recorded (or raises)."""
        return await asyncio.shield(self.submit(events, payload).recorded)

    async def processed(self) -> None:
        """Returns once every delivery handed over so far is processed (or given up on)."""
        futures = [handed.processed for handed in self._pending.values()] + self._orphans
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)

    def submit(self, events: list[PlatformEvent], payload: dict[str, Any]) -> Handed:
        """Hand one delivery to the child, which records deliveries in the order they were
        handed over (one pipe, read in order) and processes them in that order."""
        child = self._child
        if child is None or child.stdin is None or self._stopping:
            raise StoreUnavailable("the intake writer process is not running")
        seq = next(self._seq)
        loop = asyncio.get_running_loop()
        handed = self._pending[seq] = Handed(loop.create_future(), loop.create_future())
        child.stdin.write(encode((seq, events, payload)))
        return handed

    # -- supervision -----------------------------------------------------------------------

    async def _spawn(self) -> asyncio.subprocess.Process:
        child = await asyncio.create_subprocess_exec(
            *self.command.argv, env=dict(self.command.env), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=1 << 20)
        assert child.stdout is not None
        try:
            header = await asyncio.wait_for(child.stdout.readexactly(_LENGTH.size),
                                            self.ready_timeout_s)
            (size,) = _LENGTH.unpack(header)
            kind, pid = pickle.loads(await child.stdout.readexactly(size))
        except (TimeoutError, asyncio.IncompleteReadError) as exc:
            if child.returncode is None:
                child.kill()
            code = await child.wait()
            raise RuntimeError(f"the intake writer process did not start (exit code {code}; "
                               "its log says why)") from exc
        if kind != READY:
            child.kill()
            raise RuntimeError(f"the intake writer process said {kind!r} instead of ready")
        log.info("intake writer process %d ready", pid)
        return child

    async def _supervise(self, first: asyncio.subprocess.Process) -> None:
        child: asyncio.subprocess.Process | None = first
        while child is not None:
            await self._read_answers(child)
            self._child = None
            code = await child.wait()
            self._fail_pending(f"the intake writer process ended (exit code {code})")
            if self._stopping:
                log.info("intake writer process ended (exit code %s)", code)
                return
            log.error("intake writer process ended unexpectedly (exit code %s); deliveries "
                      "are answered 503 until a new one is ready", code)
            child = await self._restart()

    async def _restart(self) -> asyncio.subprocess.Process | None:
        while not self._stopping:
            await asyncio.sleep(self.restart_delay_s)
            try:
                child = await self._spawn()
            except (RuntimeError, OSError) as exc:
                log.error("intake writer process could not be restarted (%s); trying again",
                          exc)
                continue
            self.restarts += 1
            orphans, self._orphans = self._orphans, []
            for future in orphans:  # the new child processed them before it was ready
                if not future.done():
                    future.set_result(IntakeResult())
            if self._stopping:
                assert child.stdin is not None
                child.stdin.close()
                await child.wait()
                return None
            self._child = child
            return child
        return None

    async def _read_answers(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        frames = Frames()
        while True:
            data = await child.stdout.read(1 << 20)
            if not data:
                return
            frames.feed(data)
            for seq, kind, value in frames.take():
                self._settle(seq, kind, value)

    def _settle(self, seq: int, kind: str, value: Any) -> None:
        handed = self._pending.get(seq)
        if handed is None:
            return
        processed = kind.startswith("processed ")
        futures = [handed.processed if processed else handed.recorded]
        if processed:
            del self._pending[seq]
            kind = kind.removeprefix("processed ")
            if not handed.recorded.done():  # the child answers a recording first: never
                log.error("intake writer process: delivery %d processed before its "
                          "recording was answered", seq)
                futures.append(handed.recorded)
        if kind == "ok" and handed.recorded in futures:
            self.stored += 1
        for future in futures:
            if future.done():
                continue
            if kind == "ok":
                future.set_result(value)
            elif kind == "unavailable":
                future.set_exception(StoreUnavailable(value))
            else:
                future.set_exception(StoreFailed(value))

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        unanswered = 0
        for handed in pending.values():
            if not handed.recorded.done():
                unanswered += 1
                handed.recorded.set_exception(StoreUnavailable(reason))
                handed.processed.set_exception(StoreUnavailable(reason))
            elif not handed.processed.done():
                self._orphans.append(handed.processed)
        if unanswered:
            log.error("%d deliveries answered 503: %s", unanswered, reason)
        if self._orphans and self._stopping:
            log.warning("%d recorded deliveries left unprocessed: the next intake writer "
                        "processes them from the journal", len(self._orphans))
            orphans, self._orphans = self._orphans, []
            for future in orphans:
                future.set_exception(StoreUnavailable(reason))
