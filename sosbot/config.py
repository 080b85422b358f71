"""Configuration: config.yaml (validated at start-up) plus secrets from the environment.

A bad config.yaml stops the program with a message naming the key and what is wrong.
Relative paths in config.yaml are resolved against the folder the file is in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sosbot.bots.media_hosts import MESSENGER_MEDIA_HOSTS, ZALO_MEDIA_HOSTS, media_host_entry
from sosbot.core.errors import ConfigError
from sosbot.core.model import Category
from sosbot.geo import CITY_FILE, WARDS_FILE

DEFAULT_DATABASE_URL = "sqlite:///./var/sosbot.db"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_MEDIA_DIR = "./var/media"
DEMO_TELEGRAM_TOKEN = "123456:DEMO-telegram-token"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"
DEMO_CALLBACK_SECRET = "demo-callback-secret-not-for-production"
DEMO_AUDIT_KEY = "demo-audit-key-not-for-production-0000"
MIN_AUDIT_KEY_LENGTH = 32


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeoConfig(Section):
    # The copies shipped inside the package; a relative path in config.yaml is resolved
    # against the folder config.yaml is in.
    wards_file: Path = WARDS_FILE
    city_file: Path = CITY_FILE


class GeocoderConfig(Section):
    """The online geocoder: a Nominatim-compatible /search (a self-hosted Nominatim or
    Photon with a Vietnam extract). No url: no online geocoder, the offline reading only.
    ``SOSBOT_GEOCODER_URL`` overrides ``url``."""

    url: str | None = None
    user_agent: str = Field(default="sosbot/1 (Ho Chi Minh City police emergency intake)",
                            min_length=3)
    timeout_s: float = Field(default=5.0, gt=0, le=30)
    requests_per_s: float = Field(default=1.0, gt=0, le=50)
    cache_ttl_s: int = Field(default=24 * 3600, ge=0)
    limit: int = Field(default=5, ge=1, le=40)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
                or parts.fragment:
            raise ValueError("must be the http(s) base URL of a Nominatim-compatible "
                             "service, e.g. http://127.0.0.1:8084")
        return value.strip().rstrip("/")


class ConversationConfig(Section):
    draft_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
    extras_window_minutes: int = Field(default=15, ge=0, le=24 * 60)
    max_media_mb: int = Field(default=20, ge=1, le=2000)
    reports_per_hour: int = Field(default=5, ge=1, le=1000)
    # Photos/videos kept per report, and again for those sent in the extras window.
    max_media_per_report: int = Field(default=10, ge=1, le=100)
    # The total size of one report's stored media (at least one file of max_media_mb).
    max_media_mb_per_report: int = Field(default=50, ge=1, le=10_000)
    # Messages one resident chat may send in a minute before intake stops taking them.
    messages_per_minute: int = Field(default=30, ge=5, le=1000)

    @model_validator(mode="after")
    def _one_file_fits(self) -> ConversationConfig:
        if self.max_media_mb_per_report < self.max_media_mb:
            raise ValueError(
                f"max_media_mb_per_report ({self.max_media_mb_per_report}) is below "
                f"max_media_mb ({self.max_media_mb}): a report could not keep one file")
        return self


class TelegramConfig(Section):
    enabled: bool = True
    api_base: str = "https://api.telegram.org"
    webhook_path: str = "/webhooks/telegram"
    # The bot's @username (without "@"): in a group shared with other bots, a command
    # addressed to another (/ack@other_bot) is not acted on. Empty: every command is.
    # `sosbot set-webhook` prints it; TELEGRAM_BOT_USERNAME overrides.
    username: str = ""
    # false only against a Bot API without flood limits (the emulator with its limits off,
    # as the end-to-end benchmark runs it): sends then go out as fast as workers take them.
    flood_limits: bool = True

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("username")
    @classmethod
    def _bot_name(cls, value: str) -> str:
        name = value.strip().removeprefix("@")
        if name and not re.fullmatch(r"[A-Za-z0-9_]{5,32}", name):
            raise ValueError("a Telegram bot username: 5-32 letters, digits or _")
        return name


# A host name residents' media may come from (suffix match); normalised, and refused with
# the entry's index when it has a scheme, port, path or is an IP address.
MediaHost = Annotated[str, AfterValidator(media_host_entry)]


class ZaloConfig(Section):
    enabled: bool = True
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    webhook_path: str = "/webhooks/zalo"
    replay_window_s: float = Field(default=24 * 3600, gt=0)  # older deliveries are refused
    # Hosts (domain suffixes) residents' photos/videos may be downloaded from; the api_base
    # host and port are allowed as well (the emulator). Replaces the defaults when given.
    media_hosts: list[MediaHost] = Field(default_factory=lambda: list(ZALO_MEDIA_HOSTS))


class MessengerConfig(Section):
    enabled: bool = True
    api_base: str = "https://graph.facebook.com"
    api_version: str = Field(default="v26.0", pattern=r"^v\d+\.\d+$")
    webhook_path: str = "/webhooks/messenger"
    replay_window_s: float = Field(default=24 * 3600, gt=0)
    media_hosts: list[MediaHost] = Field(default_factory=lambda: list(MESSENGER_MEDIA_HOSTS))
    # HUMAN_AGENT tag (7 days, officers' own words only): true only once Meta approved the
    # page for it (App Review, "Human Agent" permission); see docs/platforms/messenger.md.
    human_agent: bool = False


class ChannelsConfig(Section):
    telegram: TelegramConfig = TelegramConfig()
    zalo: ZaloConfig = ZaloConfig()
    messenger: MessengerConfig = MessengerConfig()


class DepartmentConfig(Section):
    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name_vi: str
    name_en: str
    categories: list[Category]


class DuplicateWindow(Section):
    radius_m: float = Field(gt=0, le=5000)
    window_minutes: float = Field(gt=0, le=24 * 60)


def _default_departments() -> list[DepartmentConfig]:
    return [
        DepartmentConfig(code="PC07", name_vi="Phòng Cảnh sát PCCC và CNCH",
                         name_en="Fire and rescue police (PC07)", categories=[Category.FIRE]),
        DepartmentConfig(code="PC08", name_vi="Phòng Cảnh sát giao thông",
                         name_en="Traffic police (PC08)", categories=[Category.TRAFFIC]),
        DepartmentConfig(code="PC02", name_vi="Phòng Cảnh sát hình sự",
                         name_en="Criminal police (PC02)", categories=[Category.SECURITY]),
    ]


class RoutingConfig(Section):
    """Who receives what, and how long a report may wait for an acknowledgement."""

    command_centre_vi: str = "Trung tâm Thông tin chỉ huy"
    command_centre_en: str = "Command centre"
    departments: list[DepartmentConfig] = Field(default_factory=_default_departments)
    # Minutes without an acknowledgement from the ward before a reminder in the ward group;
    # twice that, the command centre is alerted; three times, the escalation chat.
    escalation_minutes: dict[Category, float] = Field(default_factory=lambda: {
        Category.FIRE: 2.0, Category.TRAFFIC: 3.0, Category.SECURITY: 5.0, Category.OTHER: 10.0})
    duplicates: dict[Category, DuplicateWindow] = Field(default_factory=lambda: {
        Category.FIRE: DuplicateWindow(radius_m=500, window_minutes=60),
        Category.TRAFFIC: DuplicateWindow(radius_m=200, window_minutes=30),
        Category.SECURITY: DuplicateWindow(radius_m=150, window_minutes=30),
        Category.OTHER: DuplicateWindow(radius_m=150, window_minutes=30)})
    binding_code_minutes: int = Field(default=15, ge=1, le=24 * 60)
    callback_ttl_days: int = Field(default=14, ge=1, le=365)
    # When this many cards or more wait for one chat (it gets reports faster than its
    # platform lets us post), they go out as one batch card of up to ``batch_cards_max``
    # reports, each still acknowledged on its own. 0: never batch.
    batch_cards_from: int = Field(default=3, ge=0, le=100)
    batch_cards_max: int = Field(default=8, ge=2, le=20)
    # Platform user ids allowed to /unbind a group from inside it.
    administrators: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("escalation_minutes")
    @classmethod
    def _positive(cls, value: dict[Category, float]) -> dict[Category, float]:
        for category, minutes in value.items():
            if minutes <= 0:
                raise ValueError(f"{category.value}: must be more than 0 minutes")
        return value

    @field_validator("departments")
    @classmethod
    def _unique_codes(cls, value: list[DepartmentConfig]) -> list[DepartmentConfig]:
        codes = [d.code for d in value]
        if len(codes) != len(set(codes)):
            raise ValueError("department codes must be unique")
        return value


class DigestConfig(Section):
    """When the command centre gets the digest without asking (local time, Asia/Ho_Chi_Minh)."""

    every_minutes: int = Field(default=60, ge=0, le=24 * 60)  # 0: no periodic digest
    daily_at: str | None = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class QueueConfig(Section):
    name: str = "sosbot"
    sweep_interval_s: float = Field(default=10.0, gt=0)
    outbox_stale_after_s: float = Field(default=60.0, gt=0)
    # A worker killed while sending to a chat frees it after this (docs/reliability/
    # durability.md): shorter is a faster recovery; the holder renews it every third.
    chat_lock_s: float = Field(default=10.0, ge=3, le=300)
    max_send_attempts: int = Field(default=12, ge=1)
    media_attempts: int = Field(default=5, ge=1)
    max_error_attempts: int = Field(default=3, ge=1)
    # Jobs one worker process takes at once (sosbot.delivery.lanes): a send waits for the
    # platform's answer, so a process sends while others wait. A worker process may hold
    # worker_lanes + 20 database connections (PostgreSQL's max_connections must allow it).
    worker_lanes: int = Field(default=8, ge=1, le=32)


class WebConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_in_flight: int = Field(default=256, ge=1)
    # A delivery that would wait longer than this for its commit is answered 503 with
    # Retry-After at once (sosbot/intake/admission.py); the platforms retry.
    max_queue_delay_ms: float = Field(default=50.0, gt=0, le=60_000)
    # ... once at least this many wait: one slow commit at a quiet time refuses nobody.
    shed_min_waiting: int = Field(default=8, ge=1)
    # A webhook is answered once its events are recorded (the intake's journal); their
    # processing follows. Once the oldest delivery not processed yet has waited longer
    # than this, new ones are answered 503 with Retry-After too: the backlog is bounded.
    max_backlog_s: float = Field(default=5.0, gt=0, le=3600)
    intake_batch: int = Field(default=64, ge=1, le=1000)
    # "process": the intake writer runs as a child of the web process, on a core of its
    # own; "thread": on a thread of the web process (one interpreter lock for both).
    intake_writer: Literal["process", "thread"] = "thread"
    # Slow clients: a request body not received within body_timeout_s is answered 408 and
    # its connection closed; beyond max_connections open at once, a new connection is
    # answered 503 (Retry-After) and closed before anything of it is read.
    body_timeout_s: float = Field(default=10.0, gt=0, le=300)
    max_connections: int = Field(default=1024, ge=1, le=100_000)
    # Set: /healthz, /readyz, /statusz, /metrics and the JSON API are served only on this
    # port (on internal_host), not on the public one.
    internal_port: int | None = Field(default=None, ge=1, le=65535)
    internal_host: str = "127.0.0.1"


class FileConfig(Section):
    """The shape of config.yaml."""

    geo: GeoConfig = GeoConfig()
    geocoder: GeocoderConfig = GeocoderConfig()
    conversation: ConversationConfig = ConversationConfig()
    channels: ChannelsConfig = ChannelsConfig()
    routing: RoutingConfig = RoutingConfig()
    digest: DigestConfig = DigestConfig()
    queue: QueueConfig = QueueConfig()
    web: WebConfig = WebConfig()


@dataclass(frozen=True)
class Secrets:
    """What comes only from the environment."""

    telegram_bot_token: str
    telegram_webhook_secret: str
    callback_secret: str  # signs button data on officers' cards
    zalo_app_id: str = ""
    zalo_app_secret: str = ""  # OAuth secret_key
    zalo_oa_secret_key: str = ""  # webhook signatures
    zalo_refresh_token: str = ""  # the first seed; afterwards the stored, rotated one wins
    messenger_app_secret: str = ""
    messenger_verify_token: str = ""
    messenger_page_token: str = ""
    api_token: str = ""  # read-only JSON API (no personal data)
    api_pii_token: str = ""  # read-only JSON API with residents' names and phone numbers
    audit_key: str = ""  # keys the audit log's hash chain (HMAC-SHA256)


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to know, resolved once at start-up."""

    file: FileConfig
    config_path: Path
    database_url: str
    redis_url: str
    media_dir: Path
    secrets: Secrets
    public_url: str = "http://127.0.0.1:8080"  # where residents' browsers reach this service

    @property
    def geo(self) -> GeoConfig:
        return self.file.geo

    @property
    def geocoder(self) -> GeocoderConfig:
        return self.file.geocoder

    @property
    def telegram_api_base(self) -> str:
        return self.file.channels.telegram.api_base

    @property
    def zalo_api_base(self) -> str:
        return self.file.channels.zalo.api_base

    @property
    def zalo_oauth_base(self) -> str:
        return self.file.channels.zalo.oauth_base

    @property
    def messenger_api_base(self) -> str:
        return self.file.channels.messenger.api_base

    @property
    def messenger_api_version(self) -> str:
        return self.file.channels.messenger.api_version


#: Environment variables that override a channel's setting: (channel, field) by name.
CHANNEL_OVERRIDES = {
    "TELEGRAM_API_BASE": ("telegram", "api_base"),
    "TELEGRAM_BOT_USERNAME": ("telegram", "username"),
    "ZALO_API_BASE": ("zalo", "api_base"),
    "ZALO_OAUTH_BASE": ("zalo", "oauth_base"),
    "MESSENGER_API_BASE": ("messenger", "api_base"),
    "MESSENGER_API_VERSION": ("messenger", "api_version"),
}


def _with_overrides(channels: ChannelsConfig, env: dict[str, str]) -> ChannelsConfig:
    """The channels' settings with the environment's overrides, validated like the file's."""
    raw = channels.model_dump()
    for name, (channel, key) in CHANNEL_OVERRIDES.items():
        value = env.get(name, "").strip()
        if value:
            raw[channel][key] = value
    try:
        return ChannelsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, Path("the environment"))) from exc


def _geocoder_override(geocoder: GeocoderConfig, env: dict[str, str]) -> GeocoderConfig:
    """``SOSBOT_GEOCODER_URL`` (when set and not empty) replaces ``geocoder.url``."""
    url = env.get("SOSBOT_GEOCODER_URL", "").strip()
    if not url:
        return geocoder
    try:
        return GeocoderConfig.model_validate({**geocoder.model_dump(), "url": url})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, Path("SOSBOT_GEOCODER_URL"))) from exc


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()


def _describe(error: ValidationError, source: Path) -> str:
    lines = [f"{source}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {key}: {item['msg']}")
    return "\n".join(lines)


def load_file_config(path: Path) -> FileConfig:
    """Read and validate config.yaml; a missing file means all defaults."""
    if not path.exists():
        return FileConfig()
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    try:
        return FileConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from ``SOSBOT_CONFIG`` (default ./config.yaml) and the environment."""
    env = dict(os.environ) if env is None else env
    config_path = Path(env.get("SOSBOT_CONFIG", "config.yaml")).resolve()
    file = load_file_config(config_path)
    base = config_path.parent
    file = file.model_copy(update={
        "geo": GeoConfig(wards_file=_resolve(base, file.geo.wards_file),
                         city_file=_resolve(base, file.geo.city_file)),
        "channels": _with_overrides(file.channels, env),
        "geocoder": _geocoder_override(file.geocoder, env),
    })
    return Settings(
        file=file,
        config_path=config_path,
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
        media_dir=Path(env.get("SOSBOT_MEDIA_DIR") or DEFAULT_MEDIA_DIR).resolve(),
        public_url=(env.get("SOSBOT_PUBLIC_URL") or "http://127.0.0.1:8080").rstrip("/"),
        secrets=Secrets(
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
            callback_secret=env.get("SOSBOT_CALLBACK_SECRET", ""),
            zalo_app_id=env.get("ZALO_APP_ID", ""),
            zalo_app_secret=env.get("ZALO_APP_SECRET", ""),
            zalo_oa_secret_key=env.get("ZALO_OA_SECRET_KEY", ""),
            zalo_refresh_token=env.get("ZALO_REFRESH_TOKEN", ""),
            messenger_app_secret=env.get("MESSENGER_APP_SECRET", ""),
            messenger_verify_token=env.get("MESSENGER_VERIFY_TOKEN", ""),
            messenger_page_token=env.get("MESSENGER_PAGE_TOKEN", ""),
            api_token=env.get("SOSBOT_API_TOKEN", ""),
            api_pii_token=env.get("SOSBOT_API_PII_TOKEN", ""),
            audit_key=env.get("SOSBOT_AUDIT_KEY", ""),
        ),
    )
