"""The number class of bad input (issue 18), parser by parser, on the raw bytes a platform
would send: a coordinate that is an integer past a double's range, a literal past it, or a
JSON value of the wrong type, at every place a parser reads a point. Each is the documented
refusal (PayloadError, answered 400), never another exception (a 500) and never a point.

The first case is the input seen failing on a clean clone: a Zalo ``user_send_location``
whose latitude is the JSON integer 10**400 (``float()`` of it raises OverflowError).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sosbot.core.errors import PayloadError
from sosbot.core.events import LocationReceived
from sosbot.core.payload_numbers import finite_number
from sosbot.core.webhook_body import decode_body

from .payloads import PLATFORMS, encode, replaced

HUGE = "1" + "0" * 400  # 10**400: 401 digits, well under Python's int digit limit

# (platform, fixture, path to the number) for every point a parser reads.
POINTS = [
    ("zalo", "user_send_location",
     ("message", "attachments", 0, "payload", "coordinates", "latitude")),
    ("zalo", "user_send_location",
     ("message", "attachments", 0, "payload", "coordinates", "longitude")),
    ("zalo", "user_send_group_location",
     ("message", "attachments", 0, "payload", "coordinates", "latitude")),
    ("telegram", "location", ("message", "location", "latitude")),
    ("telegram", "location", ("message", "location", "longitude")),
    ("telegram", "live_location_edit", ("edited_message", "location", "longitude")),
    ("telegram", "venue", ("message", "venue", "location", "latitude")),
    ("messenger", "location_legacy",
     ("entry", 0, "messaging", 0, "message", "attachments", 0, "payload", "coordinates",
      "lat")),
    ("messenger", "location_legacy",
     ("entry", 0, "messaging", 0, "message", "attachments", 0, "payload", "coordinates",
      "long")),
]
# JSON text written in place of the number (so that huge integers and literals are sent as
# such, not as Python made them).
BAD_NUMBERS = [HUGE, "-" + HUGE, "1e999", "-1e400", f'"{HUGE}"', '"1e999"', '"NaN"', "true",
               "false", "null", "[10.7]", '{"lat": 10.7}', '""', '"mười"', '"١٠"', '"1_0"']


def body_with(platform: str, fixture: str, path: tuple[Any, ...], json_text: str) -> bytes:
    payload = replaced(PLATFORMS[platform].fixtures[fixture], path, "@NUMBER@")
    return encode(payload).replace(b'"@NUMBER@"', json_text.encode())


def test_the_reported_input_is_a_payload_error() -> None:
    body = body_with("zalo", "user_send_location", POINTS[0][2], HUGE)
    assert json.loads(body)["message"]["attachments"][0]["payload"]["coordinates"][
        "latitude"] == 10**400
    with pytest.raises(PayloadError, match="latitude"):
        PLATFORMS["zalo"].parse(body)


@pytest.mark.parametrize("json_text", BAD_NUMBERS)
@pytest.mark.parametrize(("platform", "fixture", "path"), POINTS,
                         ids=[f"{p}-{f}-{path[-1]}" for p, f, path in POINTS])
def test_a_bad_coordinate_is_a_payload_error(platform: str, fixture: str,
                                             path: tuple[Any, ...], json_text: str) -> None:
    with pytest.raises(PayloadError):
        PLATFORMS[platform].parse(body_with(platform, fixture, path, json_text))


@pytest.mark.parametrize(("platform", "fixture", "path"), POINTS,
                         ids=[f"{p}-{f}-{path[-1]}" for p, f, path in POINTS])
def test_plain_numbers_still_make_a_point(platform: str, fixture: str,
                                          path: tuple[Any, ...]) -> None:
    """Integers and far-out (but finite) numbers are points; the conversation refuses
    the ones off the Earth."""
    for json_text, expected in (("10", 10.0), ("-1e300", -1e300), (str(2**64), 2.0**64)):
        events = PLATFORMS[platform].parse(body_with(platform, fixture, path, json_text))
        points = [e.location for e in events if isinstance(e, LocationReceived)]
        assert len(points) == 1
        assert expected in (points[0].lat, points[0].lon)


def test_a_huge_accuracy_is_a_payload_error() -> None:
    path = ("message", "location", "horizontal_accuracy")
    with pytest.raises(PayloadError, match="horizontal_accuracy"):
        PLATFORMS["telegram"].parse(body_with("telegram", "location", path, HUGE))


def test_one_bad_point_in_a_messenger_batch_skips_that_event_only() -> None:
    """A bad event among good ones is skipped (a 400 would make Meta drop the good ones)."""
    payload = PLATFORMS["messenger"].fixtures["location_legacy"]
    good = payload["entry"][0]["messaging"][0]
    bad = replaced(good, ("message", "attachments", 0, "payload", "coordinates", "lat"),
                   "@NUMBER@")
    batch = replaced(payload, ("entry", 0, "messaging"), [bad, good])
    events = PLATFORMS["messenger"].parse(encode(batch).replace(b'"@NUMBER@"', HUGE.encode()))
    assert [type(e) for e in events] == [LocationReceived]


@pytest.mark.parametrize("literal", [b"1e999", b"-1e999", b"1" + b"0" * 400 + b".5"])
def test_a_literal_past_a_double_is_refused_anywhere_in_the_body(literal: bytes) -> None:
    """Read as infinity, it would reach the JSON column, which PostgreSQL refuses (a 500)."""
    with pytest.raises(PayloadError, match="range of a double"):
        decode_body(b'{"update_id": 1, "unread": ' + literal + b"}")
    assert decode_body(b'{"n": ' + HUGE.encode() + b"}") == {"n": 10**400}  # exact


@pytest.mark.parametrize(("value", "expected"), [
    (10, 10.0), (-10.5, -10.5), ("10.7726413", 10.7726413), (" -106.5 ", -106.5),
    ("1e2", 100.0), (".5", 0.5), (2**64, 2.0**64),
])
def test_finite_number_takes_numbers_and_decimal_text(value: Any, expected: float) -> None:
    assert finite_number(value, "x") == expected


@pytest.mark.parametrize("value", [
    10**400, -(10**400), float("inf"), float("nan"), True, False, None, [1], {"a": 1}, "",
    "NaN", "inf", "1e999", "1_0", "١٠", "0x10", "1" * 65, b"1",
])
def test_finite_number_refuses_the_rest(value: Any) -> None:
    with pytest.raises(PayloadError, match="^where "):
        finite_number(value, "where")
