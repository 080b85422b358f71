"""When scheduled digests are due, and that each slot is posted once across workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis import Redis

from sosbot.command_centre.schedule import Slot, claim, due_slots


def test_slots_every_hour_and_daily_after_seven_local() -> None:
    before = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)   # 06:30 in Ho Chi Minh City
    after = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)     # 07:10
    assert [s.key.split(":")[0] for s in due_slots(before, 60, "07:00")] == ["every"]
    slots = due_slots(after, 60, "07:00")
    assert [s.key for s in slots][1] == "daily:2026-11-23"
    assert slots[1].span == timedelta(days=1) and slots[0].span == timedelta(minutes=60)
    assert due_slots(after, 0, None) == []
    assert due_slots(after, 60, None)[0].key != due_slots(before, 60, None)[0].key


def test_slots_begin_on_the_hour_and_at_seven_local() -> None:
    after = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)     # 07:10 in Ho Chi Minh City
    every, daily = due_slots(after, 60, "07:00")
    assert every.begins == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert daily.begins == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 07:00 local
    assert due_slots(after, 0, "06:45")[0].begins == datetime(2026, 11, 22, 23, 45, tzinfo=UTC)


def test_a_slot_is_claimed_once_and_a_restart_does_not_repost(redis: Redis) -> None:
    begins = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    slot = Slot("every:60:123", timedelta(hours=1), begins)
    assert claim(redis, slot, begins + timedelta(minutes=1)) is True
    # Another worker, or this one after a restart: the claim is in Redis, not in memory.
    assert claim(redis, slot, begins + timedelta(minutes=2)) is False


def test_a_digest_due_right_after_a_restart_is_posted(redis: Redis) -> None:
    """A worker (re)started a minute into a slot posts its digest; nothing claimed it."""
    begins = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    fresh = Slot("daily:2026-11-23", timedelta(days=1), begins)
    assert claim(redis, fresh, begins + timedelta(seconds=50)) is True


def test_a_slot_first_seen_long_after_it_began_is_claimed_quietly(redis: Redis) -> None:
    """Redis lost its keys at 07:40: the 07:00 digest is not posted 40 minutes late, and
    nobody posts it later either."""
    begins = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    stale = Slot("every:60:124", timedelta(hours=1), begins)
    assert claim(redis, stale, begins + timedelta(minutes=40)) is False
    assert claim(redis, stale, begins + timedelta(minutes=41), grace=timedelta(hours=1)) is False
    assert claim(redis, Slot("every:60:125", timedelta(hours=1), begins),
                 begins + timedelta(minutes=40), grace=timedelta(hours=1)) is True
