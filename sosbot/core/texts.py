"""Every text a resident sees, in Vietnamese (the default) and English.

One dict per language; a test checks that both have every key and the same placeholders.
"""

from __future__ import annotations

from sosbot.core.model import Category

DEFAULT_LANG = "vi"
LANGUAGES = ("vi", "en")

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
    "media_limit_extras": (
        "Tin báo {code} đã được bổ sung đủ {kept} ảnh/video (tối đa {limit}); những ảnh/video "
        "gửi thêm không được lưu. Bạn vẫn có thể gửi thêm thông tin bằng chữ."
    ),
    "too_many_messages": (
        "Bạn đang gửi quá nhiều tin nhắn (hơn {limit} tin trong một phút), nên các tin nhắn "
        "từ lúc này chưa được ghi nhận. Vui lòng chờ khoảng một phút rồi gửi lại những gì "
        "còn thiếu. Nếu có nguy hiểm đến tính mạng, hãy gọi ngay 113 (công an), 114 (cứu "
        "hoả), 115 (cấp cứu)."
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
    "submitted": (
        "Đã gửi tin báo. Mã tin báo của bạn: {code}\n"
        "{routing}\n"
        "Trong 15 phút tới, bạn vẫn có thể gửi thêm ảnh, video hoặc thông tin; chúng sẽ được "
        "bổ sung vào tin báo này."
    ),
    "routed_to_unit": (
        "Tin báo đã được chuyển đến {unit} và Trung tâm Thông tin chỉ huy. Bạn sẽ nhận được "
        "thông báo khi cán bộ tiếp nhận."
    ),
    "routed_generic": (
        "Tin báo đang được chuyển đến công an phường/xã nơi xảy ra sự việc và Trung tâm Thông "
        "tin chỉ huy. Bạn sẽ nhận được thông báo khi cán bộ tiếp nhận."
    ),
    "routed_to_unit_only": (
        "Tin báo đã được chuyển đến {unit}. Bạn sẽ nhận được thông báo khi cán bộ tiếp nhận."
    ),
    "routed_to_command_centre": (
        "Tin báo đã được chuyển đến Trung tâm Thông tin chỉ huy để điều phối lực lượng xử lý. "
        "Bạn sẽ nhận được thông báo khi cán bộ tiếp nhận."
    ),
    "routed_police": (
        "Tin báo đã được chuyển đến lực lượng công an phụ trách. Bạn sẽ nhận được thông báo "
        "khi cán bộ tiếp nhận."
    ),
    "unrouted": (
        "Hệ thống đã ghi nhận tin báo của bạn và đang xử lý. Nếu sự việc khẩn cấp, hãy gọi "
        "ngay 113 (Công an), 114 (Cứu hỏa, cứu nạn cứu hộ) hoặc 115 (Cấp cứu)."
    ),
    "location_unknown": (
        "Hệ thống chưa xác định được địa chỉ bạn nhập, nên tin báo đã được chuyển đến Trung tâm "
        "Thông tin chỉ huy. Để lực lượng đến nhanh hơn, bạn hãy gửi vị trí (📎 → Vị trí)."
    ),
    "duplicate_submitted": (
        "Sự việc này đã có người báo và đang được xử lý (mã tin báo {code}). Thông tin và hình "
        "ảnh của bạn đã được bổ sung vào tin báo đó. Cảm ơn bạn!"
    ),
    "status.acknowledged": "{unit} đã tiếp nhận tin báo {code} lúc {time}.",
    "status.in_progress": (
        "{unit} đang xử lý tin báo {code}; lực lượng chức năng đang đến hiện trường."
    ),
    "status.resolved": "{unit} đã xử lý xong tin báo {code}. Cảm ơn bạn đã báo tin.",
    "status.false_report": (
        "{unit} xác định tin báo {code} không chính xác. Nếu bạn cho rằng có nhầm lẫn, hãy "
        "gọi 113."
    ),
    "button_report_status": "📋 Tình trạng tin báo",
    "updates_window": (
        "Lưu ý: trên Messenger, trang chỉ được nhắn cho bạn trong {hours} giờ kể từ tin nhắn "
        "gần nhất của bạn. Cập nhật đến sau thời gian đó sẽ được giữ lại và gửi ngay khi bạn "
        "nhắn bất kỳ tin nào cho trang. Bạn cũng có thể bấm «📋 Tình trạng tin báo» hoặc gửi "
        "/trangthai bất cứ lúc nào."
    ),
    "reports_header": "Tình trạng các tin báo gần đây của bạn:\n{lines}",
    "report_line": "• {code} – {category}, gửi lúc {time}: {status}",
    "reports_none": (
        "Bạn chưa gửi tin báo nào qua kênh này trong {days} ngày qua. Gửi /start để báo sự "
        "việc mới."
    ),
    "report_status.new": "đang chuyển đến cán bộ",
    "report_status.routed": "đã chuyển đến cán bộ, đang chờ tiếp nhận",
    "report_status.acknowledged": "cán bộ đã tiếp nhận",
    "report_status.in_progress": "đang được xử lý",
    "report_status.resolved": "đã xử lý xong",
    "report_status.false_report": "được xác định là không chính xác",
    "report_status.duplicate": "đã gộp vào tin báo khác về cùng sự việc",
    "held_updates": (
        "Trong thời gian bạn chưa nhắn tin, có {count} cập nhật về tin báo của bạn mà nền tảng "
        "chưa cho phép chúng tôi gửi:\n{lines}"
    ),
    "officer_question": (
        "Cán bộ {unit} hỏi về tin báo {code}:\n{question}\n\n"
        "Bạn trả lời bằng cách nhắn tin ngay tại đây."
    ),
    "answer_relayed": "Đã chuyển câu trả lời của bạn cho cán bộ.",
    "page_point_received": "Đã nhận vị trí. Bạn quay lại cuộc trò chuyện để tiếp tục.",
    "page_point_in_ward": "Đã nhận vị trí: {place}. Bạn quay lại cuộc trò chuyện để tiếp tục.",
    "location_link_label": "🗺️ Chọn vị trí trên bản đồ",
    "location_link_line": "Hoặc chọn vị trí trên bản đồ: {url}",
    "offer_phone": (
        "Để cán bộ gọi lại khi cần, bạn có thể chia sẻ số điện thoại của mình (không bắt buộc)."
    ),
    "button_share_phone": "📞 Chia sẻ số điện thoại",
    "phone_saved": "Cảm ơn bạn. Số điện thoại chỉ được chuyển cho cán bộ công an xử lý tin báo.",
    "phone_not_own": (
        "Vui lòng chia sẻ số điện thoại của chính bạn bằng nút «📞 Chia sẻ số điện thoại»."
    ),
    "extra_attached": "Đã bổ sung vào tin báo {code}.",
    "already_submitted": "Tin báo này đã được gửi rồi.",
    "button_new_report": "📝 Báo sự việc khác",
    "draft_continue": "Bạn đang soạn dở một tin báo. Mình tiếp tục nhé.",
    "cancelled": "Đã huỷ tin báo đang soạn. Khi cần, gửi /start để báo sự việc mới.",
    "nothing_to_cancel": "Bạn không có tin báo nào đang soạn. Gửi /start để báo sự việc mới.",
    "expired": (
        "Tin báo đang soạn đã bị huỷ vì không có phản hồi trong {minutes} phút. Nếu sự việc "
        "vẫn đang diễn ra, hãy gửi /start để báo lại."
    ),
    "help": (
        "Cách báo tin:\n"
        "1. Chọn loại sự việc.\n"
        "2. Gửi vị trí hoặc nhập địa chỉ.\n"
        "3. Mô tả sự việc, gửi kèm ảnh/video nếu có.\n"
        "4. Kiểm tra lại và bấm «Gửi tin báo».\n\n"
        "Lệnh: /start – báo sự việc mới, /trangthai – xem tình trạng tin báo đã gửi, "
        "/cancel – huỷ tin đang soạn, /lang en – English, "
        "/dangky – nhận bản tin an ninh, /huy – ngừng nhận bản tin.\n"
        "Khẩn cấp: gọi 113 (công an), 114 (cứu hoả), 115 (cấp cứu)."
    ),
    "choose_lang": "Chọn ngôn ngữ / Choose your language:",
    "lang_switched": "Đã chuyển sang tiếng Việt.",
    "unsupported": (
        "Xin lỗi, hệ thống chưa nhận được loại tin nhắn này. Bạn vui lòng gửi chữ, vị trí, "
        "ảnh, video hoặc tệp."
    ),
    "unknown_command": "Không có lệnh này. Gửi /help để xem hướng dẫn.",
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
    "too_many_reports": (
        "Bạn đã gửi {limit} tin báo trong một giờ qua, nên tin này chưa được gửi đi. Tin đang "
        "soạn vẫn được giữ lại: khoảng {minutes} phút nữa bạn bấm «Gửi tin báo» lại. Nếu có "
        "nguy hiểm đến tính mạng, hãy gọi ngay 113 (công an), 114 (cứu hoả), 115 (cấp cứu)."
    ),
    "too_many_reports_later": (
        "Bạn đã gửi {limit} tin báo trong một giờ qua, nên tin này chưa được gửi đi. Vui lòng "
        "báo lại sau khoảng {minutes} phút. Nếu có nguy hiểm đến tính mạng, hãy gọi ngay 113 "
        "(công an), 114 (cứu hoả), 115 (cấp cứu)."
    ),
    "blocked": (
        "Tài khoản của bạn đã bị tạm ngừng gửi tin báo qua kênh này. Nếu có nguy hiểm đến "
        "tính mạng, hãy gọi ngay 113 (công an), 114 (cứu hoả), 115 (cấp cứu)."
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
    "media_limit_extras": (
        "Report {code} has had {kept} photos/videos added (at most {limit}); the ones sent "
        "after them are not saved. You can still send more details as text."
    ),
    "too_many_messages": (
        "You are sending too many messages (more than {limit} in a minute), so the messages "
        "from now on have not been taken. Please wait about a minute, then send again what "
        "is missing. If a life is in danger, call 113 (police), 114 (fire) or 115 "
        "(ambulance) now."
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
    "submitted": (
        "Report sent. Your report code: {code}\n"
        "{routing}\n"
        "For the next 15 minutes you can still send more photos, video or details; they will be "
        "added to this report."
    ),
    "routed_to_unit": (
        "It has been passed to {unit} and to the command centre. You will be told when an "
        "officer takes it."
    ),
    "routed_generic": (
        "It is being passed to the police of the ward where it happened and to the command "
        "centre. You will be told when an officer takes it."
    ),
    "routed_to_unit_only": (
        "It has been passed to {unit}. You will be told when an officer takes it."
    ),
    "routed_to_command_centre": (
        "It has been passed to the command centre, which will send officers. You will be told "
        "when an officer takes it."
    ),
    "routed_police": (
        "It has been passed to the police in charge. You will be told when an officer takes it."
    ),
    "unrouted": (
        "Your report has been received and recorded, and is being dealt with. If it is "
        "urgent, call 113 (police), 114 (fire and rescue) or 115 (ambulance) now."
    ),
    "location_unknown": (
        "We could not find the address you typed, so the report went to the command centre. "
        "To help officers get there faster, please send your location (📎 → Location)."
    ),
    "duplicate_submitted": (
        "This incident has already been reported and is being handled (report {code}). Your "
        "details and photos have been added to that report. Thank you!"
    ),
    "status.acknowledged": "{unit} took report {code} at {time}.",
    "status.in_progress": "{unit} is handling report {code}; officers are on their way.",
    "status.resolved": "{unit} has dealt with report {code}. Thank you for reporting.",
    "button_report_status": "📋 Report status",
    "updates_window": (
        "Please note: on Messenger the page may only message you for {hours} hours after "
        "your last message. Updates that come later are kept and sent as soon as you write "
        "to the page again. You can also tap «📋 Report status» or send /status at any time."
    ),
    "reports_header": "The status of your recent reports:\n{lines}",
    "report_line": "• {code} – {category}, sent at {time}: {status}",
    "reports_none": (
        "You have sent no report through this channel in the past {days} days. Send /start "
        "to report an incident."
    ),
    "report_status.new": "being passed to the officers",
    "report_status.routed": "passed to the officers, waiting to be taken",
    "report_status.acknowledged": "taken by the officers",
    "report_status.in_progress": "being handled",
    "report_status.resolved": "dealt with",
    "report_status.false_report": "found not to be accurate",
    "report_status.duplicate": "merged into another report of the same incident",
    "held_updates": (
        "While you were away, there were {count} update(s) on your reports that the platform "
        "did not let us send:\n{lines}"
    ),
    "status.false_report": (
        "{unit} found report {code} to be inaccurate. If you think this is a mistake, call 113."
    ),
    "officer_question": (
        "An officer of {unit} asks about report {code}:\n{question}\n\n"
        "Reply by sending a message here."
    ),
    "answer_relayed": "Your answer has been passed to the officer.",
    "page_point_received": "Location received. You can go back to the chat.",
    "page_point_in_ward": "Location received: {place}. You can go back to the chat.",
    "location_link_label": "🗺️ Pick the place on a map",
    "location_link_line": "Or pick the place on a map: {url}",
    "offer_phone": (
        "So that an officer can call you back if needed, you may share your phone number "
        "(optional)."
    ),
    "button_share_phone": "📞 Share my phone number",
    "phone_saved": "Thank you. Your number is only passed to the officers handling your report.",
    "phone_not_own": "Please share your own number with the «📞 Share my phone number» button.",
    "extra_attached": "Added to report {code}.",
    "already_submitted": "This report has already been sent.",
    "button_new_report": "📝 Report something else",
    "draft_continue": "You have a report in progress. Let's continue.",
    "cancelled": "Your draft report was cancelled. Send /start whenever you need to report.",
    "nothing_to_cancel": "You have no report in progress. Send /start to report an incident.",
    "expired": (
        "Your draft report was cancelled after {minutes} minutes without a reply. If it is "
        "still happening, send /start to report it again."
    ),
    "help": (
        "How to report:\n"
        "1. Choose the kind of incident.\n"
        "2. Send your location or type the address.\n"
        "3. Describe what happened and add photos/video if you have them.\n"
        "4. Check the summary and tap «Send report».\n\n"
        "Commands: /start – new report, /status – the status of your reports, "
        "/cancel – drop the draft, /lang vi – Tiếng Việt, "
        "/dangky – safety bulletins, /huy – stop bulletins.\n"
        "Emergency: call 113 (police), 114 (fire), 115 (ambulance)."
    ),
    "choose_lang": "Chọn ngôn ngữ / Choose your language:",
    "lang_switched": "Switched to English.",
    "unsupported": (
        "Sorry, the bot cannot take that kind of message. Please send text, a location, "
        "photos, video or a file."
    ),
    "unknown_command": "Unknown command. Send /help to see how to report.",
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
    "too_many_reports": (
        "You have sent {limit} reports in the past hour, so this one has not gone out yet. "
        "Your draft is kept: tap «Send report» again in about {minutes} minutes. If a life "
        "is in danger, call 113 (police), 114 (fire) or 115 (ambulance) now."
    ),
    "too_many_reports_later": (
        "You have sent {limit} reports in the past hour, so this one has not gone out. "
        "Please report again in about {minutes} minutes. If a life is in danger, call 113 "
        "(police), 114 (fire) or 115 (ambulance) now."
    ),
    "blocked": (
        "Your account may no longer send reports through this channel. If a life is in "
        "danger, call 113 (police), 114 (fire) or 115 (ambulance) now."
    ),
}

CATALOGS: dict[str, dict[str, str]] = {"vi": VI, "en": EN}


def text(lang: str, key: str, **params: object) -> str:
    """The text ``key`` in ``lang`` (falling back to Vietnamese), formatted with ``params``."""
    catalog = CATALOGS.get(lang, VI)
    return catalog[key].format(**params) if params else catalog[key]


def category_label(lang: str, category: Category) -> str:
    return text(lang, f"category.{category.value}")


def normalize_lang(code: str | None) -> str | None:
    """Map a platform language code ("en-US", "vi") to a supported language, if any."""
    if not code:
        return None
    short = code.split("-")[0].split("_")[0].lower()
    return short if short in CATALOGS else None
