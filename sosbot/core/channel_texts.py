"""What a resident reads about the channel itself: help, the language, a command or a kind
of message it does not take, the limits on messages and reports, the block list.
Vietnamese and English; ``texts`` joins them with the others."""

from __future__ import annotations

VI: dict[str, str] = {
    "too_many_messages": (
        "Bạn đang gửi quá nhiều tin nhắn (hơn {limit} tin trong một phút), nên các tin nhắn "
        "từ lúc này chưa được ghi nhận. Vui lòng chờ khoảng một phút rồi gửi lại những gì "
        "còn thiếu. Nếu có nguy hiểm đến tính mạng, hãy gọi ngay 113 (công an), 114 (cứu "
        "hoả), 115 (cấp cứu)."
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
    "too_many_messages": (
        "You are sending too many messages (more than {limit} in a minute), so the messages "
        "from now on have not been taken. Please wait about a minute, then send again what "
        "is missing. If a life is in danger, call 113 (police), 114 (fire) or 115 "
        "(ambulance) now."
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
