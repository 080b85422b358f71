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
OUTBOX_PENDING = Gauge(
    "sosbot_outbox_pending", "Outbox rows not yet sent", registry=REGISTRY)
