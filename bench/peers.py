"""The servers sosbot's webhook is compared with, each run as a process of its own.

``python -m bench.peers bare --port P``
    a bare aiohttp endpoint that reads the body and answers 200: the ceiling on this machine.
``python -m bench.peers ptb --port P --api-base URL``
    python-telegram-bot's own webhook server (``Application.run_webhook``, tornado) with a
    handler that does nothing: what a Telegram-bot developer would otherwise use. It checks
    the secret token and parses every update into a ``telegram.Update`` as it does in
    production; ``URL`` is the Bot API it calls at start-up (getMe, setWebhook).
"""

from __future__ import annotations

import argparse
import sys

WEBHOOK_PATH = "webhooks/telegram"


def bare(port: int) -> None:
    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(f"/{WEBHOOK_PATH}", ok)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def ptb(port: int, api_base: str, token: str, secret: str) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, TypeHandler

    async def nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    application = (Application.builder().token(token).base_url(f"{api_base}/bot")
                   .base_file_url(f"{api_base}/file/bot").build())
    application.add_handler(TypeHandler(Update, nothing))
    application.run_webhook(listen="127.0.0.1", port=port, url_path=WEBHOOK_PATH,
                            secret_token=secret,
                            webhook_url=f"http://127.0.0.1:{port}/{WEBHOOK_PATH}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the peers of the ingest benchmark")
    parser.add_argument("peer", choices=("bare", "ptb"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-base", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--secret", default="")
    args = parser.parse_args(argv)
    if args.peer == "bare":
        bare(args.port)
    else:
        ptb(args.port, args.api_base, args.token, args.secret)
    return 0


if __name__ == "__main__":
    sys.exit(main())
