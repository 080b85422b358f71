"""Administrator commands: ``migrate`` and ``check-config``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.cli import Commands
from sosbot.config import Settings, load_settings
from sosbot.config_checks import deployment_problems, problems, unguarded_redis
from sosbot.runtime import engine_for
from sosbot.storage.migrate import current_revision, upgrade


def register(commands: Commands) -> None:
    migrate = commands.add_parser("migrate")
    migrate.set_defaults(func=run_migrate)
    check = commands.add_parser("check-config")
    check.add_argument("--demo", action="store_true",
                       help="accept the built-in demo secrets (quick start only)")
    check.set_defaults(func=run_check)
    hook = commands.add_parser("set-webhook")
    hook.add_argument("url", help="e.g. https://sos.example.vn/webhooks/telegram")
    hook.set_defaults(func=run_set_webhook)
    zalo = commands.add_parser("zalo-token")
    zalo.add_argument("--set", dest="refresh_token", required=True,
                      help="a refresh token from the Zalo OA admin (single use; it rotates)")
    zalo.set_defaults(func=run_zalo_token)


def run_migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = engine_for(settings)
    upgrade(engine)
    print(f"database {engine.url.render_as_string(hide_password=True)} "
          f"at revision {current_revision(engine)}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    settings = load_settings()
    found = problems(settings, demo=args.demo)
    if not args.demo:
        found += deployment_problems(settings) + zalo_token_problems(settings)
    print(f"config: {settings.config_path}")
    print(f"database: {settings.database_url.split('@')[-1]}")
    print(f"redis: {settings.redis_url.split('@')[-1]}")
    print(f"telegram api: {settings.telegram_api_base}")
    for line in unguarded_redis(settings.redis_url):  # a warning: it does not fail the check
        print(f"warning: {line}", file=sys.stderr)
    if found:
        print("problems:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        return 1
    print("configuration OK")
    return 0


def zalo_token_problems(settings: Settings) -> list[str]:
    """Zalo on needs a refresh token: ZALO_REFRESH_TOKEN, or one stored (and rotated) in
    the database by an earlier run or ``sosbot zalo-token --set``."""
    if not settings.file.channels.zalo.enabled or settings.secrets.zalo_refresh_token:
        return []
    from sosbot.storage.tokens import DbTokenStore

    try:
        stored = asyncio.run(DbTokenStore(engine_for(settings), "zalo").load())
    except Exception as exc:  # noqa: BLE001 - reported as a problem, the check goes on
        return [f"ZALO_REFRESH_TOKEN: not set, and the database could not be asked for a "
                f"stored one ({type(exc).__name__}: {exc})"]
    if stored is None:
        return ["ZALO_REFRESH_TOKEN: not set and none stored; run `sosbot zalo-token --set "
                "<refresh token>` (or set channels.zalo.enabled: false)"]
    return []


def run_set_webhook(args: argparse.Namespace) -> int:
    """Register the webhook with the secret token, as Telegram's setWebhook expects."""
    settings = load_settings()
    secrets = settings.secrets
    if not secrets.telegram_bot_token or not secrets.telegram_webhook_secret:
        print("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first", file=sys.stderr)
        return 2

    async def register() -> tuple[str, bool]:
        telegram = TelegramOutbound(secrets.telegram_bot_token, settings.telegram_api_base)
        await telegram.start()
        try:
            await telegram.set_webhook(args.url, secrets.telegram_webhook_secret)
            return await telegram.group_privacy()
        finally:
            await telegram.close()

    username, private = asyncio.run(register())
    print(f"Telegram will deliver updates to {args.url}")
    configured = settings.file.channels.telegram.username
    if configured.lower() != username.lower():
        print(f"note: the bot is @{username}; set channels.telegram.username: {username} in "
              f"config.yaml (or TELEGRAM_BOT_USERNAME={username}) so that a command addressed "
              f"to another bot in a shared group (/ack@other_bot) is not acted on"
              + (f" (configured now: {configured!r})" if configured else ""), file=sys.stderr)
    if private:
        print(privacy_warning(username), file=sys.stderr)
    return 0


def privacy_warning(username: str) -> str:
    """What to tell the administrator when the bot is in group privacy mode."""
    return (
        f"warning: @{username} has group privacy mode on (getMe: "
        f"can_read_all_group_messages is false). In a police group where it is not an "
        f"administrator it then receives only commands (a /ack without @{username} only "
        f"while it was the last bot to write in that group), replies to its own messages "
        f"and service messages: an officer's \"nhận\" that does not reply to a card, or a "
        f"command after another bot wrote in the group, never reaches sosbot.\n"
        f"  To fix it: in Telegram, open @BotFather, send /setprivacy, choose @{username}, "
        f"answer Disable; then remove the bot from each police group and add it again "
        f"(groups it is already in may keep the old setting). Or make the bot an "
        f"administrator of each police group.\n"
        f"  Check: run `sosbot set-webhook` again; this warning goes away.")


def run_zalo_token(args: argparse.Namespace) -> int:
    """Store a fresh refresh token; workers use it at their next send (and rotate it)."""
    from datetime import UTC, datetime

    from sosbot.storage.tokens import seed

    version = seed(engine_for(load_settings()), "zalo", args.refresh_token, datetime.now(UTC))
    print(f"Zalo refresh token stored (version {version}); the next send refreshes the "
          f"access token.")
    return 0
