"""Charts of the digest as PNG bytes: reports per hour, and time to acknowledgement.

Matplotlib's object API on the Agg canvas (no pyplot, no display, safe in worker threads);
DejaVu Sans, shipped with matplotlib, renders the Vietnamese diacritics.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sosbot.command_centre.digest import Digest
from sosbot.core.model import Category
from sosbot.core.officer_texts import officer_text
from sosbot.core.texts import category_label

log = logging.getLogger(__name__)

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
SIZE_IN = (12.0, 7.0)
DPI = 100
FONT = "DejaVu Sans"
#: One colour per category, shared with the map.
CATEGORY_COLOURS: dict[Category, str] = {
    Category.FIRE: "#e8601c",
    Category.TRAFFIC: "#1965b0",
    Category.SECURITY: "#882e72",
    Category.OTHER: "#4eb265",
}
MAX_WARD_BARS = 20


def new_figure() -> Figure:
    """A blank 1200×700 px figure on an Agg canvas."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _hours(d: Digest) -> list[datetime]:
    start = d.since.astimezone(LOCAL_TIME).replace(minute=0, second=0, microsecond=0)
    end = d.until.astimezone(LOCAL_TIME)
    hours = []
    at = start
    while at < end:
        hours.append(at)
        at += timedelta(hours=1)
    return hours or [start]


def reports_per_hour_png(d: Digest) -> bytes:
    """Stacked bars of the period's reports per (local) hour, one colour per category."""
    hours = _hours(d)
    index = {h: n for n, h in enumerate(hours)}
    counts = {c: np.zeros(len(hours)) for c in Category}
    for item in d.reports:
        hour = item.created_at.astimezone(LOCAL_TIME).replace(minute=0, second=0,
                                                              microsecond=0)
        if hour in index:
            counts[item.category][index[hour]] += 1
    fig = new_figure()
    ax = fig.add_subplot()
    x = np.arange(len(hours))
    bottom = np.zeros(len(hours))
    for category in Category:
        ax.bar(x, counts[category], bottom=bottom, width=0.8,
               color=CATEGORY_COLOURS[category], label=category_label("vi", category))
        bottom += counts[category]
    step = max(1, len(hours) // 24)
    ax.set_xticks(x[::step], [f"{h:%H}h\n{h:%d/%m}" if h.hour == 0 or i == 0 else f"{h:%H}h"
                              for i, h in enumerate(hours)][::step], fontsize=9)
    ax.set_xlim(-0.6, len(hours) - 0.4)
    ax.set_ylim(0, max(1.0, float(bottom.max())) * 1.3)  # room for the legend
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(officer_text("chart.reports_axis"), fontname=FONT)
    ax.set_xlabel(officer_text("chart.hour_axis"), fontname=FONT)
    ax.set_title(officer_text("chart.hourly_title", since=d.since.astimezone(LOCAL_TIME),
                              until=d.until.astimezone(LOCAL_TIME), total=d.total),
                 fontname=FONT, fontsize=14)
    ax.legend(loc="upper center", ncols=len(Category), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return to_png(fig)


def time_to_ack_png(d: Digest) -> bytes:
    """Horizontal bars: median and 90th-percentile minutes to acknowledge, per ward."""
    timed = [s for s in d.ack_by_ward if s.median_s is not None and s.p90_s is not None]
    # The slowest (by p90) wards, the slowest at the top (barh draws upwards).
    stats = sorted(timed, key=lambda s: (-(s.p90_s or 0), s.name))[:MAX_WARD_BARS]
    fig = new_figure()
    ax = fig.add_subplot()
    if not stats:
        ax.text(0.5, 0.5, officer_text("chart.no_acks"), ha="center",
                va="center", fontsize=16, transform=ax.transAxes)
        ax.set_axis_off()
        return to_png(fig)
    stats.reverse()
    y = np.arange(len(stats))
    median = np.array([(s.median_s or 0) / 60 for s in stats])
    p90 = np.array([(s.p90_s or 0) / 60 for s in stats])
    ax.barh(y + 0.2, p90, height=0.4, color="#f4a582", label=officer_text("chart.p90"))
    ax.barh(y - 0.2, median, height=0.4, color="#2166ac", label=officer_text("chart.median"))
    for yi, m, p in zip(y, median, p90, strict=True):
        ax.text(p, yi + 0.2, f" {p:.1f}", va="center", fontsize=8)
        ax.text(m, yi - 0.2, f" {m:.1f}", va="center", fontsize=8)
    ax.set_yticks(y, [f"{s.name} ({s.acked})" for s in stats], fontsize=9)
    ax.set_xlabel(officer_text("chart.ack_axis"), fontname=FONT)
    ax.set_title(officer_text("chart.ack_title"), fontname=FONT, fontsize=14)
    ax.set_xlim(0, max(1.0, float(p90.max())) * 1.12)
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return to_png(fig)
