"""Hypothesis strategies: platform-shaped bodies and conversation event sequences."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from sosbot.core import events as core_events
from sosbot.core.callbacks import OfficerAction
from sosbot.core.events import (
    ButtonPressed,
    CommandReceived,
    ContactShared,
    Ignored,
    LocationReceived,
    MediaReceived,
    MembershipChanged,
    PlatformEvent,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import (
    Category,
    Channel,
    ChatKind,
    ChatRef,
    Draft,
    Location,
    LocationSource,
    MediaKind,
    MediaRef,
    Sender,
)
from sosbot.core.vocabulary import CATEGORY_WORDS

from .payloads import PLATFORMS, encode, get, paths, removed, replaced, swapped_type

# -- arbitrary JSON -----------------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25)
# Written as the bare literal 1e999 (a float overflowing to infinity, which strict JSON
# parsers take) by ``bodies``.
INFINITE = "__1e999__"
# Numbers where ids, coordinates and timestamps go: the edges platforms never send.
# 10**400: an integer JSON reads exactly that no float holds (issue 18); true: not a number.
odd_numbers = st.sampled_from([0, -1, 2**31, 2**63, -2**63, 10**30, 10**400, -10**400, 1e308,
                               -1e308, 91.0, -181.0, 0.1, "", "NaN", "1e999", "0x1F", " 12 ",
                               "١٢", "1_0", True, None, INFINITE])


MAX_BODY = 1024 * 1024  # the webhook's limit: bigger bodies never reach a parser

# -- spoiled fixtures ---------------------------------------------------------------------

@st.composite
def mutated(draw: st.DrawFn, platform: str) -> Any:
    """A documented payload of ``platform`` with one to four things wrong with it."""
    fixtures = PLATFORMS[platform].fixtures
    value = fixtures[draw(st.sampled_from(sorted(fixtures)))]
    for _ in range(draw(st.integers(1, 4))):
        before = value
        path = draw(st.sampled_from(paths(value)))
        operation = draw(st.sampled_from(
            ["replace", "remove", "swap", "odd", "long", "many", "nest"]))
        if operation == "replace":
            value = replaced(value, path, draw(json_values))
        elif operation == "remove":
            value = removed(value, path)
        elif operation == "swap":
            value = replaced(value, path, swapped_type(get(value, path)))
        elif operation == "odd":
            value = replaced(value, path, draw(odd_numbers))
        elif operation == "long":
            value = replaced(value, path, draw(st.sampled_from(["x", "/", "ồ", "😀"]))
                             * draw(st.sampled_from([300, 5000, 70_000])))
        elif operation == "many":
            value = replaced(value, path, [get(value, path)] * draw(st.integers(2, 300)))
        else:
            value = replaced(value, path, [[{"x": get(value, path)}]])
        if operation in ("long", "many") and len(encode(value)) > MAX_BODY:
            value = before  # the webhook refuses it unread (413): nothing for a parser
    return value


def bodies(platform: str) -> st.SearchStrategy[bytes]:
    """Webhook bodies for ``platform``: mostly spoiled fixtures, some arbitrary JSON, some
    bytes that are not JSON at all (truncated, invalid UTF-8, random)."""
    spoiled = mutated(platform).map(
        lambda value: encode(value).replace(f'"{INFINITE}"'.encode(), b"1e999"))
    truncated = st.tuples(spoiled, st.floats(0, 1)).map(
        lambda pair: pair[0][: int(len(pair[0]) * pair[1])])
    return st.one_of(
        spoiled, spoiled, spoiled,
        json_values.map(encode),
        truncated,
        spoiled.map(lambda b: b.replace(b'"', b'"\xff', 1)),
        st.binary(max_size=200),
    )


# -- conversation events ------------------------------------------------------------------

RESIDENT = ChatRef(channel=Channel.TELEGRAM, chat_id="9001")
GROUP = ChatRef(channel=Channel.TELEGRAM, chat_id="-1009001", kind=ChatKind.GROUP)
SENDER = Sender(user_id="9001", display_name="Nguyễn Thị Mai")

words = st.sampled_from(sorted(CATEGORY_WORDS) + [
    "xin chào", "gửi", "hủy", "xong", "bỏ qua", "1", "2", "3", "9", "²", "٣", "0", "-1",
    "Có người đánh nhau trước chợ Bến Thành", "123 Lê Lợi, phường Bến Thành", "/start",
    "", "   ", "\u200b", "ok", "done", "submit", "cancel", "Cháy \ud800 nhà", "\udcff",
    "a\x00b"])
texts = words | st.text(max_size=60) | st.text(min_size=2990, max_size=3100)
button_data = st.sampled_from([
    "cat:fire", "cat:security", "cat:traffic", "cat:other", "cat:nope", "cat:", "skip",
    "done", "submit", "cancel", "new", "lang:vi", "lang:en", "lang:xx", "k.1.2.3", "",
    "sub:city", "sub:ward", "sub:off"]) | st.text(max_size=64)
locations = st.builds(
    Location,
    lat=st.floats(-100, 100, allow_nan=False) | st.sampled_from([10.7776, 0.0, 90.0]),
    lon=st.floats(-200, 200, allow_nan=False) | st.sampled_from([106.6437, 0.0, 180.0]),
    accuracy_m=st.none() | st.floats(0, 1e6),
    source=st.sampled_from(list(LocationSource)),
    label=st.none() | st.text(max_size=30))
media = st.builds(
    MediaRef, kind=st.sampled_from(list(MediaKind)), file_id=st.text(min_size=1, max_size=20),
    size=st.none() | st.integers(0, 10**10))
drafts = st.builds(
    Draft, category=st.none() | st.sampled_from(list(Category)),
    location=st.none() | locations, description=st.text(max_size=50),
    media=st.lists(media, max_size=3).map(tuple))
st.register_type_strategy(Draft, drafts)


@st.composite
def common(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "chat": draw(st.sampled_from([RESIDENT, RESIDENT, RESIDENT, GROUP])),
        "sender": draw(st.sampled_from([SENDER, None])),
        "event_id": str(draw(st.integers(1, 10**6))),
        "message_id": draw(st.none() | st.sampled_from(["10", "11", "12"])),
        "reply_to_message_id": draw(st.none() | st.just("10")),
    }


def _platform_event(cls: type[PlatformEvent], **fields: st.SearchStrategy[Any]
                    ) -> st.SearchStrategy[PlatformEvent]:
    return st.tuples(common(), st.fixed_dictionaries(fields)).map(
        lambda pair: cls(**pair[0], **pair[1]))


platform_events = st.one_of(
    _platform_event(TextReceived, text=texts),
    _platform_event(CommandReceived, name=st.sampled_from(
        ["start", "new", "moi", "cancel", "huybao", "help", "lang", "ngonngu", "dangky",
         "huydangky", "x"]) | st.text(max_size=10), args=st.sampled_from(["", "en", "vi", "xx"])),
    _platform_event(LocationReceived, location=locations,
                    live_period_s=st.none() | st.integers(0, 10**9), is_update=st.booleans()),
    _platform_event(MediaReceived, media=media, caption=texts,
                    album_id=st.none() | st.sampled_from(["a1", "a2"])),
    _platform_event(ContactShared, phone=st.text(max_size=40), own=st.booleans()),
    _platform_event(ButtonPressed, data=button_data,
                    callback_id=st.none() | st.just("cb1")),
    _platform_event(UnsupportedReceived, kind=st.sampled_from(["sticker", "voice"])),
    _platform_event(MembershipChanged, joined=st.booleans()),
    _platform_event(Ignored, reason=st.just("edited message")),
)


def _core_event_types() -> list[type]:
    """Every event of the core's own (not from a platform), read off the Event union, so a
    new one is fuzzed the day it is added."""
    return [cls for cls in typing.get_args(core_events.Event)
            if isinstance(cls, type) and dataclasses.is_dataclass(cls)
            and not issubclass(cls, PlatformEvent)]


core_events_ = st.one_of([st.from_type(cls) for cls in _core_event_types()])
events = st.one_of(platform_events, platform_events, platform_events, core_events_)
# Gaps between two events: seconds to days, so idle drafts expire now and then.
gaps = st.sampled_from([0, 1, 30, 600, 1800, 3600, 86_400]).map(lambda s: timedelta(seconds=s))
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
officer_actions = st.sampled_from(list(OfficerAction))
