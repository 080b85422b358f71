"""Evidence of an incident that single words do not carry: an object and what happened to
it, a few words apart and in either order ("ống nước ngầm bể", "bể ống nước"; "cột điện
ngã"; "bẻ gương xe"; "cạy khóa xe"; "took my laptop"; "xe mất lái lao lên vỉa hè"; "ba tui
đi khỏi nhà chưa về"; "chó nhà hàng xóm cắn"), and families of near-synonyms (a stranger,
a child led away, indecency, a birth, a body in trouble).

Pure data for :mod:`sosbot.core.understanding`, which matches every word as its phrases are
matched (tone-aware: written with diacritics a word must carry the keyword's; without, it
matches what it folds to; a one-word phrase marked "!" must be written with its
diacritics, its bare form being too common: "!đò", since "do" is mostly "do", "đó",
"đồ"). A pattern counts once per message, with its weight; the weights
are below a keyword's (3, rather than 4-5) so that a word naming the incident outright
still decides, and a pattern decides only where nothing else is said; the patterns of a
body in trouble and of a smell count only when no keyword was found at all.
"""

from __future__ import annotations

__all__ = ["PATTERNS", "Pattern"]

from dataclasses import dataclass

from sosbot.core.model import Category

_FIRE, _SEC, _TRAF, _OTHER = Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER


@dataclass(frozen=True)
class Pattern:
    """``things`` and ``happenings`` (phrases) within ``window`` words of each other, either
    order, are evidence of ``category``; with ``happenings`` empty, any one of ``things``
    is."""

    category: Category
    weight: int
    things: tuple[str, ...]
    happenings: tuple[str, ...] = ()
    window: int = 4
    alone: bool = False  # counts only when no keyword of any category was found
    # a frame: a thing before the happening (within ``window``) and one right after it
    # (English articles and possessives skipped): "chồng đánh vợ", "a man is beating a woman"
    frame: bool = False


# What breaks, falls or gives way in a street or a house, and what happens to it.
_STRUCTURES = ("ống nước", "đường ống", "ống cống", "cột điện", "trụ điện", "giàn giáo",
               "cây", "cây xanh", "cành", "tường", "bức tường", "trần nhà", "mái nhà",
               "mái tôn", "ban công", "biển quảng cáo", "bảng hiệu", "cầu thang", "cổng",
               "trần thạch cao", "tấm trần", "la phông", "roof",
               "bảng quảng cáo",  # (round seventeen: "bảng quảng cáo bị gió thổi sập")
               "pipe", "pole", "scaffold", "scaffolding", "wall", "ceiling", "tree", "stairs")
# (no "té": a person falls, a structure does not: "trộm leo mái tôn bị té" is the thief)
_GIVES_WAY = ("bể", "vỡ", "ngã", "đổ", "sập", "sụp", "gãy", "rớt", "rơi", "đứt", "nghiêng",
              "bung", "đè", "đè lên", "đè trúng", "rơi trúng", "rớt trúng", "tốc", "tốc mái",
              "nứt toác",  # (round sixteen: "chung cư cũ nứt toác tường")
              "bay mất", "burst", "fell", "fall", "fallen", "collapse", "collapsed",
              "blown off", "torn off", "ripped off")
# A tree and the wind, or a tree across the road: further apart than a structure and its
# fall ("cây dầu to bị gió quật ngã ngang đường")
_TREES = ("cây", "cây xanh", "cây dầu", "cổ thụ", "cành", "cành cây", "tree", "branch")
_WIND_ACROSS = ("gió quật", "quật ngã", "quật đổ", "bị gió", "ngang đường", "chắn ngang",
                "bật gốc", "trốc gốc", "blown", "blew down", "uprooted")
# Whatever is done to a car or a house by vandals or thieves breaking in (a lock forced, a
# window smashed), and what is done to it.
_VANDALISED = ("gương", "kính xe", "kiếng", "lốp xe", "cửa kính", "ổ khóa", "ổ khoá",
               "khóa", "khoá", "khóa xe", "khoá xe", "khóa cửa", "khoá cửa", "cửa sổ",
               "song cửa", "cửa nhà", "cửa phòng", "cửa sắt", "cửa chính", "cửa sau",
               "mirror", "windshield", "window", "lock", "padlock", "door")
_VANDALISING = ("bẻ", "đập", "phá", "rạch", "chọc", "ném", "cạy", "cắt", "smash", "broke",
                "broken", "pry", "pried", "force", "forced", "pick", "picked", "cut",
                "scratch", "jiggle", "trying to open")
# What a thief takes, and the taking ("lấy mất cái laptop", "took my wallet").
_BELONGINGS = ("laptop", "máy tính", "ví", "bóp", "túi xách", "giỏ xách", "ba lô", "balo",
               "điện thoại", "tiền", "nữ trang", "trang sức", "dây chuyền", "bông tai",
               "tài khoản", "wallet", "purse", "bag", "handbag", "backpack", "phone",
               "passport", "money", "camera", "jewelry", "necklace", "earring", "account")
# (a bank account emptied is taken too: "bị trừ hết tiền")
_TAKEN = ("lấy mất", "lấy đi", "lấy hết", "lấy cắp", "cuỗm", "khoắng", "bị mất", "mất sạch",
          "bị trừ", "trừ hết", "rút hết", "rút sạch", "took", "taken", "gone", "grab",
          "grabbed", "yanked", "ripped off")
# A vehicle that leaves its lane or its road, or swipes someone ("mất lái lao lên vỉa hè",
# "2 xe đối đầu", "bị xe ben quẹt ngã", "lao xuống kênh").
_OUT_OF_CONTROL = ("mất lái", "lao lên", "lao xuống", "lao vào", "lao qua", "lao ra",
                   "đối đầu", "quẹt ngã", "quẹt té", "quẹt trúng", "quẹt phải", "bị quẹt",
                   "hất văng", "văng ra", "lủi vào", "lost control", "head on", "swerve",
                   "skid", "veer", "flip", "overturn", "rolled over", "swipe", "sideswipe",
                   "xuống hố", "cán lên", "cán trúng", "hit", "knocked down", "knocked over",
                   "ran into",
                   # a hole in the road the vehicle drops into (round fifteen: "xe máy chạy
                   # vào hố ga mất nắp", "sụp ổ gà ngã văng")
                   "vào hố ga", "xuống hố ga", "lọt hố ga", "sụp hố ga", "sụp ổ gà",
                   "sập ổ gà", "lọt ổ gà", "vấp ổ gà", "into a manhole", "into a pothole",
                   # sliding or rolling into the water (round nineteen, set 18: "taxi lăn
                   # xuống kênh")
                   "trượt xuống sông", "trượt xuống kênh", "lăn xuống sông", "lăn xuống kênh",
                   "trôi xuống sông", "trôi xuống kênh")
# A person of the family gone and not back ("ba tui đi khỏi nhà từ sáng chưa về").
_KIN = ("ba", "bố", "mẹ", "ông", "bà", "cụ", "con", "cháu", "vợ", "chồng", "bé", "em",
        "father", "mother", "dad", "mom", "grandmother", "grandfather", "grandma", "grandpa",
        "son", "daughter", "wife", "husband", "brother", "sister")
_NOT_BACK = ("chưa về", "không về", "chưa thấy về", "không thấy về", "đi khỏi nhà",
             "bỏ nhà đi", "đi đâu mất", "mất liên lạc", "không liên lạc được",
             "wandered off", "went missing")
# An animal loose or attacking, and what it does ("chó nhà hàng xóm cắn", "trâu bò xổng").
_ANIMALS = ("con chó", "chó nhà", "chó hàng xóm", "chó hoang", "bầy chó", "đàn chó",
            "con trâu", "trâu", "trâu bò", "con bò", "đàn bò", "bầy bò", "con heo", "con khỉ",
            "bầy khỉ", "đàn khỉ", "bầy ong", "đàn ong", "con ong", "dog", "cattle", "cow",
            "buffalo", "bull", "monkey", "bee", "wasp",
            "pitbull",  # a breed named between the dog and the bite (round seventeen)
            "bò điên", "khỉ hoang")  # (round eighteen: "bò điên húc người trong lễ hội")
_ANIMAL_DOING = ("cắn", "rượt", "xổng", "xổng chuồng", "sổng", "sổng chuồng", "chạy rông",
                 "chạy lung tung", "húc", "đốt", "tấn công", "bite", "bit", "bitten", "chase",
                 "loose", "escape", "attack", "sting", "stung",
                 # scattering (round sixteen: "con trâu điên chạy toán loạn")
                 "chạy toán loạn", "chạy tán loạn")
# Something put in someone's drink ("bỏ thuốc vào ly", "spiked my drink").
_DRUGGING = ("bỏ thuốc", "pha thuốc", "chuốc thuốc", "thuốc mê", "thuốc lạ", "spike",
             "drugged")
_DRINK = ("ly", "cốc", "nước uống", "đồ uống", "bia", "rượu", "drink")
_SPLASHED = ("sơn", "mắm tôm", "chất bẩn", "axit", "paint")
_SPLASHING = ("tạt", "ném", "hắt", "xịt", "splash", "splashed", "threw")
_CHILD = ("bé", "đứa bé", "đứa nhỏ", "em bé", "trẻ", "trẻ em", "con nít", "con tôi",
          "con tui", "cháu", "child", "kid", "kids", "daughter", "son", "girl", "boy")
_LED_AWAY = ("dắt đi", "bắt đi", "dẫn đi", "bế đi", "ôm đi", "dụ dỗ", "chở đi", "dụ đi",
             "taken", "took", "led away", "grabbed",
             # bundled into a vehicle (round fifteen: "chụp bé gái đưa lên xe chạy mất")
             "kéo lên xe", "lôi lên xe", "bế lên xe", "ôm lên xe", "bắt lên xe", "đưa lên xe",
             "dụ lên xe", "pulled into", "dragged into", "bundled into")
# A child lured somewhere ("có kẻ dụ bé gái lên xe", "dụ tụi nhỏ trong công viên vào nhà";
# round eighteen): not a child coaxed to eat or sleep ("dụ bé ăn cháo").
_LURED = ("dụ bé", "dụ đứa bé", "dụ đứa nhỏ", "dụ tụi nhỏ", "dụ mấy đứa nhỏ", "dụ trẻ",
          "dụ trẻ em", "dụ con nít", "dụ cháu")
_LURED_TO = ("lên xe", "vào nhà", "vô nhà", "vào phòng", "vô phòng", "vào hẻm", "đi theo",
             "chở đi", "dẫn đi", "bắt đi", "đi mất")
_VEHICLE = ("xe", "ô tô", "xe hơi", "xe máy", "xe tải", "xe khách", "xe ba gác", "container",
            "tàu hỏa", "tàu hoả", "tàu lửa", "xe lửa", "car", "truck", "motorbike", "bus",
            "taxi", "scooter", "bike", "motorcycle", "train", "driver", "grab driver",
            "xe grab", "grabbike")
_IN_THE_ROAD = ("đậu ngang", "dừng ngang", "chắn ngang", "nằm ngang", "hun đuôi",
                "tông đuôi", "húc", "ủi vào", "ủi vô", "đổ ra đường", "rơi xuống đường",
                "rớt xuống đường", "tràn ra đường", "đổ", "rơi", "rớt", "rear ended",
                "blocking")

# People, and what one does to another ("ông chồng say rượu đánh vợ", "a man is beating a
# woman", "mẹ nó đánh con"): a person, a hitting verb, a person.
# ("hàng xóm", round fourteen: "hang xom danh con")
_PEOPLE = ("chồng", "vợ", "ông", "bà", "bố", "cha", "mẹ", "con", "cháu", "anh", "chị", "em",
           "thằng", "đứa", "người", "bé", "nó", "ổng", "bả", "hàng xóm", "man", "woman", "men",
           "women", "guy", "husband", "wife", "girl", "boy", "kid", "child", "her", "him", "mother",
           "father", "son", "daughter", "girlfriend", "boyfriend", "neighbour", "neighbor")
_HITTING = ("đánh", "đập", "đấm", "tát", "bóp cổ", "hit", "beat", "punch", "slap", "kick",
            "strangle")
# A boat and its sinking ("thuyền chở khách bị chìm"): a waterway accident, the waterway
# traffic police's (CSGT đường thủy), as a boat colliding or capsizing is.
# (and adrift: a ferry without steering, a boat whose engine died mid-river; "phà" typed
# bare too, round fourteen: "pha bi mat lai troi")
_BOATS = ("thuyền", "ghe", "ca nô", "tàu cá", "sà lan", "chiếc đò", "con đò", "!đò",
          "đò ngang", "đò máy", "bến đò", "phà", "chiếc phà", "bến phà", "boat", "ferry",
          "canoe", "kayak",
          "thuyền thúng")  # a basket boat (round twenty: "thuyen thung bi song danh up")
_SINKING = ("chìm", "đắm", "úp", "mất lái", "chết máy", "trôi dạt", "trôi tự do", "bị trôi",
            "trôi ra", "mắc cạn", "capsize", "capsized", "sank", "sink", "sinking", "adrift",
            "drifting",
            # listing, taking on water (round seventeen: "ca nô bị nước vào nghiêng 1 bên")
            "nghiêng", "bị nước vào")

# Noise at night (public order, the project files it security): what makes it, and when or
# how loud ("loa kẹo kéo hát hò xuyên đêm", "loud party until 3am").
_NOISE = ("loa", "loa kẹo kéo", "loa kéo", "karaoke", "hát hò", "mở nhạc", "nhạc", "tiếng ồn",
          "chạy máy", "nẹt pô", "music", "party", "speaker", "speakers")


def _small_hours() -> tuple[str, ...]:
    """The hours when noise wakes a street, as residents write them: late at night ("23h",
    "12h đêm", "11 giờ đêm") and before it is light ("2h sáng", "5 giờ sáng", "3g khuya",
    "4am"); "2h" alone may be the afternoon."""
    late = [f"{h}{u}" for h in (22, 23, 24, 0) for u in ("h", "g")]
    late += [f"{h} giờ" for h in (22, 23, 24)]
    for h in (10, 11, 12, 1, 2, 3, 4, 5, 6):
        whens = ("sáng", "khuya", "đêm") if h <= 6 else ("đêm", "khuya")
        late += [f"{h}{u} {w}" for u in ("h", "g", " giờ") for w in whens]
        if h <= 6:
            late.append(f"{h}am")
    return tuple(late)


_AT_NIGHT = ("xuyên đêm", "suốt đêm", "cả đêm", "thâu đêm", "nửa đêm", "khuya", "ầm ầm",
             "inh ỏi", "không ngủ được", "all night", "every night", "until", "loud",
             "midnight", "ầm ĩ", "hết cỡ", "hết công suất", "max volume")
# What makes noise whatever the hour, for the small hours (not music alone: "5h sáng nghe
# nhạc tập thể dục")
_LOUD = tuple(n for n in _NOISE if n not in ("nhạc", "music", "party"))
_SMALL_HOURS = ("sáng sớm", "rạng sáng", "early morning", *_small_hours())
# Someone carrying whatever will hurt ("cầm theo cây", "mang theo mã tấu").
# (not a bare "cầm": "cầm cây kem")
_CARRYING = ("cầm theo", "mang theo", "vác", "vác theo", "carrying")
_WEAPONS = ("cây", "gậy", "cây sắt", "ống sắt", "búa", "dao", "mã tấu", "kiếm", "gạch",
            "hung khí", "stick", "bat", "machete", "knife", "crowbar")
# A drain left open in the street: someone will fall in.
_DRAINS = ("hố ga", "nắp cống", "nắp hố ga", "miệng cống", "manhole", "drain")
_OPEN = ("mất nắp", "hở nắp", "không có nắp", "không nắp", "mở nắp", "bị mất nắp",
         "open", "uncovered", "no cover")

# Bees or wasps that sting: a bare "ong" is mostly "ông" (a man), so with a swarm's doing
# only ("vỡ tổ") or someone stung ("bị đốt"), not a bare "đốt" ("ông đốt rác") nor "bay
# vào" ("ông bay vào Hà Nội").
_BEES = ("ong", "ong vò vẽ", "ong bắp cày", "ong mật", "ong đất", "bees", "wasps", "hornet",
         "hornets", "swarm")
_STINGING = ("bị đốt", "bị chích", "đốt chết", "vỡ tổ", "làm tổ", "sting", "stung",
             "stinging")
# A vehicle's door opened into a rider ("ô tô mở cửa bất ngờ, đập trúng xe máy").
_CAR_DOOR = ("mở cửa xe", "mở cửa ô tô", "mở cửa taxi", "mở cửa bất ngờ", "cửa xe", "cửa ô tô",
             "car door", "opened the door", "opened his door", "opened her door", "dooring")
_DOOR_HIT = ("đập trúng", "đập vào", "va vào", "va trúng", "trúng", "tông", "quẹt", "té",
             "ngã", "văng", "hit", "knocked", "slammed")
# Someone lying or asleep on a railway line (the railway's, before a train comes).
_RAILWAY = ("đường ray", "đường tàu", "railway", "railroad", "tracks", "train tracks")
_LYING = ("nằm", "ngủ", "nằm ngủ", "ngồi", "lying", "asleep", "sleeping", "passed out")

# What explodes or sparks, and its bang: a bare "no" just after a transformer or a water
# heater is "nổ", not "nó" ("trụ điện nổ 3 phát", "máy nước nóng bị nổ").
_EXPLODING = ("trạm biến áp", "biến áp", "máy biến áp", "trụ điện", "cột điện", "tủ điện",
              "công tơ", "đồng hồ điện", "ổ cắm", "máy nước nóng", "bình nóng lạnh",
              "nồi áp suất", "bình gas", "bình ga", "bình oxy", "cục pin", "pin sạc", "pin xe",
              "sạc dự phòng", "cục sạc", "ắc quy", "bình ắc quy", "máy lạnh", "transformer",
              "battery", "water heater")
_BANG = ("nổ", "nổ tung", "phát nổ", "xẹt lửa", "tóe lửa", "toé lửa", "explode", "exploded",
         "blew up", "sparks", "sparking")

PATTERNS: tuple[Pattern, ...] = (
    Pattern(_SEC, 3, _NOISE, _AT_NIGHT, window=8),
    Pattern(_SEC, 3, _LOUD, _SMALL_HOURS, window=8),
    Pattern(_FIRE, 3, _EXPLODING, _BANG, window=4),
    Pattern(_OTHER, 3, _BEES, _STINGING, window=8),
    Pattern(_TRAF, 3, _CAR_DOOR, _DOOR_HIT, window=6),
    Pattern(_OTHER, 3, _RAILWAY, _LYING, window=4),
    Pattern(_SEC, 3, _CARRYING, _WEAPONS, window=2),
    Pattern(_OTHER, 3, _DRAINS, _OPEN),
    Pattern(_OTHER, 3, _STRUCTURES, _GIVES_WAY),
    Pattern(_OTHER, 3, _TREES, _WIND_ACROSS, window=7),
    Pattern(_SEC, 3, _VANDALISED, _VANDALISING),
    Pattern(_SEC, 3, _BELONGINGS, _TAKEN),
    Pattern(_SEC, 3, _DRUGGING, _DRINK, window=5),
    Pattern(_SEC, 3, _SPLASHED, _SPLASHING, window=3),
    Pattern(_SEC, 3, _CHILD, _LED_AWAY),
    Pattern(_SEC, 3, _LURED, _LURED_TO, window=8),
    Pattern(_TRAF, 3, _VEHICLE, _IN_THE_ROAD, window=6),
    Pattern(_TRAF, 3, _VEHICLE, _OUT_OF_CONTROL, window=6),
    Pattern(_OTHER, 3, _KIN, _NOT_BACK, window=8),
    Pattern(_OTHER, 3, _ANIMALS, _ANIMAL_DOING, window=5),
    Pattern(_SEC, 3, _PEOPLE, _HITTING, window=4, frame=True),
    Pattern(_TRAF, 3, _BOATS, _SINKING),
    # fraud: someone pretending, a fake call or text, a link, "bị lừa"
    Pattern(_SEC, 3, ("bị lừa", "lừa tiền", "lừa gạt", "lừa mất", "giả danh", "mạo danh",
                      "giả làm", "đóng giả", "tin nhắn giả", "gọi điện giả", "cuộc gọi giả",
                      "giả công an", "giả ngân hàng", "link lạ", "bấm link", "scammed",
                      "scammer", "fraud", "pretending to be", "pretended to be",
                      "impersonate", "phishing", "fake police")),
    # a cash machine fitted with a device ("gắn thiết bị lạ vào khe thẻ"; round sixteen)
    Pattern(_SEC, 3, ("atm", "cây atm", "máy atm"), ("thiết bị", "skimmer", "skimming"),
            window=6),
    # drugs used or sold
    Pattern(_SEC, 3, ("chích thuốc", "hút chích", "tiêm chích", "chích ma túy", "bồ đà",
                      "hàng trắng", "thuốc lắc", "bay lắc", "cần sa", "heroin", "meth",
                      "cocaine", "used needles", "syringes")),
    # people locked in by someone
    Pattern(_SEC, 3, ("khóa cửa nhốt", "khoá cửa nhốt", "nhốt người", "giam lỏng",
                      "bị giam", "giam giữ", "locked us in", "locked me in", "locked them in",
                      "held captive")),
    # someone locked in who calls for help ("bị nhốt trong phòng trọ kêu cứu"; round sixteen)
    Pattern(_SEC, 3, ("bị nhốt",), ("kêu cứu", "la cứu", "kêu la"), window=8),
    # someone watching a house
    Pattern(_SEC, 2, ("đứng nhìn", "đứng canh", "ngồi canh", "dòm ngó", "watching our",
                      "watching my", "watching the", "casing"),
            ("nhà", "cổng", "house", "home", "gate")),
    # an English gas smell ("gas smell", "smell of gas"): the project files gas as fire
    Pattern(_FIRE, 3, ("gas",), ("smell", "odor", "odour", "stink", "leak", "leaking"),
            window=3),
    # someone on a bridge's railing, or saying they will jump
    Pattern(_OTHER, 3, ("muốn nhảy xuống", "định nhảy xuống", "đòi nhảy xuống",
                        "nhảy xuống sông", "nhảy sông", "tự vẫn", "jump off", "suicide",
                        "suicidal")),
    Pattern(_OTHER, 3, ("lan can cầu", "thành cầu", "bridge railing", "railing of the bridge"),
            ("đứng", "ngồi", "leo", "trèo", "standing", "sitting", "climb"), window=3),
    # a person's fall, a broken bone, someone who cannot get up: alone, as a body in
    # trouble (a crash leaves broken legs too)
    Pattern(_OTHER, 3, ("rơi từ", "té từ", "ngã từ", "rớt từ", "té ngã", "trượt chân",
                        "trượt té", "gãy chân", "gãy tay", "gãy xương", "không dậy được",
                        "không đứng dậy được", "nằm liệt", "liệt giường", "slipped on",
                        "slipped and", "slipped off",
                        "fell from", "fell off", "fell down", "hit his head", "hit her head",
                        "broke his leg", "broke her leg"), alone=True),
    # indecency and sexual harassment, said however it is said
    Pattern(_SEC, 3, ("dâm ô", "sờ soạng", "sờ mó", "biến thái", "thủ dâm", "khoe của quý",
                      "expose himself", "exposing himself", "exposed himself", "indecent",
                      "pervert", "grope", "molest", "flasher")),
    # a birth that will not wait
    Pattern(_OTHER, 3, ("chuyển dạ", "đau đẻ", "sắp sinh", "sắp đẻ", "vỡ ối", "sinh non",
                        "sắp sanh", "đau bụng sanh", "đau bụng đẻ", "sanh non",
                        "in labour", "in labor", "giving birth", "contractions",
                        "water broke")),
    # a child where a fall is one step away
    Pattern(_OTHER, 3, _CHILD, ("leo lên lan can", "trèo lên lan can", "trèo qua lan can",
                                "đu lan can", "leo ra ban công", "leo cửa sổ", "trèo cửa sổ",
                                "climbing the railing", "on the railing"), window=6),
    # someone who should not be there, watching or following
    Pattern(_SEC, 3, ("người lạ", "lạ mặt", "kẻ lạ", "người lạ mặt", "đối tượng",
                      "stranger", "strangers", "suspicious", "creep")),
    Pattern(_SEC, 2, ("đi theo", "bám theo", "bám đuôi", "rình", "nhìn trộm", "follow",
                      "stalk", "stalker", "watching")),
    # lenders and extortion
    Pattern(_SEC, 4, ("cho vay nặng lãi", "vay nặng lãi", "tín dụng đen", "xin đểu",
                      "làm luật", "đòi tiền", "loan shark", "loan sharks", "extort")),
    # a body in trouble: alone, since a crash or a fight leaves people bleeding too
    Pattern(_OTHER, 3, ("chảy máu", "máu chảy", "không tỉnh", "thở không được",
                        "nghẹt thở", "ngạt thở", "mắc nghẹn", "bị hóc", "hóc xương",
                        "sặc nước", "ngộ độc", "nôn ói", "ói mửa",
                        "sốt cao", "sưng", "bleeding", "choke", "choking",
                        "breathe", "breathing", "swelling", "swollen", "sting", "stung",
                        "bitten", "poisoning", "seizure", "bất động", "nằm im",
                        "không cử động", "không nhúc nhích", "not moving", "not responding",
                        "unresponsive",
                        # overcome by fumes in a tank or a pit (round seventeen: "bị ngạt
                        # trong bồn chứa"; not a bare "bị ngạt": "bi ngat ket noi" is a
                        # call cut off, "bị ngắt")
                        "bị ngạt trong", "bị ngạt khí"), alone=True),
    # a house or a street without water, a smell no one explains
    Pattern(_OTHER, 3, ("mất nước", "cúp nước", "hôi thối", "mùi hôi", "bốc mùi",
                        "no water", "smell", "stench"), alone=True),
)
