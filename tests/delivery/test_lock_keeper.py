"""A chat's lock is kept while its holder works, by one renewing thread per process."""

from __future__ import annotations

import threading
import time

from redis import Redis

from sosbot.delivery import chat_holds
from sosbot.delivery.lock_keeper import LockKeeper

LOCK_S = 0.6


def keeper_threads() -> int:
    return sum(1 for thread in threading.enumerate()
               if thread.name == f"lock-keeper {LOCK_S:g}s")


def test_held_locks_outlive_their_lifetime_until_let_go_and_share_one_thread(
        redis: Redis) -> None:
    holds = [chat_holds.take(redis, "telegram", f"-10{n}", 1, LOCK_S) for n in range(3)]
    assert all(hold is not None for hold in holds)
    keepers = [LockKeeper(hold.renew, LOCK_S, hold.chat_id).start()
               for hold in holds if hold is not None]
    time.sleep(3 * LOCK_S)  # three lifetimes: renewed all along
    assert [redis.exists(chat_holds.lock_key("telegram", f"-10{n}")) for n in range(3)] \
        == [1, 1, 1]
    assert keeper_threads() == 1
    keepers[0].stop()
    time.sleep(2 * LOCK_S)  # the stopped one lapses, the others are still renewed
    assert [redis.exists(chat_holds.lock_key("telegram", f"-10{n}")) for n in range(3)] \
        == [0, 1, 1]
    for keeper in keepers[1:]:
        keeper.stop()
    for hold in holds[1:]:
        assert hold is not None and hold.let_go()[0]


def test_a_lock_taken_by_another_holder_is_not_renewed(redis: Redis) -> None:
    hold = chat_holds.take(redis, "telegram", "-200", 1, LOCK_S)
    assert hold is not None
    keeper = LockKeeper(hold.renew, LOCK_S, "-200").start()
    key = chat_holds.lock_key("telegram", "-200")
    redis.set(key, "someone else's", px=int(LOCK_S * 1000))
    time.sleep(2 * LOCK_S)
    assert redis.get(key) is None  # not extended, lapsed
    keeper.stop()
