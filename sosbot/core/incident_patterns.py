"""Evidence of an incident that single words do not carry: an object and what happened to
it, a few words apart and in either order ("ống nước ngầm bể", "bể ống nước"; "cột điện
ngã"; "bẻ gương xe"; "cạy khóa xe"; "took my laptop"; "xe mất lái lao lên vỉa hè"; "ba tui
đi khỏi nhà chưa về"; "chó nhà hàng xóm cắn"), and families of near-synonyms (a stranger,
a child led away, indecency, a birth, a body in trouble).

Pure data for :mod:`sosbot.core.understanding`, which matches every word as its phrases are
matched (tone-aware: written with diacritics a word must carry the keyword's; without, it
matches what it folds to). A pattern counts once per message, with its weight; the weights
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


# What breaks, falls or gives way in a street or a house, and what happens to it.
_STRUCTURES = ("ống nước", "đường ống", "ống cống", "cột điện", "trụ điện", "giàn giáo",
               "cây", "cây xanh", "cành", "tường", "bức tường", "trần nhà", "mái nhà",
               "mái tôn", "ban công", "biển quảng cáo", "bảng hiệu", "cầu thang", "cổng",
               "pipe", "pole", "scaffold", "scaffolding", "wall", "ceiling", "tree", "stairs")
_GIVES_WAY = ("bể", "vỡ", "ngã", "đổ", "sập", "sụp", "gãy", "rớt", "rơi", "đứt", "nghiêng",
              "bung", "té", "burst", "fell", "fall", "fallen", "collapse", "collapsed")
# Whatever is done to a car or a house by vandals or thieves breaking in (a lock forced, a
# window smashed), and what is done to it.
_VANDALISED = ("gương", "kính xe", "kiếng", "lốp xe", "cửa kính", "ổ khóa", "ổ khoá",
               "khóa", "khoá", "khóa xe", "khoá xe", "khóa cửa", "khoá cửa", "cửa sổ",
               "song cửa", "mirror", "windshield", "window", "lock", "padlock")
_VANDALISING = ("bẻ", "đập", "phá", "rạch", "chọc", "ném", "cạy", "cắt", "smash", "broke",
                "broken", "pry", "pried", "force", "forced", "pick", "picked", "cut")
# What a thief takes, and the taking ("lấy mất cái laptop", "took my wallet").
_BELONGINGS = ("laptop", "máy tính", "ví", "bóp", "túi xách", "giỏ xách", "ba lô", "balo",
               "điện thoại", "tiền", "nữ trang", "trang sức", "wallet", "purse", "bag",
               "handbag", "backpack", "phone", "passport", "money", "camera", "jewelry")
_TAKEN = ("lấy mất", "lấy đi", "lấy hết", "lấy cắp", "cuỗm", "khoắng", "bị mất", "mất sạch",
          "took", "taken", "gone")
# A vehicle that leaves its lane or its road, or swipes someone ("mất lái lao lên vỉa hè",
# "2 xe đối đầu", "bị xe ben quẹt ngã", "lao xuống kênh").
_OUT_OF_CONTROL = ("mất lái", "lao lên", "lao xuống", "lao vào", "lao qua", "lao ra",
                   "đối đầu", "quẹt ngã", "quẹt té", "quẹt trúng", "quẹt phải", "bị quẹt",
                   "hất văng", "văng ra", "lủi vào", "lost control", "head on", "swerve",
                   "skid", "veer", "flip", "overturn", "rolled over", "swipe", "sideswipe")
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
            "buffalo", "bull", "monkey", "bee", "wasp")
_ANIMAL_DOING = ("cắn", "rượt", "xổng", "xổng chuồng", "sổng", "sổng chuồng", "chạy rông",
                 "chạy lung tung", "húc", "đốt", "tấn công", "bite", "bit", "bitten", "chase",
                 "loose", "escape", "attack", "sting", "stung")
# Something put in someone's drink ("bỏ thuốc vào ly", "spiked my drink").
_DRUGGING = ("bỏ thuốc", "pha thuốc", "chuốc thuốc", "thuốc mê", "thuốc lạ", "spike",
             "drugged")
_DRINK = ("ly", "cốc", "nước uống", "đồ uống", "bia", "rượu", "drink")
_SPLASHED = ("sơn", "mắm tôm", "chất bẩn", "axit", "paint")
_SPLASHING = ("tạt", "ném", "hắt", "xịt", "splash", "splashed", "threw")
_CHILD = ("bé", "đứa bé", "đứa nhỏ", "em bé", "trẻ", "trẻ em", "con nít", "con tôi",
          "con tui", "cháu", "child", "kid", "kids", "daughter", "son", "girl", "boy")
_LED_AWAY = ("dắt đi", "bắt đi", "dẫn đi", "bế đi", "ôm đi", "dụ dỗ", "chở đi", "dụ đi",
             "taken", "took", "led away", "grabbed")
_VEHICLE = ("xe", "ô tô", "xe hơi", "xe máy", "xe tải", "xe khách", "xe ba gác", "container",
            "car", "truck", "motorbike", "bus", "taxi", "scooter", "bike", "motorcycle")
_IN_THE_ROAD = ("đậu ngang", "dừng ngang", "chắn ngang", "nằm ngang", "hun đuôi",
                "tông đuôi", "húc", "ủi vào", "ủi vô", "đổ ra đường", "rơi xuống đường",
                "rớt xuống đường", "tràn ra đường", "đổ", "rơi", "rớt", "rear ended",
                "blocking")

PATTERNS: tuple[Pattern, ...] = (
    Pattern(_OTHER, 3, _STRUCTURES, _GIVES_WAY),
    Pattern(_SEC, 3, _VANDALISED, _VANDALISING),
    Pattern(_SEC, 3, _BELONGINGS, _TAKEN),
    Pattern(_SEC, 3, _DRUGGING, _DRINK, window=5),
    Pattern(_SEC, 3, _SPLASHED, _SPLASHING, window=3),
    Pattern(_SEC, 3, _CHILD, _LED_AWAY),
    Pattern(_TRAF, 3, _VEHICLE, _IN_THE_ROAD, window=6),
    Pattern(_TRAF, 3, _VEHICLE, _OUT_OF_CONTROL, window=6),
    Pattern(_OTHER, 3, _KIN, _NOT_BACK, window=8),
    Pattern(_OTHER, 3, _ANIMALS, _ANIMAL_DOING, window=5),
    # indecency and sexual harassment, said however it is said
    Pattern(_SEC, 3, ("dâm ô", "sờ soạng", "sờ mó", "biến thái", "thủ dâm", "khoe của quý",
                      "expose himself", "exposing himself", "exposed himself", "indecent",
                      "pervert", "grope", "molest", "flasher")),
    # a birth that will not wait
    Pattern(_OTHER, 3, ("chuyển dạ", "đau đẻ", "sắp sinh", "sắp đẻ", "vỡ ối", "sinh non",
                        "in labour", "in labor", "giving birth", "contractions",
                        "water broke")),
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
                        "bitten", "poisoning", "seizure"), alone=True),
    # a house or a street without water, a smell no one explains
    Pattern(_OTHER, 3, ("mất nước", "cúp nước", "hôi thối", "mùi hôi", "bốc mùi",
                        "no water", "smell", "stench"), alone=True),
)
