"""Officer button data: signed, expiring, and within Telegram's 64 bytes."""

from __future__ import annotations

import pytest

from sosbot.core.callbacks import CallbackRefused, OfficerAction, sign, verify

SECRET = "s" * 32


def test_round_trip_within_64_bytes() -> None:
    data = sign(SECRET, OfficerAction.ACKNOWLEDGE, 123456789, 1_900_000_000)
    assert len(data.encode()) <= 64
    signed = verify(SECRET, data, now_epoch=1_800_000_000)
    assert (signed.action, signed.delivery_id) == (OfficerAction.ACKNOWLEDGE, 123456789)


@pytest.mark.parametrize("tamper", [
    lambda d: d.replace("k.", "r.", 1),            # another action
    lambda d: d.replace(".42.", ".43."),           # another delivery
    lambda d: d[:-2] + ("AA" if d[-2:] != "AA" else "BB"),  # another signature
    lambda d: "cat:fire",                           # a resident's choice
    lambda d: "",
])
def test_forged_data_is_refused(tamper: object) -> None:
    data = sign(SECRET, OfficerAction.ACKNOWLEDGE, 42, 1_900_000_000)
    with pytest.raises(CallbackRefused):
        verify(SECRET, tamper(data), now_epoch=1_800_000_000)  # type: ignore[operator]


def test_other_secret_and_expiry_are_refused() -> None:
    data = sign(SECRET, OfficerAction.RESOLVE, 42, 1_900_000_000)
    with pytest.raises(CallbackRefused, match="signature"):
        verify("t" * 32, data, now_epoch=1_800_000_000)
    with pytest.raises(CallbackRefused, match="expired"):
        verify(SECRET, data, now_epoch=1_900_000_001)
