"""Telegram's ``parse_mode=HTML``: turn marked-up text into plain text plus entities.

Follows the rules of the Bot API (https://core.telegram.org/bots/api#html-style): the
supported tags are b/strong, i/em, u/ins, s/strike/del, a href, code, pre (with an inner
``code class="language-..."``), span class="tg-spoiler", tg-spoiler, blockquote
(``expandable``) and tg-emoji; every ``<`` and ``&`` that is not part of a tag or an entity
(``&lt; &gt; &amp; &quot;`` or numeric) must be escaped (a bare ``>`` passes, as on
Telegram). Errors carry tdlib's wording after the ``can't parse entities:`` prefix.
Entity offsets and lengths are in UTF-16 units.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


class HtmlParseError(ValueError):
    """Marked-up text Telegram would refuse; ``str()`` is the part after the prefix."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass
class _Open:
    tag: str
    offset: int
    attrs: dict[str, str] = field(default_factory=dict)


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 offset of the end of the output
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def decode_entity(self, index: int) -> tuple[str, int] | None:
        match = _ENTITY_RE.match(self.src, index)
        if match is None:
            return None
        dec, hexa, name = match.groups()
        if name is not None:
            char = _NAMED.get(name.lower())
            if char is None:
                return None
            return char, match.end()
        code = int(dec) if dec is not None else int(hexa, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "&":
                decoded = self.decode_entity(self.pos)
                if decoded is None:
                    raise HtmlParseError(
                        'Unsupported HTML entity or unescaped "&" at byte offset '
                        f"{self.byte_offset(self.pos)}"
                    )
                self.emit(decoded[0])
                self.pos = decoded[1]
            elif ch == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                nxt = self.pos
                while nxt < len(src) and src[nxt] not in "&<":
                    nxt += 1
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        src = self.src
        begin = self.pos
        i = begin + 1
        while i < len(src) and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= len(src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = src[begin + 1 : i].lower()
        if tag not in _SIMPLE:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while i < len(src) and src[i].isspace():
                i += 1
            if i >= len(src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] == ">":
                i += 1
                break
            name_start = i
            while i < len(src) and not src[i].isspace() and src[i] not in "=>":
                i += 1
            name = src[name_start:i].lower()
            while i < len(src) and src[i].isspace():
                i += 1
            if i >= len(src) or src[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            i += 1
            while i < len(src) and src[i].isspace():
                i += 1
            if i >= len(src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            attrs[name], i = self.attribute_value(i, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(tag, self.offset, attrs))
        self.pos = i

    def attribute_value(self, i: int, begin: int) -> tuple[str, int]:
        src = self.src
        if src[i] in "'\"":
            quote = src[i]
            i += 1
            value: list[str] = []
            while i < len(src) and src[i] != quote:
                if src[i] == "&":
                    decoded = self.decode_entity(i)
                    if decoded is not None:
                        value.append(decoded[0])
                        i = decoded[1]
                        continue
                value.append(src[i])
                i += 1
            if i >= len(src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            return "".join(value), i + 1
        start = i
        while i < len(src) and (src[i].isalnum() or src[i] in ".-"):
            i += 1
        if i < len(src) and not src[i].isspace() and src[i] != ">":
            raise HtmlParseError(
                f"Unexpected end of name token at byte offset {self.byte_offset(start)}"
            )
        return src[start:i].lower(), i

    def end_tag(self) -> None:
        src = self.src
        begin = self.pos
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while i < len(src) and not src[i].isspace() and src[i] != ">":
            i += 1
        name = src[begin + 2 : i].lower()
        while i < len(src) and src[i].isspace():
            i += 1
        if i >= len(src) or src[i] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack[-1]
        if name and name != opened.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = i + 1
        self.close(opened)

    def close(self, opened: _Open) -> None:
        length = self.offset - opened.offset
        if length <= 0:
            return
        kind = _SIMPLE[opened.tag]
        entity: dict[str, Any] = {"offset": opened.offset, "length": length, "type": kind}
        if kind == "text_link":
            href = opened.attrs.get("href")
            if not href:
                return
            entity["url"] = href
        elif kind == "custom_emoji":
            emoji_id = opened.attrs.get("emoji-id")
            if not emoji_id:
                return
            entity["custom_emoji_id"] = emoji_id
        elif kind == "blockquote" and "expandable" in opened.attrs:
            entity["type"] = "expandable_blockquote"
        elif kind == "pre":
            inner = self._pop_inner_code(opened.offset, length)
            if inner is not None:
                entity["language"] = inner
        elif kind == "code":
            language = opened.attrs.get("class", "")
            if language.startswith("language-"):
                entity["_language"] = language[len("language-") :]
        self.entities.append(entity)

    def _pop_inner_code(self, offset: int, length: int) -> str | None:
        for index in range(len(self.entities) - 1, -1, -1):
            ent = self.entities[index]
            if ent["type"] == "code" and ent["offset"] == offset and ent["length"] == length:
                del self.entities[index]
                language = ent.get("_language")
                return str(language) if language else None
        return None


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and the entity list of HTML-formatted ``source``.

    Raises :class:`HtmlParseError` with tdlib's wording for markup Telegram refuses.
    """
    text, entities = _Parser(source).run()
    for ent in entities:
        ent.pop("_language", None)
    return text, entities
