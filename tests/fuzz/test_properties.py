"""Properties over every platform parser and the conversation's ``step``.

Parsers: whatever bytes arrive, ``parse`` returns well-formed events of its own platform or
raises PayloadError (answered 400) — never anything else. ``step``: whatever events arrive
in whatever order, it raises nothing and its state survives the JSON round trip storage
puts it through. The budget is the hypothesis profile (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sosbot.core import actions as core_actions
from sosbot.core.conversation import step
from sosbot.core.errors import PayloadError
from sosbot.core.events import Event
from sosbot.core.model import ConversationState
from sosbot.core.webhook_body import decode_body

from .conftest import FUZZ_PROFILE
from .payloads import PLATFORMS, check_events, check_state, encode
from .strategies import START, bodies, events, gaps

PROFILE = settings.get_profile(FUZZ_PROFILE)
tried: dict[str, int] = {}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_parse_gives_events_or_a_payload_error(platform: str) -> None:
    parse = PLATFORMS[platform].parse
    refused = 0

    @given(body=bodies(platform))
    @settings(PROFILE)
    def parse_anything(body: bytes) -> None:
        nonlocal refused
        tried[platform] = tried.get(platform, 0) + 1
        try:
            produced = parse(body)
        except PayloadError:
            refused += 1
            return
        check_events(platform, produced)
        assert parse(body) == produced  # pure: the same body, the same events

    parse_anything()
    assert tried[platform] >= min(PROFILE.max_examples, 100)
    assert 0 < refused < tried[platform]  # both outcomes were reached


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_fixture_still_parses(platform: str) -> None:
    """The starting points of the fuzzing are good payloads: none is refused."""
    for name, payload in PLATFORMS[platform].fixtures.items():
        check_events(platform, PLATFORMS[platform].parse(encode(payload)))
        assert decode_body(encode(payload)) == payload, name


def _check_actions(produced: list[Any]) -> None:
    action_types = tuple(t for t in vars(core_actions).values()
                         if isinstance(t, type) and dataclasses.is_dataclass(t))
    for action in produced:
        assert isinstance(action, action_types), action


def test_step_never_raises_and_its_state_round_trips() -> None:
    count = 0

    @given(sequence=st.lists(st.tuples(gaps, events), min_size=1, max_size=25))
    @settings(PROFILE)
    def run_sequence(sequence: list[tuple[timedelta, Event]]) -> None:
        nonlocal count
        count += 1
        state, now = ConversationState(), START
        for gap, event in sequence:
            now += gap
            state, produced = step(state, event, now)
            check_state(state)
            _check_actions(produced)

    run_sequence()
    tried["step"] = count
    assert count >= min(PROFILE.max_examples, 100)


@given(sequence=st.lists(st.tuples(gaps, events), min_size=1, max_size=10))
@settings(PROFILE)
def test_step_is_pure(sequence: list[tuple[timedelta, Event]]) -> None:
    """Replaying the same events from the same state gives the same states and actions."""
    def run() -> list[Any]:
        state, now, trace = ConversationState(), START, []
        for gap, event in sequence:
            now += gap
            state, produced = step(state, event, now)
            trace.append((state, produced))
        return trace

    assert run() == run()
