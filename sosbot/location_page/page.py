"""The location page's HTML: the map page for a live ticket, and the "cannot be used" page.

Plain server-rendered HTML with every dynamic value escaped; the page's script and styles
are static files (``static/``), and its texts travel as a JSON data block, so the Content
Security Policy can forbid inline scripts. URLs are relative, so the page works wherever
the sub-application is mounted.
"""

from __future__ import annotations

import json
import logging
from html import escape

from .texts import EN, VI, texts_for
from .tokens import LocationTicket

log = logging.getLogger(__name__)

_HEAD = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{static}location.css">
</head>
"""


def _json_block(data: object) -> str:
    # "</" would end the <script> element early; JSON allows "<\/".
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def render_page(ticket: LocationTicket, static: str = "static/") -> str:
    """The map page for ``ticket``, in its language."""
    lang = "en" if ticket.lang == "en" else "vi"
    t = texts_for(lang)
    return _HEAD.format(lang=lang, title=escape(t["title"]), static=escape(static)) + f"""\
<body data-lang="{lang}" data-state="loading">
<main class="page">
  <header>
    <h1>{escape(t["heading"])}</h1>
    <p class="intro">{escape(t["intro"])}</p>
  </header>
  <div class="map-wrap">
    <canvas id="map" role="img" aria-label="{escape(t["map_label"])}"></canvas>
    <div class="map-buttons">
      <button type="button" id="zoom-in" aria-label="{escape(t["zoom_in"])}">+</button>
      <button type="button" id="zoom-out" aria-label="{escape(t["zoom_out"])}">−</button>
      <button type="button" id="locate" aria-label="{escape(t["locate"])}">◎</button>
    </div>
    <p id="map-note" class="map-note">{escape(t["loading_map"])}</p>
  </div>
  <section class="status" aria-live="polite">
    <p id="ward" class="ward"></p>
    <p id="detail" class="detail">{escape(t["locating"])}</p>
  </section>
  <p id="error" class="error" role="alert" hidden></p>
  <button type="button" id="submit" class="submit" disabled>{escape(t["submit"])}</button>
  <section id="done" class="done" hidden>
    <h2>{escape(t["sent_title"])}</h2>
    <p id="confirmation" class="confirmation"></p>
    <p>{escape(t["back_to_chat"])}</p>
  </section>
  <p class="emergency">{escape(t["emergency"])}</p>
</main>
<script type="application/json" id="texts">{_json_block(t)}</script>
<script type="module" src="{escape(static)}location.js"></script>
</body>
</html>
"""


def render_gone(used_lang: str | None) -> str:
    """The page for a token that is unknown, expired (``None``) or already used.

    The language of a used link is known; for an unknown one both languages are shown.
    """
    key = "expired" if used_lang is None else "used"
    langs = [VI, EN] if used_lang is None else [texts_for(used_lang)]
    lang = "en" if used_lang == "en" else "vi"
    blocks = "\n".join(
        f'  <section lang="{"en" if t is EN else "vi"}">\n'
        f"    <h1>{escape(t['gone_title'])}</h1>\n    <p>{escape(t[key])}</p>\n"
        f'    <p class="emergency">{escape(t["emergency"])}</p>\n  </section>'
        for t in langs)
    return _HEAD.format(lang=lang, title=escape(langs[0]["gone_title"]),
                        static="static/") + f"""\
<body data-state="gone">
<main class="page gone">
{blocks}
</main>
</body>
</html>
"""
