"""What a resident reads once a report is filed: where it went, what officers did with it,
their questions, the report's status on demand, updates held for a closed window, details
added within the extras window, the offer to share a phone number. Vietnamese and English;
``texts`` joins them with the others."""

from __future__ import annotations

VI: dict[str, str] = {
    "media_limit_extras": (
        "Tin báo {code} đã được bổ sung đủ {kept} ảnh/video (tối đa {limit}); những ảnh/video "
        "gửi thêm không được lưu. Bạn vẫn có thể gửi thêm thông tin bằng chữ."
    ),
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
}

EN: dict[str, str] = {
    "media_limit_extras": (
        "Report {code} has had {kept} photos/videos added (at most {limit}); the ones sent "
        "after them are not saved. You can still send more details as text."
    ),
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
}
