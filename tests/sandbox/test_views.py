"""The emulators' chat logs as the sandbox page draws them, and the simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sosbot.sandbox import views
from sosbot.sandbox.clock import SimulatedClock


def file_url(file_id: str) -> str:
    return f"http://127.0.0.1:8081/_emu/files/{file_id}"


def test_a_telegram_card_keeps_its_buttons_photo_and_reply() -> None:
    raw = [{"message_id": 7, "from": {"id": 1, "is_bot": True, "first_name": "SOS"},
            "date": 1_800_000_000, "caption": "🔥 CHÁY NỔ — SOS-260001",
            "photo": [{"file_id": "small"}, {"file_id": "large"}],
            "reply_to_message": {"text": "/bind ABCD-EFGH"},
            "reply_markup": {"inline_keyboard": [[{"text": "✅ Tiếp nhận", "callback_data": "k1"},
                                                  {"text": "Bản đồ", "url": "http://x/l/t"}]]}},
           {"message_id": 8, "from": {"id": 42, "is_bot": False, "first_name": "Hùng"},
            "date": 1_800_000_001, "location": {"latitude": 10.7, "longitude": 106.6}}]
    card, pin = views.telegram_messages(raw, "42", file_url, {})
    assert card["who"] == "bot" and card["text"].startswith("🔥 CHÁY NỔ")
    assert card["media"] == [{"kind": "image", "url": views.media_url(file_url("large"))}]
    assert card["reply_to"] == "/bind ABCD-EFGH"
    [[ack, link]] = card["buttons"]
    assert ack["act"] == {"type": "press", "data": "k1", "message_id": 7}
    assert link["act"] == {"type": "url", "url": "http://x/l/t"}
    assert pin["who"] == "me" and pin["location"] == {"lat": 10.7, "lon": 106.6}
    [shared] = views.telegram_messages([{"message_id": 9, "from": {"id": 42}, "date": 1,
                                         "contact": {"phone_number": "+84901234567",
                                                     "first_name": "Lan"}}], "42", file_url, {})
    assert shared["text"] == "📞 +84901234567"


def test_a_location_request_opens_the_map() -> None:
    keyboard = {"keyboard": [[{"text": "📍 Gửi vị trí của tôi", "request_location": True}],
                             ["Bỏ qua"]]}
    assert views.telegram_keyboard(keyboard) == [
        [{"label": "📍 Gửi vị trí của tôi", "act": {"type": "map"}}],
        [{"label": "Bỏ qua", "act": {"type": "text", "text": "Bỏ qua"}}]]
    assert views.telegram_keyboard(None) == []


def test_zalo_query_buttons_send_their_payload_and_officers_have_names() -> None:
    raw = [{"msg_id": "a", "from": "oa", "at": "1800000000000", "text": "Chọn",
            "buttons": [{"title": "Cháy nổ", "type": "oa.query.show", "payload": "3"},
                        {"title": "Bản đồ", "type": "oa.open.url",
                         "payload": {"url": "http://x/l/t"}}]},
           {"msg_id": "b", "from": "99", "at": "1800000001000", "event_name": "user_send_location",
            "message": {"attachments": [{"type": "location", "payload": {
                "coordinates": {"latitude": "10.77", "longitude": "106.64"}}}]}},
           {"msg_id": "c", "from": "77", "at": "1800000002000",
            "message": {"text": "/ack SOS-260002"}}]
    menu, pin, ack = views.zalo_messages(raw, "99", {"77": "Đại úy Mai"})
    assert menu["buttons"] == [[{"label": "Cháy nổ", "act": {"type": "text", "text": "3"}}],
                               [{"label": "Bản đồ", "act": {"type": "url",
                                                            "url": "http://x/l/t"}}]]
    assert pin["who"] == "me" and pin["location"] == {"lat": 10.77, "lon": 106.64}
    assert ack["who"] == "other" and ack["name"] == "Đại úy Mai" and ack["at"] == 1_800_000_002


def test_messenger_quick_replies_show_only_under_the_newest_message() -> None:
    raw = [{"direction": "out", "mid": "m1", "timestamp": 1, "text": "Bạn muốn báo gì?",
            "quick_replies": [{"content_type": "text", "title": "Cháy nổ",
                               "payload": "cat:fire"}]}]
    messages = views.messenger_messages(raw, "Tuấn")
    assert views.messenger_keyboard(messages) == [[{"label": "Cháy nổ", "act": {
        "type": "quick_reply", "payload": "cat:fire", "title": "Cháy nổ"}}]]
    raw.append({"direction": "in", "mid": "m2", "timestamp": 2,
                "message": {"text": "Cháy nổ", "quick_reply": {"payload": "cat:fire"}}})
    raw.append({"direction": "out", "mid": "m3", "timestamp": 3, "attachment": {
        "type": "template", "payload": {"template_type": "button", "text": "Ở đâu?",
                                        "buttons": [{"type": "web_url", "title": "Bản đồ",
                                                     "url": "http://x/l/t"}]}}})
    messages = views.messenger_messages(raw, "Tuấn")
    assert views.messenger_keyboard(messages) == []
    assert messages[1]["who"] == "me" and messages[2]["text"] == "Ở đâu?"
    assert messages[2]["buttons"] == [[{"label": "Bản đồ", "act": {"type": "url",
                                                                   "url": "http://x/l/t"}}]]


def test_a_report_waits_only_the_jumps_made_after_it_came_in() -> None:
    clock = SimulatedClock()
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    clock.jump(300, start)
    clock.jump(300, start + timedelta(minutes=1))
    assert clock.offset_s == 600
    assert clock.waited_extra(start - timedelta(seconds=1)) == 600
    assert clock.waited_extra(start + timedelta(seconds=30)) == 300
    assert clock.waited_extra(start + timedelta(minutes=2)) == 0
