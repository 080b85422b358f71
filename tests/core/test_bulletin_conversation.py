"""Safety bulletins and the per-resident report limit, as the conversation sees them."""

from __future__ import annotations

from sosbot.core.actions import ChangeSubscription, Reply, SubmitReport
from sosbot.core.conversation import step
from sosbot.core.events import SubmitRefused, SubscriptionChanged
from sosbot.core.model import Stage
from tests.core.test_conversation import (
    Dialogue,
    buttons,
    command,
    only,
    photo,
    pin,
    press,
    replies,
    text,
)


def _submit(d: Dialogue) -> list:  # type: ignore[type-arg]
    d.send(press("cat:fire"))
    d.send(pin())
    d.send(text("Khói bốc lên từ tầng hai"))
    d.send(photo())
    d.send(press("done"))
    return d.send(press("submit"))


def test_the_end_of_a_report_offers_bulletins_for_the_ward_and_the_city() -> None:
    d = Dialogue()
    actions = _submit(d)
    assert buttons(actions)[:4] == ["new", "status", "sub:ward", "sub:city"]
    actions = d.send(press("sub:ward"))
    assert only(actions, ChangeSubscription) == [ChangeSubscription(scope="ward")]


def test_a_typed_number_picks_a_bulletin_choice_after_the_report() -> None:
    d = Dialogue()
    _submit(d)
    actions = d.send(text("4"))
    assert only(actions, ChangeSubscription) == [ChangeSubscription(scope="city")]


def test_dangky_offers_the_city_only_before_any_report_and_huy_stops() -> None:
    d = Dialogue()
    actions = d.send(command("dangky"))
    assert buttons(actions) == ["sub:city"]
    assert "bản tin an ninh" in replies(actions)[0]
    actions = d.send(command("huy"))
    assert only(actions, ChangeSubscription) == [ChangeSubscription(scope="off")]


def test_storage_answers_are_told_in_the_residents_language() -> None:
    d = Dialogue()
    d.send(command("lang", "en"))
    state, actions = step(d.state, SubscriptionChanged(
        scope="ward", ward={"vi": "Phường Tân Phú", "en": "Phường Tân Phú"},
        wanted_ward=True), d.now)
    assert state.subscribed == "ward"
    assert replies(actions) == ["✅ You will get safety bulletins for Phường Tân Phú. "
                                "Send /huy to stop at any time."]
    state, actions = step(state, SubscriptionChanged(scope="off", was_active=True), d.now)
    assert state.subscribed is None and "no longer" in replies(actions)[0]
    state, actions = step(state, SubscriptionChanged(scope="off", was_active=False), d.now)
    assert "/dangky" in replies(actions)[0] and "not getting" in replies(actions)[0]


def test_a_ward_wanted_but_unknown_falls_back_to_the_city_and_says_so() -> None:
    d = Dialogue()
    state, actions = step(d.state, SubscriptionChanged(scope="city", wanted_ward=True), d.now)
    assert state.subscribed == "city"
    assert "Chưa xác định được phường/xã" in replies(actions)[0]


def test_a_subscribed_resident_is_not_offered_bulletins_again() -> None:
    d = Dialogue()
    d.state, _ = step(d.state, SubscriptionChanged(scope="city"), d.now)
    actions = _submit(d)
    assert buttons(actions)[:1] == ["new"] and "sub:city" not in buttons(actions)


def test_a_refused_submission_keeps_the_draft_and_says_when_to_try_again() -> None:
    d = Dialogue()
    d.send(press("cat:fire"))
    d.send(pin())
    d.send(text("Cháy xe máy trước nhà"))
    d.send(photo())
    d.send(press("done"))
    d.now = d.now
    state, actions = step(d.state, press("submit"), d.now)
    draft = only(actions, SubmitReport)[0].draft
    state, actions = step(state, SubmitRefused(draft=draft, limit=5, retry_after_min=12), d.now)
    assert state.draft == draft and state.stage is Stage.CONFIRM
    message = only(actions, Reply)[0].message
    assert "5 tin báo" in message.text and "12 phút" in message.text and "113" in message.text
    assert [c.value for row in message.choices for c in row] == ["submit", "cancel"]


def test_a_refusal_longer_than_the_draft_lives_does_not_promise_to_keep_it() -> None:
    d = Dialogue()
    d.send(press("cat:fire"))
    d.send(pin())
    d.send(text("Cháy xe máy trước nhà"))
    d.send(photo())
    d.send(press("done"))
    state, actions = step(d.state, press("submit"), d.now)
    draft = only(actions, SubmitReport)[0].draft
    state, actions = step(state, SubmitRefused(draft=draft, limit=5, retry_after_min=50), d.now)
    assert state.draft is None
    assert "báo lại sau khoảng 50 phút" in replies(actions)[0]


def test_receipts_do_not_count_as_the_resident_writing() -> None:
    from datetime import timedelta

    from sosbot.core.events import Ignored
    from tests.core.test_conversation import CHAT, SENDER

    d = Dialogue()
    d.send(command("start"))
    before = d.state.last_activity_epoch
    d.send(Ignored(reason="read receipt", chat=CHAT, sender=SENDER, event_id="r1",
                   message_id="r1"), after=timedelta(days=3))
    assert d.state.last_activity_epoch == before
