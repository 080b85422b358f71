"""Reading a resident's words: the category and the place span (core.understanding)."""

from __future__ import annotations

import pytest

from sosbot.core.model import Category
from sosbot.core.understanding import english_bases, understand

F, S, T, OT = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@pytest.mark.parametrize(("message", "category", "place"), [
    ("Có cháy ở chợ Tân Phú, cứu với!", F, "chợ Tân Phú"),
    ("co chay o cho tan phu cuu voi", F, "cho tan phu"),
    ("số 5 Nguyễn Huệ, quận 1 có đánh nhau", S, "số 5 Nguyễn Huệ, quận 1"),
    ("tai nan xe may o nga 4 hang xanh", T, "nga 4 hang xanh"),
    ("bi giat dt o cho ben thanh", S, "cho ben thanh"),
    ("cướp giật ở 25 Lê Duẩn, Sài Gòn", S, "25 Lê Duẩn, Sài Gòn"),
    ("fire near ben thanh market!!", F, "ben thanh market"),
    ("cây đổ chắn đường trên đ. Lê Lợi q1", OT, "đ. Lê Lợi q1"),
    ("Xe tải tông xe máy gần cầu Sài Gòn, người nằm đường", T, "cầu Sài Gòn"),
])
def test_category_and_place(message: str, category: Category, place: str) -> None:
    reading = understand(message)
    assert reading.category is category
    assert reading.place_text == place


@pytest.mark.parametrize(("message", "category"), [
    # "chạy" is not "cháy"; weaving through traffic is the traffic police's, as "đánh võng"
    # is (round twelve's model, trained on set 11 too, proposes it at 0.92 ≥ 0.89)
    ("thằng nhóc chạy xe lạng lách", Category.TRAFFIC),
    ("no dang danh nguoi", S),  # a bare "no" is "nó", not "nổ"
    ("ko co gi dau", None),
    ("xe may", None),  # a vehicle alone is no incident
    ("đang có tiếng nổ lớn", F),
    ("tai nạn rồi xe bốc cháy", F),  # two incidents: the fire leads
    ("bi giat dien thoai o cho", S),  # "điện thoại" is the phone snatched
    ("cháy máu lửa", F),  # typed with its diacritics, "cháy" stays a fire
    ("nha chay roi khong ai chay ra duoc", F),  # the negation is not before the fire word
    # a fallen live wire that sets a car alight: the fire, though the pole's fall now
    # claims "đổ" from the car
    ("xe tông trụ điện, trụ đổ, dây điện tóe lửa cháy luôn", F),
])
def test_category_reading(message: str, category: Category | None) -> None:
    assert understand(message).category is category


def test_no_place_named() -> None:
    assert understand("cứu với có người bị đánh").place_text is None
    assert understand("cho tôi báo cháy nhà").place_text is None  # "cho" the verb


@pytest.mark.parametrize("message", [
    "bọn xã đang đập phá quán nhậu, mn ơi giúp",  # "bọn xã": those guys
    "tụi xã hội đen quậy",  # "xã hội đen": gangsters, not a commune
    "bon xa hoi den doi bao ke",  # "đòi bảo kê" (demand protection money), not "đối diện"
    "đập phá quán nhậu",  # "quán" (a shop) is not "quận" (a district)
])
def test_slang_names_no_place(message: str) -> None:
    assert understand(message).place_text is None


@pytest.mark.parametrize(("message", "place"), [
    ("cháy ở xã Bình Hưng", "xã Bình Hưng"),
    ("doi dien cho ben thanh co chay", "cho ben thanh"),
    ("chay o quan 1", "quan 1"),
])
def test_place_words_still_start_a_place(message: str, place: str) -> None:
    assert understand(message).place_text == place


@pytest.mark.parametrize(("message", "category"), [
    ("bi giut dt o nga tu hang xanh", S),  # "giựt", the South's "giật"
    ("giựt dây chuyền ở phố đi bộ", S),
    ("2 nhom thanh nien hon chien", S),
    ("danh ghen lot do giua duong", S),
    ("lua boc len tu cay xang", F),
    ("xe tải mất thắng lao vào nhà dân", T),
    ("xe may te vao o ga, nguoi bi thuong", T),
    ("xe cuu thuong bi ket, ai phan luong giup", T),
    ("con chó dại cắn 3 người", OT),
    ("trăn to bò vô nhà", OT),
    ("có con cá sấu trong hồ", OT),  # "cá" is not the shorthand "ca" (công an)
    ("co nguoi te xuong kenh", OT),
    ("tui bi dau nguc kho tho", OT),
    ("bé nuốt đồ chơi ko thở được, cần cấp cứu", OT),
    ("o ga sau giua duong, xe sup ho", OT),  # "o ga" is "ổ gà", not gas
    ("my friend is hurt bad", OT),
    ("bà té ngã trong nhà", OT),  # a fall at home: no traffic incident, but a fall
])
def test_common_words_residents_use(message: str, category: Category | None) -> None:
    assert understand(message).category is category


@pytest.mark.parametrize(("message", "category"), [
    ("xe tải nổ lốp lao qua lề, 2 người bị thương", T),  # a tyre burst is no explosion
    ("xe khach no vo banh giua cau", T),
    ("nổ bình gas trong bếp", F),  # still an explosion
    ("có xe lạ lảng vảng trước nhà mấy đêm nay", S),  # loitering
    ("bon nó đánh bạc trong hẻm, cãi nhau ầm ĩ", S),  # gambling
    ("thằng say cầm búa đập xe máy ngoài đường", S),
    ("tourist got mugged near the park", S),
    ("xe ủi tông sập tường rào", T),  # the vehicle did it: not a collapse report
    ("dầu tràn ra đường trơn trượt, xe té liên tục", T),
    ("xe buýt va quẹt taxi ở ngã tư", T),
    ("cúp điện cả khu, bà tôi đang thở máy", OT),
    ("ngoai duong may thang dang danh 1 ong gia", S),  # "đang đánh" without diacritics
])
def test_words_the_second_held_out_set_showed(message: str, category: Category) -> None:
    assert understand(message).category is category


@pytest.mark.parametrize(("word", "base"), [
    ("pickpocketed", "pickpocket"), ("stabbed", "stab"), ("choking", "choke"),
    ("following", "follow"), ("robbers", "robber"),
])
def test_english_inflections_reach_their_base(word: str, base: str) -> None:
    assert base in english_bases(word)


@pytest.mark.parametrize("word", ["xe", "nguoi", "chay", "cướp", "bus", "thuong"])
def test_vietnamese_words_have_no_english_base(word: str) -> None:
    assert english_bases(word) == frozenset()


@pytest.mark.parametrize(("message", "category"), [
    # English morphology: an inflected keyword counts as the keyword
    ("my bag got snatched and my friend was pickpocketed", S),
    ("two guys are breaking into the shop next door", S),
    # an object and what happened to it, a few words apart, either order
    ("ống nước ngầm trước nhà bể, nước phun lên", OT),
    ("cay xanh to nga de len mai nha", OT),
    ("tụi nó bẻ hết gương mấy chiếc xe đậu ven đường", S),
    ("bọn nó tạt sơn đỏ vô cửa nhà tui", S),
    ("có người lạ dắt đứa bé đi mất", S),
    ("xe tải chở gạch đổ hết ra đường", T),
    # families of near-synonyms
    ("a stranger keeps following my kid home from school", S),
    ("bọn cho vay nặng lãi tới nhà la lối", S),
    # a body in trouble, when nothing else is said
    ("ông tui thở không được, mặt tái", OT),
    ("the baby is choking on something", OT),
    # ... but a crash that leaves someone bleeding is still the crash
    ("té xe do ổ gà, chảy máu nhiều", T),
    # a vehicle that catches fire is a fire
    ("xe tông cột điện rồi cháy luôn", F),
    # a flood stalls the engines: still the flood
    ("ngập sâu, xe chết máy giữa đường", OT),
    # round five, from the fourth held-out set's misses:
    # a lock or a window forced, and what a thief takes
    ("thằng kia đang cắt khóa xe đạp trước cổng trường", S),
    ("someone forced the lock of our gate last night", S),
    ("bị lấy mất cái ví lúc ngủ trên ghế đá", S),
    ("they smashed the window and took my bag", S),
    # indecency, a drink spiked
    ("có ông biến thái sờ soạng học sinh trên xe buýt", S),
    ("a guy groped my friend at the club", S),
    ("someone spiked my drink at the bar", S),
    ("tụi nó chuốc thuốc mê vào bia của bạn em", S),
    # a vehicle out of control, or swiping someone, in whatever words
    ("oto mat lai lao len le", T),  # no diacritics
    ("a taxi swerved onto the sidewalk", T),
    ("chú bán vé số bị xe buýt quẹt trúng", T),
    # someone of the family gone and not back
    ("mẹ tui đi chợ từ sáng tới giờ chưa về, gọi ko ai nghe", OT),
    ("my dad wandered off from the market this morning", OT),
    # an animal loose or attacking
    ("con chó hoang rượt cắn mấy đứa nhỏ trong xóm", OT),
    ("a monkey bit my son at the park", OT),
    # a birth that will not wait (a taxi named is no traffic incident)
    ("vợ tui sắp sinh, vỡ ối rồi, ko gọi được taxi", OT),
    # round six, from the fifth held-out set's misses. Wrong proposals first:
    # a toneless keyword whose next word makes another word ("chảy máu", "chảy xiết")
    ("ba bi te chay mau dau nhieu", OT),
    ("ngap sau, nuoc chay xiet", OT),
    ("thang chong cam ghe dap vo, chi ay chay mau dau", S),
    # a fire word negated: no fire (yet)
    ("xe chở gas bị lật, bình gas văng ra, chưa cháy", T),
    ("ko co chay dau, chi bi ngap thoi", OT),
    # a keyword whose neighbours say what it is
    ("sờ vô ổ điện bị giật", OT),
    ("bees attacked the kids in the park", OT),
    ("ông say xỉn lái xe hơi chạy lung tung", T),
    ("drunk driver weaving on the highway", T),
    ("thằng nhóc đánh võng ngoài đường", T),
    # a happening two objects share belongs to the nearer one
    ("giàn giáo đổ xuống đè mấy chiếc xe máy đậu dưới", OT),
    # an English gas smell is filed as gas: fire
    ("strong gas smell in the stairwell", F),
    # misses with no category: a person, a hitting verb, a person
    ("bố nó đập mẹ nó", S),
    ("chong danh vo ngoai hem", S),
    ("a man is hitting his wife in the street", S),
    # fraud, drugs, someone locked in, someone watching a house
    ("mẹ tui bị lừa chuyển 50 triệu", S),
    ("có người giả danh nhân viên điện nước vô nhà", S),
    ("someone pretending to be from the bank called my dad", S),
    ("mấy đứa hút chích trong nhà hoang", S),
    ("bà chủ khóa cửa nhốt người làm trong nhà", S),
    ("có ông lạ đứng canh trước nhà tui 3 hôm nay", S),
    # something grabbed, an account emptied
    ("a guy on a bike grabbed my necklace", S),
    ("bấm vô tin nhắn xong tài khoản bị trừ hết tiền", S),
    # a train hits a vehicle
    ("xe tai bi tau hoa tong o duong ngang", T),
    # a tree and the wind, a ceiling panel, a fall, a boat sinking, heat, a body still
    ("cay dau to bi gio quat ngan ngang duong", OT),
    ("tấm trần thạch cao rơi trúng khách", OT),
    ("ông ngoại trượt chân ngoài sân không dậy được", OT),
    ("chiếc ghe chở cát bị chìm giữa sông", T),  # a waterway accident: traffic
    ("my friend passed out in the sun", OT),
    ("có người nằm bất động trên vỉa hè", OT),
    ("cô gái đứng trên lan can cầu khóc", OT),
    # "ca sấu" is "cá sấu", not "công an sấu"
    ("ca sấu sổng chuồng ra rạch", OT),
    # fire words: fire spreading, smoke coming out
    ("lua bat qua nha ben canh roi", F),
    ("khoi bay ra tu bep", F),
])
def test_patterns_and_families(message: str, category: Category) -> None:
    assert understand(message).category is category


@pytest.mark.parametrize("message", [
    "em đang đi học về",  # "học" (to study) is not "hóc" (to choke)
    "sạc điện thoại qua đêm",  # "sạc" (to charge) alone is nothing
    "trùi ui xe đẹp quá",  # "ui" is no bulldozer
    "tối nay con về trễ nha mẹ",  # "về" without "chưa/không": no one is missing
    "cho con chó ăn chưa",  # a dog that does nothing
    "tui lấy mất 2 tiếng mới tới",  # "lấy mất" of time, not of a belonging
    "xe chạy lên dốc chậm quá",
    # round six: near its mechanisms, and none of them
    "me danh thuc con di hoc",  # "đánh thức": to wake, no person after the verb
    "em danh roi dien thoai",  # "đánh rơi": dropped
    "nha toi co 2 vo chong va 1 con",  # people without a verb
    "chay theo xe buyt mac mua",  # "chạy theo": running after
    "tui chem gio voi ban",  # "chém gió": idle talk
    "dien thoai het pin roi",  # "điện thoại" is no live wire
    "ngoi tren lan can ban cong ngam canh",  # a balcony's railing
    "tui muon nhay mua",  # to dance
    "I slipped my card in",
    "the gas price went up",
    "kim tiem o benh vien",  # a needle at a hospital
    "cay xanh trong cong vien dep qua",
    "ca nha di choi",  # "cả nhà": the whole family
])
def test_everyday_words_are_no_incident(message: str) -> None:
    assert understand(message).category is None
