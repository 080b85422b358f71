"""Prometheus metrics. Each process exposes its own: web processes at ``GET /metrics``,
workers on ``sosbot worker --metrics-port``; Prometheus adds them up."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOKS = Counter(
    "sosbot_webhooks_total", "Webhook deliveries received, by channel and outcome",
    ["channel", "outcome"], registry=REGISTRY)
REPORTS = Counter(
    "sosbot_reports_created_total", "Reports created, by category", ["category"],
    registry=REGISTRY)
DELIVERIES = Counter(
    "sosbot_outbox_sends_total", "Outbox rows carried out, by channel and outcome",
    ["channel", "outcome"], registry=REGISTRY)
OVER_MESSAGE_LIMIT = Counter(
    "sosbot_resident_messages_over_limit_total",
    "Residents' messages beyond their messages per minute: recorded, not taken",
    ["channel"], registry=REGISTRY)
PREPARED_AHEAD = Counter(
    "sosbot_outbox_prepared_ahead_total",
    "Heavy outbox rows (the digest's images): rendered ahead of the chat's queue (ahead), "
    "found rendered at the head (hit), rendered at the head after all (miss)",
    ["outcome"], registry=REGISTRY)
RATE_LIMITED = Counter(
    "sosbot_platform_rate_limited_total", "429 answers (or their equivalent) from a platform",
    ["channel"], registry=REGISTRY)
ACK_LATENCY = Histogram(
    "sosbot_ack_latency_seconds", "From a report's creation to a target's acknowledgement",
    ["role"], buckets=(30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200),
    registry=REGISTRY)
QUEUE_DEPTH = Gauge(
    "sosbot_queue_depth", "rq jobs waiting, by state (queued, scheduled)", ["state"],
    registry=REGISTRY)
PLACES_QUEUE_DEPTH = Gauge(
    "sosbot_places_queue_depth",
    "Typed places' lookups waiting on the places queue (<queue>-places), by state (queued, "
    "scheduled)", ["state"], registry=REGISTRY)
PLACES_WORKERS = Gauge(
    "sosbot_places_workers", "rq workers serving the places queue (every worker after its "
    "main queue, and the places-only ones)", registry=REGISTRY)
OUTBOX_PENDING = Gauge(
    "sosbot_outbox_pending", "Outbox rows not yet sent", registry=REGISTRY)
REPORTS_UNROUTED = Counter(
    "sosbot_reports_unrouted_total",
    "Reports that missed a chat: missing=\"all\" reached no chat at all (no group bound), "
    "missing=\"ward\" had no ward group (the command centre has it)", ["missing"],
    registry=REGISTRY)
DEPENDENCY_UP = Gauge(
    "sosbot_dependency_up", "1 when the dependency answered the last check, else 0",
    ["dependency"], registry=REGISTRY)
BOUND_GROUPS = Gauge(
    "sosbot_bound_groups", "Group chats bound, by kind (ward, department, command, "
    "escalation); all 0: reports reach nobody", ["kind"], registry=REGISTRY)
WORKERS = Gauge(
    "sosbot_workers", "rq workers registered on the queue (0: nothing is being sent)",
    registry=REGISTRY)
HTTP_CONNECTIONS = Gauge(
    "sosbot_http_connections", "HTTP connections open on this web process, by listener",
    ["listener"], registry=REGISTRY)
HTTP_CONNECTIONS_REFUSED = Counter(
    "sosbot_http_connections_refused_total",
    "Connections closed at once because web.max_connections were open", ["listener"],
    registry=REGISTRY)
