"""A :class:`~smecredit.sdk.reports.Chart` as SVG for the PDF: bars (grouped or stacked),
lines or a pie, with axes, value ticks and a legend, drawn in the report's font."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from smecredit.sdk.reports import Chart
from smecredit.services.reports.formats.common import Titles
from smecredit.services.reports.formats.values import display, printable

__all__ = ["HEIGHT", "PALETTE", "WIDTH", "chart_svg"]

WIDTH, HEIGHT = 640, 340
PALETTE = ("#3366CC", "#DC3912", "#FF9900", "#109618", "#990099", "#0099C6", "#DD4477", "#66AA00")
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 20, 20, 70
_TICKS = 5


def _text(
    x: float, y: float, text: str, *, size: int = 10, anchor: str = "start", font: str
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{font}" font-size="{size}" '
        f'text-anchor="{anchor}" fill="#333333">{escape(printable(text))}</text>'
    )


def _scale(low: float, high: float) -> tuple[float, float, float]:
    """A round axis from ``low`` to ``high``: (start, end, step)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1.0
    raw = (high - low) / _TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def chart_svg(chart: Chart, titles: Titles, font: str) -> str:
    """The SVG document of ``chart`` (texts in the font family ``font``)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#FFFFFF"/>',
    ]
    names = [titles.pick(s.name_zh, s.name_en) for s in chart.series]
    if chart.kind == "pie":
        parts += _pie(chart, font)
        names = list(chart.categories)
    elif chart.categories and chart.series:
        parts += _axes_and_marks(chart, titles, font)
    parts += _legend(names, font)
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: list[str], font: str) -> list[str]:
    out, x = [], float(_LEFT)
    y = HEIGHT - 18
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(x + 14, y, name, font=font))
        x += 24 + 7 * sum(2 if ord(c) > 0x2E80 else 1 for c in name)
        if x > WIDTH - 80:
            x, y = float(_LEFT), y + 14
    return out


def _axes_and_marks(chart: Chart, titles: Titles, font: str) -> list[str]:
    stacked = chart.kind == "stacked_bar"
    count = len(chart.categories)
    values = [[v for v in s.values[:count]] for s in chart.series]
    if stacked:
        tops = [sum(max(v or 0.0, 0.0) for v in column) for column in zip(*values, strict=False)]
        bottoms = [sum(min(v or 0.0, 0.0) for v in column) for column in zip(*values, strict=False)]
        low, high = min(bottoms, default=0.0), max(tops, default=0.0)
    else:
        present = [v for series in values for v in series if v is not None]
        low, high = min(present, default=0.0), max(present, default=0.0)
    start, end, step = _scale(float(low), float(high))
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def y_of(value: float) -> float:
        return _TOP + plot_h * (end - value) / (end - start)

    out: list[str] = []
    tick = start
    while tick <= end + step / 2:
        y = y_of(tick)
        out.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" stroke="#E0E0E0"/>'
        )
        out.append(
            _text(
                _LEFT - 6,
                y + 3,
                display(tick, chart.value_kind, ""),
                anchor="end",
                size=9,
                font=font,
            )
        )
        tick += step
    out.append(
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#333333"/>'
    )
    zero = y_of(0.0)
    right = WIDTH - _RIGHT
    out.append(
        f'<line x1="{_LEFT}" y1="{zero:.1f}" x2="{right}" y2="{zero:.1f}" stroke="#333333"/>'
    )
    band = plot_w / count
    for index, category in enumerate(chart.categories):
        centre = _LEFT + band * (index + 0.5)
        out.append(_text(centre, _TOP + plot_h + 14, category, anchor="middle", size=9, font=font))
    if chart.kind == "line":
        for number, series in enumerate(values):
            colour = PALETTE[number % len(PALETTE)]
            points = [
                (_LEFT + band * (i + 0.5), y_of(float(v)))
                for i, v in enumerate(series)
                if v is not None
            ]
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                out.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
            for x, y in points:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        return out
    groups = 1 if stacked else len(values)
    bar_w = band * 0.7 / groups
    for index in range(count):
        up = down = 0.0
        for number, series in enumerate(values):
            value = series[index] if index < len(series) else None
            if value is None:
                continue
            colour = PALETTE[number % len(PALETTE)]
            value = float(value)
            if stacked:
                base = up if value >= 0 else down
                top, bottom = (base + value, base) if value >= 0 else (base, base + value)
                up, down = (top, down) if value >= 0 else (up, bottom)
                x = _LEFT + band * index + band * 0.15
            else:
                top, bottom = max(value, 0.0), min(value, 0.0)
                x = _LEFT + band * index + band * 0.15 + bar_w * number
            y1, y2 = y_of(top), y_of(bottom)
            out.append(
                f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y2 - y1, 0.5):.1f}" fill="{colour}"/>'
            )
    return out


def _pie(chart: Chart, font: str) -> list[str]:
    values = [max(float(v or 0.0), 0.0) for v in (chart.series[0].values if chart.series else ())]
    total = sum(values)
    if total <= 0:
        return []
    cx, cy, r = WIDTH / 2, (HEIGHT - 40) / 2 + 5, (HEIGHT - 70) / 2
    out: list[str] = []
    angle = -math.pi / 2
    for index, value in enumerate(values):
        if value <= 0:
            continue
        colour = PALETTE[index % len(PALETTE)]
        sweep = 2 * math.pi * value / total
        if sweep >= 2 * math.pi - 1e-9:
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{colour}"/>')
        else:
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(angle + sweep), cy + r * math.sin(angle + sweep)
            large = 1 if sweep > math.pi else 0
            out.append(
                f'<path d="M {cx:.1f} {cy:.1f} L {x1:.1f} {y1:.1f} A {r:.1f} {r:.1f} 0 {large} 1 '
                f'{x2:.1f} {y2:.1f} Z" fill="{colour}" stroke="#FFFFFF"/>'
            )
        middle = angle + sweep / 2
        label = f"{value / total * 100:.1f}%"
        out.append(
            _text(
                cx + r * 0.65 * math.cos(middle),
                cy + r * 0.65 * math.sin(middle) + 3,
                label,
                anchor="middle",
                size=10,
                font=font,
            )
        )
        angle += sweep
    return out
