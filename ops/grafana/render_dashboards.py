#!/usr/bin/env python3
"""Draws each Grafana dashboard of ops/grafana/dashboards/ as one PNG, from a real Prometheus.

No Grafana runs here (it is neither in Debian nor on PyPI), so this stands in for its screenshots
(docs/observability.md, "Dashboards"): every panel's queries are evaluated over a time window with
Prometheus' range API (/api/v1/query_range), Grafana's variables replaced as the dashboards'
checker and ops/grafana/query_dashboards.py replace them (ops/metric_names.py), and drawn with
matplotlib where the panel's gridPos puts it on Grafana's 24-column grid:

  timeseries   a line per series (stacked when the panel stacks), the legend from the query's
               legendFormat (else the series' labels) with each series' last and largest value
  stat, gauge  the last value of each series (Grafana's lastNotNull), coloured by the panel's
               thresholds, over a faint sparkline when there is one series
  table        the series' labels and last values
  row          its title across the grid

A panel whose queries return no series says "No data", as Grafana does; one whose query fails
says so in red, and the script then exits 1 (after drawing everything). Values and axes follow
the panel's unit (fieldConfig.defaults.unit: percentunit, percent, s, ms, bytes, reqps, ops,
short) and its min and max.

    ops/grafana/render_dashboards.py PROMETHEUS_URL OUT_DIR [--start UNIX --end UNIX --step S]

The window defaults to the 15 minutes before now, the step to a 240th of it (at least 1 s).
Writes OUT_DIR/<dashboard>.png (emporium-orders.json gives emporium-orders.png) and prints, per
dashboard, which panels had no data. Needs matplotlib (PyPI) and PyYAML (for ops/metric_names.py);
scripts/render-dashboards and scripts/check-ops run it from a cached venv that has both.
"""
import argparse
import datetime
import glob
import io
import json
import math
import os
import re
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import metric_names  # noqa: E402
import query_dashboards  # noqa: E402

# The figure: Grafana's grid is 24 columns wide; a grid row is 30 px against a column of about
# 80 px on a 1920 px screen. Sizes below are in inches.
WIDTH = 16.0
COLUMN = WIDTH / 24
ROW = COLUMN * 0.4
HEADER = 0.62
GAP = 0.05
DPI = 90
LEGEND_LINES = 6

# Grafana's classic palette, and the colours its thresholds name.
PALETTE = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9", "#705DA0",
           "#508642", "#CCA300", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477"]
NAMED_COLOURS = {"green": "#56A64B", "orange": "#FF9830", "red": "#E02F44", "yellow": "#F2CC0C", "blue": "#3274D9"}
TEXT, FAINT, BORDER = "#1F2328", "#6E7781", "#D0D7DE"


# --- units ------------------------------------------------------------------------------------

def short(value):
    """Grafana's "short": a few significant digits, K/M/G/T above a thousand."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    for power, suffix in ((12, " T"), (9, " G"), (6, " M"), (3, " K")):
        if abs(value) >= 10 ** power:
            return f"{value / 10 ** power:.3g}{suffix}"
    return f"{value:.3g}"


def seconds(value):
    if value == 0 or not math.isfinite(value):
        return short(value)
    if abs(value) < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if abs(value) < 1:
        return f"{value * 1e3:.3g} ms"
    if abs(value) < 60:
        return f"{value:.3g} s"
    return f"{value / 60:.3g} min"


def binary_bytes(value):
    for power, suffix in ((40, " TiB"), (30, " GiB"), (20, " MiB"), (10, " KiB")):
        if abs(value) >= 2 ** power:
            return f"{value / 2 ** power:.3g}{suffix}"
    return f"{value:.3g} B"


# Grafana unit id: (the axis label, a tick's text, a value's text).
UNITS = {
    "percentunit": ("percent", lambda v: f"{v * 100:.3g}%", None),
    "percent": ("percent", lambda v: f"{v:.3g}%", None),
    "s": ("seconds", seconds, None),
    "ms": ("seconds", lambda v: seconds(v / 1e3), None),
    "bytes": ("bytes", binary_bytes, None),
    "reqps": ("requests/s", short, lambda v: f"{short(v)} req/s"),
    "ops": ("operations/s", short, lambda v: f"{short(v)} ops/s"),
    "short": ("", short, None),
}


def unit_of(panel):
    label, tick, value = UNITS.get(panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short"), UNITS["short"])
    return label, tick, value or tick


# --- queries ----------------------------------------------------------------------------------

def legend(target, labels, expr):
    """The series' name as Grafana's legend shows it: the legendFormat with {{label}} filled in,
    else the series' labels (else the expression)."""
    form = target.get("legendFormat") or ""
    if form and form != "__auto":
        return re.sub(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}", lambda m: labels.get(m.group(1), ""), form).strip()
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    name = labels.get("__name__", "")
    return f"{name}{{{rest}}}" if rest else (name or expr)


def panel_series(url, panel, variables, window):
    """[(name, [value per step of the window, NaN where the series has none])] of the panel's
    queries; ValueError with Prometheus' error when one fails."""
    start, end, step = window
    steps = int(round((end - start) / step)) + 1
    series = []
    for target in panel.get("targets", []):
        if not target.get("expr"):
            continue
        expr = metric_names.substitute_grafana_variables(target["expr"], variables)
        result = query_dashboards.api(url, "query_range", {"query": expr, "start": start, "end": end, "step": step})
        for sample in result:
            values = [math.nan] * steps
            for at, value in sample.get("values", []):
                index = int(round((float(at) - start) / step))
                if 0 <= index < steps:
                    values[index] = float(value)
            series.append((legend(target, sample.get("metric", {}), expr), values))
    return series


def last_value(values):
    """Grafana's lastNotNull: the last value that is a number; None when there is none."""
    for value in reversed(values):
        if not math.isnan(value):
            return value
    return None


# --- drawing ----------------------------------------------------------------------------------

class Canvas:
    """The figure, addressed in inches from its top left corner, as Grafana's grid is."""

    def __init__(self, grid_rows):
        self.height = HEADER + grid_rows * ROW + GAP
        self.figure = plt.figure(figsize=(WIDTH, self.height), dpi=DPI, facecolor="#F4F5F5")

    def axes(self, left, top, width, height, **options):
        """An axes at (left, top), WIDTH by HEIGHT inches."""
        return self.figure.add_axes([left / WIDTH, 1 - (top + height) / self.height, width / WIDTH, height / self.height],
                                    **options)

    def cell(self, grid):
        """The panel's box in inches: left, top, width, height."""
        return (grid["x"] * COLUMN + GAP, HEADER + grid["y"] * ROW + GAP, grid["w"] * COLUMN - 2 * GAP,
                grid["h"] * ROW - 2 * GAP)


def panel_frame(canvas, panel):
    """The panel's white box with its title; the box in inches."""
    left, top, width, height = canvas.cell(panel["gridPos"])
    frame = canvas.axes(left, top, width, height)
    frame.set_axis_off()
    frame.add_patch(FancyBboxPatch((0, 0), 1, 1, boxstyle="round,pad=0,rounding_size=0.01", transform=frame.transAxes,
                                   facecolor="white", edgecolor=BORDER, linewidth=0.8))
    frame.text(0.1 / width, 1 - 0.08 / height, clip(panel.get("title", ""), width, 8), transform=frame.transAxes,
               ha="left", va="top", fontsize=8, fontweight="bold", color=TEXT)
    return frame, (left, top, width, height)


def clip(text, width_inches, fontsize):
    """TEXT cut to what fits in WIDTH_INCHES at FONTSIZE (points), with an ellipsis."""
    fits = max(4, int(width_inches * 72 / (fontsize * 0.6)))
    return text if len(text) <= fits else text[:fits - 1] + "…"


def message(frame, text, colour=FAINT, fontsize=10):
    frame.text(0.5, 0.45, text, transform=frame.transAxes, ha="center", va="center", fontsize=fontsize, color=colour,
               wrap=True)


def threshold_colour(panel, value):
    steps = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])
    colour = None
    for step in steps:
        if step.get("value") is None or value >= step["value"]:
            colour = NAMED_COLOURS.get(step.get("color"), step.get("color"))
    return colour or NAMED_COLOURS["green"]


def draw_timeseries(canvas, panel, box, series, times):
    left, top, width, height = box
    label, tick, value_text = unit_of(panel)
    custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {})
    stacked = custom.get("stacking", {}).get("mode") == "normal"
    shown = series[:LEGEND_LINES]
    columns = 2 if width > 7 and len(shown) > 3 else 1
    legend_height = 0.12 * math.ceil(len(shown) / columns) + (0.12 if len(series) > len(shown) else 0) + 0.04
    plot_height = max(0.45, height - 0.3 - 0.22 - legend_height)
    ax = canvas.axes(left + 0.55, top + 0.3, width - 0.7, plot_height)
    ax.set_facecolor("white")
    below = [0.0] * len(times)
    handles = []
    for index, (name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        if stacked:
            tops = [b + v if not math.isnan(v) else math.nan for b, v in zip(below, values)]
            ax.fill_between(times, below, tops, color=colour, alpha=0.12, linewidth=0)
            ax.plot(times, tops, color=colour, linewidth=1)
            below = [t if not math.isnan(t) else b for b, t in zip(below, tops)]
        else:
            ax.plot(times, values, color=colour, linewidth=1)
        if index < LEGEND_LINES:
            finite = [v for v in values if not math.isnan(v)]
            last = last_value(values)
            stats = f"last {value_text(last)}, max {value_text(max(finite))}" if finite else "no value"
            handles.append((Line2D([], [], color=colour, linewidth=2), f"{clip(name, width / columns - 1.4, 6)}  ({stats})"))
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    finite = [v for _, values in series for v in values if not math.isnan(v)]
    low = defaults.get("min", 0 if finite and min(finite) >= 0 else None)
    high = defaults.get("max")
    if low is not None and high is None and finite and max(finite) <= low:
        high = low + 1  # a flat series at the bottom: keep a readable axis
    ax.set_ylim(bottom=low, top=high)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tick(v)))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    short_window = (times[-1] - times[0]).total_seconds() <= 15 * 60
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=datetime.timezone.utc, minticks=2, maxticks=max(3, int(width / 1.1))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S" if short_window else "%H:%M", tz=datetime.timezone.utc))
    ax.set_xlim(times[0], times[-1])
    ax.tick_params(labelsize=6, colors=FAINT, length=2, pad=1)
    ax.grid(True, color="#EEEEEE", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(BORDER)
    if label:
        ax.set_ylabel(label, fontsize=6, color=FAINT, labelpad=1)
    keys = canvas.axes(left + 0.1, top + 0.3 + plot_height + 0.2, width - 0.2, legend_height)
    keys.set_axis_off()
    more = [(Line2D([], [], color="none"), f"… {len(series) - len(shown)} more series")] if len(series) > len(shown) else []
    keys.legend([h for h, _ in handles] + [h for h, _ in more], [t for _, t in handles] + [t for _, t in more],
                loc="upper left", ncol=columns, fontsize=6, frameon=False, handlelength=1.2, borderaxespad=0,
                labelspacing=0.25, columnspacing=1.2, labelcolor=TEXT)


def draw_stat(canvas, panel, box, series, times):
    left, top, width, height = box
    _, _, value_text = unit_of(panel)
    values = [(name, last_value(values), values) for name, values in series]
    columns = max(1, min(len(values), round(math.sqrt(len(values) * width / max(height - 0.3, 0.3)))))
    rows = math.ceil(len(values) / columns)
    columns = math.ceil(len(values) / rows)  # rows as full as they can be: 10 values in 2 rows of 5
    cell_width, cell_height = (width - 0.2) / columns, (height - 0.35) / rows
    for index, (name, value, history) in enumerate(values):
        cell_left = left + 0.1 + (index % columns) * cell_width
        cell_top = top + 0.3 + (index // columns) * cell_height
        ax = canvas.axes(cell_left, cell_top, cell_width, cell_height)
        ax.set_axis_off()
        text = value_text(value) if value is not None else "No value"
        colour = threshold_colour(panel, value) if value is not None else FAINT
        if len(values) == 1 and any(not math.isnan(v) for v in history):
            spark = canvas.axes(cell_left, cell_top + cell_height * 0.45, cell_width, cell_height * 0.55)
            spark.set_axis_off()
            spark.fill_between(times, [0 if math.isnan(v) else v for v in history], color=colour, alpha=0.15, linewidth=0)
            spark.set_xlim(times[0], times[-1])
            spark.set_ylim(bottom=min(0, min(v for v in history if not math.isnan(v))))
        named = len(values) > 1
        size = min(cell_height * 72 * (0.42 if named else 0.55), cell_width * 72 / (max(len(text), 3) * 0.62), 40)
        ax.text(0.5, 0.42 if named else 0.5, text, transform=ax.transAxes, ha="center", va="center",
                fontsize=size, fontweight="bold", color=colour)
        if named:
            ax.text(0.5, 0.9, clip(name, cell_width, 6), transform=ax.transAxes, ha="center", va="top", fontsize=6,
                    color=TEXT)


def draw_table(canvas, panel, box, series):
    left, top, width, height = box
    _, _, value_text = unit_of(panel)
    ax = canvas.axes(left + 0.1, top + 0.3, width - 0.2, height - 0.4)
    ax.set_axis_off()
    rows = [[clip(name, width - 1.6, 6), value_text(last) if (last := last_value(values)) is not None else "-"]
            for name, values in series[:max(1, int((height - 0.4) / 0.17) - 1)]]
    table = ax.table(cellText=rows, colLabels=["Series", "Last"], loc="upper left", cellLoc="left",
                     colWidths=[0.75, 0.25], edges="horizontal")
    table.auto_set_font_size(False)
    table.set_fontsize(6)


def render(url, path, window, out_dir):
    """Draws the dashboard at PATH into OUT_DIR; returns (panels with data, panels without, errors)."""
    dashboard = json.load(open(path))
    variables = metric_names.dashboard_variables(dashboard)
    panels = list(metric_names.panels(dashboard))
    start, end, step = window
    times = [datetime.datetime.fromtimestamp(start + i * step, datetime.timezone.utc)
             for i in range(int(round((end - start) / step)) + 1)]
    canvas = Canvas(max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels))
    begin, finish = (datetime.datetime.fromtimestamp(t, datetime.timezone.utc) for t in (start, end))
    canvas.figure.text(0.2 / WIDTH, 1 - 0.12 / canvas.height, dashboard["title"], ha="left", va="top", fontsize=14,
                       fontweight="bold", color=TEXT)
    canvas.figure.text(0.2 / WIDTH, 1 - 0.4 / canvas.height,
                       f"{begin:%Y-%m-%d %H:%M:%S} to {finish:%H:%M:%S} UTC ({(end - start) / 60:.3g} min, a point "
                       f"every {step:g} s). Drawn with matplotlib from each panel's PromQL against Prometheus "
                       f"(ops/grafana/render_dashboards.py), not by Grafana.",
                       ha="left", va="top", fontsize=7.5, color=FAINT)
    with_data, without, errors = [], [], []
    for panel in panels:
        if panel.get("type") == "row":
            left, top, width, _ = canvas.cell(panel["gridPos"])
            canvas.figure.text(left / WIDTH, 1 - (top + 0.02) / canvas.height, panel.get("title", ""), ha="left",
                               va="top", fontsize=10, fontweight="bold", color=TEXT)
            continue
        frame, box = panel_frame(canvas, panel)
        try:
            series = panel_series(url, panel, variables, window)
        except ValueError as error:
            errors.append(f"{panel.get('title')}: {error}")
            message(frame, f"Query error: {str(error)[:120]}", colour=NAMED_COLOURS["red"], fontsize=7)
            continue
        if not series:
            without.append(panel.get("title"))
            message(frame, "No data")
            continue
        with_data.append(panel.get("title"))
        kind = panel.get("type")
        if kind in ("stat", "gauge"):
            draw_stat(canvas, panel, box, series, times)
        elif kind == "table":
            draw_table(canvas, panel, box, series)
        else:
            draw_timeseries(canvas, panel, box, series, times)
    save(canvas.figure, os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".png"))
    return with_data, without, errors


def save(figure, path):
    """The figure as a PNG of at most 256 colours (a third of the size of matplotlib's RGBA)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=figure.get_facecolor())
    plt.close(figure)
    try:
        from PIL import Image  # matplotlib depends on Pillow
    except ImportError:
        open(path, "wb").write(buffer.getvalue())
        return
    buffer.seek(0)
    Image.open(buffer).convert("RGB").quantize(colors=256).save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prometheus_url")
    parser.add_argument("out_dir")
    parser.add_argument("--start", type=float, help="the window's start (Unix seconds); default: 15 minutes before --end")
    parser.add_argument("--end", type=float, help="the window's end (Unix seconds); default: now")
    parser.add_argument("--step", type=float, help="seconds between points; default: the window over 240, at least 1")
    arguments = parser.parse_args()
    end = arguments.end if arguments.end is not None else time.time()
    start = arguments.start if arguments.start is not None else end - 15 * 60
    if start >= end:
        parser.error("--start must come before --end")
    step = arguments.step or max(1.0, round((end - start) / 240))
    window = (start, end, step)
    url = arguments.prometheus_url.rstrip("/")
    os.makedirs(arguments.out_dir, exist_ok=True)
    paths = sorted(glob.glob(os.path.join(HERE, "dashboards", "*.json")))
    failed = False
    for path in paths:
        with_data, without, errors = render(url, path, window, arguments.out_dir)
        name = os.path.splitext(os.path.basename(path))[0]
        print(f"  {name}.png: {len(with_data)} panels with data, {len(without)} without"
              + (f" ({', '.join(without)})" if without else ""))
        for error in errors:
            print(f"render_dashboards: {name} / {error}", file=sys.stderr)
            failed = True
    print(f"{len(paths)} dashboards drawn into {arguments.out_dir}")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main())
