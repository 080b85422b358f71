"""Whether a configuration can run: what stops it (missing files, demo or short secrets),
what a real deployment must not have (demo values, an open Redis), and weak secrets.

Read by the commands at start (``sosbot serve``, ``worker``, ``demo``, ``check``); the
settings themselves are :mod:`sosbot.config`.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sosbot.config import (
    DEMO_AUDIT_KEY,
    DEMO_CALLBACK_SECRET,
    DEMO_TELEGRAM_TOKEN,
    DEMO_WEBHOOK_SECRET,
    MIN_AUDIT_KEY_LENGTH,
    Secrets,
    Settings,
)


def problems(settings: Settings, *, demo: bool = False) -> list[str]:
    """What stops this configuration from running for real (empty list: all good)."""
    found: list[str] = []
    for label, path in (("geo.wards_file", settings.geo.wards_file),
                        ("geo.city_file", settings.geo.city_file)):
        if not path.exists():
            found.append(f"{label}: file not found: {path}")
    if not demo and (len(settings.secrets.callback_secret) < 32
                     or settings.secrets.callback_secret == DEMO_CALLBACK_SECRET):
        found.append("SOSBOT_CALLBACK_SECRET: not set, shorter than 32 characters, or still "
                     "the demo value")
    if not demo and (len(settings.secrets.audit_key) < MIN_AUDIT_KEY_LENGTH
                     or settings.secrets.audit_key == DEMO_AUDIT_KEY):
        found.append(f"SOSBOT_AUDIT_KEY: not set, shorter than {MIN_AUDIT_KEY_LENGTH} "
                     f"characters, or still the demo value (it keys the audit log; keep a "
                     f"copy outside the database host)")
    secrets = settings.secrets
    if settings.file.channels.telegram.enabled and not demo:
        if not secrets.telegram_bot_token or secrets.telegram_bot_token == DEMO_TELEGRAM_TOKEN:
            found.append("TELEGRAM_BOT_TOKEN: not set (or still the demo value)")
        if len(secrets.telegram_webhook_secret) < 16 or \
                secrets.telegram_webhook_secret == DEMO_WEBHOOK_SECRET:
            found.append("TELEGRAM_WEBHOOK_SECRET: not set, shorter than 16 characters, "
                         "or still the demo value")
    for name, value in (("SOSBOT_API_TOKEN", secrets.api_token),
                        ("SOSBOT_API_PII_TOKEN", secrets.api_pii_token)):
        if value and len(value) < 24 and not demo:
            found.append(f"{name}: shorter than 24 characters")
    if secrets.api_token and secrets.api_token == secrets.api_pii_token:
        found.append("SOSBOT_API_PII_TOKEN: must differ from SOSBOT_API_TOKEN")
    channels = settings.file.channels
    needed = {"zalo": (("ZALO_APP_ID", secrets.zalo_app_id),
                       ("ZALO_APP_SECRET", secrets.zalo_app_secret),
                       ("ZALO_OA_SECRET_KEY", secrets.zalo_oa_secret_key)),
              "messenger": (("MESSENGER_APP_SECRET", secrets.messenger_app_secret),
                            ("MESSENGER_VERIFY_TOKEN", secrets.messenger_verify_token),
                            ("MESSENGER_PAGE_TOKEN", secrets.messenger_page_token))}
    for channel, enabled in (("zalo", channels.zalo.enabled),
                             ("messenger", channels.messenger.enabled)):
        if enabled and not demo:
            found += [f"{name}: not set (or set channels.{channel}.enabled: false)"
                      for name, value in needed[channel] if not value]
    if not demo:
        found += weak_secrets(settings.secrets)
    return found


# The shortest each platform's secret can be: Meta app secrets are 32 hexadecimal digits
# and page tokens far longer; Zalo's secret keys are 20 characters; the verify token is
# ours to choose. A shorter one is a truncated paste or a made-up value.
MIN_SECRET_LENGTH = {
    "zalo_app_secret": 16,
    "zalo_oa_secret_key": 16,
    "messenger_app_secret": 32,
    "messenger_verify_token": 16,
    "messenger_page_token": 32,
}


def deployment_problems(settings: Settings) -> list[str]:
    """What ``check-config`` refuses beyond :func:`problems`: what only a deployment facing
    the real platforms needs (``serve`` and ``worker`` also run against the local
    emulators, over plain HTTP on loopback, so they do not ask for it). Whether a Zalo
    refresh token is stored needs the database: see ``sosbot.cli.admin``."""
    found: list[str] = []
    channels, secrets = settings.file.channels, settings.secrets
    if channels.messenger.enabled and not settings.public_url.startswith("https://"):
        found.append(f"SOSBOT_PUBLIC_URL: must be set to an https:// address residents' "
                     f"phones can open while Messenger is on (the location page), not "
                     f"{settings.public_url!r}")
    bases = [("TELEGRAM_API_BASE", settings.telegram_api_base, channels.telegram.enabled),
             ("ZALO_API_BASE", settings.zalo_api_base, channels.zalo.enabled),
             ("ZALO_OAUTH_BASE", settings.zalo_oauth_base, channels.zalo.enabled),
             ("MESSENGER_API_BASE", settings.messenger_api_base, channels.messenger.enabled)]
    for name, base, enabled in bases:
        if enabled and not base.startswith("https://"):
            found.append(f"{name}: {base} is plain HTTP; tokens and residents' messages "
                         f"would cross the network unencrypted (use https://)")
    channel_on = {"zalo": channels.zalo.enabled, "messenger": channels.messenger.enabled}
    for field_name, shortest in MIN_SECRET_LENGTH.items():
        value = getattr(secrets, field_name)
        if channel_on[field_name.split("_")[0]] and value and len(value) < shortest:
            found.append(f"{_SECRET_NAMES[field_name]}: shorter than {shortest} characters")
    return found


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def unguarded_redis(redis_url: str) -> list[str]:
    """A warning when Redis is reached over the network with neither a password nor TLS.

    Whoever can write to sosbot's Redis can fill its queue and read what passes through it
    (workers refuse jobs that are not sosbot's, see routing.job_guard, but that is the last
    line, not the first). Only a warning: a Redis on a private network that nothing else can
    reach may run without a password, and this check cannot see the network."""
    parts = urlsplit(redis_url)
    host = (parts.hostname or "").lower()
    local = parts.scheme == "unix" or host in _LOCAL_HOSTS or host.startswith("127.")
    password = bool(parts.password) or "password" in parse_qs(parts.query)
    if local or password or parts.scheme == "rediss":
        return []
    return [f"REDIS_URL: {host} is not this machine and the URL has neither a password nor "
            f"TLS (rediss://); anyone who reaches it can queue work and read the queue: set a "
            f"password or an ACL user (redis://USER:PASSWORD@{host}/…), use rediss://, and "
            f"keep Redis on a private network (README: Deploying on PostgreSQL and Redis)"]


def off_machine_platforms(settings: Settings) -> list[str]:
    """Platform APIs not on this machine: demo secrets may only ever meet the emulators."""
    channels = settings.file.channels
    bases = [("TELEGRAM_API_BASE", settings.telegram_api_base, channels.telegram.enabled),
             ("ZALO_API_BASE", settings.zalo_api_base, channels.zalo.enabled),
             ("ZALO_OAUTH_BASE", settings.zalo_oauth_base, channels.zalo.enabled),
             ("MESSENGER_API_BASE", settings.messenger_api_base, channels.messenger.enabled)]
    found = []
    for name, base, enabled in bases:
        host = (urlsplit(base).hostname or "").lower()
        if enabled and host not in _LOCAL_HOSTS and not host.startswith("127."):
            found.append(f"{name}: {base} is not on this machine; demo secrets are for the "
                         f"emulators only")
    return found


PLACEHOLDER_WORDS = ("demo", "changeme", "change-me", "example", "placeholder", "xxxxxx")
_SECRET_NAMES = {
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "callback_secret": "SOSBOT_CALLBACK_SECRET",
    "zalo_app_secret": "ZALO_APP_SECRET",
    "zalo_oa_secret_key": "ZALO_OA_SECRET_KEY",
    "zalo_refresh_token": "ZALO_REFRESH_TOKEN",
    "messenger_app_secret": "MESSENGER_APP_SECRET",
    "messenger_verify_token": "MESSENGER_VERIFY_TOKEN",
    "messenger_page_token": "MESSENGER_PAGE_TOKEN",
    "api_token": "SOSBOT_API_TOKEN",
    "api_pii_token": "SOSBOT_API_PII_TOKEN",
    "audit_key": "SOSBOT_AUDIT_KEY",
}


def weak_secrets(secrets: Secrets) -> list[str]:
    """Secrets that are set but not fit for production: a placeholder or demo value
    (``sosbot demo``'s Zalo and Messenger values included), stray whitespace, one value
    doing two jobs, or a callback secret of too few different characters."""
    found: list[str] = []
    seen: dict[str, str] = {}
    for field_name, env_name in _SECRET_NAMES.items():
        value = getattr(secrets, field_name)
        if not value:
            continue
        if value != value.strip():
            found.append(f"{env_name}: starts or ends with whitespace")
        if any(word in value.lower() for word in PLACEHOLDER_WORDS):
            found.append(f"{env_name}: a placeholder or demo value")
        if value in seen:
            found.append(f"{env_name}: the same value as {seen[value]}; every secret must "
                         f"be its own")
        seen.setdefault(value, env_name)
    if secrets.callback_secret and len(set(secrets.callback_secret)) < 10:
        found.append("SOSBOT_CALLBACK_SECRET: too few different characters (use e.g. "
                     "`openssl rand -hex 32`)")
    return found
