"""Every text of the location page, in Vietnamese (the default) and English."""

from __future__ import annotations

DEFAULT_LANG = "vi"

VI: dict[str, str] = {
    "title": "Gửi vị trí sự việc",
    "heading": "Sự việc xảy ra ở đâu?",
    "intro": ("Điểm đỏ là nơi xảy ra sự việc. Nếu chưa đúng, hãy kéo điểm hoặc chạm vào "
              "bản đồ để chọn lại."),
    "emergency": "Nếu có nguy hiểm đến tính mạng, hãy gọi ngay 113.",
    "map_label": "Bản đồ các phường, xã của TP. Hồ Chí Minh",
    "loading_map": "Đang tải bản đồ…",
    "map_failed": ("Không tải được bản đồ. Vui lòng kiểm tra kết nối mạng rồi tải lại "
                   "trang."),
    "locating": "Đang xác định vị trí của bạn…",
    "geo_unavailable": ("Không lấy được vị trí từ điện thoại. Hãy chạm vào bản đồ để chọn nơi "
                        "xảy ra sự việc."),
    "geo_denied": ("Bạn chưa cho phép trang này xem vị trí. Hãy chạm vào bản đồ để chọn nơi "
                   "xảy ra sự việc."),
    "no_point": "Chưa chọn vị trí. Chạm vào bản đồ để chọn.",
    "accuracy": "Vị trí từ điện thoại, sai số khoảng ±{m} m",
    "manual": "Vị trí do bạn chọn trên bản đồ",
    "outside": "Điểm này nằm ngoài địa bàn TP. Hồ Chí Minh",
    "zoom_in": "Phóng to",
    "zoom_out": "Thu nhỏ",
    "locate": "Vị trí của tôi",
    "submit": "Gửi vị trí này",
    "sending": "Đang gửi…",
    "sent_title": "Đã gửi vị trí",
    "back_to_chat": "Bạn có thể đóng trang này và quay lại cuộc trò chuyện.",
    "send_failed": "Chưa gửi được vị trí. Vui lòng thử lại.",
    "bad_point": "Vị trí không hợp lệ. Vui lòng chọn lại trên bản đồ.",
    "gone_title": "Liên kết không dùng được",
    "used": ("Liên kết này đã được dùng để gửi vị trí. Nếu cần gửi lại, hãy quay lại cuộc "
             "trò chuyện và xin một liên kết mới."),
    "expired": ("Liên kết không đúng hoặc đã hết hạn. Hãy quay lại cuộc trò chuyện và xin "
                "một liên kết mới."),
}

EN: dict[str, str] = {
    "title": "Send the incident location",
    "heading": "Where is it happening?",
    "intro": ("The red dot marks where it is happening. If it is not right, drag the dot or "
              "tap the map to move it."),
    "emergency": "If a life is in danger, call 113 now.",
    "map_label": "Map of the wards and communes of Ho Chi Minh City",
    "loading_map": "Loading the map…",
    "map_failed": "The map could not be loaded. Please check your connection and reload.",
    "locating": "Finding your location…",
    "geo_unavailable": ("Your phone did not share its location. Tap the map where it is "
                        "happening."),
    "geo_denied": ("This page may not see your location. Tap the map where it is "
                   "happening."),
    "no_point": "No location chosen yet. Tap the map to choose one.",
    "accuracy": "Location from your phone, accurate to about ±{m} m",
    "manual": "Location chosen on the map",
    "outside": "This point is outside Ho Chi Minh City",
    "zoom_in": "Zoom in",
    "zoom_out": "Zoom out",
    "locate": "My location",
    "submit": "Send this location",
    "sending": "Sending…",
    "sent_title": "Location sent",
    "back_to_chat": "You can close this page and go back to the chat.",
    "send_failed": "The location could not be sent. Please try again.",
    "bad_point": "That location is not valid. Please choose it again on the map.",
    "gone_title": "This link cannot be used",
    "used": ("This link has already been used to send a location. To send another one, go "
             "back to the chat and ask for a new link."),
    "expired": ("This link is wrong or has expired. Go back to the chat and ask for a new "
                "link."),
}

TEXTS: dict[str, dict[str, str]] = {"vi": VI, "en": EN}


def texts_for(lang: str | None) -> dict[str, str]:
    """The page texts in ``lang``, Vietnamese for anything but English."""
    return EN if lang == "en" else VI
