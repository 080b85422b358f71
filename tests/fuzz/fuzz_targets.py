"""Coverage-guided fuzz targets (atheris/libFuzzer): one per platform parser, one for
``step``. Each takes the fuzzer's bytes; any exception other than the documented
PayloadError is a finding. Run them with ``python -m tests.fuzz.run``.

A parser target spends the bytes three ways, chosen by the last one: as the raw body; as
edits to a documented fixture (replace, remove, retype a field); or spliced into a
fixture's encoded bytes. The step target turns the bytes into a sequence of events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import atheris

from sosbot.core.conversation import step
from sosbot.core.errors import PayloadError
from sosbot.core.events import (
    ButtonPressed,
    ClockTick,
    CommandReceived,
    ContactShared,
    Event,
    LocationReceived,
    MediaReceived,
    OfficerAsked,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import ConversationState, Location, MediaKind, MediaRef

from .payloads import (
    PLATFORMS,
    check_events,
    check_state,
    encode,
    get,
    paths,
    removed,
    replaced,
    swapped_type,
)
from .strategies import GROUP, MAX_BODY, RESIDENT, SENDER, START

Target = Callable[[bytes], None]


def _json_value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    kind = fdp.ConsumeIntInRange(0, 8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        # Up to 160 bytes: past 128 an integer no longer fits a float (issue 18).
        return fdp.ConsumeInt(fdp.PickValueInList([1, 2, 4, 8, 12, 160]))
    if kind == 3:
        return fdp.ConsumeRegularFloat()
    if kind == 4:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64))
    if kind == 5:
        return fdp.ConsumeUnicodeNoSurrogates(1) * fdp.ConsumeIntInRange(0, 20_000)
    if kind == 6:
        return [_json_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    if kind == 7:
        return {fdp.ConsumeUnicodeNoSurrogates(8): _json_value(fdp, depth + 1)
                for _ in range(fdp.ConsumeIntInRange(0, 4))}
    # A huge array of one small item (a scalar: nested copies would multiply).
    return [_scalar(fdp)] * fdp.ConsumeIntInRange(0, 5000)


def _scalar(fdp: atheris.FuzzedDataProvider) -> Any:
    return fdp.PickValueInList([None, True, 0, -1, 2**63, 10**400, -10**400, 1e308, "", "x",
                                "1", "ồ"])


def _mutated(platform: str, fdp: atheris.FuzzedDataProvider) -> bytes:
    fixtures = PLATFORMS[platform].fixtures
    value = fixtures[fdp.PickValueInList(sorted(fixtures))]
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        path = fdp.PickValueInList(paths(value))
        operation = fdp.ConsumeIntInRange(0, 2)
        if operation == 0:
            value = replaced(value, path, _json_value(fdp))
        elif operation == 1:
            value = removed(value, path)
        else:
            value = replaced(value, path, swapped_type(get(value, path)))
    body = encode(value)
    # Bigger bodies are refused unread by the webhook (413): never a parser's input.
    return body if len(body) <= MAX_BODY else body[:MAX_BODY]


def _spliced(platform: str, fdp: atheris.FuzzedDataProvider) -> bytes:
    fixtures = PLATFORMS[platform].fixtures
    body = encode(fixtures[fdp.PickValueInList(sorted(fixtures))])
    at = fdp.ConsumeIntInRange(0, len(body))
    cut = fdp.ConsumeIntInRange(0, 16)
    return body[:at] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 32)) + body[at + cut:]


def parser_body(platform: str, data: bytes) -> bytes:
    """The body a parser target makes of the fuzzer's bytes (see the module's docstring)."""
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    if mode == 0:
        return fdp.ConsumeBytes(fdp.remaining_bytes())
    if mode == 1:
        return _mutated(platform, fdp)
    return _spliced(platform, fdp)


def raw_input(body: bytes) -> bytes:
    """The fuzzer input that makes a parser target parse ``body`` as it is.

    atheris takes integers from the end of the input and bytes from its start, so a last
    byte of 0 picks the raw mode and the rest is the body.
    """
    return body + b"\x00"


def parser_target(platform: str) -> Target:
    parse = PLATFORMS[platform].parse

    def target(data: bytes) -> None:
        body = parser_body(platform, data)
        try:
            produced = parse(body)
        except PayloadError:
            return  # the documented refusal (answered 400)
        check_events(platform, produced)

    return target


_COMMANDS = ["start", "new", "cancel", "help", "lang", "dangky", "huy", "x"]
_BUTTONS = ["cat:fire", "cat:security", "cat:nope", "skip", "done", "submit", "cancel", "new",
            "lang:en", "lang:vi", "k.1.2.3", ""]


def _event(fdp: atheris.FuzzedDataProvider) -> Event:
    kind = fdp.ConsumeIntInRange(0, 9)
    common: dict[str, Any] = {
        "chat": GROUP if fdp.ConsumeIntInRange(0, 7) == 0 else RESIDENT, "sender": SENDER,
        "event_id": str(fdp.ConsumeIntInRange(1, 10**6)),
        "message_id": fdp.PickValueInList([None, "10", "11"])}
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 80))
    if kind == 0:
        return TextReceived(text=text, **common)
    if kind == 1:
        return TextReceived(text=str(fdp.ConsumeIntInRange(-2, 12)), **common)
    if kind == 2:
        return CommandReceived(name=fdp.PickValueInList(_COMMANDS), args=text, **common)
    if kind == 3:
        location = Location(lat=fdp.ConsumeFloatInRange(-100, 100),
                            lon=fdp.ConsumeFloatInRange(-200, 200))
        return LocationReceived(location=location, is_update=fdp.ConsumeBool(),
                                live_period_s=fdp.PickValueInList([None, 0, 900, 10**9]),
                                **common)
    if kind == 4:
        media = MediaRef(kind=fdp.PickValueInList(list(MediaKind)), file_id="f",
                         size=fdp.PickValueInList([None, 0, 10**9]))
        return MediaReceived(media=media, caption=text,
                             album_id=fdp.PickValueInList([None, "a1"]), **common)
    if kind == 5:
        return ContactShared(phone=text, own=fdp.ConsumeBool(), **common)
    if kind == 6:
        data = fdp.PickValueInList(_BUTTONS) if fdp.ConsumeBool() else text
        return ButtonPressed(data=data, callback_id="cb", **common)
    if kind == 7:
        return UnsupportedReceived(kind="sticker", **common)
    if kind == 8:
        return OfficerAsked(code="SOS-0001", question=text, unit={"vi": "Phường", "en": "Ward"})
    return ClockTick()


def step_target(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    state, now = ConversationState(), START
    for _ in range(fdp.ConsumeIntInRange(1, 20)):
        now += timedelta(seconds=fdp.PickValueInList([0, 5, 600, 1800, 3600, 86_400]))
        state, _actions = step(state, _event(fdp), now)
        check_state(state)


TARGETS: dict[str, Target] = {
    **{f"parse_{name}": parser_target(name) for name in sorted(PLATFORMS)},
    "step": step_target,
}
