"""Small server-side SVG charts (no JavaScript, no library): horizontal and vertical bars."""

from __future__ import annotations

from html import escape

ROW = 22
LABEL = 150
WIDTH = 480


def hbars(rows: list[tuple[str, float]], *, maximum: float = 1.0, percent: bool = True) -> str:
    """One labelled horizontal bar per row; values are shares of ``maximum``."""
    height = ROW * max(1, len(rows)) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    span = WIDTH - LABEL - 60
    for i, (label, value) in enumerate(rows):
        y = i * ROW + 2
        share = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum))
        text = f"{value * 100:.0f}%" if percent else f"{value:g}"
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{share * span:.1f}" height="{ROW - 6}" '
            f'class="bar"><title>{escape(label)}: {text}</title></rect>'
            f'<text x="{LABEL + share * span + 4:.1f}" y="{y + 15}">{text}</text>'
        )
    if not rows:
        parts.append('<text x="4" y="16">no data in this period</text>')
    parts.append("</svg>")
    return "".join(parts)


def vbars(columns: list[tuple[str, int]]) -> str:
    """One labelled vertical bar per column (counts)."""
    height, base = 160, 130
    n = max(1, len(columns))
    step = WIDTH / n
    top = max((v for _, v in columns), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(columns):
        h = (base - 20) * value / top
        x = i * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'class="bar"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + step * 0.35:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">'
            f"{value}</text>"
            f'<text x="{x + step * 0.35:.1f}" y="{base + 16}" text-anchor="middle" '
            f'class="small">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
