"""The shared send-rate limiter on real Redis, with a controlled clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from redis import Redis

from sosbot.bots.telegram.outbound import GLOBAL_PER_S, RESIDENT_PER_S, rate_rules
from sosbot.core.actions import OutgoingMessage
from sosbot.core.outbox_rows import Text
from sosbot.core.rates import RateRule
from sosbot.delivery.send_rate import SendRateLimiter

CARD_TEXT = Text(OutgoingMessage(text="🚨 SOS-260001"))  # a send that posts a message

BUCKET = RateRule("t:chat:1", "bucket", 3, 1.0)
WINDOW = RateRule("t:group:-1", "window", 20, 60.0)


def test_bucket_allows_a_burst_then_one_per_period(redis: Redis) -> None:
    limiter = SendRateLimiter(redis, lambda: datetime.now(UTC))
    t = 1000.0
    assert [limiter.try_acquire([BUCKET], t) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert abs(limiter.try_acquire([BUCKET], t) - 1.0) < 1e-6
    assert limiter.try_acquire([BUCKET], t + 1.0) == 0.0
    assert limiter.try_acquire([BUCKET], t + 1.5) > 0


def test_window_allows_limit_per_rolling_period(redis: Redis) -> None:
    limiter = SendRateLimiter(redis, lambda: datetime.now(UTC))
    for i in range(20):
        assert limiter.try_acquire([WINDOW], 1000.0 + i) == 0.0
    assert abs(limiter.try_acquire([WINDOW], 1030.0) - 30.0) < 1e-6
    assert limiter.try_acquire([WINDOW], 1060.5) == 0.0


def test_a_refused_send_takes_no_slot_from_any_rule(redis: Redis) -> None:
    limiter = SendRateLimiter(redis, lambda: datetime.now(UTC))
    tight = RateRule("t:chat:2", "bucket", 1, 10.0)
    assert limiter.try_acquire([tight, WINDOW], 1000.0) == 0.0
    assert limiter.try_acquire([tight, WINDOW], 1001.0) > 0
    # The window kept only the first send: 19 more fit.
    assert all(limiter.try_acquire([WINDOW], 1002.0) == 0.0 for _ in range(19))
    assert limiter.try_acquire([WINDOW], 1002.0) > 0


def test_workers_never_share_the_last_slot(redis: Redis) -> None:
    limiter = SendRateLimiter(redis, lambda: datetime.now(UTC))
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = limiter.try_acquire([WINDOW], 5000.0)
            with lock:
                granted.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for wait in granted if wait == 0.0) == 20


def test_an_album_costs_one_slot_per_item(redis: Redis) -> None:
    limiter = SendRateLimiter(redis, lambda: datetime.now(UTC))
    assert limiter.try_acquire([WINDOW], 1000.0, cost=10) == 0.0
    assert limiter.try_acquire([WINDOW], 1001.0, cost=10) == 0.0
    assert abs(limiter.try_acquire([WINDOW], 1002.0, cost=3) - 58.0) < 1e-6
    assert limiter.try_acquire([BUCKET], 2000.0, cost=3) == 0.0
    assert abs(limiter.try_acquire([BUCKET], 2000.0, cost=2) - 2.0) < 1e-6


def test_the_limiter_reads_the_clock_it_is_given(redis: Redis) -> None:
    """One clock for everything: a rig that moves its clock moves the rate windows too."""
    now = [datetime(2026, 12, 1, 3, 0, tzinfo=UTC)]
    limiter = SendRateLimiter(redis, lambda: now[0])
    tight = RateRule("t:chat:clock", "bucket", 1, 30.0)
    assert limiter.try_acquire([tight]) == 0.0
    assert abs(limiter.try_acquire([tight]) - 30.0) < 1e-6
    now[0] += timedelta(seconds=30)
    assert limiter.try_acquire([tight]) == 0.0


def test_a_clock_stepped_back_does_not_block_a_chat(redis: Redis) -> None:
    """Sends stamped in what is now the future (the clock was stepped back, or a test went
    back in time) do not hold the bucket or the window until then; a few seconds of skew
    between workers' clocks is not a step back."""
    now = [datetime(2026, 12, 1, 3, 0, tzinfo=UTC)]
    limiter = SendRateLimiter(redis, lambda: now[0])
    for _ in range(20):
        assert limiter.try_acquire([WINDOW, BUCKET]) == 0.0
        now[0] += timedelta(seconds=1)
    now[0] -= timedelta(seconds=30)  # another worker's clock, half a minute behind
    assert limiter.try_acquire([WINDOW]) > 0
    now[0] -= timedelta(days=400)
    assert limiter.try_acquire([WINDOW, BUCKET]) == 0.0


def test_replies_to_residents_cannot_take_the_slots_cards_need(redis: Redis) -> None:
    """Telegram's real rules: a flood of replies to residents exhausts what it may use of
    the overall budget, and a card to an officers' group still gets a slot at once."""
    limiter = SendRateLimiter(redis, lambda: datetime.now(UTC), prefix="t:officers-first")
    t = 3000.0
    granted = 0
    for resident in range(1, GLOBAL_PER_S + 2):  # each to its own chat: only the global rule
        if limiter.try_acquire(rate_rules(str(100_000 + resident), CARD_TEXT), t) > 0:
            break
        granted += 1
    assert granted == RESIDENT_PER_S < GLOBAL_PER_S
    groups = [f"-100{n}" for n in range(GLOBAL_PER_S)]
    assert limiter.try_acquire(rate_rules(groups[0], CARD_TEXT), t) == 0.0
    # Groups may take every slot left; residents still none.
    left = [limiter.try_acquire(rate_rules(g, CARD_TEXT), t) for g in groups[1:]]
    assert left.count(0.0) == GLOBAL_PER_S - RESIDENT_PER_S - 1
    assert limiter.try_acquire(rate_rules("100999", CARD_TEXT), t) > 0
