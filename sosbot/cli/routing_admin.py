"""Administrator commands for routing: bind group chats, list bindings, run timers."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from sosbot.cli import Commands
from sosbot.config import load_settings
from sosbot.core.cards import local_time
from sosbot.delivery.queueing import Dispatcher
from sosbot.routing import escalation
from sosbot.routing.rules import COMMAND, DEPARTMENT, ESCALATION, WARD
from sosbot.runtime import engine_for, redis_for, routing_rules
from sosbot.storage import bindings, outbox
from sosbot.storage.db import transaction

_KINDS = {"ward": WARD, "dept": DEPARTMENT, "department": DEPARTMENT, "command": COMMAND,
          "escalation": ESCALATION}


def register(commands: Commands) -> None:
    code = commands.add_parser("bind-code")
    code.add_argument("kind", choices=sorted(_KINDS), help="what the group will stand for")
    code.add_argument("target", nargs="?", default=None,
                      help="ward code (e.g. 27031) or department code (e.g. PC07)")
    code.set_defaults(func=run_bind_code)
    listing = commands.add_parser("bindings")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_bindings)
    unbind = commands.add_parser("unbind")
    unbind.add_argument("chat", help="CHANNEL:CHAT_ID, e.g. telegram:-1001234567890")
    unbind.set_defaults(func=run_unbind)
    tick = commands.add_parser("tick")
    tick.add_argument("--at", default=None,
                      help="ISO time (default now), e.g. 2026-11-22T14:30:00+07:00")
    tick.set_defaults(func=run_tick)


def run_bind_code(args: argparse.Namespace) -> int:
    settings = load_settings()
    rules = routing_rules(settings)
    kind = _KINDS[args.kind]
    target = args.target if kind in (WARD, DEPARTMENT) else kind
    if target is None or not rules.is_target(kind, target):
        print(f"sosbot bind-code: no such {args.kind}: {args.target!r}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    ttl = timedelta(minutes=settings.file.routing.binding_code_minutes)
    with transaction(engine_for(settings)) as session:
        code = bindings.create_code(session, kind, target, now, ttl)
    unit = rules.unit(kind, target)
    print(f"Mã liên kết / binding code: {code}")
    print(f"Cho / for: {unit.vi} ({kind} {target})")
    print(f"Hết hạn / expires: {local_time((now + ttl).timestamp())} (dùng một lần / single use)")
    print(f"Trong nhóm / in the group: thêm bot vào nhóm rồi gửi  /bind {code}")
    return 0


def run_bindings(args: argparse.Namespace) -> int:
    settings = load_settings()
    rules = routing_rules(settings)
    with transaction(engine_for(settings)) as session:
        rows = bindings.all_bindings(session)
    items = [{"channel": b.channel, "chat_id": b.chat_id, "kind": b.target_kind,
              "target": b.target_code, "unit": rules.unit(b.target_kind, b.target_code).vi,
              "status": b.status, "title": b.title, "bound_at": b.bound_at.isoformat(),
              "dead_reason": b.dead_reason} for b in rows]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    for item in items:
        print(f"{item['status']:<6} {item['channel']}:{item['chat_id']:<16} "
              f"{item['kind']:<10} {item['target']:<10} {item['unit']}"
              + (f"  ({item['dead_reason']})" if item["dead_reason"] else ""))
    print(f"{len(items)} binding(s)")
    return 0


def run_unbind(args: argparse.Namespace) -> int:
    channel, _, chat_id = args.chat.partition(":")
    settings = load_settings()
    with transaction(engine_for(settings)) as session:
        binding = bindings.by_chat(session, channel, chat_id)
        if binding is None:
            print(f"sosbot unbind: {args.chat} is not bound", file=sys.stderr)
            return 1
        bindings.mark_dead(binding, "unbound by an administrator", datetime.now(UTC))
    print(f"{args.chat} unbound")
    return 0


def run_tick(args: argparse.Namespace) -> int:
    settings = load_settings()
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        print("sosbot tick: --at needs a time zone, e.g. +07:00", file=sys.stderr)
        return 2
    rules = routing_rules(settings)
    engine = engine_for(settings)
    dispatcher = Dispatcher(redis_for(settings.redis_url), settings.file.queue.name)
    with transaction(engine) as session:
        due = escalation.due_reports(session, at, rules)
    for report_id in due:
        with transaction(engine) as session:
            level = escalation.escalate(session, report_id, at, rules)
            queued = outbox.take_added(session)
            # Escalated as of --at, but sent now: a row dated in the future would wait for it.
            outbox.send_now(session, queued, datetime.now(UTC))
        dispatcher.outbox(queued)
        print(f"report {report_id}: escalation level {level} ({len(queued)} message(s))")
    print(f"{len(due)} report(s) escalated at {at.isoformat()}")
    return 0
