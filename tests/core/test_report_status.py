"""The resident's status command and button, the window note at submission and the mark on
an officer's own words, as the (pure) conversation sees them."""

from __future__ import annotations

from datetime import datetime

import pytest

from sosbot.core.actions import ListReports, Reply
from sosbot.core.conversation import step
from sosbot.core.events import OfficerAsked, ReportLine, ReportsListed, ReportSubmitted
from sosbot.core.model import Draft
from tests.core.test_conversation import Dialogue, buttons, command, only, press, replies, text


@pytest.mark.parametrize("name", ["trangthai", "tinhtrang", "status"])
def test_the_status_commands_ask_storage_for_the_reports(name: str) -> None:
    assert only(Dialogue().send(command(name)), ListReports) == [ListReports()]


def test_the_status_button_and_its_typed_number_ask_too() -> None:
    d = Dialogue()
    assert only(d.send(press("status")), ListReports) == [ListReports()]
    # After a report the button is offered second; "2" typed picks it.
    d.state, _ = step(d.state, ReportSubmitted(code="SOS-260001", draft=Draft()), d.now)
    assert only(d.send(text("2")), ListReports) == [ListReports()]


def test_the_reports_are_listed_newest_first_with_their_status_in_vietnamese() -> None:
    d = Dialogue()
    at = datetime(2026, 3, 2, 19, 5).timestamp()  # 02:05 on 3 March in Hồ Chí Minh City
    listed = ReportsListed(days=30, reports=(
        ReportLine("SOS-260002", "fire", "acknowledged", at + 3600),
        ReportLine("SOS-260001", "security", "routed", at)))
    d.state, actions = step(d.state, listed, d.now)
    [message] = replies(actions)
    assert message.splitlines() == [
        "Tình trạng các tin báo gần đây của bạn:",
        "• SOS-260002 – Cháy nổ, gửi lúc 03:05 03/03: cán bộ đã tiếp nhận",
        "• SOS-260001 – An ninh trật tự / tội phạm, gửi lúc 02:05 03/03: "
        "đã chuyển đến cán bộ, đang chờ tiếp nhận"]


def test_no_reports_is_said_in_english_for_an_english_speaker() -> None:
    d = Dialogue()
    d.send(command("lang", "en"))
    d.state, actions = step(d.state, ReportsListed(days=30, reports=()), d.now)
    assert replies(actions) == ["You have sent no report through this channel in the past "
                                "30 days. Send /start to report an incident."]


def test_submission_tells_a_messenger_resident_how_updates_reach_them() -> None:
    d = Dialogue()
    d.state, actions = step(d.state, ReportSubmitted(code="SOS-260001", draft=Draft(),
                                                     reply_window_h=24), d.now)
    first = replies(actions)[0]
    assert "chỉ được nhắn cho bạn trong 24 giờ" in first and "/trangthai" in first
    assert buttons(actions)[:2] == ["new", "status"]
    d.state, actions = step(d.state, ReportSubmitted(code="SOS-260002", draft=Draft()), d.now)
    assert "24 giờ" not in replies(actions)[0]  # Telegram, Zalo: no such note


def test_an_officers_question_is_marked_as_an_officers_words() -> None:
    d = Dialogue()
    d.state, actions = step(d.state, OfficerAsked(code="SOS-260001", question="Có ai bị "
                                                  "thương không?", unit={"vi": "CA phường"}),
                            d.now)
    [reply] = only(actions, Reply)
    assert reply.kind == "officer" and "Có ai bị thương không?" in reply.message.text
    assert all(r.kind == "" for r in only(d.send(command("help")), Reply))


def test_a_time_no_calendar_can_show_is_a_dash() -> None:
    """Found by the property test: a report listed with an absurd time still lists."""
    from sosbot.core.cards import local_time

    for epoch in (1e20, -1e20, float("nan"), 253402300800.0):
        assert local_time(epoch) == "—"
    assert local_time(1765080000.0) == "11:00 07/12/2025"  # 04:00 UTC, UTC+7
