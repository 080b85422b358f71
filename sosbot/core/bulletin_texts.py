"""What a resident reads about the safety bulletins: the offer, the subscription, the
bulletin's header and footer. Vietnamese and English; ``texts`` joins them with the
others."""

from __future__ import annotations

VI: dict[str, str] = {
    "subscribe_offer": (
        "🔔 Nhận bản tin an ninh trật tự của Công an TP. Hồ Chí Minh: cảnh báo thủ đoạn "
        "tội phạm mới, an toàn phòng cháy chữa cháy… Bạn muốn nhận bản tin của:"
    ),
    "button_sub_city": "🔔 Toàn thành phố",
    "button_sub_ward": "🔔 Phường/xã nơi tôi báo tin",
    "subscribed_city": (
        "✅ Bạn đã đăng ký nhận bản tin an ninh của toàn TP. Hồ Chí Minh. Gửi /huy để ngừng "
        "nhận bất cứ lúc nào."
    ),
    "subscribed_ward": (
        "✅ Bạn đã đăng ký nhận bản tin an ninh của {ward}. Gửi /huy để ngừng nhận bất cứ "
        "lúc nào."
    ),
    "subscribed_ward_unknown": (
        "Chưa xác định được phường/xã từ tin báo của bạn, nên bạn sẽ nhận bản tin của toàn "
        "TP. Hồ Chí Minh. Gửi /huy để ngừng nhận bất cứ lúc nào."
    ),
    "unsubscribed": "Bạn đã ngừng nhận bản tin an ninh. Gửi /dangky nếu muốn nhận lại.",
    "not_subscribed": "Bạn chưa đăng ký nhận bản tin an ninh. Gửi /dangky để đăng ký.",
    "bulletin_header": "📢 BẢN TIN AN NINH TRẬT TỰ — Công an TP. Hồ Chí Minh",
    "bulletin_header_ward": "📢 BẢN TIN AN NINH TRẬT TỰ — {ward}",
    "bulletin_footer": "Gửi /huy để ngừng nhận bản tin.",
}

EN: dict[str, str] = {
    "subscribe_offer": (
        "🔔 Get safety bulletins from Ho Chi Minh City police: warnings about new scams and "
        "crimes, fire safety advice… Which bulletins would you like?"
    ),
    "button_sub_city": "🔔 The whole city",
    "button_sub_ward": "🔔 The ward I reported in",
    "subscribed_city": (
        "✅ You will get safety bulletins for the whole of Ho Chi Minh City. Send /huy to "
        "stop at any time."
    ),
    "subscribed_ward": (
        "✅ You will get safety bulletins for {ward}. Send /huy to stop at any time."
    ),
    "subscribed_ward_unknown": (
        "Your reports do not tell us your ward yet, so you will get the bulletins for the "
        "whole of Ho Chi Minh City. Send /huy to stop at any time."
    ),
    "unsubscribed": "You will no longer get safety bulletins. Send /dangky to start again.",
    "not_subscribed": "You are not getting safety bulletins. Send /dangky to start.",
    "bulletin_header": "📢 SAFETY BULLETIN — Ho Chi Minh City police",
    "bulletin_header_ward": "📢 SAFETY BULLETIN — {ward}",
    "bulletin_footer": "Send /huy to stop these bulletins.",
}
