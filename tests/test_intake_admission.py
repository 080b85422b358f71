"""Admission by queueing delay (``intake.admission``), on a clock the tests move by hand."""

from __future__ import annotations

from sosbot.intake.admission import Admission, ShedReason

TARGET_S = 0.050


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_delivery_is_refused_once_the_oldest_waiting_has_waited_past_the_target() -> None:
    clock = Clock()
    admission = Admission(TARGET_S, max_in_flight=256, clock=clock)
    stuck = admission.enter()
    assert admission.refusal() is None
    clock.now += TARGET_S / 2
    assert admission.refusal() is None
    clock.now += TARGET_S
    assert admission.refusal() is ShedReason.WAITED
    admission.leave(stuck)
    assert admission.refusal() is None
    assert admission.refused == 1


def test_past_max_in_flight_a_delivery_is_refused_whatever_the_delay() -> None:
    admission = Admission(60.0, max_in_flight=3, clock=Clock())
    tokens = [admission.enter() for _ in range(3)]
    assert admission.refusal() is ShedReason.IN_FLIGHT
    admission.leave(tokens[0])
    assert admission.refusal() is None


def test_deliveries_that_leave_out_of_order_leave_the_oldest_one_in_charge() -> None:
    clock = Clock()
    admission = Admission(TARGET_S, max_in_flight=256, clock=clock)
    first = admission.enter()
    clock.now += 0.040
    second = admission.enter()
    admission.leave(second)  # another chat's delivery, in an earlier batch
    clock.now += 0.020
    assert admission.refusal() is ShedReason.WAITED  # the first has waited 60 ms
    admission.leave(first)
    third = admission.enter()
    clock.now += 0.030
    assert admission.refusal() is None and admission.count == 1
    admission.leave(third)


def test_one_slow_commit_at_a_quiet_time_refuses_nobody() -> None:
    """Past the target with fewer than ``min_waiting`` waiting is a hiccup, not a queue."""
    clock = Clock()
    admission = Admission(TARGET_S, max_in_flight=256, clock=clock, min_waiting=3)
    tokens = [admission.enter(), admission.enter()]
    clock.now += 10 * TARGET_S
    assert admission.refusal() is None  # two wait: a slow commit, not a standing queue
    tokens.append(admission.enter())
    assert admission.refusal() is ShedReason.WAITED  # three wait, the oldest far too long
    for token in tokens:
        admission.leave(token)
    assert admission.refusal() is None and admission.refused == 1
