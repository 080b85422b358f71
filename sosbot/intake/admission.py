"""Admission by queueing delay: whether one more delivery would wait too long for its commit.

A webhook is answered only once its events are committed, so a delivery taken while the
intake writer is behind waits in this process until the writer reaches it. Counting the
deliveries in flight does not bound that wait: 256 of them are 10 ms on a fast writer and
seconds on a slow or stuck one. ``Admission`` bounds the wait itself, as CoDel bounds a
packet's sojourn in a queue rather than the queue's length: a new delivery is refused (the
webhook answers 503 with ``Retry-After`` before reading its body, and the platform sends it
again) once the oldest delivery waiting has waited longer than ``max_delay_s``, until the
writer has reached it, if at least ``min_waiting`` wait (a standing queue, not one slow
commit at a quiet time); and whatever the delay, once ``max_in_flight`` wait (the cap on
memory).

Under a steady overload this lets in about ``max_delay_s`` worth of deliveries, which the
writer then stores in one batch, while the rest are refused in a millisecond: what is taken
waits at most about the target plus one batch, never seconds.

A delivery is answered once its events are recorded (the intake's journal); their
processing follows. If the processing falls behind, the recording alone would go on taking
deliveries without bound: so a delivery is refused likewise once the oldest one handed over
and not processed yet has waited longer than ``max_backlog_s``, until the processing has
reached it (the backlog is what this process handed over; a writer replays what an earlier
one left before it takes anything). A rule that predicts the wait
from the queue's length and the writer's recent time per delivery was tried and dropped
(bench/FINDINGS.md, session 8): a group commit's time per delivery falls as its batches
grow, so the prediction, learnt from the short batches that the rule itself left, kept the
queue short and the throughput low. Nothing here reads a clock but ``clock``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from enum import StrEnum


class ShedReason(StrEnum):
    """Why a delivery is refused (the log says which)."""

    IN_FLIGHT = "in flight"  # max_in_flight deliveries waiting already
    WAITED = "waited"  # the oldest waiting one has waited past the target
    BACKLOG = "backlog"  # the oldest one not processed yet has waited past max_backlog_s


class Admission:
    """The deliveries waiting for their commit, and whether to take one more."""

    def __init__(self, max_delay_s: float, max_in_flight: int,
                 clock: Callable[[], float] = time.monotonic, *, min_waiting: int = 1,
                 max_backlog_s: float = float("inf")) -> None:
        self.max_delay_s, self.max_in_flight, self.clock = max_delay_s, max_in_flight, clock
        self.max_backlog_s = max_backlog_s
        # A standing queue, not one slow commit: with fewer than this many waiting, a delay
        # past the target is a hiccup (a disk flush, a pause), and refusing a resident's
        # message for it would cost the platform's retry, seconds later, for nothing.
        self.min_waiting = max(1, min_waiting)
        self.refused = 0
        self._waiting: dict[int, float] = {}  # token → when it arrived, oldest first
        self._unprocessed: dict[int, float] = {}  # likewise, until processed
        self._tokens = itertools.count()

    @property
    def count(self) -> int:
        """Deliveries waiting for their commit now."""
        return len(self._waiting)

    @property
    def backlog(self) -> int:
        """Deliveries taken and not processed yet."""
        return len(self._unprocessed)

    def oldest_wait_s(self) -> float:
        """How long the oldest delivery waiting has waited (0 when none is)."""
        return self._age(self._waiting)

    def oldest_backlog_s(self) -> float:
        """How long the oldest delivery not processed yet has waited (0 when none)."""
        return self._age(self._unprocessed)

    def _age(self, since: dict[int, float]) -> float:
        oldest = next(iter(since.values()), None)
        return 0.0 if oldest is None else self.clock() - oldest

    def refusal(self) -> ShedReason | None:
        """Why a new delivery is to be refused now, or None to take it; counts refusals."""
        why = self._why()
        if why is not None:
            self.refused += 1
        return why

    def _why(self) -> ShedReason | None:
        if len(self._waiting) >= self.max_in_flight:
            return ShedReason.IN_FLIGHT
        if len(self._waiting) >= self.min_waiting and self.oldest_wait_s() > self.max_delay_s:
            return ShedReason.WAITED
        if self.oldest_backlog_s() > self.max_backlog_s:
            return ShedReason.BACKLOG
        return None

    def enter(self) -> int:
        """A delivery taken: it waits until ``leave`` with the token returned, and counts
        in the backlog until ``processed`` with it."""
        token = next(self._tokens)
        self._waiting[token] = self._unprocessed[token] = self.clock()
        return token

    def leave(self, token: int) -> None:
        """The delivery's commit is done (or failed): it waits no longer."""
        del self._waiting[token]

    def processed(self, token: int) -> None:
        """The delivery is processed (or failed, or was never recorded)."""
        self._unprocessed.pop(token, None)
