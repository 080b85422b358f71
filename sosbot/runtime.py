"""Wiring: builds the web app and the worker context from Settings. The only place that
knows every package."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy.engine import Engine

from sosbot.bots.messenger.outbound import MessengerOutbound
from sosbot.bots.registry import AdapterRegistry
from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.bots.zalo.outbound import ZaloOutbound
from sosbot.bots.zalo.tokens import TokenManager
from sosbot.command_centre import registration as command_centre_registration
from sosbot.command_centre.schedule import DigestSchedule
from sosbot.config import Settings
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.turn import DEFAULT_SETTINGS as DEFAULT_CONVERSATION
from sosbot.delivery.channels import Outbound
from sosbot.delivery.context import JobContext, Limits
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.delivery.queueing import Dispatcher
from sosbot.delivery.send_rate import SendRateLimiter
from sosbot.geo import GAZETTEER_FILE
from sosbot.geo.city import CityOutline
from sosbot.geo.gazetteer import Gazetteer
from sosbot.geo.nominatim import GeocoderSettings, NominatimPlaces, PlaceFinder, SharedRateLimit
from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import PlaceReader
from sosbot.geo.wards import WardIndex
from sosbot.intake.group_commit import GroupCommit
from sosbot.intake.take import IntakePolicy
from sosbot.intake.writer_process import WriterCommand
from sosbot.location_page import LocationTokens, build_ward_shapes
from sosbot.loop_thread import BackgroundLoop
from sosbot.routing.rules import RoutingRules
from sosbot.storage import audit
from sosbot.storage.db import make_engine
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tokens import DbTokenStore, seed
from sosbot.webhooks import WebDeps

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def conversation_settings(settings: Settings,
                          wards: WardIndex | None = None) -> ConversationSettings:
    """The conversation's settings; with the ward polygons, a pin in any ward is in the
    service area even where the coarser city outline leaves it out."""
    in_service_area = wards.in_service_area if wards is not None \
        else CityOutline.from_file(settings.geo.city_file).contains
    conv = settings.file.conversation
    read_place = offline_reader(PlaceReader(wards, Gazetteer.from_file(GAZETTEER_FILE))) \
        if wards is not None else DEFAULT_CONVERSATION.read_place
    return ConversationSettings(
        in_service_area=in_service_area,
        draft_ttl_s=conv.draft_ttl_minutes * 60,
        extras_window_s=conv.extras_window_minutes * 60,
        max_media_bytes=conv.max_media_mb * 1024 * 1024,
        reports_per_hour=conv.reports_per_hour,
        max_media_per_report=conv.max_media_per_report,
        max_media_bytes_per_report=conv.max_media_mb_per_report * 1024 * 1024,
        messages_per_minute=conv.messages_per_minute,
        read_place=read_place,
        online_places=bool(settings.geocoder.url),
    )


def engine_for(settings: Settings, *, connections: int = 20) -> Engine:
    """The database engine, with room for ``connections`` at once (half kept open); also
    keys this process's audit chain (``SOSBOT_AUDIT_KEY``). Without a key, writing or
    checking the audit log fails with a message saying so."""
    if settings.secrets.audit_key:
        audit.use_key(settings.secrets.audit_key)
    return make_engine(settings.database_url, pool_size=max(1, (connections + 1) // 2))


def redis_for(url: str, socket_timeout: float = 30.0) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=socket_timeout,
                          health_check_interval=30)


def routing_rules(settings: Settings) -> RoutingRules:
    """The routing policy with the ward polygons loaded (about half a second, 25 MB)."""
    wards = WardIndex.from_file(settings.geo.wards_file, settings.geo.city_file)
    return RoutingRules(settings.file.routing, wards, settings.secrets.callback_secret,
                        wards_file=settings.geo.wards_file)


def group_commit(settings: Settings) -> GroupCommit:
    """What ``sosbot intake-writer`` stores deliveries with: the web process's database,
    Redis (``REDIS_URL`` as the web process resolved it), routing rules and clock."""
    rules = routing_rules(settings)
    policy = IntakePolicy(conversation=conversation_settings(settings, rules.wards),
                          rules=rules)
    return GroupCommit(engine_for(settings), policy,
                       Dispatcher(redis_for(settings.redis_url), settings.file.queue.name),
                       utcnow)


def writer_command(settings: Settings, redis_url: str, log_level: str) -> WriterCommand | None:
    """The intake writer process's command line, or None for the writer thread."""
    if settings.file.web.intake_writer != "process":
        return None
    return WriterCommand(
        argv=(sys.executable, "-m", "sosbot.cli", "--log-level", log_level, "intake-writer"),
        env={**os.environ, "REDIS_URL": redis_url})


def web_deps(settings: Settings, engine: Engine, redis: Redis,
             rules: RoutingRules | None = None,
             writer: WriterCommand | None = None) -> WebDeps:
    rules = rules if rules is not None else routing_rules(settings)
    return WebDeps(
        engine=engine, redis=redis, dispatcher=Dispatcher(redis, settings.file.queue.name),
        conversation=conversation_settings(settings, rules.wards),
        rules=rules,
        telegram_secret=settings.secrets.telegram_webhook_secret
        if settings.file.channels.telegram.enabled else "",
        telegram_path=settings.file.channels.telegram.webhook_path,
        telegram_username=settings.file.channels.telegram.username,
        zalo_oa_secret=settings.secrets.zalo_oa_secret_key
        if settings.file.channels.zalo.enabled else "",
        zalo_path=settings.file.channels.zalo.webhook_path,
        messenger_app_secret=settings.secrets.messenger_app_secret
        if settings.file.channels.messenger.enabled else "",
        messenger_verify_token=settings.secrets.messenger_verify_token,
        messenger_path=settings.file.channels.messenger.webhook_path,
        zalo_replay_window_s=settings.file.channels.zalo.replay_window_s,
        messenger_replay_window_s=settings.file.channels.messenger.replay_window_s,
        location_tokens=LocationTokens(redis),
        ward_shapes=build_ward_shapes(settings.geo.wards_file),
        api_token=settings.secrets.api_token, api_pii_token=settings.secrets.api_pii_token,
        max_body_bytes=settings.file.web.max_body_bytes,
        max_in_flight=settings.file.web.max_in_flight,
        max_queue_delay_ms=settings.file.web.max_queue_delay_ms,
        shed_min_waiting=settings.file.web.shed_min_waiting,
        max_backlog_s=settings.file.web.max_backlog_s,
        body_timeout_s=settings.file.web.body_timeout_s,
        internal_listener=settings.file.web.internal_port is not None,
        intake_batch=settings.file.web.intake_batch, writer_process=writer, clock=utcnow,
    )


def zalo_outbound(settings: Settings, engine: Engine) -> ZaloOutbound:
    """The Zalo client: tokens in the database, one refresh at a time via a Redis lock."""
    secrets = settings.secrets
    store = DbTokenStore(engine, "zalo")
    if secrets.zalo_refresh_token and asyncio.run(store.load()) is None:
        seed(engine, "zalo", secrets.zalo_refresh_token, utcnow())
        log.info("seeded the Zalo refresh token from ZALO_REFRESH_TOKEN")
    redis_url = settings.redis_url
    locks: dict[str, AsyncRedis] = {}

    def lock() -> Any:
        # The async client is made on first use, on the worker's event loop.
        client = locks.setdefault("client", AsyncRedis.from_url(redis_url))
        return client.lock("sosbot:zalo:token-refresh", timeout=60, blocking_timeout=30)

    manager = TokenManager(store, lock, app_id=secrets.zalo_app_id,
                           app_secret=secrets.zalo_app_secret,
                           oauth_base=settings.zalo_oauth_base)
    return ZaloOutbound(manager, api_base=settings.zalo_api_base,
                        media_hosts=settings.file.channels.zalo.media_hosts)


@dataclass(frozen=True)
class OutboundWiring:
    """What a platform's outbound factory may use: the settings, the worker's event loop and
    the database (Zalo keeps its rotating tokens there)."""

    settings: Settings
    loop: BackgroundLoop
    engine: Engine | None = None


#: The platforms' outbound adapters by name: a platform is added by registering here.
OUTBOUND: AdapterRegistry[OutboundWiring, Outbound] = AdapterRegistry("outbound adapter")


@OUTBOUND.register("zalo")
def _zalo(wiring: OutboundWiring) -> Outbound | None:
    if not wiring.settings.secrets.zalo_app_id or wiring.engine is None:
        return None
    return zalo_outbound(wiring.settings, wiring.engine)


@OUTBOUND.register("messenger")
def _messenger(wiring: OutboundWiring) -> Outbound | None:
    settings = wiring.settings
    if not settings.secrets.messenger_page_token:
        return None
    channel = settings.file.channels.messenger
    return MessengerOutbound(settings.secrets.messenger_page_token,
                             api_base=settings.messenger_api_base,
                             api_version=settings.messenger_api_version,
                             media_hosts=channel.media_hosts, human_agent=channel.human_agent)


@OUTBOUND.register("telegram")
def _telegram(wiring: OutboundWiring) -> Outbound | None:
    settings = wiring.settings
    if not settings.secrets.telegram_bot_token:
        return None
    telegram = TelegramOutbound(settings.secrets.telegram_bot_token, settings.telegram_api_base,
                                flood_limits=settings.file.channels.telegram.flood_limits)
    try:
        wiring.loop.run(telegram.start(), timeout=30)
    except Exception as exc:  # noqa: BLE001 - the worker starts anyway; sends will retry
        log.warning("Telegram getMe failed at start (%s); sends will retry", exc)
    return telegram


def enabled_channels(settings: Settings) -> list[str]:
    """The channels config.yaml enables, by name (``channels.<name>.enabled``)."""
    channels = settings.file.channels
    return [name for name in type(channels).model_fields if getattr(channels, name).enabled]


def outbound_adapters(settings: Settings, loop: BackgroundLoop,
                      engine: Engine | None = None) -> dict[str, Outbound]:
    """An adapter for every enabled channel that has its credentials; a disabled channel
    gets none."""
    wiring = OutboundWiring(settings, loop, engine)
    adapters: dict[str, Outbound] = {}
    for name in enabled_channels(settings):
        adapter = OUTBOUND.build(name, wiring)
        if adapter is None:
            log.info("channel %s is enabled but has no credentials: nothing is sent there",
                     name)
            continue
        adapters[name] = adapter
    return adapters


def job_context(settings: Settings, engine: Engine, redis: Redis,
                loop: BackgroundLoop) -> JobContext:
    queue = settings.file.queue
    rules = routing_rules(settings)
    return JobContext(
        engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue.name),
        outbound=outbound_adapters(settings, loop, engine),
        media_store=MediaStore(settings.media_dir,
                               settings.file.conversation.max_media_mb * 1024 * 1024),
        conversation=conversation_settings(settings, rules.wards),
        limits=Limits(max_send_attempts=queue.max_send_attempts,
                      media_attempts=queue.media_attempts,
                      max_error_attempts=queue.max_error_attempts,
                      outbox_stale_after_s=queue.outbox_stale_after_s,
                      chat_lock_s=queue.chat_lock_s),
        run=loop.run_any, clock=utcnow, limiter=SendRateLimiter(redis, utcnow), sleep=time.sleep,
        rules=rules, location_tokens=LocationTokens(redis),
        public_url=settings.public_url,
        places=place_finder(settings, rules.wards, redis),
        extensions=delivery_extensions(DigestSchedule(
            every_minutes=settings.file.digest.every_minutes,
            daily_at=settings.file.digest.daily_at)),
    )


def place_finder(settings: Settings, wards: WardIndex, redis: Redis) -> PlaceFinder:
    """The offline reading of typed places, with the online geocoder when one is set."""
    reader = PlaceReader(wards, Gazetteer.from_file(GAZETTEER_FILE))
    cfg = settings.geocoder
    if not cfg.url:
        return PlaceFinder(reader)
    online = NominatimPlaces(
        GeocoderSettings(url=cfg.url, user_agent=cfg.user_agent, timeout_s=cfg.timeout_s,
                         limit=cfg.limit, cache_ttl_s=cfg.cache_ttl_s),
        wards, redis, SharedRateLimit(redis, 1.0 / cfg.requests_per_s))
    return PlaceFinder(reader, online)


def delivery_extensions(digests: DigestSchedule | None) -> DeliveryExtensions:
    """What the producers above delivery register with it (docs/ARCHITECTURE.md)."""
    extensions = DeliveryExtensions()
    command_centre_registration.register(extensions, digests)
    return extensions
