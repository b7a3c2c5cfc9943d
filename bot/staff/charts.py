"""Bar charts as inline SVG, drawn on the server from a report table (no JavaScript, no
CDN, nothing the CSP must allow). Colours are attributes, not styles, for the same reason.
Each chart has a text alternative; the table under it carries the exact numbers."""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.reports import Table

# Distinguishable, and dark enough on white (WCAG non-text contrast 3:1).
PALETTE = ("#1a4fa0", "#c5221f", "#137333", "#8a5a00", "#6b2fa0", "#00707a", "#5f6368", "#a0306b")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 240, 40, 40, 10
PLOT_W, PLOT_H = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    return value


def bar_chart(table: Table, label: str, stacked: bool = True) -> Markup:
    """Bars per row of `table` (first column: the x label), one colour per other column,
    stacked (parts of a whole) or side by side."""
    rows = table.rows or [["", *([0] * (len(table.columns) - 1))]]
    sums = [sum(r[1:]) if stacked else max(r[1:], default=0) for r in rows]
    top = _nice_max(max(sums, default=0) or 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        *_grid(top),
        *_bars(rows, table.columns[1:], top, stacked),
        "</svg>",
    ]
    return Markup("".join(parts))


def _grid(top: int) -> list[str]:
    out = []
    for tick in (0, top // 2, top):
        y = TOP + PLOT_H - PLOT_H * tick / top
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c8ccd2"/>'
        )
        out.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>'
        )
    return out


def _bars(rows: list[list], series: list[str], top: int, stacked: bool) -> list[str]:
    slot = PLOT_W / len(rows)
    bar_w = slot * 0.7 / (1 if stacked else max(len(series), 1))
    every = max(1, len(rows) // 10)  # at most about ten x labels
    out = []
    for i, row in enumerate(rows):
        x0, base = LEFT + i * slot + slot * 0.15, TOP + PLOT_H
        for j, value in enumerate(row[1:]):
            h = PLOT_H * value / top
            x, y = (x0 if stacked else x0 + j * bar_w), base - h
            if value:
                tip = escape(f"{row[0]}: {value} {series[j]}")
                out.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}"'
                    f' height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                    f"<title>{tip}</title></rect>"
                )
            base = y if stacked else base
        if i % every == 0:
            out.append(
                f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}"'
                f' text-anchor="middle" font-size="11">{escape(_short(row[0]))}</text>'
            )
    return out


def _short(label: object) -> str:
    """An ISO day as MM-DD (room for ~10 labels); anything else as it is."""
    text = str(label)
    return text[5:] if len(text) == 10 and text[4] == "-" else text


def legend(table: Table) -> Markup:
    """The colour of each series, as a list (read by screen readers too)."""
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12"'
        f' fill="{PALETTE[j % len(PALETTE)]}"/></svg> {escape(name)}</li>'
        for j, name in enumerate(table.columns[1:])
    )
    return Markup(f'<ul class="legend">{items}</ul>')
