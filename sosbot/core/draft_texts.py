"""What a resident reads while writing a report: the greeting, the questions (category,
place, description, photos), the place proposed back, the summary and its buttons, a draft
cancelled or expired. Vietnamese and English; ``texts`` joins them with the others."""

from __future__ import annotations

VI: dict[str, str] = {
    "greeting": (
        "Xin chào! Đây là kênh tiếp nhận tin báo SOS An ninh trật tự của Công an "
        "TP. Hồ Chí Minh.\n"
        "Nếu có nguy hiểm đến tính mạng, hãy gọi ngay 113 (công an), 114 (cứu hoả), "
        "115 (cấp cứu)."
    ),
    "ask_category": "Bạn muốn báo sự việc gì? Chọn một mục bên dưới.",
    "ask_category_again": "Vui lòng chọn loại sự việc bằng các nút bên dưới.",
    "choose_by_number": "Trả lời bằng số ({numbers}) để chọn.",
    "category.security": "An ninh trật tự / tội phạm",
    "category.traffic": "Tai nạn giao thông",
    "category.fire": "Cháy nổ",
    "category.other": "Sự cố khác",
    "ask_location": (
        "Sự việc xảy ra ở đâu? Bấm «📍 Gửi vị trí của tôi», ghim một điểm trên bản đồ "
        "(📎 → Vị trí), hoặc nhập địa chỉ (số nhà, tên đường, phường/xã)."
    ),
    "understood": "Mình hiểu: {emoji} {category}.",
    "button_category_ok": "✅ Đúng",
    "button_change_category": "🔁 Đổi loại sự việc",
    "place_confirm": "📍 Có phải ở đây không?\n{place}\n({ward})",
    "place_pick": "📍 «{place}» gồm nhiều phường/xã. Sự việc xảy ra ở phường/xã nào?",
    "place_pick_border": "📍 «{place}» nằm giáp ranh nhiều phường/xã. Sự việc xảy ra ở "
                         "phía phường/xã nào?",
    "button_place_yes": "✅ Đúng, ở đây",
    "button_place_retype": "✏️ Nhập lại địa chỉ",
    "button_place_keep": "➡️ Giữ địa chỉ này",
    "place_retype": (
        "Bạn nhập lại địa chỉ nhé: số nhà và tên đường, phường/xã, hoặc một nơi nhiều người "
        "biết (chợ, bệnh viện, cầu, ngã tư)."
    ),
    "place_looking": "🔎 Đang tìm «{place}» trên bản đồ…",
    "place_found_online": "🔎 Đã tìm thấy trên bản đồ.",
    "place_not_found": (
        "Chưa tìm thấy «{place}» trên bản đồ. Bạn có thể gửi vị trí (📎 → Vị trí), chọn điểm "
        "trên bản đồ, nhập lại địa chỉ, hoặc giữ địa chỉ này để công an xác định sau."
    ),
    "button_send_location": "📍 Gửi vị trí của tôi",
    "location_invalid": "Vị trí không hợp lệ. Vui lòng gửi lại vị trí hoặc nhập địa chỉ.",
    "location_outside": (
        "Vị trí này nằm ngoài địa bàn TP. Hồ Chí Minh. Kênh này chỉ tiếp nhận sự việc trong "
        "thành phố — vui lòng gửi lại đúng vị trí, hoặc gọi 113 nếu bạn đang ở tỉnh khác."
    ),
    "ask_description": (
        "Bạn mô tả ngắn gọn chuyện gì đang xảy ra (ví dụ: có bao nhiêu người, có ai bị "
        "thương không, đặc điểm người hoặc phương tiện liên quan)."
    ),
    "ask_media": (
        "Nếu có thể, hãy gửi ảnh hoặc video hiện trường (một hoặc nhiều). Chỉ chụp khi an "
        "toàn cho bạn. Gửi xong thì bấm «Xong»."
    ),
    "media_received": "Đã nhận {count} ảnh/video. Gửi thêm hoặc bấm «Xong».",
    "album_received": "Đã nhận các ảnh/video bạn gửi. Gửi thêm hoặc bấm «Xong».",
    "media_too_large": (
        "Tệp này quá lớn (tối đa {limit_mb} MB). Vui lòng gửi ảnh, hoặc quay một đoạn video "
        "ngắn hơn."
    ),
    "media_limit": (
        "Mỗi tin báo nhận tối đa {limit} ảnh/video: đã giữ {kept} ảnh/video đầu tiên, những "
        "ảnh/video gửi thêm không được lưu. Bạn có thể mô tả thêm bằng chữ."
    ),
    "button_done": "Xong",
    "button_skip": "Bỏ qua",
    "summary": (
        "Vui lòng kiểm tra lại tin báo:\n"
        "• Loại: {category}\n"
        "• Vị trí: {place}\n"
        "• Mô tả: {description}\n"
        "• Ảnh/video: {media_count}\n\n"
        "Nếu đúng, bấm «Gửi tin báo». Muốn sửa thì gửi thêm thông tin, vị trí hoặc ảnh."
    ),
    "no_description": "(chưa có)",
    "accuracy": "sai số khoảng {meters} m",
    "button_submit": "✅ Gửi tin báo",
    "button_cancel": "✖️ Huỷ",
    "page_point_received": "Đã nhận vị trí. Bạn quay lại cuộc trò chuyện để tiếp tục.",
    "page_point_in_ward": "Đã nhận vị trí: {place}. Bạn quay lại cuộc trò chuyện để tiếp tục.",
    "location_link_label": "🗺️ Chọn vị trí trên bản đồ",
    "location_link_line": "Hoặc chọn vị trí trên bản đồ: {url}",
    "draft_continue": "Bạn đang soạn dở một tin báo. Mình tiếp tục nhé.",
    "cancelled": "Đã huỷ tin báo đang soạn. Khi cần, gửi /start để báo sự việc mới.",
    "nothing_to_cancel": "Bạn không có tin báo nào đang soạn. Gửi /start để báo sự việc mới.",
    "expired": (
        "Tin báo đang soạn đã bị huỷ vì không có phản hồi trong {minutes} phút. Nếu sự việc "
        "vẫn đang diễn ra, hãy gửi /start để báo lại."
    ),
}

EN: dict[str, str] = {
    "greeting": (
        "Hello! This is the SOS public-safety reporting channel of Ho Chi Minh City Police.\n"
        "If lives are in danger, call 113 (police), 114 (fire) or 115 (ambulance) right away."
    ),
    "ask_category": "What would you like to report? Choose one below.",
    "ask_category_again": "Please choose the kind of incident with the buttons below.",
    "choose_by_number": "Reply with a number ({numbers}) to choose.",
    "category.security": "Crime / public order",
    "category.traffic": "Traffic accident",
    "category.fire": "Fire / explosion",
    "category.other": "Other emergency",
    "ask_location": (
        "Where is it happening? Tap «📍 Send my location», pin a place on the map "
        "(📎 → Location), or type the address (house number, street, ward)."
    ),
    "understood": "I understood: {emoji} {category}.",
    "button_category_ok": "✅ Right",
    "button_change_category": "🔁 Change the type",
    "place_confirm": "📍 Is it here?\n{place}\n({ward})",
    "place_pick": "📍 «{place}» covers several wards. Which ward is it in?",
    "place_pick_border": "📍 «{place}» lies where several wards meet. On which ward's side "
                         "is it?",
    "button_place_yes": "✅ Yes, here",
    "button_place_retype": "✏️ Type it again",
    "button_place_keep": "➡️ Keep what I typed",
    "place_retype": (
        "Please type the address again: house number and street, ward, or a place everyone "
        "knows (a market, hospital, bridge, intersection)."
    ),
    "place_looking": "🔎 Looking for «{place}» on the map…",
    "place_found_online": "🔎 Found it on the map.",
    "place_not_found": (
        "«{place}» was not found on the map. You can send your location (📎 → Location), pick "
        "the point on the map, type the address again, or keep it as typed for the police to "
        "locate."
    ),
    "button_send_location": "📍 Send my location",
    "location_invalid": "That location is not valid. Please send it again or type the address.",
    "location_outside": (
        "That place is outside Ho Chi Minh City. This channel only takes incidents in the city: "
        "please send the right location, or call 113 if you are in another province."
    ),
    "ask_description": (
        "Briefly describe what is happening (for example: how many people, is anyone hurt, "
        "what the people or vehicles involved look like)."
    ),
    "ask_media": (
        "If you can, send photos or video of the scene (one or more). Only take them if it is "
        "safe for you. When you are done, tap «Done»."
    ),
    "media_received": "Received {count} photo(s)/video(s). Send more or tap «Done».",
    "album_received": "Received your photos/videos. Send more or tap «Done».",
    "media_too_large": (
        "That file is too large (at most {limit_mb} MB). Please send a photo or a shorter video."
    ),
    "media_limit": (
        "A report takes at most {limit} photos/videos: the first {kept} are kept, the ones "
        "sent after them are not saved. You can add more details as text."
    ),
    "button_done": "Done",
    "button_skip": "Skip",
    "summary": (
        "Please check your report:\n"
        "• Kind: {category}\n"
        "• Location: {place}\n"
        "• Description: {description}\n"
        "• Photos/videos: {media_count}\n\n"
        "If it is right, tap «Send report». To change it, send more details, a location or "
        "photos."
    ),
    "no_description": "(none)",
    "accuracy": "accurate to about {meters} m",
    "button_submit": "✅ Send report",
    "button_cancel": "✖️ Cancel",
    "page_point_received": "Location received. You can go back to the chat.",
    "page_point_in_ward": "Location received: {place}. You can go back to the chat.",
    "location_link_label": "🗺️ Pick the place on a map",
    "location_link_line": "Or pick the place on a map: {url}",
    "draft_continue": "You have a report in progress. Let's continue.",
    "cancelled": "Your draft report was cancelled. Send /start whenever you need to report.",
    "nothing_to_cancel": "You have no report in progress. Send /start to report an incident.",
    "expired": (
        "Your draft report was cancelled after {minutes} minutes without a reply. If it is "
        "still happening, send /start to report it again."
    ),
}
