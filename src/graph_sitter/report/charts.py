"""Charts as inline SVG, drawn on the server: no JavaScript library, nothing fetched, works offline.

Every chart is a <figure class="chart"> whose data travels with it: `data-chart` names the kind, `data-count`
says how many data points it draws, `data-values` holds them as JSON, and each mark has a <title> (the browser
shows it on hover). A chart without data says so instead of drawing empty axes.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d")


@dataclass(frozen=True)
class Series:
    """One line: points (x, y) and, per point, the label its tooltip shows."""

    name: str
    points: Sequence[tuple[float, float]]
    labels: Sequence[str] = field(default_factory=tuple)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _figure(kind: str, chart_id: str, title: str, count: int, values: Any, body: str, width: int, height: int,
            legend: str = "") -> str:
    data = _e(json.dumps(values, default=str, separators=(",", ":")))
    return (f'<figure class="chart" id="{_e(chart_id)}" data-chart="{kind}" data-count="{count}"'
            f' data-values="{data}"><figcaption>{_e(title)}</figcaption>'
            f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="{_e(chart_id)}-t">'
            f'<title id="{_e(chart_id)}-t">{_e(title)}</title>{body}</svg>{legend}</figure>')


def empty_chart(kind: str, chart_id: str, title: str, message: str) -> str:
    """A chart that has nothing to draw, saying why."""
    return (f'<figure class="chart empty" id="{_e(chart_id)}" data-chart="{kind}" data-count="0">'
            f'<figcaption>{_e(title)}</figcaption><p class="note">{_e(message)}</p></figure>')


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        high = low + 1
    step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= step)
    start = math.floor(low / step + 1e-9) * step
    ticks = [round(start, 10)]
    while ticks[-1] < high - step * 1e-9:  # the last tick is at or above the highest value
        ticks.append(round(start + len(ticks) * step, 10))
    return ticks


def _legend(names: Sequence[str]) -> str:
    if len(names) < 2:
        return ""
    items = "".join(f'<li><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>{_e(n)}</li>'
                    for i, n in enumerate(names))
    return f'<ul class="legend">{items}</ul>'


def line_chart(chart_id: str, title: str, series: Sequence[Series], x_labels: tuple[str, str] = ("", ""),
               width: int = 560, height: int = 220) -> str:
    """Lines over a shared x axis (run number or time); each point carries its label as a tooltip."""
    drawn = [s for s in series if s.points]
    count = sum(len(s.points) for s in drawn)
    if not count:
        return empty_chart("line", chart_id, title, "no data yet")
    xs = [x for s in drawn for x, _ in s.points]
    ys = [y for s in drawn for _, y in s.points]
    low, high = min(ys), max(ys)
    if low == high:  # a flat line sits in the middle, not on an axis
        pad = max(abs(low) * 0.1, 1.0)
        low, high = low - pad, high + pad
    elif 0 <= low < high * 0.25:
        low = 0.0  # counts close to zero read best from zero
    ticks = _ticks(low, high)
    y_low, y_high = ticks[0], ticks[-1]
    left, right, top, bottom = 56, 12, 10, 28
    x_low, x_high = min(xs), max(xs)

    def px(x: float) -> float:
        return left + (width - left - right) * (0.5 if x_high == x_low else (x - x_low) / (x_high - x_low))

    def py(y: float) -> float:
        return height - bottom - (height - top - bottom) * (y - y_low) / (y_high - y_low)

    parts = []
    for t in ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_number(t)}</text>')
    parts.append(f'<text class="tick" x="{left}" y="{height - 8}">{_e(x_labels[0])}</text>'
                 f'<text class="tick" x="{width - right}" y="{height - 8}" text-anchor="end">{_e(x_labels[1])}</text>')
    values = []
    for i, s in enumerate(drawn):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        parts.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" points="{path}"'
                     f' data-series="{_e(s.name)}"/>')
        for j, (x, y) in enumerate(s.points):
            label = s.labels[j] if j < len(s.labels) else ""
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"><title>'
                         f'{_e(s.name)}: {_number(y)}{(" — " + _e(label)) if label else ""}</title></circle>')
        values.append({"series": s.name, "points": [[x, y] for x, y in s.points]})
    return _figure("line", chart_id, title, count, values, "".join(parts), width, height,
                   _legend([s.name for s in drawn]))


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float]], width: int = 560,
              height: int = 220) -> str:
    """Vertical bars with their labels under them and their values over them."""
    if not bars or not any(v for _, v in bars):
        return empty_chart("bar", chart_id, title, "no data yet")
    left, right, top, bottom = 40, 8, 18, 30
    high = max(v for _, v in bars) or 1
    slot = (width - left - right) / len(bars)
    parts = [f'<line class="axis" x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}"/>']
    for i, (label, value) in enumerate(bars):
        h = (height - top - bottom) * value / high
        x = left + i * slot + slot * 0.15
        y = height - bottom - h
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}"'
                     f' fill="{PALETTE[0]}"><title>{_e(label)}: {_number(value)}</title></rect>'
                     f'<text class="value" x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                     f'{_number(value)}</text>'
                     f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                     f'{_e(label)}</text>')
    return _figure("bar", chart_id, title, len(bars), [[label, value] for label, value in bars], "".join(parts),
                   width, height)


def share_chart(chart_id: str, title: str, parts_: Sequence[tuple[str, float]], unit: str = "",
                width: int = 560) -> str:
    """Horizontal bars, one per part, with its share of the whole."""
    parts = [(label, value) for label, value in parts_ if value > 0]
    if not parts:
        return empty_chart("share", chart_id, title, "no data yet")
    total = sum(v for _, v in parts)
    row, label_w = 24, 120
    height = row * len(parts) + 8
    body = []
    for i, (label, value) in enumerate(parts):
        w = (width - label_w - 110) * value / max(v for _, v in parts)
        y = 4 + i * row
        share = 100 * value / total
        body.append(f'<text class="tick" x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(label)}</text>'
                    f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}"'
                    f' fill="{PALETTE[i % len(PALETTE)]}"><title>{_e(label)}: {_number(value)} {_e(unit)}'
                    f' ({share:.1f} %)</title></rect>'
                    f'<text class="value" x="{label_w + max(w, 1) + 6:.1f}" y="{y + 15}">{share:.1f} %'
                    f' · {_number(value)}</text>')
    return _figure("share", chart_id, title, len(parts), [[label, value] for label, value in parts], "".join(body),
                   width, height)


def graph_chart(chart_id: str, title: str, groups: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]],
                width: int = 760, max_nodes: int = 80) -> str:
    """A directed graph: each group (an import cycle's modules) on a circle of its own, edges as arrows."""
    shown: list[list[str]] = []
    budget = max_nodes
    for group in groups:
        if len(group) > budget:
            break
        shown.append(list(group))
        budget -= len(group)
    nodes = {n for g in shown for n in g}
    drawn_edges = [(a, b) for a, b in edges if a in nodes and b in nodes and a != b]
    if not nodes:
        return empty_chart("graph", chart_id, title, "no import cycles")
    columns = 1 if len(shown) == 1 else 2
    cell_w = width / columns
    positions: dict[str, tuple[float, float]] = {}
    heights = []
    for index, group in enumerate(shown):
        radius = max(60.0, min(cell_w / 2 - 110, 18.0 * len(group)))
        heights.append(2 * radius + 60)
    row_heights = [max(heights[i:i + columns]) for i in range(0, len(heights), columns)]
    for index, group in enumerate(shown):
        radius = heights[index] / 2 - 30
        cx = cell_w * (index % columns) + cell_w / 2
        cy = sum(row_heights[:index // columns]) + row_heights[index // columns] / 2
        for k, node in enumerate(group):
            angle = 2 * math.pi * k / len(group) - math.pi / 2
            positions[node] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    height = int(sum(row_heights)) + 10
    body = [f'<defs><marker id="{_e(chart_id)}-arrow" viewBox="0 0 10 10" refX="16" refY="5" markerWidth="7"'
            f' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>']
    for a, b in drawn_edges:
        (x1, y1), (x2, y2) = positions[a], positions[b]
        body.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#94a3b8"'
                    f' marker-end="url(#{_e(chart_id)}-arrow)"><title>{_e(a)} imports {_e(b)}</title></line>')
    for index, group in enumerate(shown):
        color = PALETTE[index % len(PALETTE)]
        for node in group:
            x, y = positions[node]
            short = node if len(node) <= 28 else "…" + node[-27:]
            body.append(f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{color}"><title>{_e(node)}'
                        f'</title></circle><text class="label" x="{x + 9:.1f}" y="{y + 4:.1f}">{_e(short)}</text>')
    hidden = sum(len(g) for g in groups) - len(nodes)
    note = f'<p class="note">{hidden} more modules in larger cycles are not drawn.</p>' if hidden > 0 else ""
    values = {"nodes": sorted(nodes), "edges": [list(e) for e in drawn_edges], "groups": shown}
    return _figure("graph", chart_id, title, len(nodes), values, "".join(body), width, height, note)
