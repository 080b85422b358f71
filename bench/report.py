"""The headline figures (bench/results.json) and the Markdown report (bench/RESULTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import geocoding, understanding

FINDINGS = Path(__file__).resolve().parent / "FINDINGS.md"

REQUIRED_KEYS = (
    "ingest_rps_sqlite", "ingest_rps_postgres", "ingest_rps_bare_aiohttp", "ingest_rps_ptb_noop",
    "ingest_p99_ms_at_500", "e2e_p99_ms_at_20", "fanout_429_count",
    "fanout_last_card_over_minimum", "ward_single_p99_us", "ward_batch_points_per_s",
    "web_rss_mb_under_load", "measured_at",
)


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The figures of results.json (None where the step did not run or is undefined)."""
    ingest = results.get("ingest", {})
    e2e = results.get("e2e", {})
    fanout = results.get("fanout", {})
    wards = results.get("wards", {})
    rss = [_get(ingest, name, "rss_mb_under_load") for name in
           ("sosbot_sqlite", "sosbot_postgres")]
    rss += [_get(figures, "rss_mb_peak", "web") for figures in e2e.get("rates", {}).values()]
    # The caps' goal is about one card per message: batch cards beat that minimum on purpose.
    ratios = [s["last_card_over_minimum"] for s in fanout.values()
              if s.get("last_card_over_minimum") is not None and not s.get("batched")]
    figures: dict[str, Any] = {
        "ingest_rps_sqlite": _get(ingest, "sosbot_sqlite", "saturation", "rps"),
        "ingest_rps_postgres": _get(ingest, "sosbot_postgres", "saturation", "rps"),
        "ingest_rps_bare_aiohttp": _get(ingest, "bare", "saturation", "rps"),
        "ingest_rps_ptb_noop": _get(ingest, "ptb", "saturation", "rps"),
        "ingest_p99_ms_at_500": _get(ingest, "sosbot_sqlite", "rates", "500", "p99_ms"),
        "e2e_p99_ms_at_20": _get(e2e, "rates", "20", "p99_ms"),
        "fanout_429_count": sum(s["status_429"] for s in fanout.values()) if fanout else None,
        "fanout_last_card_over_minimum": max(ratios) if ratios else None,
        "ward_single_p99_us": wards.get("single_p99_us"),
        "ward_batch_points_per_s": wards.get("batch_points_per_s"),
        "web_rss_mb_under_load": max((r for r in rss if r is not None), default=None),
    }
    figures["ingest_sqlite_over_ptb"] = _ratio(figures["ingest_rps_sqlite"],
                                               figures["ingest_rps_ptb_noop"])
    figures["ingest_sqlite_over_bare"] = _ratio(figures["ingest_rps_sqlite"],
                                                figures["ingest_rps_bare_aiohttp"])
    figures["ingest_postgres_over_ptb"] = _ratio(figures["ingest_rps_postgres"],
                                                 figures["ingest_rps_ptb_noop"])
    figures["ingest_ptb_over_bare"] = _ratio(figures["ingest_rps_ptb_noop"],
                                             figures["ingest_rps_bare_aiohttp"])
    return figures


def goals(figures: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    def check(value: Any, test: Any) -> bool | None:
        return None if value is None else bool(test(value))

    f = figures
    sqlite_vs_ptb = f["ingest_sqlite_over_ptb"]
    return [
        ("Ingest on SQLite ≥ python-telegram-bot's no-op webhook server",
         f"{_n(f['ingest_rps_sqlite'])}/s vs {_n(f['ingest_rps_ptb_noop'])}/s "
         f"(× {_n(sqlite_vs_ptb, 2)})", check(sqlite_vs_ptb, lambda r: r >= 1.0)),
        ("Ingest p99 < 50 ms at 500 updates/s (SQLite)",
         f"{_n(f['ingest_p99_ms_at_500'], 1)} ms", check(f["ingest_p99_ms_at_500"],
                                                          lambda v: v < 50)),
        ("End-to-end p99 < 250 ms at 20 reports/s, two workers",
         f"{_n(f['e2e_p99_ms_at_20'])} ms", check(f["e2e_p99_ms_at_20"], lambda v: v < 250)),
        ("Fan-out: zero 429s", _n(f["fanout_429_count"]),
         check(f["fanout_429_count"], lambda v: v == 0)),
        ("Fan-out: last card within 10 % of the theoretical minimum",
         f"× {_n(f['fanout_last_card_over_minimum'], 3)}",
         check(f["fanout_last_card_over_minimum"], lambda v: v <= 1.10)),
        ("Ward lookup p99 < 200 µs (single point)", f"{_n(f['ward_single_p99_us'], 1)} µs",
         check(f["ward_single_p99_us"], lambda v: v < 200)),
        ("Ward lookup > 50,000 points/s (batched)", f"{_n(f['ward_batch_points_per_s'])}/s",
         check(f["ward_batch_points_per_s"], lambda v: v > 50_000)),
        ("Web process < 250 MB RSS under load", f"{_n(f['web_rss_mb_under_load'], 1)} MB",
         check(f["web_rss_mb_under_load"], lambda v: v < 250)),
    ]


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{round(value):,}" if isinstance(value, int | float) else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def render(results: dict[str, Any], figures: dict[str, Any]) -> str:
    m = results.get("machine", {})
    out = ["# Benchmark results", ""]
    if results.get("quick"):
        out += ["**Smoke run with tiny parameters: these figures mean nothing.**", ""]
    out += [f"Measured {figures.get('measured_at', '')} (started {results.get('started_at')}) "
            f"by `make bench` (`python -m bench.run`) on {m.get('cpu')}, {m.get('cores')} "
            f"logical cores, {m.get('memory_gib')} GiB, Python {m.get('python')}.", "",
            f"Load average (1, 5, 15 min) at the start {m.get('load_at_start')}, at the end "
            f"{m.get('load_at_end')}. The machine is shared: other jobs ran at the same "
            "time, so absolute figures are noisy (easily ±30 %, more for tail latencies); "
            "compare the ratios, which were measured in the same run, minutes apart.", ""]
    reruns = [*results.get("reruns", []), *([results["rerun"]] if results.get("rerun") else [])]
    for rerun in reruns:
        on = f" on {rerun['cpu']}, {rerun['cores']} logical cores" if rerun.get("cpu") else ""
        out += [f"Measured again at {rerun['at']}{on} (load average "
                f"{rerun['load_at_start']}): {', '.join(rerun['steps'])}.", ""]
    if reruns:
        out += ["The other steps are from the run above.", ""]
    out += ["## Goals", ""]
    out += _table(["goal", "measured", "met"],
                  [[g, v, {True: "yes", False: "**no**", None: "—"}[ok]]
                   for g, v, ok in goals(figures)])
    out += _ingest(results.get("ingest"), figures)
    out += _e2e(results.get("e2e"))
    out += _fanout(results.get("fanout"))
    out += _wards(results.get("wards"))
    out += understanding.section(results.get("understanding"))
    out += geocoding.section(results.get("geocoding"))
    out += _memory(results)
    durations = results.get("durations_s", {})
    out += ["Time taken per step (s): " + ", ".join(f"{k} {v}" for k, v in durations.items()),
            ""]
    if FINDINGS.exists():
        out += [FINDINGS.read_text().rstrip(), ""]
    return "\n".join(out)


def _ingest(ingest: dict[str, Any] | None, figures: dict[str, Any]) -> list[str]:
    if not ingest:
        return []
    opts = ingest.get("options", {})
    out = ["## 1. Webhook ingest", "",
           f"One server process; load from a separate process on loopback: saturation "
           f"({opts.get('connections')} connections, "
           f"{ingest.get('sosbot_sqlite', {}).get('saturation', {}).get('tool', 'wrk')}), then "
           f"fixed offered rates (open loop: latency counts from when each request was due; "
           f"a request unanswered after 30 s is an error), {opts.get('seconds')} s each; "
           "between two runs the server first works off what the last one left queued. "
           "sosbot's saturation is its capacity: measured on a process whose admission lets "
           "deliveries wait (`web.max_queue_delay_ms` 60 s), so none is refused and the mix "
           "stored is the one sent; the fixed rates run on a fresh process as deployed "
           "(`web.max_queue_delay_ms` 50: what would wait longer is answered 503 at once, "
           "counted as an error and not sent again), warmed at 100/s for 3 s first. "
           "sosbot: the whole durable path of `sosbot serve` (secret, parse, dedupe, "
           "conversation step, report and routing on submission, outbox, rq enqueue) on a mix "
           "of residents' reports (/start, category, pin, description, photo for one in three, "
           "submit), officers' group chatter and 2 % Telegram retries; every ward bound.", ""]
    rates = [str(int(r)) for r in opts.get("rates", [])]
    header = ["server"] + [f"{r}/s offered: answered/s, p50/p99 ms" for r in rates] + [
        "saturation req/s (answered 200; processed)", "p50 / p99 ms", "errors", "× PTB",
        "× bare", "RSS idle / load MB"]
    rows = []
    names = {"bare": "bare aiohttp (ceiling)", "ptb": "python-telegram-bot no-op",
             "sosbot_sqlite": "sosbot, SQLite", "sosbot_postgres": "sosbot, PostgreSQL"}
    ptb = _get(ingest, "ptb", "saturation", "rps")
    bare = _get(ingest, "bare", "saturation", "rps")
    for key, label in names.items():
        found = ingest.get(key)
        if not found:
            continue
        sat = found["saturation"]
        row = [label]
        for r in rates:
            x = found["rates"].get(r, {})
            row.append(f"{_n(x.get('rps'))}, {_n(x.get('p50_ms'), 1)} / "
                       f"{_n(x.get('p99_ms'), 1)}")
        processed = (sat.get("journal") or {}).get("processed_rps")
        row += [_n(sat["rps"]) + (f" (processed {_n(processed)}/s)" if processed else ""),
                f"{_n(sat['p50_ms'], 1)} / {_n(sat['p99_ms'], 1)}",
                sat["errors"], _n(_ratio(sat["rps"], ptb), 3), _n(_ratio(sat["rps"], bare), 3),
                f"{found['rss_mb_idle']} / {found['rss_mb_under_load']}"]
        rows.append(row)
    return out + _table(header, rows)


def _e2e_costs(e2e: dict[str, Any]) -> list[str]:
    """Which kind of chat lags, and the CPU each process spent per report."""
    rows = []
    for rate, f in e2e.get("rates", {}).items():
        if "by_target" not in f:
            continue
        targets = ", ".join(f"{kind} {_n(t['p50_ms'])} / {_n(t['p99_ms'])}"
                            for kind, t in f["by_target"].items())
        cpu = f.get("cpu_ms_per_report", {})
        rows.append([rate, targets, ", ".join(f"{k} {v}" for k, v in cpu.items()),
                     _n(sum(cpu.values()), 1),
                     f"{round(100 * f['machine_busy'])} %" if "machine_busy" in f else "—"])
    if not rows:
        return []
    return ["Where the time and the CPU go: p50 / p99 ms until the card reached each kind of "
            "chat; CPU milliseconds per report of each process (the web process, the "
            "workers with rq's scheduler, PostgreSQL's and Redis's processes, and the "
            "benchmark's own process with the load and the emulator); how busy both cores "
            "were.", "", *_table(["reports/s", "card in chat, p50 / p99 ms",
                                  "CPU ms per report", "total", "machine busy"], rows)]


def _e2e(e2e: dict[str, Any] | None) -> list[str]:
    if not e2e:
        return []
    out = ["## 2. End to end: webhook → card in every target chat", "",
           f"Real `sosbot serve` + {e2e.get('workers')} `sosbot worker` processes on "
           f"{e2e.get('database')}, Telegram emulator with its flood limits off and sosbot's "
           f"own limiter off (`channels.telegram.flood_limits: false`); {e2e.get('wards')} "
           "ward groups + PC07/PC08/PC02 + the command centre; every report gets its own "
           "cards (3 targets, 2 for 'other'). Latency: from sending the submitting webhook "
           "to the last of its cards accepted by the emulator. Each rate runs on a fresh "
           "system, which first serves the resident side (section 5) as a warm-up. The wait "
           "for the cards ends 45 s after the last submission at most; a "
           "report whose cards had not all arrived by then counts with the time until then, "
           "so those figures are lower bounds (marked ≥). A webhook answered 503 (overload, "
           "refused at once) is sent again a second later, as the platforms do; its report's "
           "latency counts from the first try. A row marked \"Bot API N ms "
           "away\" runs with the emulator answering every call N ms late: the network "
           "between a server in Vietnam and Telegram's, which loopback hides (workers that "
           "wait for each answer in turn are bound by it).", ""]
    rows = []
    for rate, f in e2e.get("rates", {}).items():
        mark = "≥ " if f.get("lower_bound") else ""
        cleared = f.get("cleared_after_load_s")
        rows.append([rate, f.get("seconds"), f["reports"],
                     f"{f['complete']}/{f['reports']}"
                     + (f", the last {_n(cleared, 1)} s after the load" if cleared is not None
                        else ""),
                     f"{mark}{_n(f['p50_ms'])}", f"{mark}{_n(f['p95_ms'])}",
                     f"{mark}{_n(f['p99_ms'])}", _n(f["webhook_p99_ms"]),
                     f"{f.get('webhook_answered', '—')} / {f['webhook_errors']}"
                     + (f" ({f['webhook_refused_then_retried']} 503s sent again)"
                        if f.get("webhook_refused_then_retried") else ""),
                     ", ".join(f"{k} {v}" for k, v in f.get("rss_mb_peak", {}).items())])
    out += _table(["reports/s", "for s", "reports", "all cards in", "p50 ms", "p95 ms",
                   "p99 ms", "webhook p99 ms", "webhooks answered / errors",
                   "peak RSS MB"], rows)
    out += _e2e_costs(e2e)
    resident = e2e.get("resident")
    if resident:
        out += ["## 5. Resident side: message → bot reply accepted", "",
                f"{resident['messages']} residents writing /start at {resident['rate']}/s on "
                f"the idle system: p50 {_n(resident['p50_ms'], 1)} ms, p99 "
                f"{_n(resident['p99_ms'], 1)} ms ({resident['answered']}/"
                f"{resident['messages']} answered).", ""]
    return out


def _fanout(fanout: dict[str, Any] | None) -> list[str]:
    if not fanout:
        return []
    out = ["## 3. Fan-out at the platform's limits", "",
           "Telegram emulator with its flood limits on (20 messages a rolling minute per group, "
           "30/s per bot). Reports stored and routed as a submission does, then queued at once "
           "(the burst); near-duplicates (several reporters of one incident) fold into one "
           "card. Minimum: when the last card could be accepted at the earliest under the caps "
           "from the moment of the burst (one message a second in a chat, 20 a rolling minute "
           "in a group, 30 a second for the bot: 25 cards to a group take 64 s at least, 50 "
           "take 129 s). Batch cards are off in these bursts (each card is a message held to "
           "the caps), except in `…_batched`, which runs as deployed: the cards waiting for a "
           "group go out together (routing.batch_cards_from 3, at most 8 a card); there a "
           "card counts when its report's block first reaches the chat, and the time is "
           "compared with the same one-card-per-message minimum.", ""]
    rows = []
    for name, f in fanout.items():
        rows.append([name, f["reports"], f["wards"], f["groups"], f["cards"],
                     f.get("card_messages", f["cards"]),
                     f["routed_s"], f["delivered_per_s"], f["cap_per_s"],
                     f["busiest_group_minute"], f["status_429"], f["last_card_s"],
                     f["minimum_s"], _n(f["last_card_over_minimum"], 3), f["left_pending"]])
    return out + _table(["burst", "reports", "wards", "groups", "cards", "card messages",
                         "routed in s",
                         "delivered msg/s", "cap msg/s", "busiest group minute", "429s",
                         "last card s", "minimum s", "÷ minimum", "left pending"], rows)


def _wards(wards: dict[str, Any] | None) -> list[str]:
    if not wards:
        return []
    return ["## 4. Ward lookup", "",
            f"{wards['wards']} ward polygons, STRtree; points around ward centres with 2 % "
            f"anywhere in the city's bounding box ({wards['single_how']}).", ""] + _table(
        ["single p50 µs", "single p99 µs", "single mean µs", "batch points/s",
         "load s", "polygons' RSS MB"],
        [[wards["single_p50_us"], wards["single_p99_us"], wards["single_mean_us"],
          _n(wards["batch_points_per_s"]), wards["load_s"], wards["polygons_rss_mb"]]])


def _memory(results: dict[str, Any]) -> list[str]:
    rows = []
    ingest = results.get("ingest", {})
    for key in ("sosbot_sqlite", "sosbot_postgres"):
        if key in ingest:
            rows.append([f"web ({key.split('_')[1]}), ingest", ingest[key]["rss_mb_idle"],
                         ingest[key]["rss_mb_under_load"]])
    e2e = results.get("e2e", {})
    idle = e2e.get("rss_mb_idle", {})
    for rate, f in e2e.get("rates", {}).items():
        for name, peak in f.get("rss_mb_peak", {}).items():
            rows.append([f"{name}, e2e at {rate}/s", idle.get(name, "—"), peak])
    if not rows:
        return []
    return ["## 6. Memory (RSS)", "", "Ward data loaded in every process.", ""] + _table(
        ["process", "idle MB", "under load MB"], rows)
