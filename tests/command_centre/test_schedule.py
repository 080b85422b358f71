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


def test_a_slot_is_claimed_once_and_a_restart_does_not_repost(redis: Redis) -> None:
    slot = Slot("every:60:123", timedelta(hours=1))
    assert claim(redis, slot, first_seen=False) is True
    assert claim(redis, slot, first_seen=False) is False
    fresh = Slot("every:60:124", timedelta(hours=1))
    assert claim(redis, fresh, first_seen=True) is False, "first sweep claims quietly"
    assert claim(redis, fresh, first_seen=False) is False, "and nobody posts it later"
